"""The RSGI front end (``r2pkg serve``'s default): the WSGI environ it builds, and, on a real server,
that the event loop answers what cannot block while slow queries wait in threads of their own."""
from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import serve_subprocess, stop_subprocess
from rsgi_fakes import Proto, scope
from flask import Request

from r2pkg.web.rsgi import RsgiApp

CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s a <https://w3id.org/r2pkg/ontology#State> }"


def test_environ_is_pep3333():
    app = RsgiApp(lambda e, s: [], page_threads=1, query_threads=1, max_body=100)
    env = app.environ(scope("/a b/é", "q=%20x", "POST", [
        ("host", "example.org:8000"), ("content-type", "application/sparql-query"), ("content-length", "6"),
        ("cookie", "a=1"), ("cookie", "b=2"), ("accept", "text/csv"), ("accept", "text/plain;q=0.5"),
        ("x-forwarded-for", "1.1.1.1")], server="[::1]:8000", http="2"), b"ASK {}")
    assert env["PATH_INFO"] == "/a b/é".encode("utf-8").decode("latin-1")  # WSGI: bytes as latin-1
    assert env["QUERY_STRING"] == "q=%20x" and env["REQUEST_METHOD"] == "POST"
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["REMOTE_ADDR"]) == ("[::1]", "8000", "10.1.2.3")
    assert env["SERVER_PROTOCOL"] == "HTTP/2" and env["HTTP_HOST"] == "example.org:8000"
    assert env["CONTENT_TYPE"] == "application/sparql-query" and env["CONTENT_LENGTH"] == "6"
    assert "HTTP_CONTENT_TYPE" not in env and env["HTTP_X_FORWARDED_FOR"] == "1.1.1.1"
    assert env["HTTP_COOKIE"] == "a=1; b=2" and env["HTTP_ACCEPT"] == "text/csv, text/plain;q=0.5"
    req = Request(env)
    assert req.path == "/a b/é" and req.args["q"] == " x" and req.get_data() == b"ASK {}"
    assert req.host == "example.org:8000" and req.cookies.to_dict() == {"a": "1", "b": "2"}
    # a chunked body (no Content-Length) is announced with the length that was read
    chunked = app.environ(scope("/sparql", method="POST", headers=[("content-type", "text/plain")]), b"x" * 7)
    assert chunked["CONTENT_LENGTH"] == "7"


def test_call_runs_the_wsgi_app_to_completion():
    closed = []

    class Body(list):
        def close(self):
            closed.append(True)

    def wsgi(environ, start_response):
        start_response("201 CREATED", [("X-A", "1")])
        return Body([b"ab", b"c"])

    app = RsgiApp(wsgi, page_threads=1, query_threads=1, max_body=100)
    assert app.call({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}) == (201, [("X-A", "1")], b"abc")
    assert app.call({"REQUEST_METHOD": "HEAD", "PATH_INFO": "/"}) == (201, [("X-A", "1")], b"")
    assert closed == [True, True]

    def broken(environ, start_response):
        raise RuntimeError("boom")

    status, headers, body = RsgiApp(broken, page_threads=1, query_threads=1, max_body=9).call(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/"})
    assert status == 500 and json.loads(body)["error"] == "INTERNAL" and b"boom" not in body


# -- on a real server ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rsgi_server(res, built):
    proc, base = serve_subprocess(res, "--timeout", "1.5", "--query-workers", "2",
                                  env={"R2PKG_QUERY_MAX_WORKERS": "4", "R2PKG_QUEUE_TIMEOUT": "1.0",
                                       "R2PKG_CACHE_MAX_BYTES": "0"})  # every query is evaluated
    yield urllib.parse.urlsplit(base).port
    stop_subprocess(proc)


def _request(port, method, path, body=None, headers=None, chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read(), time.perf_counter() - t0
    finally:
        conn.close()


def _q(query, **extra):
    return "/sparql?" + urllib.parse.urlencode({"query": query, **extra})


def _metric(port, name):
    text = _request(port, "GET", "/metrics")[2].decode()
    m = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_the_loop_answers_while_slow_queries_wait_in_threads(rsgi_server):
    port = rsgi_server
    fast = 'ASK { <https://w3id.org/r2pkg/id/norm/r2p> ?p ?o }'
    assert _request(port, "GET", _q(fast))[0] == 200
    with ThreadPoolExecutor(4) as pool:
        heavy = [pool.submit(_request, port, "GET", _q(CROSS_JOIN)) for _ in range(2)]
        time.sleep(0.3)
        during = [_request(port, "GET", p) for p in ("/healthz", "/", _q(fast), _q(CHEAP + " # new text"))]
        results = [f.result() for f in heavy]
    assert [r[0] for r in results] == [503, 503]
    assert all(json.loads(r[2])["error"] == "TIMEOUT" for r in results)
    health, page, again, new = during
    assert health[0] == 200 and json.loads(health[2])["workers_busy"] >= 2 and health[3] < 0.25
    assert page[0] == 200 and page[3] < 0.5
    assert again[0] == 200 and json.loads(again[2])["boolean"] is True and again[3] < 0.75
    assert new[0] == 200 and json.loads(new[2])["boolean"] is True and new[3] < 0.75


def test_bodies_heads_and_limits_over_real_http(rsgi_server):
    port = rsgi_server
    ct = {"Content-Type": "application/sparql-query"}
    st, _, body, _ = _request(port, "POST", "/sparql", body=b"ASK {}", headers=ct, chunked=True)
    assert st == 200 and json.loads(body)["boolean"] is True
    st, _, body, _ = _request(port, "POST", "/sparql", body=urllib.parse.urlencode({"query": "ASK {}"}),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200 and json.loads(body)["boolean"] is True
    big = b"ASK {} #" + b"x" * 200_000
    for chunked in (False, True):
        st, _, body, _ = _request(port, "POST", "/sparql", body=big, headers=ct, chunked=chunked)
        assert st == 413 and json.loads(body)["error"] in ("QUERY_TOO_LARGE", "PAYLOAD_TOO_LARGE")
    get = _request(port, "GET", _q(CHEAP))
    head = _request(port, "HEAD", _q(CHEAP))
    assert head[0] == 200 and head[2] == b"" and head[1]["content-length"] == str(len(get[2]))
    assert head[1]["etag"] == get[1]["etag"]
    st, headers, body, _ = _request(port, "GET", "/no/such/page", headers={"Accept": "application/json"})
    assert st == 404 and json.loads(body)["error"] == "NOT_FOUND"
    st, headers, body, _ = _request(port, "GET", "/id/st%61te/FRA?x=1", headers={"Accept": "text/turtle"})
    assert st == 200 and b"France" in body  # percent-escapes in the path are decoded, as in WSGI


def test_repeated_gets_are_answered_from_the_raw_cache_on_the_loop(live_server):
    port = urllib.parse.urlsplit(live_server).port
    path = _q("SELECT ?g WHERE { ?g a <https://w3id.org/r2pkg/ontology#RegionalGroup> } ORDER BY ?g # rsgi raw")
    first, second = _request(port, "GET", path), _request(port, "GET", path)
    assert (first[1]["x-cache"], second[1]["x-cache"]) == ("miss", "hit") and second[2] == first[2]
    assert second[1]["etag"] == first[1]["etag"] and second[1]["x-content-type-options"] == "nosniff"
    nm = _request(port, "GET", path, headers={"If-None-Match": first[1]["etag"]})
    assert nm[0] == 304 and nm[2] == b"" and nm[1]["etag"] == first[1]["etag"]
    # repeated Accept headers are joined (as in WSGI) before the key is made: CSV wins here
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path)
        conn.putheader("Accept", "text/csv")
        conn.putheader("Accept", "application/sparql-results+json;q=0.1")
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/csv") and body.startswith(b"g\r\n")


def test_pool_sizes_come_from_the_settings(res, dataset):
    from r2pkg.web.rsgi import create_rsgi_app

    app = create_rsgi_app({"HOME": str(res.root), "BUILD_DIR": str(res.build_dir), "DATASET": dataset,
                           "PAGE_THREADS": 3, "QUERY_MAX_WORKERS": 5, "QUERY_WORKERS": 1, "MAX_PENDING": 7})
    try:
        assert app.pages.pool._max_workers == 3 and app.queries.pool._max_workers == 20
        assert (app.pages.limit, app.queries.limit) == (3 + 7, 20 + 7)  # threads + bounded queue
        assert app.raw is not None  # the answer cache is on by default, so the loop can use it
    finally:
        app.__rsgi_del__(None)


@pytest.mark.slow
def test_abandoned_requests_stop_waiting_for_a_worker(res, built):
    """Requests whose clients disconnected while every worker was busy leave the queue: they do not
    fill it up for the clients that stay (the queue holds 5 here; 30 are abandoned)."""
    import socket

    proc, base = serve_subprocess(res, "--timeout", "2", "--query-workers", "1",
                                  env={"R2PKG_QUERY_MAX_WORKERS": "1", "R2PKG_QUEUE_TIMEOUT": "6",
                                       "R2PKG_MAX_PENDING": "5", "R2PKG_CACHE_MAX_BYTES": "0"})
    port = urllib.parse.urlsplit(base).port
    try:
        with ThreadPoolExecutor(2) as pool:
            runaway = pool.submit(_request, port, "GET", _q(CROSS_JOIN + " # abandoned"))
            time.sleep(0.3)  # the only worker is busy now
            for i in range(30):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(f"GET {_q(CHEAP + f' # gone {i}')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                time.sleep(0.02)
                s.close()
            time.sleep(0.3)
            stays = _request(port, "GET", _q(CHEAP + " # stays"))
            assert runaway.result()[0] == 503
        assert stays[0] == 200 and json.loads(stays[2])["boolean"] is True, stays[2][:200]
    finally:
        stop_subprocess(proc)


def test_a_query_request_runs_once_while_the_loop_awaits_its_worker(make_app):
    """An uncached query goes through the app once: its greenlet is suspended while the loop
    awaits the worker's answer, and resumed with it (no second pass over the request); a query that
    the worker cannot finish in time is resumed with the error, mapped to its HTTP answer."""
    import asyncio
    import threading

    from r2pkg.web.state import state

    app = make_app(CACHE_MAX_BYTES=0, QUERY_TIMEOUT=1.0)
    rsgi = RsgiApp(app.wsgi_app, page_threads=1, query_threads=1, max_body=10_000)
    rsgi.executor = state(app).executor
    calls, real_call = [], rsgi.call
    rsgi.call = lambda environ: (calls.append(environ["QUERY_STRING"]), real_call(environ))[1]
    proto = Proto()
    queries = [CHEAP + " # once", "SELECT (STRLEN(?x) AS ?n) WHERE { VALUES ?x { 'abc' } }",
               CROSS_JOIN + " # killed by its timeout"]

    async def three_at_once():  # each suspended in turn: the loop interleaves them
        await asyncio.gather(*(rsgi.__rsgi__(scope("/sparql", urllib.parse.urlencode({"query": q}),
                                                     headers=[("accept", "application/sparql-results+json")]),
                                              proto) for q in queries))

    # on a thread of its own: the loop marks its thread as one that never waits for a worker
    t = threading.Thread(target=asyncio.run, args=(three_at_once(),))
    t.start()
    t.join(30)
    assert not t.is_alive(), "the loop's requests did not finish within 30 s"
    assert len(calls) == 3, calls  # one pass per request
    by_query = {}
    for status, headers, body in proto.replies:
        by_query[status] = body
    assert sorted(s for s, _, _ in proto.replies) == [200, 200, 503], proto.replies
    answers = [json.loads(b) for s, _, b in proto.replies if s == 200]
    assert {"boolean": True} in [{"boolean": a.get("boolean")} for a in answers]
    assert any(a.get("results", {}).get("bindings") == [{"n": {
        "type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "3"}}]
        for a in answers), answers
    assert json.loads(by_query[503])["error"] == "TIMEOUT", by_query[503]
