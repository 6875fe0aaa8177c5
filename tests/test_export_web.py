"""The HTTP side of issue #6: /export/<view>.<ext> (media types, counts, same bytes as the library,
ETags, errors), the /explore page (no inline script, data from the export endpoint) and /charts (SVG bars
and CSV equal to independent SPARQL)."""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from r2pkg.export import export_view
from r2pkg.query import run
from test_export import COUNTS, PROLOGUE, VIEW_PARAMS, count

ID = "https://w3id.org/r2pkg/id/"
MEDIA = {"graphml": ("application/graphml+xml", "graphml"), "gexf": ("application/gexf+xml", "gexf"),
         "cyjs": ("application/json", "cytoscape"), "json": ("application/json", "cytoscape"),
         "dot": ("text/vnd.graphviz", "dot"), "csv": ("text/csv", "csv")}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def expected(dataset) -> dict[str, tuple[int, int]]:
    return {v: (count(dataset.store, n), count(dataset.store, e)) for v, (n, e) in COUNTS.items()}


@pytest.mark.parametrize("ext", list(MEDIA))
@pytest.mark.parametrize("view", VIEW_PARAMS)
def test_export_endpoint(view, ext, client, res, dataset, expected):
    media, fmt = MEDIA[ext]
    tables = ("nodes", "edges") if ext == "csv" else ("nodes",)
    for table in tables:
        r = client.get(f"/export/{view}.{ext}" + (f"?table={table}" if ext == "csv" else ""))
        assert r.status_code == 200, r.data[:300]
        assert r.mimetype == media and r.mimetype_params.get("charset") == "utf-8"
        assert (int(r.headers["X-Graph-Nodes"]), int(r.headers["X-Graph-Edges"])) == expected[view]
        assert r.headers["ETag"] and r.headers["X-R2pkg-Build"] == dataset.build_id
        if view != "full":  # same bytes as the library (and so as the CLI); full is compared by counts only
            assert r.data == export_view(res, view, fmt, table=table, dataset=dataset)  # GEXF: the build's date
        if ext == "csv":
            rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8"), newline="")))
            assert len(rows) == expected[view][0 if table == "nodes" else 1]
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment" if ext in ("graphml", "gexf", "dot") else "inline")


def test_export_etag_and_cache(client):
    r = client.get("/export/support.graphml")
    again = client.get("/export/support.graphml", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    other = client.get("/export/support.dot")
    assert other.headers["ETag"] != r.headers["ETag"]
    edges = client.get("/export/support.csv?table=edges")
    assert edges.headers["ETag"] != client.get("/export/support.csv").headers["ETag"]


@pytest.mark.parametrize("url, status, code", [
    ("/export/nope.graphml", 404, "UNKNOWN_VIEW"),
    ("/export/support.xlsx", 404, "UNKNOWN_FORMAT"),
    ("/export/support.csv?table=links", 400, "BAD_PARAMETER"),
    ("/charts/nope.csv", 404, "UNKNOWN_CHART"),
    ("/charts/speakers-by-group.png", 404, "UNKNOWN_CHART"),
])
def test_errors_are_json(client, url, status, code):
    r = client.get(url)
    assert r.status_code == status and r.is_json and r.json["error"] == code


def test_explore_page_loads_its_data_from_the_export(client):
    r = client.get("/explore")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.data.decode("utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    for attrs, body in scripts:  # no inline code: external files or a JSON configuration block
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        assert not body.strip() or 'type="application/json"' in attrs
    srcs = [re.search(r'src="([^"]+)"', a).group(1) for a, _ in scripts if "src=" in a]
    assert srcs == ["/static/vendor/cytoscape/cytoscape.min.js", "/static/js/explore.js"]
    for s in srcs:
        static = client.get(s)
        assert static.status_code == 200
        static.close()
    config = json.loads(re.search(r'id="r2pkg-explore-config">(.*?)</script>', html, re.S).group(1))
    # the series of meetings (#12) joined the explorer with issue 18
    assert [v["url"] for v in config["views"]] == ["/export/support.cyjs", "/export/delegation.cyjs", "/export/series.cyjs"]
    assert config["iriBase"] == "https://w3id.org/r2pkg/" and config["pageBase"] == "/"
    assert "http://" not in html.replace("http://www.w3.org/", "") and "//cdn" not in html
    assert 'href="/export/full.graphml"' in html and 'href="/export/membership.csv?table=edges"' in html


def _claimed_vs_named(store) -> dict[str, tuple[int, int]]:
    claims = run(store, PROLOGUE + f"""SELECT ?t ?v WHERE {{ ?c a r2p:CountClaim ; r2p:claimTarget ?t ;
        r2p:countedPolarity <{ID}concept/polarity/support> ; r2p:claimedValue ?v ;
        <http://www.w3.org/ns/prov#wasDerivedFrom> [ a r2p:Passage ] }}""").raw  # the 2017 source's claims
    out = {}
    for row in claims:
        t = row["t"].value
        named = count(store, f"""SELECT (COUNT(DISTINCT ?h) AS ?c) WHERE {{ ?s a r2p:Stance ; r2p:target <{t}> ;
            r2p:polarity <{ID}concept/polarity/support> ; r2p:holder ?h . ?h a r2p:State }}""")
        out[t] = (int(row["v"].value), named)
    return out


def _speakers_by_group(store) -> dict[str, tuple[int, int]]:
    out = {}
    for row in run(store, PROLOGUE + "SELECT ?g WHERE { ?g a r2p:RegionalGroup }").raw:
        g = row["g"].value
        speakers = count(store, f"""SELECT (COUNT(DISTINCT ?s) AS ?c) WHERE {{ ?p r2p:listedUnder <{g}> ;
            r2p:participant ?s ; r2p:atEvent <{ID}event/iid-2017> }}""")
        members = count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?c) WHERE {{ ?s a r2p:State ; org:memberOf <{g}> }}")
        out[g] = (speakers, members)
    return out


def chart_expectations(store) -> dict[str, dict[str, dict[str, int]]]:
    """{chart: {category IRI: {series: value}}} computed independently of the chart queries."""
    return {"claimed-vs-named": {t: {"claimed": c, "named": n} for t, (c, n) in _claimed_vs_named(store).items()},
            "speakers-by-group": {g: {"speakers": s, "members": m}
                                  for g, (s, m) in _speakers_by_group(store).items()}}


def svg_bars(svg_text: str) -> dict[str, dict[str, int]]:
    root = ET.fromstring(svg_text)
    bars: dict[str, dict[str, int]] = {}
    for rect in root.iter(SVG + "rect"):
        if rect.get("class") == "bar":
            bars.setdefault(rect.get("data-category"), {})[rect.get("data-series")] = int(rect.get("data-value"))
    return bars


def test_charts_csv_and_svg(client, dataset):
    want = chart_expectations(dataset.store)
    assert want["claimed-vs-named"][ID + "initiative/act-code-of-conduct"] == {"claimed": 59, "named": 1}
    assert want["speakers-by-group"][ID + "regional-group/africa"]["members"] == 54
    for name, series in want.items():
        r = client.get(f"/charts/{name}.csv")
        assert r.status_code == 200 and r.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8"), newline="")))
        cat = "target" if name == "claimed-vs-named" else "group"
        assert {row[cat]: {k: int(row[k]) for k in series[row[cat]]} for row in rows} == series
        svg = client.get(f"/charts/{name}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert svg_bars(svg.data.decode("utf-8")) == series
        root = ET.fromstring(svg.data)
        texts = [t.text for t in root.iter(SVG + "text")]
        assert sum(1 for t in root.iter(SVG + "text") if t.get("class") == "value") == sum(len(s) for s in series.values())
        assert any("Number of" in (t or "") for t in texts)  # the value axis has a title
    page = client.get("/charts")
    assert page.status_code == 200 and page.data.count(b"<svg") == 4 and b"<script" not in page.data  # 2017 + series
    assert b'href="/charts/claimed-vs-named.csv"' in page.data


@pytest.mark.parametrize("view", VIEW_PARAMS)
def test_view_queries_run_on_the_sparql_endpoint(view, client, res, expected):
    """A SPARQL client gets the same view from /sparql: its node rows and edge rows give the counts."""
    text = (res.queries / "views" / f"{view}.rq").read_text(encoding="utf-8")
    r = client.post("/sparql", data=text.encode("utf-8"), content_type="application/sparql-query",
                    headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.headers.get("X-Result-Truncated") is None
    rows = r.json["results"]["bindings"]
    nodes = {b["id"]["value"] for b in rows if b["element"]["value"] == "node"}
    edges = [b["key"]["value"] for b in rows if b["element"]["value"] == "edge"]
    assert (len(nodes), len(edges)) == expected[view] and len(set(edges)) == len(edges)
