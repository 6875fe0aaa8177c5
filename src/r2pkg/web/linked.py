"""The dataset as linked data: the landing page, the ontology (documentation for browsers, its graph
for clients), class pages, the JSON-LD context, VoID and the dumps.

Dumps are served as ``application/gzip`` with ``Content-Disposition: attachment`` (no
``Content-Encoding``), so the bytes on the wire are the file whose SHA-256 is the strong ETag.
"""
from __future__ import annotations

import hashlib

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for
from markupsafe import Markup

from ..errors import UnsupportedFormat
from ..linked import UnknownResource, dumps, jsonld, queries
from ..linked import void as vd
from ..linked.iris import BY_IRI, curie, expand
from ..linked.rdfio import to_ox
from ..namespaces import BASE, graph_iri
from .conneg import negotiate
from .errors import error_response
from .representations import (alternates, construct, embedded_jsonld, init_app, iri_map, linked, rdf_body,
                              represent, representation_named, select, select_lexical, urls)
from .resources import not_acceptable, not_found
from .state import state
from .urls import external_for

bp = Blueprint("linked", __name__)
bp.record_once(lambda setup: init_app(setup.app))
EXAMPLES = {"id/state/CHL": "Chile (a state)", "id/event/iid-2017": "the 2017 Informal Interactive Dialogue",
            "id/stance/iid-2017/CHL/veto-restraint": "Chile's stance on veto restraint",
            "id/regional-group/latin-america-caribbean": "the Latin American and Caribbean Group",
            "id/concept/polarity/support": "the polarity concept 'support'"}


def void_stats() -> dict:
    """Build-time statistics, or (for a dataset without a build artefact) computed through the workers."""
    lk = linked()
    if lk.stats is None:
        lk.stats = vd.compute(select_lexical)
    return lk.stats


@bp.get("/")
def landing() -> Response:
    st = state()
    stats = void_stats()
    m = iri_map()
    examples = [(m.href(m.iri(p)), text) for p, text in EXAMPLES.items()] if linked().public_base == BASE else []
    sources = [(url_for("resources.source", source_id=s.rsplit("/", 1)[-1]), s) for s in stats.get("sources", [])]
    html = render_template("linked/landing.html", counts=vd.headline(stats), build_id=st.build_id,
                           examples=examples, sources=sources, dumps=_dump_links(),
                           graphs=len(stats.get("graphs", {})), queries=list(st.queries.values()))
    return Response(html, content_type="text/html; charset=utf-8")


# --- the ontology ---------------------------------------------------------------------------------

@bp.get("/ontology")
def ontology() -> Response:
    return _ontology(None)


@bp.get("/ontology.<ext>")
def ontology_as(ext: str) -> Response:
    return _ontology(representation_named(ext, "the ontology"))


def _ontology(rep) -> Response:
    lk = linked()
    doc = lk.build_path / "ontology.html" if lk.build_path else None
    base = request.script_root + "/ontology"

    def page(_triples) -> str:
        if doc is None or not doc.is_file():
            raise UnknownResource("the ontology documentation is not in this build")
        return doc.read_text(encoding="utf-8")

    return represent(str(graph_iri("ontology")), base, rep,
                     lambda: construct(queries.ONTOLOGY_GRAPH, queries.iri_binding(str(graph_iri("ontology")))), page)


# --- classes ----------------------------------------------------------------------------------------

@bp.get("/classes")
def classes() -> Response:
    vocab = linked().vocabulary()
    u = urls()
    rows = [(u.class_page(r["c"].value), vocab.get(r["c"].value) or curie(r["c"].value), curie(r["c"].value),
             int(r["n"].value)) for r in select(queries.CLASSES)]
    rows.sort(key=lambda r: (-r[3], r[1].lower()))
    return Response(render_template("linked/classes.html", rows=rows), content_type="text/html; charset=utf-8")


@bp.get("/classes/<key>")
def class_page(key: str) -> Response:
    iri = request.args.get("iri", "") if key == BY_IRI else expand(key)
    if not iri or "://" not in iri:
        raise UnknownResource(f"no class {key!r}")
    rows = select(queries.CLASS_INSTANCES, queries.iri_binding(iri))
    if not rows:
        raise UnknownResource(f"no class {curie(iri)} in the graph", iri=iri)
    m = iri_map()
    seen: dict[str, str] = {}
    blank: set[str] = set()
    for r in rows:
        if "s" in r and (r["s"].value not in seen or "label" in r):
            s = r["s"].value
            seen[s] = r["label"].value if "label" in r else _short(s)
            if isinstance(r["s"], ox.BlankNode):
                blank.add(s)
                seen[s] = f"_:{s}"
    instances = sorted(((None if s in blank else m.href(s), label, s) for s, label in seen.items()),
                       key=lambda x: (x[1].lower(), x[2]))
    vocab = linked().vocabulary()
    html = render_template("linked/class.html", iri=iri, curie=curie(iri), label=vocab.get(iri) or curie(iri),
                           doc=m.href(iri) if m.is_local(iri) else None, instances=instances)
    return Response(html, content_type="text/html; charset=utf-8")


def _short(iri: str) -> str:
    return iri[len(BASE) + 3:] if iri.startswith(BASE + "id/") else curie(iri)


# --- JSON-LD context, VoID, dumps ------------------------------------------------------------------

@bp.get("/context.jsonld")
def context() -> Response:
    st = state()
    resp = Response(jsonld.dumps(linked().context), content_type="application/ld+json")
    resp.set_etag(st.build_id + "-context")
    resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    return resp.make_conditional(request)


def _dump_links() -> list[tuple[str, str, dict]]:
    lk = linked()
    info = (lk.stats or {}).get("dumps", {})
    return [(url_for("linked.dump", name=n), n, info.get(n, {}))
            for n in dumps.NAMES if lk.build_path and (lk.build_path / dumps.FOLDER / n).is_file()]


@bp.get("/.well-known/void")
def void() -> Response:
    return _void(None)


@bp.get("/.well-known/void.<ext>")
def void_as(ext: str) -> Response:
    return _void(representation_named(ext, "the VoID description"))


def _void(rep) -> Response:
    stats = void_stats()
    dataset = external_for("linked.void")
    dump_urls = {external_for("linked.dump", name=n): vd.dump_media(n) for _, n, _ in _dump_links()}
    example = linked().public_base + next(iter(EXAMPLES)) if linked().public_base == BASE else None
    graph = vd.describe(stats, dataset=dataset, sparql=external_for("sparql.endpoint"),
                          dumps=dump_urls, uri_space=linked().public_base + "id/", example=example)
    triples = to_ox(graph)
    base = request.script_root + "/.well-known/void"

    def page(_t) -> str:
        return render_template("linked/void.html", stats=stats, counts=vd.headline(stats), dataset=dataset,
                               dumps=_dump_links(), jsonld=Markup(embedded_jsonld(triples)),
                               alternates=alternates(base), curie=curie)

    def rdf(data, fmt) -> bytes:  # rdflib's Turtle nests the partitions' blank nodes: easier to read
        return graph.serialize(format="turtle").encode("utf-8") if fmt.name == "turtle" else rdf_body(data, fmt)

    return represent("void:" + dataset, base, rep, lambda: triples, page, rdf)


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    lk = linked()
    path = lk.build_path / dumps.FOLDER / name if lk.build_path and name in dumps.NAMES else None
    if path is None or not path.is_file():
        raise UnknownResource(f"no dump {name!r}")
    media = vd.dump_media(name)
    if negotiate(request.headers.get("Accept"), [("application/gzip", "gz"), ("application/x-gzip", "gz"),
                                                  (media, "gz")], "gz") is None:
        resp = error_response("NOT_ACCEPTABLE", f"{name} is served as application/gzip (gzipped {media})", 406)
        resp.headers["Vary"] = "Accept"
        return resp
    info = ((lk.stats or {}).get("dumps") or {}).get(name) or {}
    tag = info.get("sha256") or _sha256(path)
    if request.if_none_match and request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        resp = Response(path.read_bytes(), content_type="application/gzip")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.set_etag(tag)
    resp.headers["Vary"] = "Accept"
    resp.headers["Cache-Control"] = f"public, max-age={state().settings['CACHE_MAX_AGE']}"
    resp.headers["X-R2pkg-Build"] = state().build_id
    resp.headers["Link"] = f'<{url_for("linked.void")}>; rel="describedby"; type="text/turtle"'
    return resp


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


bp.register_error_handler(UnknownResource, not_found)
bp.register_error_handler(UnsupportedFormat, not_acceptable)
