"""Content negotiation of the linked-data endpoints: resources, the ontology and VoID by Accept
(with q-values) and by extension; the dumps; the JSON-LD context."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from linked_util import BROWSER, parse_jsonld, same_graph
from rdflib import Graph

TARGETS = {
    "state": "/id/state/CHL",
    "passage": "/id/passage/000_8ce56a32bf916fdd/10934-11152",
    "concept": "/id/concept/polarity/support",
    "scheme": "/id/scheme/polarity",
    "ontology": "/ontology",
    "void": "/.well-known/void",
}
# Accept header -> (expected media type, rdflib parser or None for HTML)
ACCEPTS = {
    "text/html": ("text/html", None),
    BROWSER: ("text/html", None),
    "text/turtle": ("text/turtle", "turtle"),
    "application/ld+json": ("application/ld+json", "json-ld"),
    "application/n-triples": ("application/n-triples", "nt"),
    "application/rdf+xml": ("application/rdf+xml", "xml"),
    "*/*": ("text/turtle", "turtle"),
    None: ("text/turtle", "turtle"),
    "text/turtle;q=0.5, application/ld+json": ("application/ld+json", "json-ld"),
    "text/html;q=0.2, application/n-triples;q=0.9, */*;q=0.1": ("application/n-triples", "nt"),
    "application/x-turtle": ("text/turtle", "turtle"),
    "text/*": ("text/turtle", "turtle"),
    "application/*": ("application/ld+json", "json-ld"),
    "application/xhtml+xml": ("text/html", None),
}
EXTENSIONS = {"ttl": ("text/turtle", "turtle"), "jsonld": ("application/ld+json", "json-ld"),
              "nt": ("application/n-triples", "nt"), "rdf": ("application/rdf+xml", "xml"),
              "html": ("text/html", None)}


@pytest.fixture(scope="module")
def context(app):
    r = app.test_client().get("/context.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    return r.get_json()


def parse(body: bytes, parser: str, context: dict) -> Graph:
    if parser == "json-ld":
        doc = json.loads(body)
        assert doc["@context"] == "http://localhost/context.jsonld", "responses reference the context by URL"
        return parse_jsonld(body, context)
    return Graph().parse(data=body, format=parser)


@pytest.fixture(scope="module")
def reference(app):
    """Each target's graph as Turtle, the representation the others are compared with."""
    c = app.test_client()
    return {k: Graph().parse(data=c.get(p, headers={"Accept": "text/turtle"}).data, format="turtle")
            for k, p in TARGETS.items()}


@pytest.mark.parametrize("accept", list(ACCEPTS), ids=lambda a: str(a))
@pytest.mark.parametrize("target", list(TARGETS))
def test_negotiated(client, context, reference, target, accept):
    path = TARGETS[target]
    media, parser = ACCEPTS[accept]
    r = client.get(path, headers={"Accept": accept} if accept is not None else {})
    assert r.status_code == 200, r.data[:300]
    assert r.mimetype == media
    assert "Accept" in r.headers.get("Vary", "")
    ext = next(e for e, (m, _) in EXTENSIONS.items() if m == media)
    assert r.headers["Content-Location"] == f"{path}.{ext}"
    links = r.headers["Link"]
    for e in EXTENSIONS:
        assert f"<{path}.{e}>; rel=\"alternate\"" in links
    assert r.headers.get("ETag")
    if parser is None:
        assert b"<!doctype html>" in r.data[:100].lower()
        return
    g = parse(r.data, parser, context)
    assert len(g) > 0
    assert same_graph(g, reference[target])


@pytest.mark.parametrize("target", list(TARGETS))
def test_unacceptable_is_406(client, target):
    r = client.get(TARGETS[target], headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.get_json()["error"] == "NOT_ACCEPTABLE"
    assert "Accept" in r.headers.get("Vary", "")
    r = client.get(TARGETS[target], headers={"Accept": "text/turtle;q=0, text/html;q=0, application/json"})
    assert r.status_code == 406


@pytest.mark.parametrize("ext", list(EXTENSIONS))
@pytest.mark.parametrize("target", list(TARGETS))
def test_extension(client, context, reference, target, ext):
    path = TARGETS[target]
    media, parser = EXTENSIONS[ext]
    # an explicit extension is one representation: the Accept header does not change it
    r = client.get(f"{path}.{ext}", headers={"Accept": "image/png"})
    assert r.status_code == 200
    assert r.mimetype == media
    assert "Accept" not in r.headers.get("Vary", "")
    assert "Content-Location" not in r.headers
    if parser:
        assert same_graph(parse(r.data, parser, context), reference[target])


def test_etag_304(client):
    r = client.get("/id/state/CHL", headers={"Accept": "text/turtle"})
    tag = r.headers["ETag"]
    again = client.get("/id/state/CHL", headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    html = client.get("/id/state/CHL", headers={"Accept": "text/html", "If-None-Match": tag})
    assert html.status_code == 200, "the ETag names one representation"


def test_resource_rdf_is_its_concise_bounded_description(client, dataset):
    g = Graph().parse(data=client.get("/id/passage/000_8ce56a32bf916fdd/10934-11152.ttl").data, format="turtle")
    base = "https://w3id.org/r2pkg/id/passage/000_8ce56a32bf916fdd/10934-11152"
    subjects = {str(s) for s in g.subjects()}
    # its own triples and its selectors' (sub-resources), the incoming links, labels of neighbours
    assert {base, base + "/quote", base + "/position"} <= subjects
    exact = [str(o) for s, p, o in g if str(p) == "http://www.w3.org/ns/oa#exact"]
    assert exact and "Chile, Ghana and Costa Rica" in exact[0]
    assert "https://w3id.org/r2pkg/id/stance/iid-2017/CHL/veto-restraint" in subjects
    # every own triple of the store is there
    own = set(dataset.store.quads_for_pattern(ox.NamedNode(base), None, None))
    assert len({(q.predicate.value, str(q.object)) for q in own}) == len(list(g.predicate_objects(
        next(s for s in g.subjects() if str(s) == base))))


@pytest.mark.parametrize("name,media,count", [("r2pkg.nq.gz", "application/n-quads", "triples"),
                                              ("r2pkg.trig.gz", "application/trig", "triples"),
                                              ("r2pkg.ttl.gz", "text/turtle", "triples")])
@pytest.mark.parametrize("accept,status", [(None, 200), ("*/*", 200), ("application/gzip", 200),
                                           ("application/*", 200), ("text/html", 406)])
def test_dump_conneg(client, name, media, count, accept, status):
    r = client.get(f"/dumps/{name}", headers={"Accept": accept} if accept else {})
    assert r.status_code == status
    assert "Accept" in r.headers.get("Vary", "")
    if status == 200:
        assert r.mimetype == "application/gzip"
        assert "Content-Encoding" not in r.headers
        assert r.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    # the dump's own RDF type is acceptable too (it is that RDF, gzipped)
    assert client.get(f"/dumps/{name}", headers={"Accept": media}).status_code == 200


def test_context_document(context):
    ctx = context["@context"]
    assert ctx["r2p"] == "https://w3id.org/r2pkg/ontology#"
    assert ctx["label"] == "rdfs:label"
    assert ctx["supports"] == {"@id": "r2p:supports", "@type": "@id"}
    assert ctx["iso3"] == "r2p:iso3"
    assert ctx["State"] == "r2p:State"
    from r2pkg.namespaces import PREFIXES

    assert all(ctx[p] == ns for p, ns in PREFIXES.items())
