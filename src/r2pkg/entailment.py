"""Entailments served with the data: the RDFS and OWL RL rules the ontology's axioms call for,
materialised at build time into a named graph of their own (:data:`ENTAILMENT_GRAPH`).

The rules (names from the OWL 2 RL rule tables) read their axioms from the TBox (ontology/r2p.ttl
and ontology/imports/external.ttl) and apply to the instance data (every other graph):

- ``cax-sco``  ``x a C``, ``C rdfs:subClassOf+ D``            ⇒ ``x a D``
- ``prp-spo1`` ``x P y``, ``P rdfs:subPropertyOf+ Q``         ⇒ ``x Q y``
- ``prp-dom``  ``x P y``, ``P rdfs:domain C``                 ⇒ ``x a C``
- ``prp-rng``  ``x P y``, ``P rdfs:range C``, ``y`` not a literal ⇒ ``y a C``
- ``prp-inv``  ``x P y``, ``P owl:inverseOf Q`` (either way)  ⇒ ``y Q x``
- ``prp-symp`` ``x P y``, ``P a owl:SymmetricProperty``      ⇒ ``y P x``
- ``prp-spo2`` ``x P1 … Pn y``, ``Q owl:propertyChainAxiom (P1 … Pn)`` (a step may be
  ``[ owl:inverseOf P ]``) ⇒ ``x Q y``

applied until nothing new follows. Only triples that no input graph states are kept, so the graph
holds exactly what the data does not say itself (and nothing about blank nodes, which are local to
their graph); TBox-level entailments (the closure of
``rdfs:subClassOf`` itself) are not materialised (query them with ``rdfs:subClassOf*``). Every
rule is one of OWL 2 RL's, so the result is a subset of what :func:`r2pkg.validate.owlrl_errors`'
closure derives (a test compares the two).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from .namespaces import graph_iri

ENTAILMENT_GRAPH_NAME = "entailments"
ENTAILMENT_GRAPH = graph_iri(ENTAILMENT_GRAPH_NAME)

Triple = tuple


def _closure(pairs: Iterable[tuple[URIRef, URIRef]]) -> dict[URIRef, set[URIRef]]:
    """Reflexive-free transitive closure: a -> every b with a R+ b."""
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in pairs:
        if a != b:
            direct[a].add(b)
    out: dict[URIRef, set[URIRef]] = {}
    for a in list(direct):
        seen: set[URIRef] = set()
        todo = list(direct[a])
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(direct.get(b, ()))
        seen.discard(a)
        out[a] = seen
    return out


class Rules:
    """The axioms of a TBox, indexed for the rules above."""

    def __init__(self, tbox: Graph):
        iri = lambda t: isinstance(t, URIRef)  # noqa: E731
        self.superclasses = _closure((a, b) for a, b in tbox.subject_objects(RDFS.subClassOf) if iri(a) and iri(b))
        self.superproperties = _closure(
            (a, b) for a, b in tbox.subject_objects(RDFS.subPropertyOf) if iri(a) and iri(b))
        self.domains: dict[URIRef, set[URIRef]] = defaultdict(set)
        for p, c in tbox.subject_objects(RDFS.domain):
            if iri(p) and iri(c):
                self.domains[p].add(c)
        self.ranges: dict[URIRef, set[URIRef]] = defaultdict(set)
        for p, c in tbox.subject_objects(RDFS.range):
            if iri(p) and iri(c) and (p, RDF.type, OWL.DatatypeProperty) not in tbox:
                self.ranges[p].add(c)
        self.inverses: dict[URIRef, set[URIRef]] = defaultdict(set)
        for p, q in tbox.subject_objects(OWL.inverseOf):
            if iri(p) and iri(q):
                self.inverses[p].add(q)
                self.inverses[q].add(p)
        self.symmetric = {p for p in tbox.subjects(RDF.type, OWL.SymmetricProperty) if iri(p)}
        self.chains: list[tuple[URIRef, list[tuple[URIRef, bool]]]] = []
        for q, head in tbox.subject_objects(OWL.propertyChainAxiom):
            steps = []
            for step in Collection(tbox, head):
                if isinstance(step, BNode):
                    steps.append((tbox.value(step, OWL.inverseOf), True))
                else:
                    steps.append((step, False))
            self.chains.append((q, steps))

    def _types(self, c: URIRef) -> set[URIRef]:
        return {c} | self.superclasses.get(c, set())

    def step(self, g: Graph, new: Iterable[Triple]) -> set[Triple]:
        """What the rules derive from the triples ``new`` (with the rest of ``g``)."""
        out: set[Triple] = set()
        for s, p, o in new:
            if p == RDF.type:
                for d in self.superclasses.get(o, ()):
                    out.add((s, RDF.type, d))
                continue
            for q in self.superproperties.get(p, ()):
                out.add((s, q, o))
            for c in self.domains.get(p, ()):
                out |= {(s, RDF.type, d) for d in self._types(c)}
            if not isinstance(o, Literal):
                for c in self.ranges.get(p, ()):
                    out |= {(o, RDF.type, d) for d in self._types(c)}
                for q in self.inverses.get(p, ()):
                    out.add((o, q, s))
                if p in self.symmetric:
                    out.add((o, p, s))
        return out

    def chain_step(self, g: Graph) -> set[Triple]:
        out: set[Triple] = set()
        for q, steps in self.chains:
            frontier: set[tuple] = {(s, s) for s in set(g.subjects()) | set(g.objects()) if not isinstance(s, Literal)}
            for prop, inverse in steps:
                nxt = set()
                for start, here in frontier:
                    targets = g.subjects(prop, here) if inverse else g.objects(here, prop)
                    nxt |= {(start, t) for t in targets if not isinstance(t, Literal)}
                frontier = nxt
            out |= {(s, q, o) for s, o in frontier}
        return out


def entailments(tbox: Graph, abox: Graph) -> Graph:
    """The triples the rules derive from ``abox`` under ``tbox`` that ``abox`` does not state."""
    rules = Rules(tbox)
    g = Graph()
    g += abox
    new: set[Triple] = set(g)
    while True:
        derived = {t for t in rules.step(g, new) if t not in g}
        if not derived and rules.chains:
            derived = {t for t in rules.chain_step(g) if t not in g}
        if not derived:
            break
        for t in derived:
            g.add(t)
        new = derived
    out = Graph()
    for t in g:  # blank nodes are local to their graph: a triple about one would mean nothing elsewhere
        if t not in abox and not isinstance(t[0], BNode) and not isinstance(t[2], BNode):
            out.add(t)
    return out
