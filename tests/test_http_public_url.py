"""Absolute URLs and the Host header: with ``PUBLIC_URL`` every absolute URL the app writes starts
with it whatever ``Host`` says; without it, the answers that hold such URLs carry ``Vary: Host``."""
from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from conftest import CONFIGURED_PUBLIC_URL
from linked_util import BROWSER

from r2pkg.errors import ConfigError

PUBLIC = "https://r2pkg.example.org"
EVIL = {"Host": "evil.example"}
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
REL_QUERY = "SELECT ?x WHERE { BIND(<rel> AS ?x) }"


@pytest.fixture(scope="module")
def public_app(make_app):
    return make_app(PUBLIC_URL=PUBLIC + "/")


def _vary(resp) -> list[str]:
    return [v.strip().lower() for line in resp.headers.getlist("Vary") for v in line.split(",")]


def _get(app, path, accept=None, **kw):
    headers = {**EVIL, **({"Accept": accept} if accept else {})}
    return app.test_client().get(path, headers=headers, **kw)


def _no_evil(resp) -> None:
    assert "evil.example" not in resp.get_data(as_text=True)
    assert not any("evil.example" in v for _, v in resp.headers.items())


def _sd_endpoint(body: bytes) -> str:
    triples = ox.parse(body, format=ox.RdfFormat.TURTLE)
    (t,) = [t for t in triples if t.predicate == ox.NamedNode(SD + "endpoint")]
    return t.object.value


def _void_sparql(body: bytes) -> set[str]:
    return {t.object.value for t in ox.parse(body, format=ox.RdfFormat.TURTLE)
            if t.predicate == ox.NamedNode(VOID + "sparqlEndpoint")}


def _ui_endpoint(html: str) -> str:
    m = re.search(r'<script type="application/json" id="r2pkg-config">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))["endpoint"]


# -- PUBLIC_URL set: Host is ignored --------------------------------------------------------------

def test_jsonld_context_url_ignores_host(public_app):
    r = _get(public_app, "/id/state/CHL", "application/ld+json")
    assert r.status_code == 200 and r.get_json()["@context"] == PUBLIC + "/context.jsonld"
    assert f"<{PUBLIC}/context.jsonld>" in r.headers["Link"]
    _no_evil(r)
    assert "host" not in _vary(r)


def test_void_ignores_host(public_app):
    r = _get(public_app, "/.well-known/void", "text/turtle")
    assert r.status_code == 200
    assert _void_sparql(r.data) == {PUBLIC + "/sparql"}
    assert f"<{PUBLIC}/.well-known/void>" in r.get_data(as_text=True)
    _no_evil(r)
    page = _get(public_app, "/.well-known/void", BROWSER)
    assert page.status_code == 200 and PUBLIC + "/.well-known/void" in page.get_data(as_text=True)
    _no_evil(page)
    assert "host" not in _vary(r) and "host" not in _vary(page)


def test_service_description_and_ui_ignore_host(public_app):
    r = _get(public_app, "/sparql", "text/turtle")
    assert r.status_code == 200 and _sd_endpoint(r.data) == PUBLIC + "/sparql"
    assert f"<{PUBLIC}/.well-known/void>" in r.get_data(as_text=True)
    _no_evil(r)
    ui = _get(public_app, "/sparql", BROWSER)
    assert ui.status_code == 200 and _ui_endpoint(ui.get_data(as_text=True)) == PUBLIC + "/sparql"
    _no_evil(ui)
    assert "host" not in _vary(r) and "host" not in _vary(ui)


def test_openapi_and_catalogue_ignore_host(public_app):
    r = _get(public_app, "/api/openapi.json")
    assert r.get_json()["servers"] == [{"url": PUBLIC}]
    _no_evil(r)
    cat = _get(public_app, "/api/queries").get_json()["queries"]
    assert cat and all(q["url"] == f"{PUBLIC}/api/queries/{q['name']}" for q in cat)


def test_landing_page_ignores_host(public_app):
    r = _get(public_app, "/", BROWSER)
    assert r.status_code == 200 and f"<code>{PUBLIC}/sparql</code>" in r.get_data(as_text=True)
    _no_evil(r)


def test_query_base_iri_ignores_host(public_app):
    """Relative IRIs in queries resolve against the public endpoint URL (the raw /sparql path)."""
    r = _get(public_app, "/sparql", "application/sparql-results+json", query_string={"query": REL_QUERY})
    assert r.status_code == 200
    assert r.get_json()["results"]["bindings"][0]["x"]["value"] == PUBLIC + "/rel"
    post = public_app.test_client().post("/sparql", data=REL_QUERY, headers={
        **EVIL, "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert post.get_json()["results"]["bindings"][0]["x"]["value"] == PUBLIC + "/rel"


def test_query_answers_vary_on_host_only_without_public_url(client, public_app):
    q = {"query": REL_QUERY}
    for app_client, vary in ((client, "Accept, Host"), (public_app.test_client(), "Accept")):
        r = app_client.get("/sparql", query_string=q, headers=EVIL)
        assert r.status_code == 200 and r.headers["Vary"] == vary
        again = app_client.get("/sparql", query_string=q, headers={**EVIL, "If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Vary"] == vary
        api = app_client.get("/api/queries/cq14-provenance-of-a-fact",
                             query_string={"subject": "https://w3id.org/r2pkg/id/state/CHL"},
                             headers=EVIL)
        assert api.status_code == 200 and api.headers["Vary"] == vary


def test_public_url_with_a_path(make_app):
    app = make_app(PUBLIC_URL="https://example.org/kg")
    r = _get(app, "/id/state/CHL", "application/ld+json")
    assert r.get_json()["@context"] == "https://example.org/kg/context.jsonld"
    assert _get(app, "/api/openapi.json").get_json()["servers"] == [{"url": "https://example.org/kg"}]
    assert _sd_endpoint(_get(app, "/sparql", "text/turtle").data) == "https://example.org/kg/sparql"


def test_public_url_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("R2PKG_PUBLIC_URL", "https://env.example.org/")
    app = make_app()
    assert _get(app, "/api/openapi.json").get_json()["servers"] == [{"url": "https://env.example.org"}]


@pytest.mark.parametrize("bad", ["r2pkg.example.org", "ftp://r2pkg.example.org/", "https://x.org/?a=1",
                                 "https://x.org/#top", "https:///nohost", "https://x.org/a b"])
def test_invalid_public_url_is_refused_at_start(dataset, bad):
    from r2pkg.web import create_app

    with pytest.raises(ConfigError) as e:
        create_app({"DATASET": dataset, "PUBLIC_URL": bad})
    assert e.value.details["setting"] == "PUBLIC_URL"


# -- PUBLIC_URL unset: answers built from Host say so in Vary -----------------------------------

@pytest.mark.parametrize(("path", "accept", "vary"), [
    ("/id/state/CHL", "application/ld+json", ["accept", "host"]),
    ("/id/state/CHL.jsonld", None, ["host"]),
    ("/.well-known/void", "text/turtle", ["accept", "host"]),
    ("/.well-known/void", BROWSER, ["accept", "host"]),
    ("/sparql", "text/turtle", ["accept", "host"]),
    ("/sparql", BROWSER, ["accept", "host"]),
    ("/api/openapi.json", None, ["host"]),
    ("/api/queries", None, ["accept", "host"]),  # HTML for browsers, JSON for programs
    ("/", BROWSER, ["host"]),
])
def test_answers_from_host_vary_on_host(client, path, accept, vary):
    r = client.get(path, headers={**EVIL, **({"Accept": accept} if accept else {})})
    assert r.status_code == 200
    assert "evil.example" in r.get_data(as_text=True) or "evil.example" in r.headers.get("Link", "")
    assert [v for v in _vary(r) if v != "origin"] == vary
    assert len(r.headers.getlist("Vary")) == 1, "one Vary header, merged"


def test_answers_without_host_urls_do_not_vary_on_host(client):
    r = client.get("/id/state/CHL", headers={**EVIL, "Accept": "text/turtle"})
    assert r.status_code == 200 and "evil.example" not in r.get_data(as_text=True)
    assert _vary(r) == ["accept"]
    assert "host" not in _vary(client.get("/context.jsonld", headers=EVIL))


def test_context_url_follows_host_without_public_url(client):
    r = client.get("/id/state/CHL", headers={**EVIL, "Accept": "application/ld+json"})
    assert r.get_json()["@context"] == "http://evil.example/context.jsonld"


# -- a real server --------------------------------------------------------------------------------

def _raw(base: str, path: str, headers: dict) -> tuple[int, dict, bytes]:
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_real_server_ignores_a_hostile_host(configured_server):
    """``r2pkg serve`` with ``R2PKG_PUBLIC_URL`` (conftest.CONFIGURED_PUBLIC_URL) in its environment."""
    assert CONFIGURED_PUBLIC_URL.rstrip("/") == PUBLIC
    status, headers, body = _raw(configured_server, "/.well-known/void", {**EVIL, "Accept": "text/turtle"})
    assert status == 200 and _void_sparql(body) == {PUBLIC + "/sparql"} and b"evil.example" not in body
    status, _, body = _raw(configured_server, "/sparql", {**EVIL, "Accept": "text/turtle"})
    assert status == 200 and _sd_endpoint(body) == PUBLIC + "/sparql"
    status, _, body = _raw(configured_server, "/api/openapi.json", EVIL)
    assert json.loads(body)["servers"] == [{"url": PUBLIC}]
    q = "/sparql?query=SELECT%20%3Fx%20WHERE%20%7B%20BIND(%3Crel%3E%20AS%20%3Fx)%20%7D"
    status, _, body = _raw(configured_server, q, {**EVIL, "Accept": "application/sparql-results+json"})
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == PUBLIC + "/rel"
