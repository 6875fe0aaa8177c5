"""Named queries in a browser: an HTML table page (IRIs linked to their /id/... pages, passages to
their place in the source); programs keep JSON; a unique prefix works as in the CLI."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from r2pkg import named
from r2pkg.query import run

REPO = Path(__file__).resolve().parents[1]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
CATALOGUE = named.catalogue(REPO / "queries")
ID = "https://w3id.org/r2pkg/id/"


def _cells(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_a_browser_gets_an_html_table(client, dataset, name):
    q = CATALOGUE[name]
    expected = run(dataset.store, q.text, substitutions=q.bindings({}))
    resp = client.get(f"/api/queries/{name}", headers={"Accept": BROWSER})
    assert resp.status_code == 200
    assert resp.mimetype == "text/html" and "Accept" in resp.headers["Vary"]
    page = resp.get_data(as_text=True)
    assert f"<h1>{html.escape(q.title)}</h1>" in page
    rows = list(expected.raw)
    cells = _cells(page)
    assert len(cells) == len(rows)
    assert f"<p>{len(rows)} rows" in page
    # every IRI of the dataset is a link to its page; every literal is shown
    hrefs = set(re.findall(r'href="(/id/[^"]+)"', page))
    iris = {t.value for sol in rows for t in sol if isinstance(t, ox.NamedNode) and t.value.startswith(ID)}
    assert {"/" + i[len("https://w3id.org/r2pkg/"):] for i in iris} <= hrefs
    literals = {t.value for sol in rows for t in sol if isinstance(t, ox.Literal)}
    shown = {html.unescape(x) for x in re.findall(r'<span class="literal">(.*?)</span>', page, re.S)}
    assert literals == shown


def test_passages_link_to_their_place_in_the_source(client):
    # a named query whose results hold passage IRIs
    for n in sorted(CATALOGUE):
        page = client.get(f"/api/queries/{n}", headers={"Accept": BROWSER}).get_data(as_text=True)
        m = re.search(r'href="/id/passage/([^/"]+)/(\d+)-(\d+)"[^>]*>[^<]*</a> \(<a class="cite" href="([^"]+)"', page)
        if m:
            assert m.group(4) == f"/sources/{m.group(1)}#p-{m.group(2)}-{m.group(3)}"
            return
    pytest.fail("no named query returns passage IRIs")


def test_programs_keep_json(client):
    name = sorted(CATALOGUE)[0]
    for accept in (None, "*/*", "application/json", "application/sparql-results+json"):
        resp = client.get(f"/api/queries/{name}", headers={"Accept": accept} if accept else {})
        assert resp.status_code == 200
        assert resp.mimetype == "application/sparql-results+json", accept
    # a browser asking explicitly for a format gets it
    resp = client.get(f"/api/queries/{name}?format=csv", headers={"Accept": BROWSER})
    assert resp.mimetype == "text/csv"


def test_the_html_page_links_the_machine_formats(client):
    name = sorted(CATALOGUE)[0]
    page = client.get(f"/api/queries/{name}", headers={"Accept": BROWSER}).get_data(as_text=True)
    for fmt in ("json", "csv", "tsv", "xml"):
        assert f'href="http://localhost/api/queries/{name}?format={fmt}"' in page


def test_a_unique_prefix_works(client):
    full = next(n for n in CATALOGUE if n.startswith("cq05"))
    a = client.get("/api/queries/cq05")
    b = client.get(f"/api/queries/{full}")
    assert a.status_code == b.status_code == 200
    assert a.data == b.data and a.headers["ETag"] == b.headers["ETag"]


def test_an_ambiguous_prefix_lists_the_candidates(client):
    resp = client.get("/api/queries/cq1")
    assert resp.status_code == 404
    body = resp.get_json()
    candidates = [n for n in CATALOGUE if n.startswith("cq1")]
    assert len(candidates) > 1
    assert body["error"] == "UNKNOWN_QUERY"
    assert body["message"] == f"query name 'cq1' is ambiguous: {', '.join(candidates)}; give more of the name"


def test_the_list_of_named_queries_in_a_browser(client):
    resp = client.get("/api/queries", headers={"Accept": BROWSER})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    links = re.findall(r'<li><a href="http://localhost/api/queries/([^"]+)"><code>', page)
    assert links == list(CATALOGUE)
    assert all(html.escape(q.title) in page for q in CATALOGUE.values())
    assert 'href="http://localhost/api/queries?format=json"' in page
    # programs (and ?format=json) keep the JSON catalogue
    for headers, qs in (({}, ""), ({"Accept": BROWSER}, "?format=json"), ({"Accept": "application/json"}, "")):
        r = client.get("/api/queries" + qs, headers=headers)
        assert r.mimetype == "application/json"
        assert [e["name"] for e in r.get_json()["queries"]] == list(CATALOGUE)
