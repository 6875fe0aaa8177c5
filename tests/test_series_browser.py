"""/series, a meeting's page and the series' charts in headless Chromium against the real server: the
timeline has a row per meeting with the table's figures, a click opens the meeting's page with every
figure and its page, the trend charts' bars carry their CSV's values; no console errors and no request
leaves loopback (the pages' source links are not followed). Screenshots go to tests/artifacts/."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from browser import ARTIFACTS, browser, fetch, page  # noqa: F401 (fixtures)

import pytest

TABLE = Path(__file__).resolve().parents[1] / "data" / "reference" / "series.csv"


def rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_series_timeline_and_meeting_page(page, live_server):  # noqa: F811
    page.goto(live_server + "/series")
    page.wait_for_selector("#series-timeline tbody tr[data-meeting]")
    assert page.locator("#series-timeline tr[data-meeting]").count() == 16
    cell = page.locator('tr[data-meeting="iid-2014"] td[data-figure="states_represented"]')
    assert cell.inner_text().strip() == "81 / 83"
    page.screenshot(path=str(ARTIFACTS / "series.png"), full_page=True)
    page.click('tr[data-meeting="iid-2014"] a[href="/series/iid-2014"]')
    page.wait_for_selector("#figures tbody tr")
    want = [r for r in rows() if r["meeting_id"] == "iid-2014" and r["verified"] == "yes"]
    assert page.locator("#figures tr[data-figure]").count() == len(want)
    links = page.evaluate("Array.from(document.querySelectorAll('#figures a[rel~=nofollow]')).map(a => a.href)")
    assert sorted(set(links)) == sorted({r["source_url"] for r in want})
    assert page.locator("#disagreements li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "series-iid-2014.png"), full_page=True)


@pytest.mark.parametrize("name, cat, series", [
    ("participation-by-meeting", "meeting", ("spoke", "represented")),
    ("groups-over-time", "date", ("friends", "focalPoints")),
])
def test_series_charts(page, live_server, name, cat, series):  # noqa: F811
    page.goto(live_server + "/charts")
    page.wait_for_selector(f"svg#chart-{name} rect.bar")
    table = list(csv.DictReader(io.StringIO(fetch(f"{live_server}/charts/{name}.csv").decode("utf-8"), newline="")))
    want = {(r[cat], s): r[s] for r in table for s in series if r[s] != ""}
    bars = page.evaluate(f"""Array.from(document.querySelectorAll('svg#chart-{name} rect.bar')).map(
        b => [b.dataset.category, b.dataset.series, b.dataset.value, b.getBBox().width])""")
    assert {(c, s): v for c, s, v, _ in bars} == want
    assert all(w > 0 for _, _, v, w in bars if v != "0")
    missing = page.locator(f"svg#chart-{name} text.missing").count()
    assert missing == sum(1 for r in table for s in series if r[s] == "")
    page.locator(f"#figure-{name}").screenshot(path=str(ARTIFACTS / f"chart-{name}.png"))
