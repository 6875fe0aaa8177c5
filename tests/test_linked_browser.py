"""A real browser (headless Debian Chromium) on the real server: from Chile's page, follow a
citation into the source viewer and land on the highlighted sentence. Screenshots go to
tests/artifacts/. These tests fail (never skip) when Chromium is missing."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import launch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, launched by the shared helper (fails, never skips, if missing)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with launch() as b:
        yield b


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"requestfailed: {r.url}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return errors


def test_citation_lands_on_the_cited_sentence(browser, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = _watch(page)
    resp = page.goto(live_server + "/id/state/CHL")
    assert resp.status == 200
    assert page.locator("h1").inner_text() == "Chile"
    # no JavaScript on the page: the only script element is the JSON-LD data block
    assert page.evaluate("[...document.scripts].map(s => s.type)") == ["application/ld+json"]
    page.screenshot(path=str(ARTIFACTS / "linked-chile.png"), full_page=True)

    evidence = page.locator("section.stances figure.evidence").first
    quote = evidence.locator("blockquote").text_content()
    assert "Chile, Ghana and Costa Rica" in quote
    evidence.locator("a.cite").click()
    page.wait_for_url(re.compile(r".*/sources/000_8ce56a32bf916fdd#p-\d+-\d+$"))
    fragment = urlsplit(page.url).fragment
    assert fragment == "p-10934-11152"

    mark = page.locator(f"[id='{fragment}']")
    assert mark.evaluate("e => e.tagName") == "MARK"
    assert mark.text_content() == quote
    assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == fragment
    box = mark.evaluate("e => { const r = e.getBoundingClientRect(); "
                        "return {top: r.top, bottom: r.bottom, h: window.innerHeight, w: r.width}; }")
    assert box["w"] > 0 and 0 <= box["top"] and box["bottom"] <= box["h"], box
    page.screenshot(path=str(ARTIFACTS / "linked-source-citation.png"))

    # the highlight's footnote links back to the facts derived from the sentence
    page.locator("sup.refs a[href='#fn-10934-11152']").click()
    assert page.locator("[id='fn-10934-11152'] a[href='/id/stance/iid-2017/CHL/veto-restraint']").count() == 1
    assert not errors, errors
    page.close()


def test_pages_work_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    page.goto(live_server + "/")
    page.get_by_role("link", name="Chile (a state)").click()
    page.wait_for_url(live_server + "/id/state/CHL")
    page.locator("section.stances a.cite").first.click()
    page.wait_for_url(re.compile(r".*#p-10934-11152$"))
    assert "urged the P5 to refrain" in page.locator("[id='p-10934-11152']").text_content()
    page.goto(live_server + "/ontology#State")
    assert page.locator("[id='State'] h3").text_content().startswith("State")
    page.screenshot(path=str(ARTIFACTS / "linked-ontology-state.png"))
    assert not errors, errors
    context.close()
