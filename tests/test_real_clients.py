"""A real server (``r2pkg serve``: granian, real sockets) and real SPARQL clients: SPARQLWrapper,
rdflib's SPARQLStore, and an RDF/XML request the way Gephi's semantic-web importer makes it."""
from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, RDFXML, TURTLE, XML, SPARQLWrapper

from r2pkg.query import run

pytestmark = pytest.mark.slow

R2P = rdflib.Namespace("https://w3id.org/r2pkg/ontology#")
NLD = rdflib.URIRef("https://w3id.org/r2pkg/id/state/NLD")
PROLOGUE = ("PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\nPREFIX state: <https://w3id.org/r2pkg/id/state/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
SELECT_ISO = PROLOGUE + "SELECT ?iso WHERE { ?s r2p:iso3 ?iso } ORDER BY ?iso LIMIT 3"
ASK_NLD = PROLOGUE + 'ASK { state:NLD r2p:iso3 "NLD" }'
CONSTRUCT_NLD = PROLOGUE + "CONSTRUCT { state:NLD ?p ?o } WHERE { state:NLD ?p ?o }"
DESCRIBE_NLD = PROLOGUE + "DESCRIBE state:NLD"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# SPARQLWrapper turns RDF/XML answers into an rdflib ConjunctiveGraph, deprecated in rdflib 7.
CONJUNCTIVE = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def endpoint(live_server) -> str:
    return live_server + "/sparql"


@pytest.fixture(scope="module")
def expected_iso(dataset) -> list[str]:
    return [s["iso"].value for s in run(dataset.store, SELECT_ISO).raw]


def as_rdflib(t: ox.Triple) -> tuple:
    def conv(x):
        if isinstance(x, ox.NamedNode):
            return rdflib.URIRef(x.value)
        if x.language:
            return rdflib.Literal(x.value, lang=x.language)
        if x.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(x.value)  # rdflib parsers give plain literals for xsd:string
        return rdflib.Literal(x.value, datatype=rdflib.URIRef(x.datatype.value))

    return conv(t.subject), conv(t.predicate), conv(t.object)


@pytest.fixture(scope="module")
def expected_nld(dataset) -> set[tuple]:
    triples = {as_rdflib(t) for t in run(dataset.store, CONSTRUCT_NLD).raw}
    assert (NLD, rdflib.RDFS.label, rdflib.Literal("Netherlands", lang="en")) in triples
    return triples


@pytest.fixture(scope="module")
def expected_describe(dataset) -> set[tuple]:
    return {as_rdflib(t) for t in run(dataset.store, DESCRIBE_NLD).raw}


def test_live_server_serves_the_session_build(live_server, dataset):
    with urllib.request.urlopen(live_server + "/healthz", timeout=10) as r:
        h = json.load(r)
    assert h["build_id"] == dataset.build_id and h["triples"] == len(dataset)


# -- SPARQLWrapper -------------------------------------------------------------------------------


def wrapper(endpoint: str, query: str, fmt=None, method=None) -> SPARQLWrapper:
    w = SPARQLWrapper(endpoint)
    w.setQuery(query)
    if fmt is not None:
        w.setReturnFormat(fmt)
    if method is not None:
        w.setMethod(method)
    w.setTimeout(20)
    return w


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_select_json(endpoint, expected_iso, method):
    res = wrapper(endpoint, SELECT_ISO, JSON, method).query()
    assert res.info()["content-type"].startswith("application/sparql-results+json")
    doc = res.convert()
    assert doc["head"]["vars"] == ["iso"]
    assert [b["iso"]["value"] for b in doc["results"]["bindings"]] == expected_iso == ["AFG", "AGO", "ALB"]


def test_sparqlwrapper_select_xml(endpoint, expected_iso):
    dom = wrapper(endpoint, SELECT_ISO, XML).query().convert()  # an xml.dom.minidom document
    literals = [n.firstChild.data for n in dom.getElementsByTagName("literal")]
    assert literals == expected_iso


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(endpoint, fmt):
    res = wrapper(endpoint, ASK_NLD, fmt).query().convert()
    if fmt == JSON:
        assert res["boolean"] is True
    else:
        assert res.getElementsByTagName("boolean")[0].firstChild.data == "true"
    res = wrapper(endpoint, PROLOGUE + 'ASK { state:NLD r2p:iso3 "XXX" }', JSON).query().convert()
    assert res["boolean"] is False


@CONJUNCTIVE
@pytest.mark.parametrize("fmt", [None, XML, RDFXML], ids=["default", "xml", "rdfxml"])
def test_sparqlwrapper_construct_rdfxml(endpoint, expected_nld, fmt):
    """SPARQLWrapper's default for CONSTRUCT is XML: it sends format=xml (and output=, results=)
    with Accept: application/rdf+xml, and parses the answer as RDF/XML."""
    res = wrapper(endpoint, CONSTRUCT_NLD, fmt).query()
    assert res.info()["content-type"].startswith("application/rdf+xml")
    g = res.convert()
    assert set(g) == expected_nld
    assert g.value(NLD, rdflib.RDFS.label) == rdflib.Literal("Netherlands", lang="en")


def test_sparqlwrapper_construct_turtle(endpoint, expected_nld):
    res = wrapper(endpoint, CONSTRUCT_NLD, TURTLE).query()
    assert res.info()["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=res.convert(), format="turtle")
    assert set(g) == expected_nld


@CONJUNCTIVE
def test_sparqlwrapper_describe(endpoint, expected_describe):
    g = wrapper(endpoint, DESCRIBE_NLD).query().convert()
    assert set(g) == expected_describe
    assert (NLD, R2P.iso3, rdflib.Literal("NLD")) in g


# -- rdflib SPARQLStore --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def remote_graph(endpoint):
    store = SPARQLStore(query_endpoint=endpoint)
    g = rdflib.Graph(store=store)
    yield g
    store.close()


def test_sparqlstore_select(remote_graph, expected_iso):
    res = remote_graph.query(SELECT_ISO)
    assert res.type == "SELECT"
    assert [str(r.iso) for r in res] == expected_iso


def test_sparqlstore_ask(remote_graph):
    assert remote_graph.query(ASK_NLD).askAnswer is True
    assert remote_graph.query(PROLOGUE + 'ASK { state:NLD r2p:iso3 "XXX" }').askAnswer is False


def test_sparqlstore_construct(remote_graph, expected_nld):
    res = remote_graph.query(CONSTRUCT_NLD)
    assert set(res.graph) == expected_nld


def test_sparqlstore_describe(remote_graph, expected_describe):
    res = remote_graph.query(DESCRIBE_NLD)
    assert set(res.graph) == expected_describe


def test_sparqlstore_triples_pattern(remote_graph):
    """Graph API calls become SPARQL queries against the endpoint."""
    assert remote_graph.value(NLD, R2P.iso3) == rdflib.Literal("NLD")
    assert (NLD, rdflib.RDF.type, R2P.State) in remote_graph


# -- Gephi-style RDF/XML, and the raw wire -------------------------------------------------------


def test_construct_as_rdfxml_like_gephi(endpoint, expected_nld):
    url = endpoint + "?" + urllib.parse.urlencode({"query": CONSTRUCT_NLD})
    req = urllib.request.Request(url, headers={"Accept": "application/rdf+xml"})
    with urllib.request.urlopen(req, timeout=20) as r:
        assert r.headers.get_content_type() == "application/rdf+xml"
        body = r.read()
    g = rdflib.Graph().parse(data=body, format="xml")
    assert set(g) == expected_nld
    assert g.value(NLD, rdflib.RDFS.label) == rdflib.Literal("Netherlands", lang="en")


def raw(live_server: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One request on a plain socket connection: no header the caller did not give."""
    u = urlsplit(live_server)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_protocol_errors_on_the_wire(live_server):
    status, headers, body = raw(live_server, "POST", "/sparql/", b"ASK {}")  # no Content-Type at all
    assert status == 415 and json.loads(body)["error"] == "UNSUPPORTED_MEDIA_TYPE"
    status, _, body = raw(live_server, "POST", "/sparql/", bytes.fromhex("fffe410053004b0020007b007d00"),
                          {"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert status == 415
    status, headers, body = raw(live_server, "PUT", "/sparql/?query=ASK%20%7B%7D", b"",
                                {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 405 and {"GET", "POST", "OPTIONS"} <= {m.strip() for m in headers["allow"].split(",")}
    status, headers, body = raw(live_server, "GET", "/sparql/?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
    assert status == 400
    status, headers, body = raw(live_server, "POST", "/sparql/", b"ASK {}",
                                {"Content-Type": "application/sparql-query"})
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
    assert json.loads(body)["boolean"] is True


# -- the timeout over real HTTP ------------------------------------------------------------------


def test_served_timeout(live_server, endpoint):
    """The live server runs with --timeout 3: a runaway query is stopped, the server stays healthy."""
    url = endpoint + "?" + urllib.parse.urlencode({"query": RUNAWAY})
    t0 = time.perf_counter()
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=30)
    elapsed = time.perf_counter() - t0
    err = info.value
    assert err.code == 503
    assert int(err.headers["Retry-After"]) > 0
    body = json.loads(err.read())
    assert body["error"] == "TIMEOUT" and body["timeout_s"] == 3
    assert 2.9 < elapsed < 4.5, elapsed
    with urllib.request.urlopen(live_server + "/healthz", timeout=5) as r:
        h = json.load(r)
    assert h["status"] == "ok" and h["workers_idle"] >= h["workers"] and h["workers_busy"] == 0
    w = wrapper(endpoint, ASK_NLD, JSON)
    assert w.query().convert()["boolean"] is True
