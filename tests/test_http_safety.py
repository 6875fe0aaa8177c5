"""Protocol errors and the safety of the public endpoint: strict request parsing, read-only, no
outbound connections (proved with a canary server), size limits, the row cap, the timeout that
really stops a runaway query, CORS and HTTP caching."""
from __future__ import annotations

import json
import os
import threading
import time

import pyoxigraph as ox
import pytest
from canary import Canary
from conftest import virtuoso_xfail

from r2pkg.store import DiskDataset

PROLOGUE = ("PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\n"
            "PREFIX state: <https://w3id.org/r2pkg/id/state/>\n")
ISO_ALL = PROLOGUE + "SELECT ?iso WHERE { ?s r2p:iso3 ?iso } ORDER BY ?iso"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


def error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def rows(resp) -> list[dict]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [{v.value: s[v] for v in sols.variables if s[v] is not None}
            for sols in [ox.parse_query_results(resp.data, format=ox.QueryResultsFormat.JSON)] for s in sols]


# -- strict protocol parsing ---------------------------------------------------------------------


def test_several_query_parameters(client):
    body = error(client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D"), 400, "BAD_REQUEST")
    assert body["reason"] == "multiple-queries"
    # a query in the body and another in the URL of a direct POST is also two queries
    resp = client.post("/sparql?query=ASK%20%7B%7D", data=b"ASK {}", content_type=DIRECT)
    assert error(resp, 400, "BAD_REQUEST")["reason"] == "multiple-queries"
    resp = client.post("/sparql", data="query=ASK+%7B%7D&query=SELECT+*+%7B%7D", content_type=FORM)
    assert error(resp, 400, "BAD_REQUEST")["reason"] == "multiple-queries"


def test_syntax_error_is_400_json_with_position(client):
    body = error(client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"}),
                 400, "QUERY_SYNTAX_ERROR")
    assert body["message"].startswith("line 1, column ") and body["line"] == 1  # where the error is


def test_empty_query_and_post_without_query(client):
    assert error(client.get("/sparql?query="), 400, "BAD_REQUEST")["reason"] == "empty-query"
    resp = client.post("/sparql", data="default-graph-uri=http%3A%2F%2Fexample.org%2Fg", content_type=FORM)
    assert error(resp, 400, "BAD_REQUEST")["reason"] == "no-query"


def test_post_without_content_type(client):
    resp = client.post("/sparql", data=b"ASK {}")
    assert "Content-Type" not in resp.request.headers
    assert error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")["reason"] == "missing-content-type"


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x",
                                          "application/sparql-results+json"])
def test_post_with_wrong_content_type(client, content_type):
    resp = client.post("/sparql", data=b"ASK {}", content_type=content_type)
    assert error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")["reason"] == "content-type"


@pytest.mark.parametrize("content_type,body", [
    (DIRECT + "; charset=ISO-8859-1", "ASK {}".encode("latin-1")),
    (FORM + "; charset=ISO-8859-1", b"query=ASK+%7B%7D"),
    (DIRECT + "; charset=UTF-16", "ASK {}".encode("utf-16")),
])
def test_non_utf8_charset_is_415(client, content_type, body):
    resp = client.post("/sparql", data=body, content_type=content_type)
    assert error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")["reason"] == "charset"


def test_utf8_charset_is_accepted(client):
    for ct in (DIRECT + "; charset=utf-8", DIRECT + '; charset="UTF-8"', FORM + "; charset=UTF-8"):
        body = b"ASK {}" if ct.startswith(DIRECT) else b"query=ASK+%7B%7D"
        resp = client.post("/sparql", data=body, content_type=ct)
        assert resp.status_code == 200 and resp.get_json()["boolean"] is True


@pytest.mark.parametrize("query_string", ["query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%FE%22%20%7D",
                                          "query=SELECT%20%2A%20%7B%7D%C3", "query=ASK%7B%7D&x=%80"])
def test_invalid_utf8_in_get_percent_encoding(client, query_string):
    resp = client.get("/sparql?" + query_string)
    assert error(resp, 400, "BAD_REQUEST")["reason"] == "encoding"


@pytest.mark.parametrize("content_type,body", [
    (DIRECT, b'ASK { ?s ?p "\xff\xfe" }'),
    (DIRECT, b"\xef\xbb\xbfASK {}"),  # a UTF-8 byte-order mark
    (FORM, b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D"),
])
def test_invalid_utf8_in_post_body(client, content_type, body):
    resp = client.post("/sparql", data=body, content_type=content_type)
    assert error(resp, 400, "BAD_REQUEST")["reason"] == "encoding"


def test_valid_utf8_round_trips(client):
    resp = client.get("/sparql", query_string={"query": 'SELECT ?x WHERE { BIND("Côte d’Ivoire ✓" AS ?x) }'})
    assert rows(resp) == [{"x": ox.Literal("Côte d’Ivoire ✓")}]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(client, method):
    resp = client.open("/sparql", method=method, data=b"ASK {}", content_type=DIRECT)
    error(resp, 405, "METHOD_NOT_ALLOWED")
    allow = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert {"GET", "POST", "OPTIONS"} <= allow
    assert not allow & {"PUT", "DELETE", "PATCH"}


# -- read-only -----------------------------------------------------------------------------------


UPDATES = [
    "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }",
    PROLOGUE + "DELETE WHERE { state:NLD ?p ?o }",
    "DROP ALL",
    "CLEAR DEFAULT",
    "CREATE GRAPH <urn:x:g>",
    "LOAD <http://example.org/data.ttl>",
    "WITH <urn:x:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "ADD DEFAULT TO <urn:x:g>",
]


def assert_unchanged(app, dataset, before: int) -> None:
    assert len(dataset) == before
    st = app.extensions["r2pkg"]
    if st.settings["STORE"]:  # remote-store mode: the remote store still holds the same triples
        from r2pkg.remote import connect

        assert len(connect(st.settings["STORE"])) == before
    elif isinstance(dataset, DiskDataset):  # disk mode: the on-disk store the workers open still holds them
        assert len(dataset.worker_store()()) == before
    else:
        assert st.executor.store is dataset.store


@pytest.mark.parametrize("update", UPDATES)
def test_update_as_query_is_403(client, app, dataset, update):
    before = len(dataset)
    for resp in (client.get("/sparql", query_string={"query": update}),
                 client.post("/sparql", data={"query": update}),
                 client.post("/sparql", data=update.encode(), content_type=DIRECT)):
        body = error(resp, 403, "FORBIDDEN")
        assert body["reason"] == "update"
        assert "read-only" in body["message"]
    assert_unchanged(app, dataset, before)


def test_update_parameter_and_update_media_type_are_403(client, app, dataset):
    before = len(dataset)
    update = "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }"
    for resp in (client.get("/sparql", query_string={"update": update}),
                 client.post("/sparql", data={"update": update}),
                 client.post("/sparql", data={"query": "ASK {}", "using-graph-uri": "urn:x:g"}),
                 client.post("/sparql", data=update.encode(), content_type="application/sparql-update"),
                 client.post("/sparql", data=update.encode(), content_type="application/sparql-update; charset=utf-8")):
        body = error(resp, 403, "FORBIDDEN")
        assert body["reason"] == "update"
        assert "SPARQL Update is not allowed" in body["message"] and "read-only" in body["message"]
    resp = client.get("/sparql", query_string={"query": "ASK { <urn:x:s> <urn:x:p> <urn:x:o> }"})
    assert resp.get_json()["boolean"] is False
    assert_unchanged(app, dataset, before)


def test_update_words_in_strings_iris_and_variables_are_not_refused(client):
    query = ('SELECT ?insert ?delete WHERE { BIND("INSERT DATA { } ; DROP ALL" AS ?insert) '
             'BIND(<urn:LOAD:x> AS ?delete) } # DELETE WHERE')
    assert rows(client.get("/sparql", query_string={"query": query})) == [
        {"insert": ox.Literal("INSERT DATA { } ; DROP ALL"), "delete": ox.NamedNode("urn:LOAD:x")}]


# -- no outbound connections: a canary server on loopback ------------------------------------------


@pytest.fixture(scope="module")
def canary_server(app, make_app):
    """The canary socket is bound first, and every app of the canary tests is created (its query
    workers forked) before any canary thread runs."""
    server = Canary(value="from-canary")
    server.allow_app = make_app(SERVICE_ALLOWLIST=f"{server.base}/sparql", QUERY_WORKERS=1)
    yield server
    server.server_close()


@pytest.fixture
def canary(canary_server):
    canary_server.requests.clear()
    t = threading.Thread(target=canary_server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield canary_server
    canary_server.shutdown()
    t.join(5)


def test_canary_answers(canary):
    import urllib.request

    with urllib.request.urlopen(canary.base + "/probe", timeout=5) as r:
        assert json.load(r)["results"]["bindings"][0]["x"]["value"] == "from-canary"
    assert [(m, p) for m, p, _ in canary.requests] == [("GET", "/probe")]
    canary.requests.clear()


def test_no_outbound_requests(client, canary):
    c = canary.base
    refused = [
        f"SELECT * WHERE {{ SERVICE <{c}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <{c}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{c}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{c}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{c}/sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{c}/sparql> {{ ?s ?p ?o }} }}",
        f"PREFIX c: <{c}/>\nSELECT * WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE <{c}/x> {{ ?s ?p ?o }} }} }} LIMIT 1",
        f"LOAD <{c}/x>",
        f"LOAD SILENT <{c}/x> INTO GRAPH <urn:x:g>",
    ]
    for q in refused:
        for resp in (client.get("/sparql", query_string={"query": q}),
                     client.post("/sparql", data=q.encode(), content_type=DIRECT)):
            body = error(resp, 403, "FORBIDDEN")
            assert body["reason"] in ("service", "update"), (q, body)
    assert error(client.post("/sparql", data={"update": f"LOAD <{c}/x>"}), 403, "FORBIDDEN")
    # dataset clauses and protocol parameters name graphs of the store; they are never fetched
    answered = [
        ({"query": f"SELECT * FROM <{c}/x> WHERE {{ ?s ?p ?o }}"}, 0),
        ({"query": f"SELECT * FROM NAMED <{c}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}, 0),
        ({"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": f"{c}/x"}, 0),
        ({"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": f"{c}/x"}, 0),
    ]
    for params, n in answered:
        assert len(rows(client.get("/sparql", query_string=params))) == n
    assert canary.requests == [], "the endpoint made an outbound request"


@virtuoso_xfail("its SERVICE client reads the allowlisted endpoint's SPARQL XML answer as one row with "
                "no bindings")
def test_allowlisted_service_passes_the_check(canary):
    client = canary.allow_app.test_client()
    # only the exact allowlisted endpoint: another path on the same host is still refused
    resp = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{canary.base}/other> {{ ?x ?y ?z }} }}"})
    assert "allowlist" in error(resp, 403, "FORBIDDEN")["message"]
    assert canary.requests == []
    resp = client.get("/sparql", query_string={"query": f"SELECT ?x WHERE {{ SERVICE <{canary.base}/sparql> {{ ?x ?y ?z }} }}"})
    assert rows(resp) == [{"x": ox.Literal("from-canary")}]
    assert len(canary.requests) == 1
    method, path, body = canary.requests[0]
    assert (method, path) == ("POST", "/sparql") and b"?x" in body


# -- limits --------------------------------------------------------------------------------------


def test_query_larger_than_max_query_bytes(client, app):
    limit = app.extensions["r2pkg"].settings["MAX_QUERY_BYTES"]
    big = "ASK {}\n#" + "x" * limit
    body = error(client.get("/sparql", query_string={"query": big}), 413, "QUERY_TOO_LARGE")
    assert body["limit"] == limit
    error(client.post("/sparql", data=big.encode(), content_type=DIRECT), 413, "QUERY_TOO_LARGE")
    error(client.post("/sparql", data={"query": big}), 413, "QUERY_TOO_LARGE")
    huge = ("ASK {}\n#" + "x" * (limit + 10000)).encode()
    assert client.post("/sparql", data=huge, content_type=DIRECT).status_code == 413
    # right at the limit is fine
    exact = "ASK {}\n#" + "x" * (limit - len("ASK {}\n#"))
    assert len(exact.encode()) == limit
    assert client.post("/sparql", data=exact.encode(), content_type=DIRECT).get_json()["boolean"] is True


@pytest.fixture(scope="module")
def capped(make_app):
    return make_app(ROW_CAP=5, QUERY_WORKERS=1).test_client()


def test_row_cap_truncates_and_announces(capped, client):
    full = rows(client.get("/sparql", query_string={"query": ISO_ALL}))
    assert len(full) > 150
    resp = capped.get("/sparql", query_string={"query": ISO_ALL})
    got = rows(resp)
    assert got == full[:5]
    assert resp.headers["X-Result-Row-Cap"] == "5"
    assert resp.headers["X-Result-Truncated"] == "true"
    assert resp.headers["X-Result-Rows"] == "5"
    assert "truncated" in resp.headers["Warning"]
    for fmt in ("csv", "tsv", "xml"):
        r = capped.get("/sparql", query_string={"query": ISO_ALL, "format": fmt})
        assert r.headers["X-Result-Truncated"] == "true"
        lines = r.get_data(as_text=True).strip().splitlines()
        if fmt != "xml":
            assert len(lines) == 1 + 5
    construct = PROLOGUE + "CONSTRUCT { ?s r2p:iso3 ?iso } WHERE { ?s r2p:iso3 ?iso }"
    r = capped.get("/sparql", query_string={"query": construct, "format": "ntriples"})
    assert len(list(ox.parse(r.data, format=ox.RdfFormat.N_TRIPLES))) == 5
    assert r.headers["X-Result-Truncated"] == "true"


@pytest.mark.parametrize("limit", [3, 5])
def test_row_cap_not_reached(capped, limit):
    resp = capped.get("/sparql", query_string={"query": ISO_ALL + f" LIMIT {limit}"})
    assert len(rows(resp)) == limit
    assert resp.headers["X-Result-Row-Cap"] == "5"
    assert resp.headers["X-Result-Rows"] == str(limit)
    assert "X-Result-Truncated" not in resp.headers
    assert "Warning" not in resp.headers


# -- the timeout stops the work ------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_app(make_app):
    return make_app(QUERY_TIMEOUT=1, QUERY_WORKERS=2, RETRY_AFTER=7)


def test_timeout_kills_the_runaway_query(slow_app, dataset):
    st = slow_app.extensions["r2pkg"]
    if st.settings["STORE"]:
        pytest.skip("checks the embedded store's worker processes; remote-store timeouts are in test_remote.py")
    pids_before = {w.proc.pid for w in st.executor._free}
    assert len(pids_before) == 2
    health: list[tuple[float, int, dict]] = []
    started = threading.Event()

    def probe():
        # /healthz answers while the runaway query occupies a worker (it runs in another process)
        started.wait(5)
        time.sleep(0.3)
        c = slow_app.test_client()
        t0 = time.perf_counter()
        r = c.get("/healthz")
        health.append((time.perf_counter() - t0, r.status_code, r.get_json()))

    # the probe runs in a thread and is done long before the worker is replaced (forked) at 1 s
    t = threading.Thread(target=probe)
    t.start()
    client = slow_app.test_client()
    t0 = time.perf_counter()
    started.set()
    resp = client.get("/sparql", query_string={"query": RUNAWAY})
    elapsed = time.perf_counter() - t0
    t.join(5)
    body = error(resp, 503, "TIMEOUT")
    assert body["timeout_s"] == 1
    assert resp.headers["Retry-After"] == "7"
    assert 0.9 < elapsed < 1.75, elapsed  # QUERY_TIMEOUT=1, plus killing and re-forking the worker
    (dt, status, h), = health
    assert status == 200 and dt < 0.25, (dt, h)
    assert h["status"] == "ok" and h["workers"] == 2 and h["workers_idle"] == 1  # one busy with the runaway
    # the worker running the query was killed and replaced
    pids_after = {w.proc.pid for w in st.executor._free}
    assert len(pids_after) == 2 and len(pids_after & pids_before) == 1
    (killed,) = pids_before - pids_after
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)
    h = client.get("/healthz").get_json()
    assert h["status"] == "ok" and h["workers_idle"] == 2 and h["workers_busy"] == 0
    # a normal query still works afterwards
    assert rows(client.get("/sparql", query_string={"query": ISO_ALL + " LIMIT 1"})) == [{"iso": ox.Literal("AFG")}]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "r2pkg_query_timeouts_total 1.0" in metrics


# -- CORS ----------------------------------------------------------------------------------------


def test_cors_default_is_any_origin(client):
    resp = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://x.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in resp.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "X-Result-Row-Cap", "X-Result-Truncated", "Retry-After"} <= exposed
    assert "Access-Control-Allow-Credentials" not in resp.headers
    # errors carry CORS headers too, so browsers can read the JSON
    resp = client.get("/sparql?query=ASK%20%7B", headers={"Origin": "https://x.example"})
    assert resp.status_code == 400 and resp.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client):
    resp = client.options("/sparql", headers={"Origin": "https://x.example",
                                              "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "Content-Type"})
    assert resp.status_code == 204
    assert resp.data == b""
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in resp.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "OPTIONS"} <= methods
    assert "content-type" in resp.headers["Access-Control-Allow-Headers"].lower()
    assert int(resp.headers["Access-Control-Max-Age"]) > 0
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    assert {m.strip() for m in resp.headers["Allow"].split(",")} == {"GET", "POST", "OPTIONS"}


def test_cors_configured_origins(make_app):
    c = make_app(CORS_ORIGINS="https://a.example", QUERY_WORKERS=1).test_client()
    resp = c.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://a.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "Origin" in resp.headers.get_all("Vary") or "Origin" in ",".join(resp.headers.get_all("Vary"))
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    for origin in ("https://b.example", "https://a.example.evil", None):
        headers = {"Origin": origin} if origin else {}
        resp = c.get("/sparql", query_string={"query": "ASK {}"}, headers=headers)
        assert resp.status_code == 200
        assert "Access-Control-Allow-Origin" not in resp.headers
    pre = c.options("/sparql", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "https://a.example"
    pre = c.options("/sparql", headers={"Origin": "https://b.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in pre.headers


# -- HTTP caching --------------------------------------------------------------------------------


def test_etag_304_and_cache_hits(client, app):
    query = PROLOGUE + f"SELECT ?iso WHERE {{ state:NLD r2p:iso3 ?iso }} # {time.time_ns()}"
    first = client.get("/sparql", query_string={"query": query})
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["X-Cache"] == "miss"
    cc = first.headers["Cache-Control"]
    assert "public" in cc and f"max-age={app.extensions['r2pkg'].settings['CACHE_MAX_AGE']}" in cc
    assert first.headers["X-R2pkg-Build"] == app.extensions["r2pkg"].build_id
    again = client.get("/sparql", query_string={"query": query})
    assert again.headers["X-Cache"] == "hit" and again.headers["ETag"] == etag and again.data == first.data
    nm = client.get("/sparql", query_string={"query": query}, headers={"If-None-Match": etag})
    assert nm.status_code == 304 and nm.data == b""
    assert nm.headers["ETag"] == etag
    nm = client.get("/sparql", query_string={"query": query}, headers={"If-None-Match": f'"nope", {etag}'})
    assert nm.status_code == 304
    stale = client.get("/sparql", query_string={"query": query}, headers={"If-None-Match": '"nope"'})
    assert stale.status_code == 200 and stale.data == first.data
    xml = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+xml"})
    assert xml.status_code == 200 and xml.headers["ETag"] != etag
    assert client.get("/sparql", query_string={"query": query, "format": "xml"}).headers["ETag"] == xml.headers["ETag"]


def test_post_answers_are_not_cached_by_clients(client):
    query = f"ASK {{}} # {time.time_ns()}"
    resp = client.post("/sparql", data=query.encode(), content_type=DIRECT)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-cache"
    assert "ETag" in resp.headers
    # no 304 for POST: a conditional POST still gets the answer
    again = client.post("/sparql", data=query.encode(), content_type=DIRECT,
                        headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 200 and again.get_json()["boolean"] is True
    assert client.post("/sparql", data={"query": query}).headers["Cache-Control"] == "no-cache"


def test_errors_are_not_cached(client):
    resp = client.get("/sparql?query=ASK%20%7B")
    assert resp.status_code == 400 and "ETag" not in resp.headers
    assert "public" not in resp.headers.get("Cache-Control", "")
