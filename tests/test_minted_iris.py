"""Every IRI the dataset mints dereferences (issue #14 item 6): the named graphs (a page with the
triple count; their content, equal to the dump's graph, by content negotiation) and the shapes IRI
VoID gives as dcterms:conformsTo (Turtle and a page)."""
from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from r2pkg.linked.rdfio import to_ox
from r2pkg.linked.void import SHAPES_IRI
from r2pkg.validate import load_shapes

BASE = "https://w3id.org/r2pkg/"


@pytest.fixture(scope="module")
def dump_graphs(app) -> dict[str, set]:
    quads = ox.parse(gzip.decompress(app.test_client().get("/dumps/r2pkg.nq.gz").data), format=ox.RdfFormat.N_QUADS)
    out: dict[str, set] = {}
    for q in quads:
        out.setdefault(q.graph_name.value, set()).add(q.triple)
    assert len(out) >= 15
    return out


def _graph(data: bytes, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=fmt)


def _rdflib(triples) -> rdflib.Graph:
    return _graph(ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), "nt")


@pytest.mark.slow  # every graph in four formats, some 2 s
def test_every_named_graph_dereferences(client, dump_graphs):
    for iri, triples in dump_graphs.items():
        assert iri.startswith(BASE + "graph/")
        path = "/" + iri[len(BASE):]
        r = client.get(path, headers={"Accept": "application/n-triples"})
        assert r.status_code == 200, (iri, r.data[:200])
        assert "Accept" in r.headers["Vary"] and 'rel="describedby"' in r.headers["Link"]
        assert isomorphic(_graph(r.data, "nt"), _rdflib(triples)), iri
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert f'<dd class="num" id="triples">{len(triples)}</dd>' in page.get_data(as_text=True)


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("ext,fmt", [("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml"), ("jsonld", "json-ld")])
def test_a_named_graph_in_every_format(client, dump_graphs, ext, fmt):
    iri = BASE + "graph/dialogue-2017/vote"
    r = client.get(f"/graph/dialogue-2017/vote.{ext}")
    assert r.status_code == 200
    data = r.data
    if ext == "jsonld":  # the context by URL: inline it (rdflib would fetch it)
        doc = json.loads(data)
        assert doc["@context"] == "http://localhost/context.jsonld"
        doc["@context"] = client.get("/context.jsonld").get_json()["@context"]
        data = json.dumps(doc).encode()
    assert isomorphic(_graph(data, fmt), _rdflib(dump_graphs[iri]))


def test_unknown_graph_is_404(client):
    assert client.get("/graph/nope", headers={"Accept": "text/turtle"}).status_code == 404


def test_the_shapes_dereference(client, root):
    void = _graph(client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data, "turtle")
    assert rdflib.URIRef(SHAPES_IRI) in set(void.objects(None, rdflib.URIRef("http://purl.org/dc/terms/conformsTo")))
    r = client.get("/" + SHAPES_IRI[len(BASE):], headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    # (through N-Triples: rdflib tells "x"^^xsd:string from "x", RDF 1.1 does not)
    assert isomorphic(_graph(r.data, "turtle"), _rdflib(to_ox(load_shapes(root / "shapes"))))
    page = client.get("/shapes", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "shapes:CountClaim" in page and "shapes:Ordinal" in page
    assert "a count claim has exactly one claimed value, a non-negative integer" in page
    assert client.get("/shapes.nt").mimetype == "application/n-triples"
