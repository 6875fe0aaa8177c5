"""The WSGI-level answer cache for repeated identical GETs of /sparql: same bytes, same headers,
keyed on what the answer varies on, 304 on If-None-Match, never storing errors or POSTs."""
from __future__ import annotations

Q = {"query": "SELECT ?g WHERE { ?g a <https://w3id.org/r2pkg/ontology#RegionalGroup> } ORDER BY ?g"}


def test_repeated_get_is_served_whole_from_the_raw_cache(make_app):
    c = make_app().test_client()
    first = c.get("/sparql", query_string=Q)
    second = c.get("/sparql", query_string=Q)
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert second.data == first.data and len(second.json["results"]["bindings"]) == 5
    for h in ("Content-Type", "ETag", "Vary", "Cache-Control", "X-Result-Rows", "Access-Control-Allow-Origin"):
        assert second.headers[h] == first.headers[h]
    nm = c.get("/sparql", query_string=Q, headers={"If-None-Match": first.headers["ETag"]})
    assert nm.status_code == 304 and nm.data == b"" and nm.headers["ETag"] == first.headers["ETag"]
    assert "Content-Type" not in nm.headers


def test_the_key_covers_accept_and_origin(make_app):
    c = make_app(CORS_ORIGINS="https://a.example").test_client()
    js = c.get("/sparql", query_string=Q)
    csv = c.get("/sparql", query_string=Q, headers={"Accept": "text/csv"})
    assert csv.headers["Content-Type"].startswith("text/csv") and csv.data != js.data
    a = c.get("/sparql", query_string=Q, headers={"Origin": "https://a.example"})
    a2 = c.get("/sparql", query_string=Q, headers={"Origin": "https://a.example"})
    b = c.get("/sparql", query_string=Q, headers={"Origin": "https://b.example"})
    assert a.headers["Access-Control-Allow-Origin"] == "https://a.example" and a2.data == a.data
    assert a2.headers["X-Cache"] == "hit" and a2.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "Access-Control-Allow-Origin" not in b.headers


def test_errors_and_posts_are_not_stored(make_app):
    app = make_app()
    c = app.test_client()
    for _ in range(2):
        r = c.get("/sparql", query_string={"query": "SELECT WHERE {"})
        assert r.status_code == 400 and "X-Cache" not in r.headers
        r = c.post("/sparql", data=Q)  # answered (from the in-process answer cache the 2nd time), not stored whole
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"
    assert len(app.wsgi_app.cache) == 0
    c.get("/sparql", query_string=Q)
    assert len(app.wsgi_app.cache) == 1


def test_disabled_with_the_cache(make_app):
    c = make_app(CACHE_MAX_BYTES=0).test_client()
    assert [c.get("/sparql", query_string=Q).headers["X-Cache"] for _ in range(2)] == ["miss", "miss"]


def test_if_none_match_uses_weak_comparison(make_app):
    """RFC 9110 §13.1.2: If-None-Match compares weakly, so W/"tag" matches on both paths."""
    c = make_app().test_client()
    tag = c.get("/sparql", query_string=Q).headers["ETag"]
    for headers in ({"If-None-Match": "W/" + tag}, {"If-None-Match": '"other", W/' + tag}, {"If-None-Match": "*"}):
        assert c.get("/sparql", query_string=Q, headers=headers).status_code == 304  # raw cache path
    fresh = make_app(CACHE_MAX_BYTES=0).test_client()  # no raw cache: the app path
    assert fresh.get("/sparql", query_string=Q, headers={"If-None-Match": "W/" + tag}).status_code == 304
    assert fresh.get("/sparql", query_string=Q, headers={"If-None-Match": '"other"'}).status_code == 200
    # the same comparison for resources, exports and dumps
    from r2pkg.linked import dumps

    for path in ("/id/state/CHL", "/export/support.graphml", f"/dumps/{dumps.NQ}"):
        first = fresh.get(path, headers={"Accept": "text/turtle"} if path.startswith("/id/") else {})
        assert first.status_code == 200 and first.headers.get("ETag"), path
        again = fresh.get(path, headers={**({"Accept": "text/turtle"} if path.startswith("/id/") else {}),
                                         "If-None-Match": "W/" + first.headers["ETag"]})
        assert again.status_code == 304, path
