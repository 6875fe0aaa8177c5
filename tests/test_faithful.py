"""The dump, the endpoint and the pages say the same thing (issue #14): what the store answers is
what the build wrote, literal for literal."""
from __future__ import annotations

import gzip
import io
import re
from collections import Counter
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from r2pkg.build import _check_store_keeps_literals
from r2pkg.errors import DataError

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def uncapped(make_app):
    return make_app(ROW_CAP=0, MAX_ANSWER_BYTES=0).test_client()


@pytest.fixture(scope="module")
def dump_union(uncapped) -> rdflib.Graph:
    r = uncapped.get("/dumps/r2pkg.ttl.gz")
    assert r.status_code == 200
    g = rdflib.Graph().parse(data=gzip.decompress(r.data), format="turtle")
    assert len(g) > 8000
    return g


@pytest.fixture(scope="module")
def dump_quads(uncapped) -> list[ox.Quad]:
    r = uncapped.get("/dumps/r2pkg.nq.gz")
    return list(ox.parse(gzip.decompress(r.data), format=ox.RdfFormat.N_QUADS))


def sparql(client, query: str, accept: str):
    r = client.get("/sparql?" + urlencode({"query": query}), headers={"Accept": accept})
    assert r.status_code == 200, r.data[:500]
    assert r.headers.get("X-Result-Truncated") is None
    return r


def test_full_construct_is_isomorphic_to_the_dump(uncapped, dump_union):
    r = sparql(uncapped, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples")
    g = rdflib.Graph().parse(data=r.data, format="nt")
    assert len(g) == len(dump_union)
    assert isomorphic(g, dump_union)


def test_every_literal_of_the_dump_comes_back_with_its_datatype(uncapped, dump_quads):
    r = sparql(uncapped, "SELECT ?dt (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o FILTER(isLiteral(?o)) } "
                         "BIND(DATATYPE(?o) AS ?dt) } GROUP BY ?dt", "application/sparql-results+json")
    got = {b["dt"]["value"]: int(b["n"]["value"]) for b in r.json["results"]["bindings"]}
    want = Counter(q.object.datatype.value for q in dump_quads if isinstance(q.object, ox.Literal))
    assert got == dict(want)
    assert XSD + "integer" in got  # the counts and ordinals
    assert not {XSD + "nonNegativeInteger", XSD + "positiveInteger"} & set(got)


def test_void_distinct_objects_match_the_dump(uncapped, dump_union):
    r = uncapped.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = rdflib.Graph().parse(data=r.data, format="turtle")
    n = {int(o) for o in void.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#distinctObjects"))}
    assert n == {len(set(dump_union.objects()))}


def test_a_resource_page_keeps_the_types_of_the_data(uncapped, dump_union):
    iri = rdflib.URIRef("https://w3id.org/r2pkg/id/event/ga-vote-2017-09-15")
    want = set(dump_union.triples((iri, None, None)))
    assert want, "no vote resource in the dump"
    r = uncapped.get("/id/event/ga-vote-2017-09-15", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    got = set(rdflib.Graph().parse(data=r.data, format="nt").triples((iri, None, None)))
    assert {t for t in got if not isinstance(t[2], rdflib.BNode)} == \
        {t for t in want if not isinstance(t[2], rdflib.BNode)}


@pytest.mark.parametrize("value,datatype", [("9", "positiveInteger"), ("9", "int"), ("09", "integer"),
                                            ("1.50", "decimal"), ("1", "boolean"), ("1e0", "double")])
def test_the_build_refuses_literals_the_store_would_change(value, datatype):
    s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
    lit = ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))
    with pytest.raises(DataError, match=re.escape(str(lit))):
        _check_store_keeps_literals(ox.Dataset([ox.Quad(s, p, lit)]))
    store = ox.Store()  # the rule agrees with the store
    store.add(ox.Quad(s, p, lit))
    assert next(iter(store)).object != lit


def test_the_build_keeps_what_the_store_keeps():
    s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
    kept = [ox.Literal("9", datatype=ox.NamedNode(XSD + "integer")), ox.Literal("1.5", datatype=ox.NamedNode(XSD + "decimal")),
            ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")), ox.Literal("2017-09-06", datatype=ox.NamedNode(XSD + "date"))]
    _check_store_keeps_literals(ox.Dataset([ox.Quad(s, p, lit) for lit in kept]))


# -- ASK as CSV/TSV, the way Jena (and Fuseki) write it ----------------------------------------------

@pytest.mark.parametrize("fmt,media,want_true,want_false", [
    ("csv", "text/csv", b"_askResult\r\ntrue\r\n", b"_askResult\r\nfalse\r\n"),
    ("tsv", "text/tab-separated-values", b"?_askResult\ntrue\n", b"?_askResult\nfalse\n"),
])
def test_ask_as_csv_and_tsv(uncapped, fmt, media, want_true, want_false):
    for query, want in (('ASK { ?s <https://w3id.org/r2pkg/ontology#iso3> "NLD" }', want_true),
                        ('ASK { ?s <https://w3id.org/r2pkg/ontology#iso3> "XXX" }', want_false)):
        r = sparql(uncapped, query, media)
        assert r.mimetype == media and r.data == want
        # rdflib reads the table as a one-row SELECT holding the answer
        res = rdflib.query.Result.parse(io.BytesIO(r.data), format=fmt)
        assert [str(row[0]).lower() for row in res] == [want.split()[-1].decode()]
