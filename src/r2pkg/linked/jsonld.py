"""The r2pkg JSON-LD ``@context`` (generated from the ontology) and JSON-LD output compacted with it.

The context holds every prefix of :data:`r2pkg.namespaces.PREFIXES`, a short key for every r2p
class and property (object properties coerce their values to IRIs), and a few common annotation
keys (``label``, ``comment``, ...). Responses reference the context by URL; pages embed it inline.
"""
from __future__ import annotations

import json
import re
from typing import Iterable

import pyoxigraph as ox
from rdflib import Graph
from rdflib.plugins.serializers.jsonld import from_rdf
from rdflib.namespace import OWL, RDF

from ..namespaces import DCTERMS, PREFIXES, R2P, RDFS, SKOS
from .rdfio import sorted_triples, to_rdflib

# Short keys for common annotations: key -> (IRI, values are IRIs?)
COMMON = {
    "label": (RDFS.label, False),
    "comment": (RDFS.comment, False),
    "seeAlso": (RDFS.seeAlso, True),
    "isDefinedBy": (RDFS.isDefinedBy, True),
    "prefLabel": (SKOS.prefLabel, False),
    "altLabel": (SKOS.altLabel, False),
    "definition": (SKOS.definition, False),
    "notation": (SKOS.notation, False),
    "inScheme": (SKOS.inScheme, True),
    "title": (DCTERMS.title, False),
    "description": (DCTERMS.description, False),
}


def _compact(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and prefix != "id":
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def make_context(ontology: Graph) -> dict:
    """The ``{"@context": {...}}`` document for ``ontology`` (the r2p TBox graph)."""
    ctx: dict[str, object] = dict(PREFIXES)
    for key, (iri, is_ref) in COMMON.items():
        ctx[key] = {"@id": _compact(str(iri)), "@type": "@id"} if is_ref else _compact(str(iri))
    ns = str(R2P)
    terms: dict[str, object] = {}
    for s in sorted(set(ontology.subjects(RDF.type, None))):
        iri = str(s)
        if not iri.startswith(ns) or iri == ns:
            continue
        name = iri[len(ns):]
        if name in ctx or name in PREFIXES:
            continue  # never shadow a prefix or a common key
        types = set(ontology.objects(s, RDF.type))
        if OWL.ObjectProperty in types:
            terms[name] = {"@id": f"r2p:{name}", "@type": "@id"}
        elif types & {OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.Class, RDFS.Class}:
            terms[name] = f"r2p:{name}"
    ctx.update(sorted(terms.items()))
    return {"@context": ctx}


def canonical(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples with blank nodes relabelled by RDFC-1.0 (stable labels, so stable output)."""
    triples = list(triples)
    if not any(isinstance(t, ox.BlankNode) for tr in triples for t in (tr.subject, tr.object)):
        return triples
    ds = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in ds]


def prepared(context: dict):
    """``context`` read once as rdflib's JSON-LD context object, to pass to :func:`compact` for
    every document (reading it is a tenth of a resource page's time). Only read afterwards, so
    threads may share it."""
    from rdflib.plugins.shared.jsonld.context import Context

    return Context(context["@context"])


def compact(triples: Iterable[ox.Triple], context: dict, parsed=None) -> dict:
    """The triples as a JSON-LD document compacted with ``context`` (inline ``@context``), its
    nodes in a stable order. ``parsed``: ``prepared(context)``, when the caller keeps one."""
    g = to_rdflib(sorted_triples(canonical(triples)))
    # what Graph.serialize(format="json-ld", auto_compact=True) builds, without its text round trip:
    # it calls from_rdf with native JSON numbers and booleans (its use_native_types is the truthy
    # tuple (False,)) and writes the keys sorted
    doc = _keys_sorted(from_rdf(g, parsed if parsed is not None else context["@context"], base=None,
                                use_native_types=True, use_rdf_type=False, auto_compact=True))
    if isinstance(doc, list):  # rdflib returns a bare list for an empty graph
        doc = {"@context": context["@context"], "@graph": doc}
    elif "@context" in doc:  # the context as given, not rdflib's re-reading of it
        doc["@context"] = context["@context"]
    if isinstance(doc.get("@graph"), list):
        doc["@graph"].sort(key=_node_order)
    return doc


def _keys_sorted(value):
    """``value`` with the keys of every object in sorted order (as ``json.dumps(sort_keys=True)``)."""
    if isinstance(value, dict):
        return {k: _keys_sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_keys_sorted(v) for v in value]
    return value


def _node_order(node: dict) -> tuple[str, str]:
    """Nodes by ``@id`` (each node of a compacted graph has its own), the whole node only for one
    without: the order a sort by the serialised node gives, without serialising every node."""
    if "@id" in node:
        return node["@id"], ""
    return "", json.dumps(node, sort_keys=True, ensure_ascii=False)


def with_context_url(doc: dict, url: str) -> dict:
    """``doc`` with its inline context replaced by a reference to ``url``."""
    return {"@context": url, **{k: v for k, v in doc.items() if k != "@context"}}


def dumps(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


_OPENERS = re.compile(r"<(?=!--|script)", re.IGNORECASE)


def script_safe(doc: dict) -> str:
    """JSON for a ``<script type="application/ld+json">`` element: ``</`` is written ``<\\/`` so no
    ``</script>`` closes it, and ``<!--`` / ``<script`` as ``\\u003c…`` so none switches the HTML
    parser into its escaped script states. Still the same JSON."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return _OPENERS.sub(r"\\u003c", text.replace("</", "<\\/"))
