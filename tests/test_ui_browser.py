"""The YASGUI query page in headless Chromium against the real server: it loads offline (no request
leaves loopback), runs the default query and an example tab (the competency queries), and shows
the results table, without console errors. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import json
import urllib.request

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
