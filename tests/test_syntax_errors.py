"""Syntax errors in a SPARQL user's words: line, column, the offending token (issue #14 item 8)."""
from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
import pytest

from r2pkg.errors import QuerySyntaxError
from r2pkg.query import run

CASES = [
    ("SELEC ?s WHERE { ?s ?p ?o }", 1, 1, "SELEC", "did you mean SELECT?"),
    ("PREFIX a: <http://e/>\n# a comment\nCONSTRUC { ?s ?p ?o } WHERE {}", 3, 1, "CONSTRUC", "did you mean CONSTRUCT?"),
    ("SELECT ?s WHERE { ?s ?p ?o } LIMT 5", 1, 30, "LIMT", "unexpected 'LIMT'"),
    ("PREFIX r: <http://e/>\nSELECT ?s WHERE {\n  ?s r:p ?o ,\n  FILTER(?o > 3)\n}", 3, 13, ",", "unexpected ','"),
    ("SELECT (COUNT(?s) ?n) WHERE { ?s ?p ?o }", 1, 19, "?n", "unexpected '?n'"),
    ("SELECT ?s\nWHERE { ?s foo:p ?o }", 2, 12, "foo:", "the prefix 'foo:' is not declared"),
    ('SELECT * WHERE {\n  ?s ?p "abc }', 2, 9, '"abc }', "is not closed"),
    ("SELECT ?s WHERE { ?s ?p ?o ", 1, 28, None, "ends too early"),
]


@pytest.mark.parametrize("text,line,column,token,words", CASES, ids=[c[0][:24] for c in CASES])
def test_syntax_error_names_line_column_and_token(text, line, column, token, words):
    with pytest.raises(QuerySyntaxError) as info:
        run(ox.Store(), text)
    e = info.value
    assert e.details.get("line") == line and e.details.get("column") == column, e.message
    assert e.details.get("token") == token
    assert e.message.startswith(f"line {line}, column {column}: ") and words in e.message
    assert "expected CONSTRUCT" not in e.message and "'\\u{" not in e.message


def test_syntax_error_over_http(client):
    r = client.get("/sparql?" + urlencode({"query": "SELEC ?s WHERE { ?s ?p ?o }"}))
    assert r.status_code == 400
    body = r.get_json()
    assert body["error"] == "QUERY_SYNTAX_ERROR" and body["line"] == 1 and body["column"] == 1
    assert body["token"] == "SELEC" and "did you mean SELECT?" in body["message"]
