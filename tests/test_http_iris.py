"""Hostile IRIs in paths and parameters: every route that builds an IRI or a term from the request
answers 400 or 404 with the JSON error shape (or the HTML error page for browsers), never 500.

The path is percent-decoded once (by the WSGI server), so ``/id/%253E`` is the IRI ``…/id/%3E``,
not ``…/id/>``.
"""
from __future__ import annotations

import http.client
import json
import logging
from urllib.parse import unquote, urlsplit

import pytest
from linked_util import BROWSER

from r2pkg.linked.iris import IriMap, local_name

# Segments as sent on the wire (percent-escapes stay escaped in the request line).
HOSTILE = {
    "space": "a%20b",
    "raw-space-escaped-twice": "a%2520b",
    "double-encoded-gt": "%253E",
    "double-encoded-nul": "%2500",
    "lone-percent": "%25",
    "bad-escape": "%25ZZ",
    "lt": "%3C",
    "gt": "%3E",
    "quote": "%22",
    "braces": "%7Bx%7D",
    "pipe": "a%7Cb",
    "caret": "a%5Eb",
    "backtick": "a%60b",
    "backslash": "a%5Cb",
    "nul": "a%00b",
    "control": "a%01b",
    "newline": "a%0Ab",
    "cr": "a%0Db",
    "tab": "a%09b",
    "del": "a%7Fb",
    "not-utf8": "%C3%28",
    "lone-ff": "%FF",
    "truncated-utf8": "%E2%82",
    "surrogate": "%ED%A0%80",
    "overlong": "%C0%AF",
    "long": "x" * 3000,
    "long-invalid": "a%20" * 600,
}

# (route template, expected status, expected JSON error code, HTML error page for browsers?)
ROUTES = [
    ("/id/{}", 404, "NOT_FOUND", True),
    ("/id/state/{}", 404, "NOT_FOUND", True),
    ("/id/{}/deeper", 404, "NOT_FOUND", True),
    ("/id/state/{}.ttl", 404, "NOT_FOUND", True),
    ("/id/{}.jsonld", 404, "NOT_FOUND", True),
    ("/ontology/{}", 404, "NOT_FOUND", True),
    ("/ontology.{}", 404, "NOT_FOUND", True),
    ("/.well-known/void.{}", 404, "NOT_FOUND", True),
    ("/classes/{}", 404, "NOT_FOUND", True),
    ("/classes/r2p:{}", 404, "NOT_FOUND", True),
    ("/classes/by-iri?iri={}", 404, "NOT_FOUND", True),
    ("/classes/by-iri?iri=https://w3id.org/r2pkg/ontology%23{}", 404, "NOT_FOUND", True),
    ("/sources/{}", 404, "NOT_FOUND", True),
    ("/graph/{}", 404, "NOT_FOUND", True),
    ("/graph/dialogue-2017/{}.ttl", 404, "NOT_FOUND", True),
    ("/shapes.{}", 404, "NOT_FOUND", True),
    ("/dumps/{}", 404, "NOT_FOUND", True),
    ("/static/{}", 404, "NOT_FOUND", True),
    ("/{}", 404, "NOT_FOUND", True),
    ("/export/{}.json", 404, "UNKNOWN_VIEW", False),
    ("/export/support.{}", 404, "UNKNOWN_FORMAT", False),
    ("/export/support.csv?table={}", 400, "BAD_PARAMETER", False),
    ("/charts/{}.svg", 404, "UNKNOWN_CHART", False),
    ("/charts/speakers-by-group.{}", 404, "UNKNOWN_CHART", False),
    ("/series/{}", 404, "UNKNOWN_MEETING", False),
    ("/api/queries/{}", 404, "UNKNOWN_QUERY", False),
    ("/api/queries/cq14-provenance-of-a-fact?subject={}", 400, "BAD_PARAMETER", False),
    ("/api/queries/cq14-provenance-of-a-fact?subject=https://x.example/{}", 400, "BAD_PARAMETER", False),
    ("/sparql?query=ASK%7B%7D&default-graph-uri={}", 400, "BAD_REQUEST", False),
    ("/sparql?query=ASK%7B%7D&named-graph-uri=https://x.example/{}", 400, "BAD_REQUEST", False),
]
# A few segments are valid in an absolute IRI after one decoding (a long run of letters, an escaped
# space written as %20): behind a scheme they name nothing and answer with results, not an error.
VALID_AFTER_SCHEME = {"raw-space-escaped-twice", "double-encoded-gt", "double-encoded-nul", "long"}
# werkzeug keeps bytes that are not UTF-8 in a query value as percent-escapes ("%C3("), which an IRI
# may hold; the SPARQL protocol parser reads the raw query string and refuses them (400).
NOT_UTF8 = {"not-utf8", "lone-ff", "truncated-utf8", "surrogate", "overlong"}


def _skipped(route: str) -> set[str]:
    if "https://" not in route:
        return set()
    return VALID_AFTER_SCHEME | (NOT_UTF8 if route.startswith("/api/") else set())


def _cases():
    for route, status, code, html in ROUTES:
        for name, seg in HOSTILE.items():
            if name in _skipped(route):
                continue
            yield pytest.param(route, seg, status, code, html, id=f"{route.split('?')[0]}|{name}")


@pytest.fixture
def no_tracebacks(caplog):
    caplog.set_level(logging.ERROR, logger="r2pkg.web")
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an error was logged"


@pytest.mark.parametrize(("route", "seg", "status", "code", "html"), list(_cases()))
def test_hostile_path_is_a_client_error(client, no_tracebacks, route, seg, status, code, html):
    url = route.format(seg)
    r = client.get(url)
    assert r.status_code == status, (url[:200], r.data[:300])
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert body["error"] == code and isinstance(body["message"], str) and body["message"]
    if html:
        page = client.get(url, headers={"Accept": BROWSER})
        assert page.status_code == status and page.mimetype == "text/html"
        assert str(status) in page.get_data(as_text=True)


def test_hostile_route_table_covers_every_route_with_a_variable(app):
    """Every URL rule that takes a variable (or a query-string IRI) appears in ROUTES."""
    variable_rules = {r.rule for r in app.url_map.iter_rules() if r.arguments}
    covered = {
        "/id/<path:rest>", "/ontology/<path:rest>", "/ontology.<ext>", "/.well-known/void.<ext>",
        "/classes/<key>", "/sources/<source_id>", "/dumps/<name>", "/static/<path:filename>",
        "/export/<view>.<ext>", "/charts/<name>.<ext>", "/api/queries/<name>", "/graph/<path:rest>",
        "/shapes.<ext>", "/series/<key>",
    }
    assert variable_rules == covered
    for rule in covered:
        prefix = rule.split("<")[0]
        assert any(t.startswith(prefix) for t, *_ in ROUTES), rule


@pytest.mark.parametrize("path", ["/id/a%20b", "/classes/r2p:%3E", "/classes/by-iri?iri=https://x.example/%3E"])
def test_reported_paths_are_404_with_the_reason(client, no_tracebacks, path):
    r = client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.get_json()["error"] == "NOT_FOUND" and r.get_json()["reason"] == "invalid-iri"


def test_double_encoded_path_is_the_iri_with_the_escape(client, no_tracebacks):
    """``/id/%253E`` is the valid IRI ``…/id/%3E`` (decoded once), which names nothing: 404."""
    r = client.get("/id/%253E", headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and "reason" not in r.get_json()
    assert "https://w3id.org/r2pkg/id/%3E" in r.get_json()["message"]


def test_invalid_iri_is_404_whatever_the_accept_header(client):
    """The IRI is checked before negotiation: no 406 for a path that names nothing."""
    r = client.get("/id/a%20b", headers={"Accept": "image/png"})
    assert r.status_code == 404 and r.get_json()["reason"] == "invalid-iri"


def test_path_is_decoded_once(client):
    """``/id/st%61te/CHL`` is Chile (decoded once by WSGI); ``%2561`` stays the IRI's ``%61``."""
    assert client.get("/id/st%61te/CHL", headers={"Accept": "text/turtle"}).status_code == 200
    r = client.get("/id/st%2561te/CHL", headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and "reason" not in r.get_json()  # a valid IRI, just unknown
    assert "https://w3id.org/r2pkg/id/st%61te/CHL" in r.get_json()["message"]


def test_iri_map_round_trips_percent_signs():
    m = IriMap("https://w3id.org/r2pkg/")
    iri = "https://w3id.org/r2pkg/id/x%20y/Côte"
    href = m.local(iri)
    assert href == "/id/x%2520y/C%C3%B4te"
    assert m.iri(unquote(href)) == iri  # the server decodes the link once, and gets the IRI back


@pytest.mark.parametrize("iri,name", [
    ("https://w3id.org/r2pkg/ontology#State", "State"), ("https://w3id.org/r2pkg/id/state/CHL", "CHL"),
    ("https://w3id.org/r2pkg/ontology/", "ontology"), ("https://w3id.org/r2pkg/ontology#", "ontology"),
    ("https://w3id.org/r2pkg/id/source/a#b/c", "c"), ("urn:x", "urn:x"), ("/", "/")])
def test_local_name_leaves_a_trailing_separator_out(iri, name):
    """The one short name of an IRI, for the pages and for the search index's aliases alike."""
    assert local_name(iri) == name


# -- a real server: raw bytes on the wire ------------------------------------------------------

WIRE = ["/id/a%20b", "/id/%253E", "/classes/r2p:%3E", "/id/%C3%28", "/id/%FF%FE", "/id/%ED%A0%80",
        "/id/a%00b", "/id/%7B%7C%7D%5E%60%5C", "/sources/" + "x" * 3000, "/classes/by-iri?iri=%3C%3E",
        "/api/queries/cq14-provenance-of-a-fact?subject=https://x.example/a%20b"]


def _raw_get(base: str, path: str) -> tuple[int, dict, bytes]:
    """GET ``path`` byte for byte (no client-side normalising or re-encoding)."""
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("Accept", "text/turtle")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", WIRE)
def test_hostile_paths_on_a_real_server(live_server, path):
    status, headers, body = _raw_get(live_server, path)
    assert status in (400, 404), (path, status, body[:200])
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"] in ("NOT_FOUND", "BAD_PARAMETER")
