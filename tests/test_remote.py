"""Remote-store mode: `r2pkg publish` into a real Oxigraph server (started here), and the whole
front end (`create_app(STORE=...)` / `r2pkg serve --store`) answering the same as the embedded store."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from r2pkg.cli import main
from r2pkg.remote import connect

from answers import CASES, assert_answers_alike, results
from conftest import free_port, start_oxigraph


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """A real, writable Oxigraph server on a free loopback port."""
    proc, base = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def published(oxigraph, res, built):
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "publish",
                                  "--to", oxigraph + "/store"])
    assert r.exit_code == 0, r.output
    return oxigraph


def test_publish_loads_every_graph_idempotently(published, res, built):
    rd = connect(published + "/query")
    assert len(rd) == built.manifest["triples"]
    assert sorted(rd.named) == sorted(built.manifest["graphs"])
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "publish",
                                  "--to", published + "/store"])
    assert r.exit_code == 0
    assert f"{built.manifest['triples']} triples in {len(built.manifest['graphs'])} graphs" in r.output
    again = connect(published + "/query")
    assert len(again) == len(rd) and again.build_id == rd.build_id


def test_publish_to_unreachable_store_fails_cleanly(res, built):
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "publish",
                                  "--to", f"http://127.0.0.1:{free_port()}/store"])
    assert r.exit_code == 2 and r.stderr.startswith("r2pkg: error: the remote store is unreachable: ")


@pytest.fixture(scope="module")
def remote_app(make_app, published):
    return make_app(STORE=published + "/query")


@pytest.mark.parametrize("path,params,headers", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_remote_answers_like_embedded(app, remote_app, path, params, headers):
    assert_answers_alike(app, remote_app, path, params, headers)


def test_remote_errors_and_safety_match(remote_app, built):
    c = remote_app.test_client()
    r = c.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert r.status_code == 403 and r.json["reason"] == "service"
    r = c.get("/sparql", query_string={"query": "SELECT WHERE {"})
    assert r.status_code == 400 and r.json["error"] == "QUERY_SYNTAX_ERROR"
    r = c.get("/api/queries/cq14-provenance-of-a-fact", query_string={"subject": "not an iri"})
    assert r.status_code == 400 and r.json["error"] == "BAD_PARAMETER"
    h = c.get("/healthz").json
    # the store holds exactly the local build's graphs, so the build id (and every ETag) carries over
    assert h["build_id"] == built.build_id and h["triples"] == built.manifest["triples"]
    sd = c.get("/sparql", headers={"Accept": "text/turtle"})
    assert b"https://w3id.org/r2pkg/graph/dialogue-2017/stances" in sd.data


def test_serve_store_command(published, res):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "r2pkg.cli", "--home", str(res.root), "serve", "--port",
                             str(port), "--store", published + "/query"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/queries/cq06-challengers-of-r2p",
                                            timeout=2) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "serve --store did not answer"
        isos = sorted(b["iso3"]["value"] for b in body["results"]["bindings"])
        assert isos == ["CUB", "PRK", "SDN", "SYR", "VEN"]
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_union_strategy_detected_and_portable_fallback(make_app, published, app):
    assert connect(published + "/query").union == "oxigraph"  # from the Server header
    portable = make_app(STORE=published + "/query", STORE_UNION="explicit")
    for path in ("/api/queries/cq06-challengers-of-r2p", "/api/queries/cq09-first-time-speakers"):
        assert results(portable.test_client().get(path)) == results(app.test_client().get(path))


def test_unknown_union_strategy_is_an_error(published):
    from r2pkg.remote import RemoteStoreError

    with pytest.raises(RemoteStoreError, match="unknown union strategy"):
        connect(published + "/query", union="magic")


def test_search_over_a_remote_store_is_the_local_builds(remote_app, app, make_app, published, tmp_path):
    """Over a remote store the search reads the local build's index (the build published into the
    store), as the embedded app does; with no local build there is no index: a 503 with its reason."""
    q = {"q": "Norway", "limit": "5"}
    here = remote_app.test_client().get("/api/search", query_string=q)
    assert here.status_code == 200 and here.get_json()["hits"]
    assert here.get_json()["hits"] == app.test_client().get("/api/search", query_string=q).get_json()["hits"]
    bare = make_app(STORE=published + "/query", BUILD_DIR=str(tmp_path / "no-build")).test_client()
    r = bare.get("/api/search", query_string=q)
    assert r.status_code == 503 and r.get_json()["error"] == "SEARCH_UNAVAILABLE"
    assert bare.get("/search", query_string=q).status_code == 503


def test_remote_store_never_gets_a_service_call_past_the_parser(remote_app):
    """The remote store would evaluate SERVICE itself (outside r2pkg's sandbox): the parser's policy
    runs in a sandboxed worker before anything is sent, so the lexer bypasses are refused there."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    hits, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{srv.getsockname()[1]}/sparql"
    c = remote_app.test_client()
    try:
        for q in (f'SELECT * WHERE {{ ?s ?p ?o FILTER(?o < "x") SERVICE <{url}> {{ ?a ?b ?c }} }}',
                  f'SELECT * WHERE {{ ?s ?p "a"@en.SERVICE <{url}> {{ ?a ?b ?c }} }}',
                  f'SELECT * WHERE {{ ?s ?p ?o FILTER(?o<?p&&?o>?s) SERVICE <{url}> {{ ?a ?b ?c }} }}'):
            r = c.get("/sparql", query_string={"query": q})
            assert r.status_code == 403 and r.json["reason"] == "service", q
    finally:
        stop.set()
        t.join(2)
        srv.close()
    assert hits == []


def test_queries_over_a_remote_store_are_awaited_on_the_loop(make_app, published, app):
    """Under RSGI a query over a remote store runs once, suspended while the loop awaits the
    policy's verdict and the store's answer (no second pass in a query thread); its answer is
    the embedded store's, and a refused query gets the same reason."""
    import asyncio
    import threading
    import urllib.parse

    from rsgi_fakes import Proto, scope

    from r2pkg.web.rsgi import RsgiApp
    from r2pkg.web.state import state

    remote = make_app(STORE=published + "/query", CACHE_MAX_BYTES=0)
    rsgi = RsgiApp(remote.wsgi_app, page_threads=1, query_threads=1, max_body=10_000)
    rsgi.executor = state(remote).executor
    calls, real_call = [], rsgi.call
    rsgi.call = lambda environ: (calls.append(threading.current_thread().name), real_call(environ))[1]
    queries = ["SELECT ?s WHERE { ?s a <https://w3id.org/r2pkg/ontology#State> } ORDER BY ?s LIMIT 5",
               "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"]
    proto = Proto()

    async def both():
        await asyncio.gather(*(rsgi.__rsgi__(scope("/sparql", urllib.parse.urlencode({"query": q}), headers=[
            ("accept", "application/sparql-results+json")]), proto) for q in queries))

    t = threading.Thread(target=asyncio.run, args=(both(),), name="loop")
    t.start()
    t.join(30)
    assert not t.is_alive(), "the loop's requests did not finish within 30 s"
    assert calls == ["loop", "loop"], calls  # once each, both on the loop's thread
    by_status = {s: json.loads(b) for s, _, b in proto.replies}
    assert set(by_status) == {200, 403}, proto.replies
    want = app.test_client().get("/sparql", query_string={"query": queries[0]},
                                 headers={"Accept": "application/sparql-results+json"}).get_json()
    assert by_status[200]["results"]["bindings"] == want["results"]["bindings"] and len(want["results"]["bindings"]) == 5
    assert by_status[403]["reason"] == "service"
    assert rsgi.executor._threads is None  # the store's answer came over the loop's own connections


def test_the_policys_verdict_is_kept_per_query_text(make_app, published, monkeypatch):
    """The store evaluates every query, but a text the sandboxed policy passed is not parsed there
    again (the verdict depends on the text alone); a refused text is refused every time, and the
    remembered texts are bounded (the least recently used go first)."""
    import r2pkg.remote as remote_mod
    from r2pkg.web.state import state

    monkeypatch.setattr(remote_mod, "_PASSED_MAX", 2)
    remote = make_app(STORE=published + "/query", CACHE_MAX_BYTES=0)
    ex = state(remote).executor
    checked, real = [], ex.policy.submit
    monkeypatch.setattr(ex.policy, "submit", lambda job, timeout=None: (checked.append(job.sparql), real(job, timeout))[1])
    c = remote.test_client()
    asks = [f"ASK {{ ?s ?p {n} }}" for n in (1, 2, 3)]
    bad = 'SELECT * WHERE { ?s ?p "a"@en.SERVICE <http://127.0.0.1:9/sparql> { ?a ?b ?c } }'  # past the lexer
    js = {"Accept": "application/sparql-results+json"}
    for _ in range(3):
        assert c.get("/sparql", query_string={"query": asks[0]}, headers=js).get_json()["boolean"] in (True, False)
        r = c.get("/sparql", query_string={"query": bad}, headers=js)
        assert r.status_code == 403 and r.get_json()["reason"] == "service"
    assert checked.count(asks[0]) == 1
    assert checked.count(bad) == 3  # refused by the sandboxed policy each time: never remembered
    for q in asks[1:] + asks[:1]:  # two more texts push the first one out
        assert c.get("/sparql", query_string={"query": q}, headers=js).status_code == 200
    assert checked.count(asks[0]) == 2
    assert list(ex._passed) == [remote_mod._text_key(q) for q in asks[2:] + asks[:1]]
