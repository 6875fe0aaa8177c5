"""The YASGUI query page in headless Chromium against the real server: it loads offline (no request
leaves loopback), runs the default query and an example tab (the competency queries), and shows
the results table, without console errors. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import html
import json
import urllib.request
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest

from browser import OfflinePage, launch
from r2pkg import named
from r2pkg.query import run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACTIVE = ".yasgui .tabPanel.active"
ROWS = f"{ACTIVE} .yasr table.dataTable tbody tr"


@pytest.fixture(scope="module")
def browser():
    with launch() as b:
        yield b


@pytest.fixture
def page(browser):
    p = OfflinePage(browser)
    yield p
    p.close()


@pytest.fixture(scope="module")
def examples(live_server) -> list[dict]:
    with urllib.request.urlopen(live_server + "/api/queries", timeout=10) as r:
        return json.load(r)["queries"]


def open_yasgui(page, live_server: str) -> None:
    resp = page.goto(live_server + "/sparql", wait_until="load")
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/html")
    page.wait_for_selector(f"{ACTIVE} .yasqe .CodeMirror", timeout=15000)
    page.wait_for_function("() => window.r2pkgYasgui && window.r2pkgYasgui.getTab()", timeout=15000)


def tab_names(page) -> list[str]:
    return page.eval_on_selector_all(".yasgui .tabsList .tab a span", "els => els.map(e => e.textContent.trim())")


def result_rows(page) -> int:
    page.wait_for_selector(ROWS, timeout=15000)
    return page.locator(ROWS).count()


def test_yasgui_runs_the_default_query(page, live_server, examples):
    open_yasgui(page, live_server)
    # one tab for the editor; the competency queries are in a picker, not one tab each
    assert tab_names(page) == ["Query"]
    options = page.eval_on_selector_all("#r2pkg-examples option", "els => els.map(e => e.value)")
    assert options == [""] + [e["name"] for e in examples]
    query = page.evaluate("() => window.r2pkgYasgui.getTab().getQuery()")
    assert "SELECT ?s ?p ?o" in query and "LIMIT 10" in query
    endpoint = page.evaluate("() => window.r2pkgYasgui.getTab().getEndpoint()")
    assert endpoint == live_server + "/sparql"
    with page.expect_response(lambda r: r.url.startswith(live_server + "/sparql") and r.request.method == "POST") as info:
        page.click(f"{ACTIVE} .yasqe_queryButton")
    assert info.value.status == 200
    assert result_rows(page) == 10
    headers = page.eval_on_selector_all(f"{ACTIVE} .yasr table.dataTable thead th",
                                        "els => els.map(e => e.textContent.trim())")
    assert [h for h in headers if h] [-3:] == ["s", "p", "o"]
    page.screenshot("yasgui-default-query")
    page.assert_clean()


def test_yasgui_runs_an_example_tab(page, live_server, examples, dataset, res):
    # the first competency query with a non-empty answer (the table then has rows to wait for)
    catalogue = named.catalogue(res.queries)
    choice = None
    for e in examples:
        q = catalogue[e["name"]]
        result = run(dataset.store, q.text, substitutions=q.bindings({}))
        if q.params or result.kind != "results" or isinstance(result.raw, ox.QueryBoolean):
            continue  # YASGUI sends the text as is: parameters would stay unbound
        n = len(list(result.raw))
        if n:
            choice = (q, n)
            break
    assert choice, "no example query with rows"
    q, expected_rows = choice
    open_yasgui(page, live_server)
    page.select_option("#r2pkg-examples", q.name)  # opens the example in a new, active tab
    page.wait_for_function("name => window.r2pkgYasgui.getTab().getName() === name", arg=q.name)
    assert tab_names(page) == ["Query", q.name]
    page.wait_for_selector(f"{ACTIVE} .yasqe .CodeMirror", timeout=15000)
    assert page.evaluate("() => window.r2pkgYasgui.getTab().getQuery()") == q.text
    page.click(f"{ACTIVE} .yasqe .CodeMirror")
    with page.expect_response(lambda r: r.url.startswith(live_server + "/sparql") and r.request.method == "POST") as info:
        page.keyboard.press("Control+Enter")
    assert info.value.status == 200
    assert result_rows(page) == min(expected_rows, 50)  # YASR pages long tables
    page.screenshot(f"yasgui-example-{q.name}")
    # choosing it again selects its tab rather than opening another
    page.click(".yasgui .tabsList .tab a >> text=Query")
    page.select_option("#r2pkg-examples", q.name)
    page.wait_for_function("name => window.r2pkgYasgui.getTab().getName() === name", arg=q.name)
    assert tab_names(page) == ["Query", q.name]
    page.assert_clean()


def test_query_page_loads_only_local_resources(page, live_server):
    open_yasgui(page, live_server)
    page.wait_for_load_state("networkidle")
    urls = [u for _, u in page.requests]
    assert live_server + "/static/vendor/yasgui/yasgui.min.js" in urls
    assert all(u.startswith(live_server) for u in urls), urls
    page.assert_clean()


# -- search, result views, share, embed, autocompletion (issue 18) ---------------------------------

GROUP_BY = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
SELECT ?group (COUNT(DISTINCT ?s) AS ?states) WHERE {
  ?s a r2p:State ; org:memberOf ?group . ?group a r2p:RegionalGroup
} GROUP BY ?group ORDER BY ?group"""
CONSTRUCT = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?g ?p ?o } WHERE { ?g a r2p:RegionalGroup ; ?p ?o }"""
BARS = "el => Chart.getChart(el.querySelector('canvas')).getDatasetMeta(0).data.length"


def _label_of(dataset, label: str) -> str:
    """The one resource whose rdfs:label is ``label`` (the expected first hit of a search)."""
    q = "SELECT ?s ?want WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(STR(?l) = ?want) }"
    found = [s["s"].value for s in dataset.store.query(q, use_default_graph_as_union=True,
                                                       substitutions={ox.Variable("want"): ox.Literal(label)})]
    assert len(found) == 1, found
    return found[0]


def _hits(page) -> list[dict]:
    return page.eval_on_selector_all("li.hit", """els => els.map(e => ({iri: e.dataset.iri, kind: e.dataset.kind,
        label: e.querySelector('.hit-label').textContent, marks: [...e.querySelectorAll('mark')].map(m => m.textContent),
        source: (e.querySelector('a.in-source') || {}).href || null}))""")


def test_search_finds_names_typed_without_diacritics_or_curly_quotes(page, live_server, dataset):
    page.goto(live_server + "/charts", wait_until="load")
    page.fill("header.site form.site-search input[name=q]", "Simonovic")  # the box on every page
    with page.expect_navigation():
        page.press("header.site form.site-search input[name=q]", "Enter")
    assert page.url.startswith(live_server + "/search?q=Simonovic")
    hits = _hits(page)
    person = _label_of(dataset, "Ivan Šimonović")
    assert hits[0]["iri"] == person and hits[0]["kind"] == "person" and hits[0]["marks"] == ["Šimonović"]
    total = int(page.text_content("#search-total"))
    assert total == len(hits) and all("Šimonović" in h["marks"] for h in hits)
    # the facet narrows to passages; the first passage links to its highlighted spot in the source
    page.click("a[data-facet=kind][data-value=passage]")
    passages = _hits(page)
    assert passages and all(h["kind"] == "passage" for h in passages) and len(passages) < total
    start, end = passages[0]["iri"].rsplit("/", 1)[1].split("-")
    assert passages[0]["source"].endswith(f"#p-{start}-{end}")
    page.goto(passages[0]["source"])
    spot = page.locator(f"[id='p-{start}-{end}']")
    assert "Šimonović" in spot.text_content()
    # a straight quote finds the label written with one and those written with a curly one
    page.goto(live_server + "/search?q=" + quote("Cote d'Ivoire"))
    hits = _hits(page)
    assert hits[0]["iri"] == _label_of(dataset, "Côte d'Ivoire") and hits[0]["kind"] == "state"
    assert any("\u2019" in h["label"] for h in hits[1:]), [h["label"] for h in hits]
    page.assert_clean()


def _run_in_editor(page, live_server, query: str) -> None:
    page.evaluate("q => { window.r2pkgYasgui.getTab().setQuery(q); }", query)
    with page.expect_response(lambda r: r.url.startswith(live_server + "/sparql") and r.request.method == "POST") as info:
        page.click(f"{ACTIVE} .yasqe_queryButton")
    assert info.value.status == 200


def test_views_share_embed_and_autocompletion(page, browser, live_server, dataset, tmp_path):
    rows = list(dataset.store.query(GROUP_BY, use_default_graph_as_union=True))
    triples = list(dataset.store.query(CONSTRUCT, use_default_graph_as_union=True))
    nodes = {t.subject for t in triples} | {t.object for t in triples}
    assert len(rows) > 1 and len(nodes) > 1
    open_yasgui(page, live_server)
    # a GROUP BY result as a bar chart: one bar per row
    _run_in_editor(page, live_server, GROUP_BY)
    page.wait_for_selector(f"{ACTIVE} .yasr table.dataTable tbody tr")
    page.click(f"{ACTIVE} .yasr .select_chart")
    page.wait_for_selector(f"{ACTIVE} .r2pkg-chart canvas")
    assert page.eval_on_selector(f"{ACTIVE} .yasr_results", BARS) == len(rows)
    page.select_option(f"{ACTIVE} .r2pkg-chart-type select", "line")
    assert page.eval_on_selector(f"{ACTIVE} .yasr_results",
                                 "el => Chart.getChart(el.querySelector('canvas')).config.type") == "line"
    # the share link keeps the query, the endpoint and the view; it reopens them in a new page
    page.click("#r2pkg-share")
    link = page.input_value("#r2pkg-share-link")
    embed = page.input_value("#r2pkg-embed-link")
    shared = OfflinePage(browser)
    try:
        shared.goto(link, wait_until="load")
        shared.wait_for_selector(f"{ACTIVE} .r2pkg-chart canvas", timeout=15000)
        assert shared.evaluate("() => window.r2pkgYasgui.getTab().getQuery()") == GROUP_BY
        assert shared.evaluate("() => window.r2pkgYasgui.getTab().getEndpoint()") == live_server + "/sparql"
        assert shared.evaluate("() => window.r2pkgShare.viewOf(window.r2pkgYasgui.getTab())") == "line"
        assert shared.eval_on_selector(f"{ACTIVE} .yasr_results", BARS) == len(rows)
        shared.assert_clean()
    finally:
        shared.close()
    # the embed page, in an iframe of another origin (another loopback port), draws the same chart
    assert embed.startswith(live_server + "/embed?") and "view=line" in embed
    host = _other_origin(tmp_path, embed)
    framing = OfflinePage(browser)
    try:
        resp = framing.goto(host, wait_until="load")
        assert resp.status == 200 and not host.startswith(live_server)
        frame = framing.frame_locator("iframe#r2pkg")
        frame.locator("#r2pkg-view canvas").wait_for(timeout=15000)
        assert frame.locator("#r2pkg-view").evaluate("el => el.r2pkgChart.getDatasetMeta(0).data.length") == len(rows)
        framing.assert_clean()
    finally:
        framing.close()
    # a CONSTRUCT as a graph: a node per distinct subject and object, an edge per triple
    _run_in_editor(page, live_server, CONSTRUCT)
    page.wait_for_selector(f"{ACTIVE} .yasr .select_graph:not([disabled])")
    page.click(f"{ACTIVE} .yasr .select_graph")
    page.wait_for_selector(f"{ACTIVE} .r2pkg-graph canvas")
    counts = page.eval_on_selector(f"{ACTIVE} .r2pkg-graph", "el => [el.r2pkgGraph.nodes().length, el.r2pkgGraph.edges().length]")
    assert counts == [len(nodes), len(triples)]
    # autocompletion of the ontology's classes from this server's index
    page.evaluate("() => { window.r2pkgYasgui.getTab().setQuery('PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\\nSELECT * WHERE {\\n  ?x a '); }")
    page.click(f"{ACTIVE} .yasqe .CodeMirror")
    page.keyboard.press("Control+End")
    with page.expect_response(lambda r: "/api/search" in r.url):
        page.keyboard.type("Sta", delay=50)
    page.wait_for_selector(".CodeMirror-hints .CodeMirror-hint", timeout=10000)
    hints = page.eval_on_selector_all(".CodeMirror-hints .CodeMirror-hint", "els => els.map(e => e.textContent)")
    assert hints[0].startswith("r2p:State") and all(h.split()[0].startswith("r2p:Sta") for h in hints), hints
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.r2pkgYasgui.getTab().getQuery()").rstrip().endswith("?x a r2p:State")
    page.screenshot("yasgui-views")
    page.assert_clean()


def test_iris_complete_by_label(page, live_server):
    """The dataset's IRIs complete by their label, diacritics folded: "simono" then Ctrl+Space in
    a subject position proposes Ivan Šimonović's IRI (with his label beside it), and Enter writes
    it as a full IRI (the query declares no prefix for it)."""
    open_yasgui(page, live_server)
    page.evaluate("() => { window.r2pkgYasgui.getTab().setQuery('SELECT * WHERE {\\n  '); }")
    page.click(f"{ACTIVE} .yasqe .CodeMirror")
    page.keyboard.press("Control+End")
    page.keyboard.type("simono", delay=30)
    with page.expect_response(lambda r: "/api/search" in r.url and "simono" in r.url):
        page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hints .CodeMirror-hint", timeout=10000)
    hints = page.eval_on_selector_all(".CodeMirror-hints .CodeMirror-hint", "els => els.map(e => e.textContent)")
    iri = "https://w3id.org/r2pkg/id/person/ivan-simonovic"
    assert hints[0] == f"<{iri}>  (Ivan Šimonović)", hints
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.r2pkgYasgui.getTab().getQuery()").rstrip().endswith(f"<{iri}>")
    page.assert_clean()


def test_embed_table_links_only_web_iris(page, live_server):
    """An embedded table links the dataset's IRIs to their pages and shows any other scheme (a
    javascript: IRI a crafted query binds) as text, not as a link."""
    query = "SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <https://w3id.org/r2pkg/id/state/CHL> } }"
    resp = page.goto(live_server + "/embed?" + urlencode({"query": query, "view": "table"}), wait_until="load")
    assert resp.status == 200
    page.wait_for_selector("table tbody tr")
    cells = page.eval_on_selector_all("table tbody td", "tds => tds.map(td => [td.textContent, "
                                      "td.querySelector('a') && td.querySelector('a').getAttribute('href')])")
    hrefs = {text: href for text, href in cells}
    assert hrefs.pop("javascript:alert(1)") is None, cells  # shown, not linked
    assert list(hrefs.values()) == ["/id/state/CHL"], cells
    page.assert_clean()


def _other_origin(tmp_path, embed_url: str) -> str:
    """A page on another loopback origin (a second server, another port) that frames ``embed_url``."""
    import functools
    import http.server
    import threading

    from conftest import free_port

    (tmp_path / "index.html").write_text(
        f'<!doctype html><title>article</title><iframe id="r2pkg" width="800" height="500" src="{html.escape(embed_url)}">'
        "</iframe>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://localhost:{server.server_address[1]}/index.html"
