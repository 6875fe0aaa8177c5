"""Shared Playwright helper: headless Debian Chromium, offline, with every request outside loopback
blocked and recorded, and console errors collected.

Use::

    with launch() as browser:
        page = OfflinePage(browser)
        page.goto(url)
        ...
        page.assert_clean()   # no blocked requests, no console errors, no page errors
"""
from __future__ import annotations

import contextlib
import urllib.request
import os
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("R2PKG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Chromium itself calls Google services even with the flags above: resolve nothing but loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
ARTIFACTS = Path(__file__).parent / "artifacts"


def require_chromium() -> str:
    """The Chromium binary; fail (never skip) when it is missing: CI installs it."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"headless Chromium not found at {CHROMIUM}: run `bash .ci/install-test-deps.sh` (the "
                    "Debian package 'chromium') or set R2PKG_CHROMIUM to its path", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        pytest.fail(f"the Python package 'playwright' is needed for the browser tests: {e}", pytrace=False)
    return CHROMIUM


@contextlib.contextmanager
def launch() -> Iterator[object]:
    """A headless Chromium (Playwright sync API) using the system binary, no downloaded browsers."""
    from playwright.sync_api import sync_playwright

    exe = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOCAL_HOSTS


class OfflinePage:
    """A page in a fresh context: non-loopback requests are aborted and recorded; console errors,
    uncaught page errors and failed local requests are collected."""

    def __init__(self, browser, *, viewport: dict | None = None) -> None:
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                           service_workers="block")
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("request", lambda r: self.requests.append((r.method, r.url)))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("requestfailed", self._request_failed)

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _console(self, msg) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            self.console_errors.append(f"{msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})")

    def _request_failed(self, request) -> None:
        if is_local(request.url):
            self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def __getattr__(self, name):  # delegate goto, click, locator, ... to the Playwright page
        return getattr(self.page, name)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests to other hosts: {self.blocked}"
        assert self.page_errors == [], f"uncaught page errors: {self.page_errors}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert all(is_local(u) for _, u in self.requests), self.requests

    def close(self) -> None:
        self.context.close()


# Fixtures and helpers shared by the browser test modules that import them (test_explore_browser,
# test_series_browser): one Chromium per module, a guarded page per test.
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, launched by the shared helper (fails, never skips, if missing)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with launch() as b:
        yield b


@pytest.fixture
def page(browser):
    """A page whose requests may only go to loopback, recording console errors and page errors."""
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside, errors, requests = [], [], []

    def guard(route):
        url = urlsplit(route.request.url)
        requests.append(route.request.url)
        if url.scheme in ("http", "https") and url.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    pg = ctx.new_page()
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.set_default_timeout(15000)
    yield pg
    ctx.close()
    assert requests, "the route guard saw no requests"
    assert not outside, f"requests left loopback: {outside}"
    assert not errors, errors
