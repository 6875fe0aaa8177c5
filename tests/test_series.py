"""The series of meetings, 2009-2025: data/series/*.ttl against the table it comes from.

* The committed Turtle is what ``tools/gen_series.py`` writes from ``data/reference/series.csv``
  (same bytes), and the table is the verified copy the README names (its SHA-256).
* Every verified row of the table is in the build as a claim derived from its page (read here
  from the CSV and checked with SPARQL over the built dataset, independently of the generator's
  code), and every page is an ``r2p:WebPage`` with URL, publisher, kind and checked date.
* The disagreements the table's README lists are recorded as inconsistencies naming both claims.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "data" / "reference" / "series.csv"
SERIES_DIR = REPO / "data" / "series"
ID = "https://w3id.org/r2pkg/id/"
R2P = "https://w3id.org/r2pkg/ontology#"
EVENT = {"ga-r2p-2009": ID + "event/ga-debate-2009"}  # the 2009 debate data/dialogue-2017 already mints
# Verified rows the generator leaves out, with the reason (tools/gen_series.py LEFT_OUT).
LEFT_OUT = {"initiative_supporters_partial"}


def rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_series", REPO / "tools" / "gen_series.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def select(dataset, query: str):
    return dataset.store.query(query, use_default_graph_as_union=True)


def event_of(meeting_id: str) -> str:
    if meeting_id.startswith("none-"):
        return ID + "series/ga-r2p-discussions"
    return EVENT.get(meeting_id, ID + "event/" + meeting_id)


def test_table_is_the_verified_copy():
    digest = hashlib.sha256(TABLE.read_bytes()).hexdigest()
    readme = (REPO / "data" / "reference" / "README.md").read_text(encoding="utf-8")
    assert "series.csv`: copied from" in readme and digest in readme
    rs = rows()
    assert len(rs) == 364
    assert {r["verified"] for r in rs} == {"yes", "no"}


def test_generated_turtle_is_up_to_date():
    out, info = load_generator().generate()
    assert sorted(out) == ["claims.ttl", "lists.ttl", "meetings.ttl", "pages.ttl"]
    for name, text in out.items():
        assert (SERIES_DIR / name).read_text(encoding="utf-8") == text, (
            f"data/series/{name} is out of date: run python tools/gen_series.py")
    assert info["rows"] == sum(r["verified"] == "yes" and r["figure"] not in LEFT_OUT for r in rows())


def test_generator_is_deterministic():
    gen = load_generator()
    assert gen.generate()[0] == gen.generate()[0]


CLAIMS = """
PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?c ?fig ?event ?page ?num ?val ?asof WHERE {
  ?c r2p:figureKey ?fig ; r2p:atEvent ?event ; prov:wasDerivedFrom ?page .
  ?page a r2p:WebPage .
  OPTIONAL { ?c r2p:claimedValue ?num }
  OPTIONAL { ?c r2p:statedValue ?val }
  OPTIONAL { ?c r2p:asOf ?asof }
}"""


@pytest.fixture(scope="module")
def claims_in_graph(dataset):
    """(figure, event, page, as_of) -> list of (claimed number, set of stated values) for every claim."""
    acc: dict[str, dict] = {}
    for sol in select(dataset, CLAIMS):
        c = sol["c"].value
        d = acc.setdefault(c, {"key": (sol["fig"].value, sol["event"].value, sol["page"].value,
                                       sol["asof"].value if sol["asof"] else ""),
                               "num": sol["num"].value if sol["num"] else None, "vals": set()})
        if sol["val"]:
            d["vals"].add(sol["val"].value)
    out: dict[tuple, list] = defaultdict(list)
    for d in acc.values():
        out[d["key"]].append((d["num"], frozenset(d["vals"])))
    return out


def test_every_verified_row_is_in_the_graph_derived_from_its_page(claims_in_graph):
    missing = []
    checked = 0
    for n, r in enumerate(rows(), start=2):
        if r["verified"] != "yes" or r["figure"] in LEFT_OUT:
            continue
        checked += 1
        key = (r["figure"], event_of(r["meeting_id"]), r["source_url"], r["as_of"])
        items = frozenset(r["value"].split(";"))
        found = claims_in_graph.get(key, [])
        ok = any(num == r["value"] or vals == items or (num is not None and vals == {r["value"]})
                 for num, vals in found)
        if not ok:
            missing.append(f"line {n}: {r['meeting_id']} {r['figure']}={r['value']!r} <{r['source_url']}> found {found}")
    assert checked > 340
    assert missing == []


def test_unverified_rows_are_not_web_claims(claims_in_graph):
    """A row with verified=no never becomes a claim derived from its page (2017's own figures
    are in data/dialogue-2017 with their passages instead)."""
    verified_keys = {(r["figure"], event_of(r["meeting_id"]), r["source_url"], r["as_of"])
                     for r in rows() if r["verified"] == "yes"}
    for r in rows():
        key = (r["figure"], event_of(r["meeting_id"]), r["source_url"], r["as_of"])
        if r["verified"] == "no" and key not in verified_keys:
            assert key not in claims_in_graph, r


PAGES = """
PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?page ?url ?pub ?kind ?checked WHERE {
  ?page a r2p:WebPage ; schema:url ?url ; dcterms:publisher ?pub ; r2p:pageKind ?kind ; r2p:checkedOn ?checked .
}"""


def test_every_page_is_a_described_web_page(dataset):
    pages = {s["page"].value: s for s in select(dataset, PAGES)}
    want = {r["source_url"]: r for r in rows() if r["verified"] == "yes" and r["figure"] not in LEFT_OUT}
    assert set(want) <= set(pages)
    for url, r in want.items():
        s = pages[url]
        assert s["url"].value == url
        assert s["kind"].value == ID + "concept/page-kind/" + r["page_kind"]
        assert s["checked"].value == "2026-12-01"


def test_the_2017_source_is_linked_to_its_public_page(dataset):
    q = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
    SELECT ?page WHERE { <https://w3id.org/r2pkg/id/source/000_8ce56a32bf916fdd> prov:alternateOf ?page .
                         ?page a r2p:WebPage }"""
    pages = [s["page"].value for s in select(dataset, q)]
    assert len(pages) == 1 and pages[0].endswith("-6-september-2017/")


def test_no_page_text_in_the_series_data():
    """The only prose in data/series is the table's notes and the project's labels: no comment
    is longer than the longest note, and every comment on a claim is a note of the table."""
    notes = {r["note"] for r in rows()}
    text = (SERIES_DIR / "claims.ttl").read_text(encoding="utf-8")
    for m in re.finditer(r'rdfs:comment "((?:[^"\\]|\\.)*)"@en', text):
        value = m.group(1).replace('\\"', '"')
        assert value in notes or value.startswith("Each side is its own claim"), value


INCONSISTENCIES = """
PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
SELECT ?i ?c ?v ?val WHERE {
  ?i a r2p:Inconsistency ; r2p:conflictingClaim ?c .
  OPTIONAL { ?c r2p:claimedValue ?v } OPTIONAL { ?c r2p:statedValue ?val }
}"""


@pytest.fixture(scope="module")
def inconsistencies(dataset):
    out: dict[str, set[str]] = defaultdict(set)
    for s in select(dataset, INCONSISTENCIES):
        out[s["i"].value].add((s["val"] or s["v"]).value if (s["val"] or s["v"]) else s["c"].value)
    return out


@pytest.mark.parametrize("iri, values", [
    ("inconsistency/iid-2014/states-represented", {"81", "83"}),
    ("inconsistency/iid-2016/states-represented", {"93", "95"}),
    ("inconsistency/iid-2013/member-states-spoke", {"69", "68"}),
    ("inconsistency/iid-2017/gof-members-2017-09-06", {"50", "49"}),
    ("inconsistency/iid-2012/ordinal-as-stated", {"third", "fourth"}),
    ("inconsistency/iid-2017/ordinal-as-stated", {"eighth", "ninth"}),
    ("inconsistency/ga-r2p-2021/resolution-symbol", {"A/75/277", "A/RES/75/277"}),
    ("inconsistency/iid-2015/act-code-supporters-2015-10-23", {"102", "103", "104"}),
    ("inconsistency/iid-2015/france-mexico-supporters-2015-09-30", {"70", "75"}),
    ("inconsistency/ga-r2p-2024/gof-members", {"55", "56"}),
    ("inconsistency/series/cumulative-states-spoke", {"137", "138"}),
    ("inconsistency/ga-debate-2009/january-or-july", {"2009-01", "2009-07-21", "2009-07-23"}),
    ("inconsistency/iid-2017/formal-agenda-supporters", {"56", "65"}),
    ("inconsistency/iid-2016/gof-statement-members", {"49", "50"}),
    ("inconsistency/ga-debate-2009/speakers", {"94", "2"}),
])
def test_known_disagreements_are_kept(inconsistencies, iri, values):
    assert inconsistencies.get(ID + iri) == values


def test_meetings_of_the_series(dataset):
    q = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#> PREFIX schema: <https://schema.org/>
    SELECT ?e ?kind ?report WHERE {
      <https://w3id.org/r2pkg/id/series/ga-r2p-discussions> schema:subEvent ?e .
      ?e a ?kind ; r2p:addresses ?report . FILTER (?kind IN (r2p:Dialogue, r2p:Debate)) }"""
    got = {s["e"].value.rsplit("/", 1)[1]: s["kind"].value.rsplit("#", 1)[1] for s in select(dataset, q)}
    want = {r["meeting_id"] for r in rows() if not r["meeting_id"].startswith("none-")}
    assert len(got) == len(want) == 16
    assert got["iid-2017"] == "Dialogue" and got["ga-debate-2009"] == "Debate"
    assert sum(k == "Dialogue" for k in got.values()) == 8


def _one(dataset, query: str) -> dict:
    sols = list(select(dataset, query))
    assert len(sols) == 1, sols
    return {k: sols[0][k].value for k in ("a", "b", "c", "d", "e") if sols[0][k] is not None}


PFX = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#> PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX document: <https://w3id.org/r2pkg/id/document/> """


def test_resolutions_and_votes(dataset):
    got = _one(dataset, PFX + """SELECT ?a ?b ?c WHERE { document:A-RES-63-308 a r2p:Resolution ;
        r2p:documentSymbol ?a ; r2p:adoptionDate ?b ; r2p:adoptionMethod ?c }""")
    assert got == {"a": "A/RES/63/308", "b": "2009-09-14", "c": ID + "concept/adoption-method/consensus"}
    got = _one(dataset, PFX + """SELECT ?a ?b ?c ?d ?e WHERE { ?v a r2p:Vote ; r2p:adopts document:A-RES-75-277 ;
        r2p:votesInFavour ?a ; r2p:votesAgainst ?b ; r2p:abstentions ?c ; r2p:notVoting ?d ; schema:startDate ?e }""")
    # the UN record's numbers, as the table's dataset rows give them
    want = {r["figure"]: r["value"] for r in rows() if r["page_kind"] == "dataset" and r["figure"].startswith("vote_")}
    assert got == {"a": want["vote_yes"], "b": want["vote_no"], "c": want["vote_abstain"],
                   "d": want["vote_non_voting"], "e": want["vote_date"]}
    votes = {s["v"].value for s in select(dataset, PFX + "SELECT ?v WHERE { ?v a r2p:Vote }")}
    assert ID + "event/ga-vote-2017-09-15" in votes and len(votes) == 2


def test_named_lists_are_dated_memberships_and_supports(dataset):
    q = PFX + """SELECT ?m ?state ?when ?page WHERE { ?m a org:Membership ; org:member ?state ;
        org:organization <https://w3id.org/r2pkg/id/group/group-of-friends-r2p> ; r2p:asOf ?when ;
        prov:wasDerivedFrom ?page . ?page a r2p:WebPage }"""
    gof = list(select(dataset, q))
    listed = next(r for r in rows() if r["figure"] == "gof_member_list")["value"].split(";")
    assert 45 <= len(gof) <= len(listed)
    assert {s["when"].value for s in gof} == {"2021-05-17"}
    q = PFX + """SELECT (COUNT(DISTINCT ?h) AS ?n) WHERE { ?s a r2p:NamedSupport ; r2p:supporter ?h ;
        r2p:asOf "2015-09-01"^^<http://www.w3.org/2001/XMLSchema#date> ;
        r2p:supportTarget <https://w3id.org/r2pkg/id/initiative/act-code-of-conduct> ;
        prov:wasDerivedFrom ?page . ?page a r2p:WebPage }"""
    n = int(next(iter(select(dataset, q)))["n"].value)
    assert 25 <= n <= 29
    q = PFX + """SELECT (COUNT(*) AS ?n) WHERE { ?s a r2p:NamedSupport ; r2p:supportTarget document:A-RES-63-308 ;
        r2p:asOf "2009-09-14"^^<http://www.w3.org/2001/XMLSchema#date> }"""
    assert 55 <= int(next(iter(select(dataset, q)))["n"].value) <= 65


def _table_min_max(figure: str) -> dict[str, tuple[int, int]]:
    vals: dict[str, list[int]] = defaultdict(list)
    for r in rows():
        if r["verified"] == "yes" and r["figure"] == figure:
            vals[event_of(r["meeting_id"])].append(int(r["value"]))
    return {k: (min(v), max(v)) for k, v in vals.items()}


def test_participation_chart_matches_the_table(client):
    """The chart's CSV and SVG bars carry the table's figures (lowest and highest stated per meeting)."""
    import io
    import xml.etree.ElementTree as ET

    spoke, rep = _table_min_max("member_states_spoke"), _table_min_max("states_represented")
    r = client.get("/charts/participation-by-meeting.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    got = list(csv.DictReader(io.StringIO(r.get_data(as_text=True), newline="")))
    assert len(got) == 16 and got[0]["meetingLabel"] == "2009 plenary debate"
    for row in got:
        m = row["meeting"]
        assert (int(row["spoke"]), int(row["spokeMax"])) == spoke[m]
        assert (row["represented"], row["representedMax"]) == tuple(str(x) for x in rep.get(m, ("", "")))
    svg = ET.fromstring(client.get("/charts/participation-by-meeting.svg").data)
    bars = {(b.get("data-category"), b.get("data-series")): int(b.get("data-value"))
            for b in svg.iter("{http://www.w3.org/2000/svg}rect") if b.get("class") == "bar"}
    assert {k: v for k, v in bars.items() if k[1] == "spoke"} == {(m, "spoke"): lo for m, (lo, _) in spoke.items()}
    assert {k: v for k, v in bars.items() if k[1] == "represented"} == {(m, "represented"): lo for m, (lo, _) in rep.items()}
    missing = [t for t in svg.iter("{http://www.w3.org/2000/svg}text") if "missing" in (t.get("class") or "")]
    assert len(missing) == 16 - len(rep)  # no bar, and no zero, where no page gives the figure


def test_groups_over_time_chart_matches_the_table(client):
    import io

    want: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in rows():
        if r["verified"] == "yes" and r["figure"] in ("gof_members", "focal_points_network_size") and r["as_of"]:
            want[r["as_of"]][r["figure"]].append(int(r["value"]))
    got = list(csv.DictReader(io.StringIO(client.get("/charts/groups-over-time.csv").get_data(as_text=True), newline="")))
    assert [g["date"] for g in got] == sorted(want)
    for g in got:
        w = want[g["date"]]
        assert g["friends"] == (str(min(w["gof_members"])) if w["gof_members"] else "")
        assert g["focalPoints"] == (str(min(w["focal_points_network_size"])) if w["focal_points_network_size"] else "")


def test_series_page(client):
    r = client.get("/series")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert html.count("<tr data-meeting=") == 16 and "<script" not in html
    assert "2020" in html and "no meeting held" in html
    row = html.split('<tr data-meeting="iid-2014">', 1)[1].split("</tr>", 1)[0]
    assert 'class="figure disagreement" data-figure="states_represented">81 / 83<' in row
    assert 'href="/series/iid-2014"' in row
    # where the pages disagree on the days, the timeline shows each page's days, as for a figure
    row = html.split('<tr data-meeting="ga-debate-2009">', 1)[1].split("</tr>", 1)[0]
    starts = sorted({r["value"] for r in rows() if r["meeting_id"] == "ga-r2p-2009" and r["figure"] == "date_start"
                     and r["verified"] == "yes"})
    assert len(starts) > 1 and 'class="figure disagreement" data-figure="days">' in row, row
    cell = row.split('data-figure="days">', 1)[1].split("</td>", 1)[0]
    assert all(s in cell for s in starts) and " to 2009-07-28" in cell, cell


def test_meeting_page_lists_every_figure_with_its_page(client):
    html = client.get("/series/iid-2014").get_data(as_text=True)
    want = [r for r in rows() if r["meeting_id"] == "iid-2014" and r["verified"] == "yes"]
    assert html.count("<tr data-figure=") == len(want)
    for r in want:
        assert f'<a href="{r["source_url"]}" rel="nofollow noreferrer">' in html
    assert 'id="disagreements"' in html and "/id/inconsistency/iid-2014/states-represented" in html
    html = client.get("/series/ga-debate-2009").get_data(as_text=True)
    assert "/id/inconsistency/ga-debate-2009/january-or-july" in html


def test_unknown_meeting_is_404(client):
    r = client.get("/series/iid-1999", headers={"Accept": "application/json"})
    assert r.status_code == 404


def test_series_gexf_plays_on_a_timeline(client):
    import xml.etree.ElementTree as ET

    r = client.get("/export/series.gexf")
    assert r.status_code == 200
    root = ET.fromstring(r.data)
    ns = {"g": root.tag.split("}")[0].strip("{")}
    graph = root.find("g:graph", ns)
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    nodes = {n.get("id"): n for n in graph.iter("{%s}node" % ns["g"])}
    assert nodes[ID + "event/iid-2014"].get("start") == "2014-09-08"
    assert nodes[ID + "event/ga-debate-2009"].get("start") == "2009-07-21"  # earliest day a page gives
    meetings = [n for i, n in nodes.items() if i.startswith(ID + "event/")]
    assert len(meetings) == 16 and all(n.get("start") for n in meetings)
    edges = list(graph.iter("{%s}edge" % ns["g"]))
    assert edges and all(e.get("start") for e in edges)
    readers = {(e.get("source"), e.get("target")) for e in edges if e.get("label", "").startswith("read")}
    assert (ID + "state/RWA", ID + "event/iid-2014") in readers
    static = ET.fromstring(client.get("/export/support.gexf").data).find("g:graph", ns)
    assert static.get("mode") == "static"


def test_same_facts_in_other_words_are_not_disagreements(inconsistencies):
    assert ID + "inconsistency/ga-r2p-2021/draft-resolution-symbol" not in inconsistencies  # one adds the addendum
    assert ID + "inconsistency/ga-r2p-2021/ordinal-as-stated" not in inconsistencies  # 'fourth' both times
    assert ID + "inconsistency/series/numbering" in inconsistencies


def test_counts_over_time_are_not_shown_as_disagreements(client):
    html = client.get("/series").get_data(as_text=True)
    row = html.split('<tr data-meeting="ga-r2p-2018">', 1)[1].split("</tr>", 1)[0]
    assert 'class="figure" data-figure="gof_members">50 (2018-03-21), 51 (2018-06-25)<' in row
    row = html.split('<tr data-meeting="iid-2017">', 1)[1].split("</tr>", 1)[0]
    assert 'class="figure disagreement" data-figure="gof_members">49 / 50<' in row
