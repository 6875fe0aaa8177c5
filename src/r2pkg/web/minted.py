"""The other IRIs the dataset mints: its named graphs (``/graph/…``) and its SHACL shapes
(``/shapes``, the IRI VoID gives as ``dcterms:conformsTo``).

A named graph's page describes it (its triple count, its place in VoID, a query over it); its RDF
representations, by content negotiation or extension, are its content, the triples the dump holds
in that graph. The shapes are served as they are built into the validation (every ``shapes/*.ttl``).
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from ..errors import UnsupportedFormat
from ..linked import UnknownResource, queries
from ..linked.iris import curie
from ..linked.rdfio import to_ox
from ..linked.void import SHAPES_IRI
from ..namespaces import SH
from .representations import (alternates, construct, embedded_jsonld, iri_map, represent, representation_named,
                              split_extension)
from .resources import not_acceptable, not_found
from .state import state
from .urls import external_for

bp = Blueprint("minted", __name__)
GRAPH_CONTENT = queries.ONTOLOGY_GRAPH  # CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?r { ?s ?p ?o } }


@bp.get("/graph/<path:rest>")
def graph(rest: str) -> Response:
    m = iri_map()
    stem, rep = split_extension("graph/" + rest)
    iri = m.iri(stem)
    if rep is not None and iri not in _graphs():
        stem, rep = "graph/" + rest, None  # the dot belongs to the IRI
        iri = m.iri(stem)
    if iri not in _graphs():
        raise UnknownResource(f"no named graph {iri}", iri=iri)
    base = request.script_root + "/" + stem

    def page(triples) -> str:
        sparql = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 100"
        return render_template("linked/graph.html", iri=iri, triples=len(triples), void=external_for("linked.void"),
                               sparql=external_for("sparql.endpoint"), query=sparql, alternates=alternates(base),
                               subjects=len({t.subject for t in triples}), jsonld=Markup(embedded_jsonld(
                                   _description(iri, len(triples)))))

    resp = represent("graph:" + iri, base, rep, lambda: construct(GRAPH_CONTENT, queries.iri_binding(iri)), page)
    resp.headers["Link"] += f', <{external_for("linked.void")}>; rel="describedby"; type="text/turtle"'
    return resp


def _graphs() -> dict[str, int]:
    """Named graph IRI -> triples, from the build's VoID statistics (embedded or remote store)."""
    from .linked import void_stats

    return void_stats().get("graphs", {})


def _description(iri: str, n: int):
    import pyoxigraph as ox

    sd = "http://www.w3.org/ns/sparql-service-description#"
    void = "http://rdfs.org/ns/void#"
    g = ox.NamedNode(iri)
    return [ox.Triple(g, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(sd + "Graph")),
            ox.Triple(g, ox.NamedNode(void + "triples"), ox.Literal(str(n), datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#integer")))]


@bp.get("/shapes")
def shapes() -> Response:
    return _shapes(None)


@bp.get("/shapes.<ext>")
def shapes_as(ext: str) -> Response:
    return _shapes(representation_named(ext, "the shapes"))


def _shapes(rep) -> Response:
    st = state()
    if st.res is None:
        raise UnknownResource("the shapes are not available without the resource folders", iri=SHAPES_IRI)
    base = request.script_root + "/shapes"

    def triples():
        from ..validate import load_shapes  # pyshacl only when the shapes are asked for

        return to_ox(load_shapes(st.res.shapes))

    def page(data) -> str:
        rows = _shape_rows(data)
        return render_template("linked/shapes.html", iri=SHAPES_IRI, rows=rows, alternates=alternates(base),
                               void=external_for("linked.void"))

    return represent("shapes:" + SHAPES_IRI, base, rep, triples, page)


def _shape_rows(data) -> list[dict]:
    """One row per node shape: name, label, severity, targets, property messages."""
    rdf_type, label = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label"
    by_subject: dict[object, dict[str, list]] = {}
    for t in data:
        by_subject.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)
    rows = []
    for s, props in by_subject.items():
        if not any(o.value == str(SH.NodeShape) for o in props.get(rdf_type, [])):
            continue
        targets = [curie(o.value) for k in ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode")
                   for o in props.get(str(SH) + k, [])]
        messages = [m.value for o in props.get(str(SH.property), []) for m in by_subject.get(o, {}).get(
            str(SH.message), [])] + [m.value for m in props.get(str(SH.message), [])]
        sev = [curie(o.value) for o in props.get(str(SH.severity), [])]
        name = "shapes:" + s.value[len(SHAPES_IRI) + 1:] if s.value.startswith(SHAPES_IRI + "#") else curie(s.value)
        rows.append({"name": name, "label": next((o.value for o in props.get(label, [])), ""),
                     "targets": targets, "severity": sev[0] if sev else "sh:Violation", "messages": messages})
    return sorted(rows, key=lambda r: r["name"])


bp.register_error_handler(UnknownResource, not_found)
bp.register_error_handler(UnsupportedFormat, not_acceptable)
