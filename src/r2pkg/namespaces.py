"""Namespaces and IRI patterns of r2pkg: the one place they are spelled out."""
from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/r2pkg/"
R2P = Namespace(BASE + "ontology#")
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
ORG = Namespace("http://www.w3.org/ns/org#")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")
WD = Namespace("http://www.wikidata.org/entity/")

PREFIXES: dict[str, str] = {
    "r2p": str(R2P),
    "id": str(ID),
    "state": str(ID) + "state/",
    "org": str(ORG),
    "prov": str(PROV),
    "skos": str(SKOS),
    "oa": str(OA),
    "schema": str(SCHEMA),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "vann": str(VANN),
    "wd": str(WD),
}


def sparql_prologue() -> str:
    """PREFIX declarations for every namespace in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def graph_iri(name: str) -> URIRef:
    """The named-graph IRI for a graph name such as ``ontology`` or ``dialogue-2017``."""
    return GRAPH[name]


def passage_iri(source_id: str, start: int, end: int) -> URIRef:
    """Passage IRIs are derived from their offsets, so one span has exactly one IRI."""
    return ID[f"passage/{source_id}/{start}-{end}"]


def source_iri(source_id: str) -> URIRef:
    return ID[f"source/{source_id}"]
