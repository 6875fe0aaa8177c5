"""Full-text search (issue 18): the index made by the build, the searcher (diacritics, quotes,
alternative labels, facets, snippets), ``/search`` and ``/api/search`` with their errors, the
``search:`` functions in SPARQL, and the frame headers of ``/embed`` against every other page."""
from __future__ import annotations

import sqlite3

import pyoxigraph as ox
import pytest

from r2pkg.errors import BadSearch, ConfigError, SearchUnavailable
from r2pkg.search import INDEX_FILE
from r2pkg.search.documents import KIND_NAMES, documents
from r2pkg.search.functions import SCORE, functions
from r2pkg.search.searcher import MAX_QUERY_CHARS, Searcher
from r2pkg.search.text import TOKENIZER, fold, fts_query, tokens

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
PREFIX = "PREFIX search: <https://w3id.org/r2pkg/search#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def with_value(dataset, predicate: str, value: str) -> list[str]:
    """The subjects with ``predicate`` ``value`` (any language tag), sorted."""
    q = f"SELECT ?s ?v WHERE {{ ?s <{predicate}> ?l FILTER(STR(?l) = ?v) }}"
    return sorted({s["s"].value for s in dataset.store.query(q, use_default_graph_as_union=True,
                                                             substitutions={ox.Variable("v"): ox.Literal(value)})})


@pytest.fixture(scope="module")
def searcher(built) -> Searcher:
    return Searcher(built.path / INDEX_FILE)


@pytest.fixture(scope="module")
def embedded(make_app, dataset):
    """An app over the embedded store (the search: functions run in its query workers)."""
    return make_app(DATASET=dataset)


def test_folding_matches_how_people_type():
    assert fold("Šimonović") == "simonovic" and fold("Côte d’Ivoire") == "cote d'ivoire"
    assert tokens("Côte d’Ivoire") == tokens("Cote d'Ivoire") == ["cote", "d", "ivoire"]
    assert fts_query('say "hi" OR NOT x*') == '"say" "hi" "or" "not" "x"*'  # user syntax is only words
    assert fts_query("?!") == ""


def test_a_typed_word_folds_to_the_index_tokens():
    """Whatever the index's tokenizer keeps of a word, the typed word folds to the same: names with
    letters that have no decomposition (ø, đ, ł, ß) are found as written, diacritics or not."""
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{TOKENIZER}')")
    names = ["Søren Kierkegaard", "Zoran Đinđić", "Łódź", "Straße", "Ivan Šimonović", "Côte d’Ivoire"]
    con.executemany("INSERT INTO t(x) VALUES (?)", [(n,) for n in names])
    for typed, want in [("Søren", "Søren Kierkegaard"), ("Đinđić", "Zoran Đinđić"), ("Łódź", "Łódź"),
                        ("Straße", "Straße"), ("Simonovic", "Ivan Šimonović"), ("Cote d'Ivoire", "Côte d’Ivoire")]:
        hits = [x for (x,) in con.execute("SELECT x FROM t WHERE t MATCH ?", (fts_query(typed),))]
        assert hits == [want], (typed, fts_query(typed), hits)


def test_the_build_writes_the_index(built, dataset):
    path = built.path / INDEX_FILE
    docs = documents(dataset.store)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        assert con.execute("SELECT count(*) FROM docs").fetchone()[0] == len(docs) == built.manifest["search"]["documents"]
        assert dict(con.execute("SELECT key, value FROM meta"))["build_id"] == built.build_id
        kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM docs")}
    assert {"state", "group", "initiative", "meeting", "quotation", "passage"} <= kinds <= set(KIND_NAMES)
    # counted apart from the indexer: every state and every passage of the data is a document
    per_kind = dict(sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute(
        "SELECT kind, count(*) FROM docs GROUP BY kind"))
    for kind, cls in [("state", "https://w3id.org/r2pkg/ontology#State"), ("passage", "http://www.w3.org/ns/oa#TextQuoteSelector")]:
        n = int(next(iter(dataset.store.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> }}",
                                              use_default_graph_as_union=True)))["n"].value)
        assert per_kind[kind] == n > 0, (kind, per_kind[kind], n)
    assert built.manifest["search"]["bytes"] == path.stat().st_size > 0


def test_an_index_of_another_format_is_refused(built, tmp_path):
    """An index written in another format than this r2pkg's is not read as if it were its own: the
    search answers 503 SEARCH_UNAVAILABLE (rebuild), and the SPARQL functions leave their value unbound."""
    import shutil

    copy = tmp_path / INDEX_FILE
    shutil.copy(built.path / INDEX_FILE, copy)
    with sqlite3.connect(copy) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    with pytest.raises(SearchUnavailable, match="format 0"):
        Searcher(copy).search("Simonovic")
    score = functions(copy)[ox.NamedNode(SCORE)]
    assert score(ox.NamedNode("https://w3id.org/r2pkg/id/person/ivan-simonovic"), ox.Literal("Simonovic")) is None
    assert Searcher(built.path / INDEX_FILE).search("Simonovic").total > 0


def test_search_without_diacritics_ranks_the_person_first(searcher, dataset):
    [person] = with_value(dataset, RDFS_LABEL, "Ivan Šimonović")
    res = searcher.search("Simonovic")
    assert res.hits[0].iri == person and res.hits[0].kind == "person"
    assert [t for t, match in res.hits[0].snippet if match] == ["Šimonović"]
    assert res.total == len(res.hits) == sum(res.facets["kind"].values())
    passage = searcher.search("Simonovic", kinds=["passage"]).hits[0]
    start, end = passage.iri.rsplit("/", 1)[1].split("-")
    assert passage.evidence["passage"] == passage.iri and (passage.evidence["start"], passage.evidence["end"]) == (int(start), int(end))


def test_straight_and_curly_quotes_find_each_other(searcher, dataset):
    [state] = with_value(dataset, RDFS_LABEL, "Côte d'Ivoire")
    straight = searcher.search("Cote d'Ivoire")
    curly = searcher.search("Côte d\u2019Ivoire")
    assert straight.hits[0].iri == state and [h.iri for h in straight.hits] == [h.iri for h in curly.hits]
    assert any("\u2019" in h.label for h in straight.hits)


def test_alternative_labels_are_found(searcher, dataset):
    owners = with_value(dataset, ALT_LABEL, "UNGA")
    assert owners
    res = searcher.search("UNGA")
    assert res.hits[0].iri in owners and "UNGA" not in res.hits[0].label


def test_facets_filter_and_count(searcher):
    res = searcher.search("responsibility protect")
    year = max(res.facets["year"], key=res.facets["year"].get)
    by_year = searcher.search("responsibility protect", years=[year], limit=100)
    assert by_year.total == res.facets["year"][year] and all(h.year == int(year) for h in by_year.hits)
    quotations = searcher.search("responsibility protect", kinds=["quotation"], limit=100)
    assert quotations.total == res.facets["kind"]["quotation"] and {h.kind for h in quotations.hits} == {"quotation"}


@pytest.mark.parametrize("q, kinds, years, reason", [
    ("", None, None, "empty-query"), ("   ", None, None, "empty-query"), ("x" * (MAX_QUERY_CHARS + 1), None, None, "query-too-long"),
    ("...", None, None, "no-words"), ("a", ["planet"], None, "bad-facet"), ("a", None, ["20x7"], "bad-facet")])
def test_bad_searches_are_refused(searcher, q, kinds, years, reason):
    with pytest.raises(BadSearch) as e:
        searcher.search(q, kinds=kinds, years=years)
    assert e.value.details["reason"] == reason and e.value.status == 400


def test_api_search_answers_json_with_links(embedded, searcher):
    r = embedded.test_client().get("/api/search?q=Simonovic&limit=3")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    expected = searcher.search("Simonovic", limit=3)
    assert [h["iri"] for h in body["hits"]] == [h.iri for h in expected.hits] and body["total"] == expected.total
    first = body["hits"][0]
    assert first["page"] == "/" + first["iri"].split("/r2pkg/", 1)[1]
    ev = first["evidence"]
    assert first["source"].endswith(f"/sources/{ev['source'].rsplit('/', 1)[1]}#p-{ev['start']}-{ev['end']}")


@pytest.mark.parametrize("query, reason", [("q=", "empty-query"), ("q=" + "a" * (MAX_QUERY_CHARS + 1), "query-too-long"),
                                           ("q=a&kind=planet", "bad-facet"), ("q=a&year=later", "bad-facet"),
                                           ("q=a&limit=1000", "bad-page"), ("q=a&offset=-1", "bad-page")])
def test_api_search_errors_are_json(embedded, query, reason):
    r = embedded.test_client().get("/api/search?" + query)
    assert r.status_code == 400 and r.get_json()["error"] == "BAD_SEARCH" and r.get_json()["reason"] == reason


def test_search_page(embedded):
    c = embedded.test_client()
    page = c.get("/search?q=Simonovic&kind=person")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-kind="person"' in text and "<mark>Šimonović</mark>" in text
    assert c.get("/search").status_code == 200  # the empty form
    bad = c.get("/search?q=")
    assert bad.status_code == 400 and "give the text to search for" in bad.get_data(as_text=True)
    assert 'class="site-search"' in c.get("/charts").get_data(as_text=True)  # the box on every page


def test_search_page_pages_and_links_its_api(embedded, searcher):
    """The page's next-page link steps by the page's own size (and keeps it), facets given as a
    comma list or repeated are the same, and its API link carries the request's parameters, also
    for a query string sent as raw UTF-8."""
    c = embedded.test_client()
    total = searcher.search("state", limit=1).total
    assert total > 4
    page = c.get("/search?q=state&limit=2&offset=2").get_data(as_text=True)
    assert 'href="?q=state&amp;limit=2&amp;offset=4"' in page
    assert 'href="/api/search?q=state&amp;limit=2&amp;offset=2"' in page
    api = c.get("/api/search?q=state&limit=2&offset=2").get_json()
    assert [h["iri"] for h in api["hits"]] == [h.iri for h in searcher.search("state", limit=2, offset=2).hits]
    both = c.get("/api/search?q=a&kind=state,group").get_json()
    assert both["hits"] == c.get("/api/search?q=a&kind=state&kind=group").get_json()["hits"]
    assert {h["kind"] for h in both["hits"]} <= {"state", "group"} and both["hits"]
    raw = c.get("/search", environ_overrides={"QUERY_STRING": "q=Šimonović".encode("utf-8").decode("latin-1")})
    assert raw.status_code == 200 and "<mark>Šimonović</mark>" in raw.get_data(as_text=True)
    assert "/api/search?q=%C5%A0imonovi%C4%87" in raw.get_data(as_text=True)


def test_sparql_search_functions(embedded, searcher):
    q = PREFIX + ('SELECT ?s ?score WHERE { ?s rdfs:label ?l BIND(search:score(?s, "Simonovic") AS ?score) '
                  'FILTER(BOUND(?score)) } ORDER BY DESC(?score) ?s')
    r = embedded.test_client().post("/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    rows = [(b["s"]["value"], float(b["score"]["value"])) for b in r.get_json()["results"]["bindings"]]
    scores = searcher.scores("Simonovic")
    assert rows and [s for s, _ in rows] == sorted((s for s, _ in rows), key=lambda s: (-scores[s], s))
    assert all(abs(v - scores[s]) < 1e-4 for s, v in rows)
    ask = PREFIX + 'ASK { FILTER(search:matches(<%s>, "Simonovic") && !search:matches(<%s>, "Ivoire")) }' % (rows[0][0], rows[0][0])
    r = embedded.test_client().post("/sparql", data={"query": ask}, headers={"Accept": "application/sparql-results+json"})
    assert r.get_json()["boolean"] is True


def test_only_embed_may_be_framed(embedded):
    c = embedded.test_client()
    r = c.get("/embed?query=" + "SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201&view=bar")
    assert r.status_code == 200 and "X-Frame-Options" not in r.headers
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"]
    for path in ("/sparql", "/search?q=un", "/charts", "/"):
        other = c.get(path, headers={"Accept": "text/html"})
        assert other.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], path
    bad = c.get("/embed?query=ASK%7B%7D&view=pie")
    assert bad.status_code == 400 and bad.get_json()["reason"] == "bad-view"
    assert c.get("/embed?view=bar").get_json()["reason"] == "no-query"


def test_embed_frame_ancestors_setting(make_app):
    app = make_app(EMBED_FRAME_ANCESTORS="https://news.example")
    r = app.test_client().get("/embed?query=ASK%7B%7D")
    assert "frame-ancestors https://news.example" in r.headers["Content-Security-Policy"]
    with pytest.raises(ConfigError):
        make_app(EMBED_FRAME_ANCESTORS="* ; script-src *")
