"""/explore and /charts in headless Chromium against the real server (`r2pkg serve`): the rendered network
has the export's node count, filters give the counts computed from the export, clicking a node shows its
passages, the chart bars carry the CSV's values; no console errors and no request leaves loopback.
Screenshots go to tests/artifacts/ (gitignored)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from browser import ARTIFACTS, browser, fetch, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ID = "https://w3id.org/r2pkg/id/"
WEOG = ID + "regional-group/weog"


def visible(pg, kind: str = "nodes") -> int:
    return pg.evaluate(f"window.r2pkgCy.{kind}(':visible').length")


def wait_visible(pg, nodes: int, edges: int) -> None:
    pg.wait_for_function("([n, e]) => window.r2pkgCy.nodes(':visible').length === n && "
                         "window.r2pkgCy.edges(':visible').length === e", arg=[nodes, edges])


def expected_after_filter(cyjs: dict, keep_edge) -> tuple[int, int]:
    """The explorer's rule, computed from the export: shown edges, and the nodes at their ends."""
    nodes = {n["data"]["id"]: n["data"] for n in cyjs["elements"]["nodes"]}
    shown = [e["data"] for e in cyjs["elements"]["edges"] if keep_edge(e["data"], nodes)]
    return len({x for e in shown for x in (e["source"], e["target"])}), len(shown)


def test_explore_network(page, live_server):
    support = json.loads(fetch(live_server + "/export/support.cyjs"))
    delegation = json.loads(fetch(live_server + "/export/delegation.cyjs"))
    n_nodes, n_edges = len(support["elements"]["nodes"]), len(support["elements"]["edges"])

    page.goto(live_server + "/explore")
    page.wait_for_selector('#network[data-state="ready"][data-view="support"]')
    wait_visible(page, n_nodes, n_edges)
    assert page.evaluate("window.r2pkgCy.nodes().length") == n_nodes
    page.screenshot(path=str(ARTIFACTS / "explore.png"), full_page=True)

    # regional-group filter: edges touching a WEOG node, and their ends
    want = expected_after_filter(support, lambda e, n: WEOG in (n[e["source"]].get("regional_group"),
                                                                 n[e["target"]].get("regional_group")))
    assert 0 < want[0] < n_nodes
    page.select_option("#filter-group", WEOG)
    wait_visible(page, *want)
    assert page.get_attribute("#status", "data-visible-nodes") == str(want[0])
    page.screenshot(path=str(ARTIFACTS / "explore-filtered.png"), full_page=True)

    # stance filter on top of a reset
    page.click("#reset")
    wait_visible(page, n_nodes, n_edges)
    want = expected_after_filter(support, lambda e, n: e.get("polarity") == "challenge")
    page.select_option("#filter-stance", "challenge")
    wait_visible(page, *want)
    page.click("#reset")
    wait_visible(page, n_nodes, n_edges)

    # clicking Chile opens its panel with the passage behind its stance and a link to its page
    chile = ID + "state/CHL"
    passage = next(e["data"]["passages"] for e in support["elements"]["edges"] if e["data"]["source"] == chile)
    box = page.evaluate("""iri => { const p = window.r2pkgCy.getElementById(iri).renderedPosition();
        const r = document.getElementById('network').getBoundingClientRect();
        return {x: r.left + p.x, y: r.top + p.y}; }""", chile)
    page.mouse.click(box["x"], box["y"])
    page.wait_for_selector(f'#details[data-node="{chile}"]')
    panel = page.inner_text("#details")
    assert "Chile" in panel and "CHL" in panel and "Latin American and Caribbean Group" in panel
    assert " ".join(passage.split()) in " ".join(panel.split())
    assert page.get_attribute("#details a.page-link", "href") == "/id/state/CHL"
    assert page.locator("#details blockquote.passage").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "explore-panel.png"), full_page=True)

    # search: Enter selects the match and opens its panel
    page.fill("#search", "Liechtenstein")
    page.press("#search", "Enter")
    page.wait_for_selector(f'#details[data-node="{ID}state/LIE"]')
    assert "ACT Code of Conduct" in page.inner_text("#details")

    # the delegation view, from its own export
    page.select_option("#view-select", "delegation")
    page.wait_for_selector('#network[data-state="ready"][data-view="delegation"]')
    wait_visible(page, len(delegation["elements"]["nodes"]), len(delegation["elements"]["edges"]))
    page.screenshot(path=str(ARTIFACTS / "explore-delegation.png"), full_page=True)


def test_charts_page(page, live_server):
    page.goto(live_server + "/charts")
    page.wait_for_selector("svg#chart-claimed-vs-named rect.bar")
    for name in ("claimed-vs-named", "speakers-by-group"):
        rows = list(csv.DictReader(io.StringIO(fetch(f"{live_server}/charts/{name}.csv").decode("utf-8"),
                                               newline="")))
        cat, series = ("target", ("claimed", "named")) if name == "claimed-vs-named" else \
            ("group", ("speakers", "members"))
        want = {(r[cat], s): r[s] for r in rows for s in series}
        bars = page.evaluate(f"""Array.from(document.querySelectorAll('svg#chart-{name} rect.bar')).map(
            b => [b.dataset.category, b.dataset.series, b.dataset.value, b.getBBox().width])""")
        assert {(c, s): v for c, s, v, _ in bars} == want
        assert all(w > 0 for _, _, v, w in bars if v != "0")  # drawn, not just annotated
        labels = page.evaluate(f"""Array.from(document.querySelectorAll('svg#chart-{name} text.value'))
            .map(t => t.textContent)""")
        assert sorted(labels) == sorted(want.values())  # readable without hovering
    page.screenshot(path=str(ARTIFACTS / "charts.png"), full_page=True)
