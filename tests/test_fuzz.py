"""Property-based fuzzing of the HTTP surface (hypothesis): random and mutated queries, parameters,
headers, methods, content types and encodings. Never a 5xx; every error body is JSON with a code.

The example budget is small in CI; `R2PKG_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py` fuzzes longer.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("R2PKG_FUZZ_EXAMPLES", "150"))
SEEDS = [p.read_text() for p in sorted((REPO / "queries").glob("*.rq"))] + [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3", "ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2",
    "DESCRIBE <https://w3id.org/r2pkg/id/state/NLD>",
    "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "LOAD <http://127.0.0.1:9/x>",
    "INSERT DATA { <a:b> <a:c> <a:d> }", "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }",
]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TYPES = ["application/sparql-query", "application/x-www-form-urlencoded", "application/sparql-update",
         "text/plain", "application/json", "multipart/form-data; boundary=x", "", "application/sparql-query; charset=latin1",
         "application/x-www-form-urlencoded; charset=utf-16"]
ACCEPTS = ["*/*", "text/csv", "application/sparql-results+json", "text/turtle", "image/png", "text/html",
           "application/ld+json;q=0.1, text/csv;q=0.9", ";;;", "*/*;q=abc", ""]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]


@pytest.fixture(scope="module")
def fuzz_app(make_app):
    return make_app(QUERY_TIMEOUT=1.0, ROW_CAP=1000)


def mutate(draw_text: str, cut: int, insert: str) -> str:
    cut = cut % (len(draw_text) + 1)
    return draw_text[:cut] + insert + draw_text[cut:]


queries = st.one_of(
    st.text(max_size=200),
    st.builds(mutate, st.sampled_from(SEEDS), st.integers(0, 2000),
              st.sampled_from(["{", "}", "\\u0053ERVICE", "\x00", "'", '"""', "#", "<", ">", "?", "FILTER(",
                               "\ud7ff", "é", "\\", "LIMIT -1", "*" * 10])),
    st.sampled_from(SEEDS),
)


def check(resp, method: str = "GET") -> None:
    assert resp.status_code < 500 or resp.status_code == 503, (resp.status_code, resp.data[:300])
    if resp.status_code >= 400 and method != "HEAD":  # a HEAD answer has no body
        body = json.loads(resp.data)
        assert isinstance(body.get("error"), str) and body["error"]
        assert isinstance(body.get("message"), str)
    if resp.status_code == 503:
        assert resp.headers.get("Retry-After")


@FUZZ
@given(q=queries, accept=st.sampled_from(ACCEPTS), fmt=st.sampled_from([None, "json", "csv", "turtle", "bogus", ""]))
def test_fuzz_get(fuzz_app, q, accept, fmt):
    c = fuzz_app.test_client()
    url = "/sparql?query=" + quote(q, safe="")
    if fmt is not None:
        url += "&format=" + quote(fmt)
    check(c.get(url, headers={"Accept": accept} if accept else {}))


@FUZZ
@given(q=queries, method=st.sampled_from(METHODS), ctype=st.sampled_from(TYPES),
       encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "raw"]), raw=st.binary(max_size=64),
       extra=st.dictionaries(st.sampled_from(["query", "default-graph-uri", "named-graph-uri", "update", "format",
                                              "x"]), st.text(max_size=40), max_size=3))
def test_fuzz_requests(fuzz_app, q, method, ctype, encoding, raw, extra):
    c = fuzz_app.test_client()
    if encoding == "raw":
        body = raw
    else:
        try:
            body = q.encode(encoding)
        except UnicodeEncodeError:
            body = q.encode("utf-8", "surrogatepass")
    if ctype.startswith("application/x-www-form-urlencoded") and encoding != "raw":
        body = ("query=" + quote(q, safe="")).encode("ascii")
    qs = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in extra.items())
    headers = {"Content-Type": ctype} if ctype else {}
    check(c.open("/sparql" + ("?" + qs if qs else ""), method=method, data=body, headers=headers), method)


@FUZZ
@given(path=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60),
       params=st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=3))
def test_fuzz_named_queries(fuzz_app, path, params):
    c = fuzz_app.test_client()
    qs = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items())
    name = quote(path, safe="")
    for url in (f"/api/queries/{name}?{qs}", f"/api/queries/cq14-provenance-of-a-fact?{qs}"):
        resp = c.get(url)
        check(resp)
