"""What the search index holds: one document per labelled resource, passage and quotation.

A document has the resource's IRI, its kind (a facet: state, group, initiative, meeting,
quotation, passage, person, organisation, class, property, other; from its asserted types, the
first of :data:`KINDS` that matches), its label, its alternative labels (``skos:altLabel``,
``skos:prefLabel``, ``foaf:name``, ``dcterms:title`` and, for ontology terms, the local name), its
text (a passage's exact words, a quotation's ``schema:text``), the year (a meeting's start, or
that of the event a fact is ``r2p:atEvent``) and the passage that evidences it, if any (the first
``prov:wasDerivedFrom`` passage, or the passage itself), for a link to that spot in the source.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..linked.iris import local_name
from ..namespaces import BASE

_R2P = BASE + "ontology#"
_ORG = "http://www.w3.org/ns/org#"
_OWL = "http://www.w3.org/2002/07/owl#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"

# (kind, the classes whose instances are of that kind); the first match wins
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("state", (_R2P + "State",)),
    ("group", (_R2P + "RegionalGroup", _R2P + "StateGrouping")),
    ("initiative", (_R2P + "Initiative",)),
    ("meeting", (_R2P + "Debate", _R2P + "Dialogue")),
    ("quotation", ("https://schema.org/Quotation",)),
    ("passage", (_R2P + "Passage",)),
    ("person", ("http://xmlns.com/foaf/0.1/Person",)),
    ("organisation", (_R2P + "IntergovernmentalOrganization", _R2P + "UNBody",
                      _R2P + "CivilSocietyOrganization", _ORG + "FormalOrganization")),
    ("class", (_OWL + "Class", _RDFS + "Class")),
    ("property", (_OWL + "ObjectProperty", _OWL + "DatatypeProperty", _OWL + "AnnotationProperty",
                  "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property")),
)
OTHER = "other"
KIND_NAMES: tuple[str, ...] = tuple(k for k, _ in KINDS) + (OTHER,)

DOCUMENTS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
SELECT ?iri (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT ?a; separator="\\n") AS ?alt)
       (SAMPLE(?t) AS ?text) (MIN(?y) AS ?year) (GROUP_CONCAT(DISTINCT STR(?type); separator=" ") AS ?types)
       (COALESCE(MIN(?self), MIN(?ev)) AS ?evidence)
WHERE {
  { ?iri rdfs:label ?l0 FILTER(isIRI(?iri)) } UNION { ?iri a r2p:Passage } UNION { ?iri a schema:Quotation }
  OPTIONAL { ?iri rdfs:label ?l FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }
  OPTIONAL { ?iri skos:altLabel|skos:prefLabel|foaf:name|dcterms:title ?a }
  OPTIONAL { ?iri schema:text ?t }
  OPTIONAL { ?iri oa:hasSelector/oa:exact ?t }
  OPTIONAL { ?iri a ?type }
  OPTIONAL { { ?iri schema:startDate ?d } UNION { ?iri r2p:atEvent/schema:startDate ?d }
             UNION { ?f prov:wasDerivedFrom ?iri ; r2p:atEvent/schema:startDate ?d }
             BIND(YEAR(?d) AS ?y) }
  OPTIONAL { ?iri prov:wasDerivedFrom ?ev . ?ev a r2p:Passage }
  OPTIONAL { ?iri a r2p:Passage BIND(?iri AS ?self) }
}
GROUP BY ?iri
"""
EVIDENCE = """
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?passage ?source ?start ?end WHERE {
  ?passage oa:hasSource ?source ; oa:hasSelector ?sel . ?sel oa:start ?start ; oa:end ?end .
}
"""


@dataclass(frozen=True)
class Document:
    iri: str
    kind: str
    label: str
    alt: str  # alternative labels, one a line
    text: str
    year: int | None
    evidence: tuple[str, str, int, int] | None  # (passage IRI, source IRI, start, end)


def kind_of(types: set[str]) -> str:
    for kind, classes in KINDS:
        if types.intersection(classes):
            return kind
    return OTHER


def documents(store: ox.Store) -> list[Document]:
    """Every document of the union default graph of ``store``, ordered by IRI."""
    from ..query import run

    evidence = {}
    for sol in run(store, EVIDENCE).raw:
        evidence[sol["passage"].value] = (sol["source"].value, int(sol["start"].value), int(sol["end"].value))
    out = []
    for sol in run(store, DOCUMENTS).raw:
        iri = sol["iri"].value

        def val(name: str) -> str:
            t = sol[name]
            return t.value if t is not None else ""

        kind = kind_of(set(val("types").split()))
        alt = [a for a in val("alt").split("\n") if a]
        if kind in ("class", "property"):
            alt.append(local_name(iri))
        label = val("label") or val("text")[:80] or local_name(iri)
        ev = val("evidence")
        year = val("year")
        out.append(Document(iri, kind, label, "\n".join(sorted(set(alt) - {label})), val("text"),
                            int(year) if year else None, (ev, *evidence[ev]) if ev in evidence else None))
    return sorted(out, key=lambda d: d.iri)
