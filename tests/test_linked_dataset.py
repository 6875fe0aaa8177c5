"""The dataset as a whole: build-time artefacts (reproducible), the dumps, and the VoID description."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pyoxigraph as ox
import pytest
from linked_util import BROWSER, parse_jsonld, same_graph
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from r2pkg.linked import artefacts, dumps

VOID = Namespace("http://rdfs.org/ns/void#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
R2P = Namespace("https://w3id.org/r2pkg/ontology#")


def test_build_writes_the_artefacts(built):
    assert artefacts.missing(built.path) == []
    stats = json.loads((built.path / artefacts.STATS).read_text())
    assert stats["build_id"] == built.manifest["build_id"]
    assert stats["validation"] == built.manifest["validation"]
    assert set(stats["dumps"]) == set(dumps.NAMES)


def test_artefacts_are_reproducible_across_processes(built, tmp_path):
    """Same build, another process with another hash seed: byte-identical files."""
    out = tmp_path / "again"
    out.mkdir()
    code = ("import json, sys; from pathlib import Path; from r2pkg.linked import artefacts; "
            "b = Path(sys.argv[1]); artefacts.generate(Path(sys.argv[2]), (b / 'dataset.nq').read_bytes(), "
            "json.loads((b / 'manifest.json').read_text()))")
    subprocess.run([sys.executable, "-c", code, str(built.path), str(out)], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    for f in artefacts.FILES:
        assert (out / f).read_bytes() == (built.path / f).read_bytes(), f


def test_ensure_adds_artefacts_to_an_older_build(built, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(built.path, old)
    shutil.rmtree(old / dumps.FOLDER)
    (old / artefacts.ONTOLOGY_HTML).unlink()
    assert artefacts.ensure(old, old / "dataset.nq", built.manifest) is True
    assert artefacts.missing(old) == []
    assert (old / artefacts.ONTOLOGY_HTML).read_bytes() == (built.path / artefacts.ONTOLOGY_HTML).read_bytes()
    assert artefacts.ensure(old, old / "dataset.nq", built.manifest) is False
    assert not [p for p in old.iterdir() if p.name.startswith(".linked-")]


@pytest.mark.parametrize("name", dumps.NAMES)
def test_dump_parses_to_the_build(client, built, name):
    r = client.get(f"/dumps/{name}")
    assert r.status_code == 200 and r.mimetype == "application/gzip"
    body = r.data
    assert body[:2] == b"\x1f\x8b" and body[4:8] == b"\0\0\0\0", "gzip header mtime is 0"
    assert r.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    data = gzip.decompress(body)
    fmt = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "ttl": ox.RdfFormat.TURTLE}[name.split(".")[1]]
    statements = list(ox.parse(data, format=fmt))
    stats = json.loads((built.path / artefacts.STATS).read_text())
    if fmt == ox.RdfFormat.TURTLE:  # the union of all graphs
        assert len(set(statements)) == len(statements) == stats["triples"]
    else:
        assert len(set(statements)) == len(statements) == built.manifest["triples"]
        graphs = {}
        for q in statements:
            graphs[q.graph_name.value] = graphs.get(q.graph_name.value, 0) + 1
        assert graphs == built.manifest["graphs"]
    # a strong ETag: the same bytes answer 304 to If-None-Match
    again = client.get(f"/dumps/{name}", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"/dumps/{name}", headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.fixture(scope="module")
def void(app):
    r = app.test_client().get("/.well-known/void")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    assert "Accept" in r.headers["Vary"]
    return Graph().parse(data=r.data, format="turtle")


def test_void_statistics(void, built, dataset):
    d = URIRef("http://localhost/.well-known/void")
    assert (d, RDF.type, VOID.Dataset) in void
    value = lambda p: void.value(d, p).toPython()  # noqa: E731
    q = lambda s: int(next(iter(dataset.store.query(s, use_default_graph_as_union=True)))["n"].value)  # noqa: E731
    assert value(VOID.triples) == built.manifest["triples"] == q("SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }")
    assert value(VOID.entities) == q('SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o FILTER(isIRI(?s) && '
                                     'STRSTARTS(STR(?s), "https://w3id.org/r2pkg/id/")) }')
    assert value(VOID.classes) == q("SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }")
    assert value(VOID.properties) == q("SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }")
    assert value(VOID.distinctSubjects) == q("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }")
    assert value(VOID.distinctObjects) == q("SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }")
    parts = {void.value(p, VOID["class"]): void.value(p, VOID.entities).toPython()
             for p in void.objects(d, VOID.classPartition)}
    assert parts[R2P.State] == 195 and len(parts) == value(VOID.classes)
    props = {void.value(p, VOID.property): void.value(p, VOID.triples).toPython()
             for p in void.objects(d, VOID.propertyPartition)}
    assert len(props) == value(VOID.properties) and sum(props.values()) == value(VOID.triples)
    subsets = {void.value(s, URIRef("http://www.w3.org/ns/sparql-service-description#name")):
               void.value(s, VOID.triples).toPython() for s in void.objects(d, VOID.subset)}
    assert {str(k): v for k, v in subsets.items()} == built.manifest["graphs"]


def test_void_links_and_metadata(void, built):
    d = URIRef("http://localhost/.well-known/void")
    assert void.value(d, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")
    assert void.value(d, VOID.uriSpace) == Literal("https://w3id.org/r2pkg/id/")
    assert set(void.objects(d, VOID.dataDump)) == {URIRef(f"http://localhost/dumps/{n}") for n in dumps.NAMES}
    assert void.value(d, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert URIRef("https://w3id.org/r2pkg/id/source/000_8ce56a32bf916fdd") in set(void.objects(d, DCTERMS.source))
    built_at = built.manifest["built_at"][:10]
    assert str(void.value(d, DCTERMS.created)).startswith(built_at)
    assert str(void.value(d, DCTERMS.modified)).startswith(built_at)
    assert void.value(d, DCTERMS.conformsTo) == URIRef("https://w3id.org/r2pkg/shapes")
    counts = {}
    for m in void.objects(d, DQV.hasQualityMeasurement):
        label = str(void.value(void.value(m, DQV.isMeasurementOf), URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        counts[label.rsplit(":", 1)[1]] = void.value(m, DQV.value).toPython()
    v = built.manifest["validation"]
    assert counts == {"Violation": v["Violation"], "Warning": v["Warning"], "Info": v["Info"]}


def test_void_representations_agree(client, void):
    ctx = client.get("/context.jsonld").get_json()
    ld = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert ld.mimetype == "application/ld+json"
    assert same_graph(parse_jsonld(ld.data, ctx), void)
    nt = client.get("/.well-known/void.nt")
    assert same_graph(Graph().parse(data=nt.data, format="nt"), void)
    page = client.get("/.well-known/void", headers={"Accept": BROWSER})
    assert page.mimetype == "text/html" and "VoID description" in page.get_data(as_text=True)
