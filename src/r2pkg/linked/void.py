"""VoID: the dataset's statistics (computed once per build) and its description (rendered per
request, because the endpoint and dump URLs depend on where the server runs).

Counts are over the union of the named graphs (the endpoint's default graph): ``triples`` are
distinct triples, ``entities`` the distinct IRI subjects under the URI space ``…/id/``.
"""
from __future__ import annotations

from typing import Callable

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, XSD

from ..entailment import ENTAILMENT_GRAPH
from ..namespaces import BASE, ID, ONTOLOGY_IRI, PREFIXES, R2P, SH, sparql_prologue
from ..formats import BY_NAME

VOID = Namespace("http://rdfs.org/ns/void#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = "http://www.w3.org/ns/formats/"
SHAPES_IRI = BASE + "shapes"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
IANA = "http://www.iana.org/assignments/media-types/"

ENTAILMENT_DESCRIPTION = (
    "Entailments of the ontology's RDFS and OWL RL axioms (sub-classes, sub-properties, domains, ranges, "
    "inverse and symmetric properties, property chains) over the other graphs, materialised at build time; "
    "only triples no other graph states. Part of the default (union) graph; a query that names its dataset "
    "(FROM, default-graph-uri) without this graph sees the stated triples only.")
_P = sparql_prologue()
_SPACE = str(ID)
# name -> SELECT returning ?n (a number), or ?k ?n pairs for partitions. Constants only (no user values).
STAT_QUERIES: dict[str, str] = {
    "triples": _P + "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
    "entities": _P + f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{_SPACE}")) }}',
    "distinctSubjects": _P + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
    "distinctObjects": _P + "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
    "properties": _P + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }",
    "classes": _P + "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }",
}
PARTITION_QUERIES: dict[str, str] = {
    "classPartition": _P + "SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?k FILTER(isIRI(?k)) } GROUP BY ?k",
    "propertyPartition": _P + "SELECT ?k (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?k ?o WHERE { ?s ?k ?o } } GROUP BY ?k",
    "graphs": _P + "SELECT ?k (COUNT(*) AS ?n) WHERE { GRAPH ?k { ?s ?p ?o } } GROUP BY ?k",
    "sources": _P + "SELECT ?k (0 AS ?n) WHERE { ?k a r2p:SourceText }",
}

Select = Callable[[str], list[dict[str, str]]]  # runs a SELECT, returns rows of {var: lexical value}


def compute(select: Select) -> dict:
    """The statistics, from a function that runs SELECT queries (at build time: on the new store)."""
    stats: dict[str, object] = {}
    for name, q in STAT_QUERIES.items():
        stats[name] = int(select(q)[0]["n"])
    for name, q in PARTITION_QUERIES.items():
        rows = select(q)
        stats[name] = dict(sorted((r["k"], int(r["n"])) for r in rows))
    stats["sources"] = sorted(stats["sources"])  # type: ignore[arg-type]
    stats["uriSpace"] = _SPACE
    return stats


def headline(stats: dict) -> dict[str, int]:
    """The counts the landing page shows."""
    cp = stats.get("classPartition", {})
    return {"triples": stats.get("triples", 0), "states": cp.get(str(R2P.State), 0),
            "statements": cp.get(str(R2P.Statement), 0), "stances": cp.get(str(R2P.Stance), 0),
            "passages": cp.get(str(R2P.Passage), 0), "entities": stats.get("entities", 0)}


def describe(stats: dict, *, dataset: str, sparql: str, dumps: dict[str, str], uri_space: str,
             example: str | None = None) -> Graph:
    """The VoID description. ``dumps``: dump URL -> media type of the (gunzipped) content."""
    g = Graph(bind_namespaces="none")
    for p, ns in {**PREFIXES, "void": str(VOID), "dqv": str(DQV), "dcat": str(DCAT), "sh": str(SH)}.items():
        g.bind(p, ns)
    d = URIRef(dataset)
    add = g.add
    add((d, RDF.type, VOID.Dataset))
    add((d, DCTERMS.title, Literal("r2pkg: the UN General Assembly's R2P debates as a knowledge graph", lang="en")))
    add((d, DCTERMS.description, Literal(
        "Who spoke, for whom, what they said and which initiatives they backed at the UN General Assembly's "
        "dialogues on the Responsibility to Protect, every fact tied to the sentence of the source that "
        "states it.", lang="en")))
    add((d, DCTERMS.license, URIRef(LICENSE)))
    built = stats.get("built_at")
    if built:
        add((d, DCTERMS.created, Literal(built, datatype=XSD.dateTime)))
        add((d, DCTERMS.modified, Literal(built, datatype=XSD.dateTime)))
    if stats.get("build_id"):
        add((d, DCTERMS.identifier, Literal(stats["build_id"])))
    for s in stats.get("sources", []):
        add((d, DCTERMS.source, URIRef(s)))
    add((d, VOID.sparqlEndpoint, URIRef(sparql)))
    add((d, VOID.uriSpace, Literal(uri_space)))
    add((d, VOID.vocabulary, ONTOLOGY_IRI))
    add((d, VOID.feature, URIRef(FORMATS_NS + "Turtle")))
    if example:
        add((d, VOID.exampleResource, URIRef(example)))
    for name in ("triples", "entities", "classes", "properties", "distinctSubjects", "distinctObjects"):
        if name in stats:
            add((d, VOID[name], Literal(int(stats[name]))))
    for url, media in sorted(dumps.items()):
        u = URIRef(url)
        add((d, VOID.dataDump, u))
        add((u, DCAT.mediaType, URIRef(IANA + media)))
        add((u, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
    for cls, n in sorted(stats.get("classPartition", {}).items()):
        part = BNode()
        add((d, VOID.classPartition, part))
        add((part, VOID["class"], URIRef(cls)))
        add((part, VOID.entities, Literal(n)))
    for prop, n in sorted(stats.get("propertyPartition", {}).items()):
        part = BNode()
        add((d, VOID.propertyPartition, part))
        add((part, VOID.property, URIRef(prop)))
        add((part, VOID.triples, Literal(n)))
    for graph, n in sorted(stats.get("graphs", {}).items()):
        sub = BNode()
        add((d, VOID.subset, sub))
        add((sub, RDF.type, VOID.Dataset))
        add((sub, SD.name, URIRef(graph)))
        add((sub, VOID.triples, Literal(n)))
        if graph == str(ENTAILMENT_GRAPH):
            add((sub, DCTERMS.description, Literal(ENTAILMENT_DESCRIPTION, lang="en")))
    _conformance(g, d, stats.get("validation") or {})
    return g


def _conformance(g: Graph, d: URIRef, validation: dict) -> None:
    """SHACL conformance: dcterms:conformsTo the shapes, and the report's counts as DQV measurements."""
    if not validation:
        return
    if validation.get("conforms"):
        g.add((d, DCTERMS.conformsTo, URIRef(SHAPES_IRI)))
    report = BNode()
    g.add((d, DQV.hasQualityMetadata, report))
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(bool(validation.get("conforms")))))
    g.add((report, SH.shapesGraph, URIRef(SHAPES_IRI)))
    for severity in ("Violation", "Warning", "Info"):
        if severity in validation:
            m, metric = BNode(), BNode()
            g.add((d, DQV.hasQualityMeasurement, m))
            g.add((m, RDF.type, DQV.QualityMeasurement))
            g.add((m, DQV.isMeasurementOf, metric))
            g.add((m, DQV.value, Literal(int(validation[severity]))))
            g.add((metric, RDF.type, DQV.Metric))
            g.add((metric, RDFS.label, Literal(f"number of SHACL results of severity sh:{severity}", lang="en")))
            g.add((metric, DQV.expectedDataType, XSD.integer))
    consistency = validation.get("consistency")
    if consistency:
        g.add((report, RDFS.comment, Literal(f"OWL consistency check: {consistency}", lang="en")))


def dump_media(name: str) -> str:
    """The media type of a dump's gunzipped content, from its file name (``r2pkg.nq.gz``)."""
    ext = name.removesuffix(".gz").rsplit(".", 1)[-1]
    return {"nq": BY_NAME["nquads"], "trig": BY_NAME["trig"], "ttl": BY_NAME["turtle"]}[ext].media_type
