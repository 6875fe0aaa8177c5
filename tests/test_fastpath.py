"""The raw WSGI path of /sparql queries, and the native result writers it relies on.

Query requests are answered before Flask, by the same protocol, safety, negotiation and error
functions the Flask views use; requests without a query still reach Flask. The query-string decoder
must agree with urllib's, and SELECT answers written natively (through SPARQL TSV) must carry the
same solutions, row counts and truncation as before.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote_from_bytes

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2pkg.errors import BadRequest
from r2pkg.jobs import Job, execute
from r2pkg.web.protocol import _decode_params

ASK = "ASK { ?s ?p ?o }"


# -- the query-string decoder agrees with urllib.parse.parse_qsl --------------------------------

_piece = st.one_of(
    st.binary(max_size=12).map(lambda b: quote_from_bytes(b, safe="")),   # well-formed escapes
    st.sampled_from(["%", "%4", "%zz", "%%41", "+", "\\", "\\x41", "=", "==", "&", "&&", ";", "a", "%5C%78"]),
    st.text(alphabet="abcXYZ019-._~!*'()", max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_piece, max_size=12).map("".join))
def test_decoder_agrees_with_parse_qsl(qs):
    raw = qs.encode("ascii")
    try:
        want = parse_qsl(qs, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(BadRequest):
            _decode_params(raw, "query string")
        return
    assert _decode_params(raw, "query string") == want


def test_decoder_cases():
    assert _decode_params(b"query=ASK+%7B%7D&x=%E2%82%AC&y", "q") == [("query", "ASK {}"), ("x", "€"), ("y", "")]
    assert _decode_params(b"a=%zz%41&b=\\x41", "q") == [("a", "%zzA"), ("b", "\\x41")]
    with pytest.raises(BadRequest, match="UTF-8"):
        _decode_params(b"a=%C3%28", "q")
    with pytest.raises(BadRequest, match="UTF-8"):
        _decode_params("a=é".encode("utf-8"), "q")
    with pytest.raises(BadRequest, match="too many fields"):
        _decode_params(b"&".join([b"a=1"] * 1001), "q")


# -- SELECT answers through pyoxigraph's native writers --------------------------------------------

EDGE = ('SELECT ?x ?y WHERE { VALUES (?x ?y) { ("a\\nb\\tc" UNDEF) (UNDEF <http://e/x>) ("x"@en-GB 3) '
        '("1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> "") ("\\"q\\" \\\\ é中😀" UNDEF) } }')


def test_native_select_keeps_every_term():
    ans = execute(ox.Store(), Job(EDGE, "json"))
    doc = json.loads(ans.body)
    assert ans.rows == 5 and not ans.truncated and doc["head"]["vars"] == ["x", "y"]
    b = doc["results"]["bindings"]
    assert b[0] == {"x": {"type": "literal", "value": "a\nb\tc"}}
    assert b[1] == {"y": {"type": "uri", "value": "http://e/x"}}
    assert b[2]["x"] == {"type": "literal", "value": "x", "xml:lang": "en-gb"}
    assert b[2]["y"] == {"type": "literal", "value": "3", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    assert b[3]["x"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal" and b[3]["y"]["value"] == ""
    assert b[4]["x"]["value"] == '"q" \\ é中😀'


@pytest.mark.parametrize("cap,rows,truncated", [(None, 5, False), (5, 5, False), (4, 4, True), (1, 1, True)])
@pytest.mark.parametrize("fmt", ["json", "tsv", "csv", "xml"])
def test_native_select_row_cap(cap, rows, truncated, fmt):
    ans = execute(ox.Store(), Job(EDGE, fmt, row_cap=cap))
    assert (ans.rows, ans.truncated) == (rows, truncated)
    if fmt == "csv":  # lossy by design (W3C), so read with Python's csv module
        import csv
        import io

        parsed_csv = list(csv.reader(io.StringIO(ans.body.decode("utf-8"), newline="")))
        assert len(parsed_csv) == 1 + rows and parsed_csv[1][0] == "a\nb\tc"
        return
    parsed = list(ox.parse_query_results(ans.body, ox.QueryResultsFormat.from_extension(fmt)))
    assert len(parsed) == rows
    # the first row (a literal with a line break and a tab) survives whole in every format
    assert parsed[0]["x"].value == "a\nb\tc"


def test_native_select_edge_shapes():
    store = ox.Store()
    assert execute(store, Job("SELECT * WHERE {}", "json")).rows == 1
    empty = execute(store, Job("SELECT ?x WHERE { FILTER(false) }", "json"))
    assert empty.rows == 0 and json.loads(empty.body) == {"head": {"vars": ["x"]}, "results": {"bindings": []}}
    unbound = execute(store, Job("SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF } }", "json"))
    assert unbound.rows == 2 and json.loads(unbound.body)["results"]["bindings"] == [{}, {}]
    star = execute(store, Job('SELECT ?t WHERE { BIND(<<( <http://e/s> <http://e/p> "o" )>> AS ?t) }', "json"))
    assert json.loads(star.body)["results"]["bindings"][0]["t"]["type"] == "triple"


# -- the raw path answers queries before Flask; the rest reaches Flask ------------------------------

@pytest.fixture()
def counted(make_app):
    app = make_app(CACHE_MAX_BYTES=0)
    seen = []

    @app.after_request
    def _seen(resp):  # runs for every response Flask makes
        seen.append(1)
        return resp

    return app, app.test_client(), seen


def test_queries_do_not_enter_flask(counted):
    app, c, seen = counted
    r = c.get("/sparql", query_string={"query": ASK})
    assert r.status_code == 200 and r.json == {"head": {}, "boolean": True}
    p = c.post("/sparql", data={"query": ASK})
    d = c.post("/sparql", data=ASK, content_type="application/sparql-query")
    assert p.json["boolean"] is True and d.json["boolean"] is True
    assert seen == []
    # no query: the service description is a Flask view
    sd = c.get("/sparql", headers={"Accept": "text/turtle"})
    assert sd.status_code == 200 and "sparql-service-description#Service" in sd.get_data(as_text=True) and seen == [1]
    # preflight, and parameters without a query, reach Flask too
    assert c.options("/sparql").status_code == 204 and seen == [1, 1]
    assert c.get("/sparql", query_string={"format": "ttl"}).status_code == 200 and len(seen) == 3


def test_raw_path_headers_errors_and_metrics(counted):
    app, c, seen = counted
    r = c.get("/sparql", query_string={"query": ASK}, headers={"Origin": "https://x.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Result-Rows" in r.headers["Access-Control-Expose-Headers"]
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Vary"] == "Accept, Host"
    assert r.headers["Content-Length"] == str(len(r.data)) and r.headers["X-Result-Rows"] == "1"
    assert r.headers["Cache-Control"].startswith("public")
    head = c.head("/sparql", query_string={"query": ASK})
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == r.headers["ETag"]
    assert c.get("/sparql", query_string={"query": ASK}, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    bad = c.get("/sparql", query_string={"query": "SELECT WHERE {"})
    assert bad.status_code == 400 and bad.json["error"] == "QUERY_SYNTAX_ERROR"
    assert bad.headers["Content-Type"] == "application/json" and bad.headers["X-Content-Type-Options"] == "nosniff"
    svc = c.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
    assert svc.status_code == 403 and svc.json["error"] == "FORBIDDEN"
    big = c.post("/sparql", data=b"x" * (app.config["MAX_QUERY_BYTES"] + 10_000),
                 content_type="application/sparql-query")
    assert big.status_code == 413 and big.json["error"] in ("QUERY_TOO_LARGE", "PAYLOAD_TOO_LARGE")
    assert seen == []
    metrics = c.get("/metrics").get_data(as_text=True)
    assert 'r2pkg_requests_total{endpoint="sparql.endpoint",status="200"} 2.0' in metrics
    assert 'r2pkg_requests_total{endpoint="sparql.endpoint",status="400"} 1.0' in metrics
    assert 'r2pkg_query_rejections_total{reason="service"}' in metrics
