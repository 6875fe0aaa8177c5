"""Dereferenceable IRIs and the readable source: ``/id/…`` and ``/ontology/…`` (every IRI the graph
mints, as an HTML page with its evidence or as RDF) and ``/sources/<id>`` (the stored source text
with every cited passage anchored and highlighted)."""
from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from ..errors import UnsupportedFormat
from ..linked import UnknownResource, queries, sourceview, views
from ..provenance import SOURCE_SUFFIX, read_source
from .conneg import wants_html
from .errors import error_response
from .representations import (alternates, construct, embedded_jsonld, iri_map, linked, represent, select,
                              split_extension, urls)
from .state import state

bp = Blueprint("resources", __name__)
SOURCE_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}")  # bounded: a longer name is no file name


def describe(iri: str) -> list:
    """The resource's concise bounded description (cached per build by the answer cache)."""
    return construct(queries.DESCRIBE, queries.iri_binding(iri))


@bp.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    return dereference("id/" + rest)


@bp.get("/ontology/<path:rest>")
def ontology_resource(rest: str) -> Response:
    return dereference("ontology/" + rest)


def dereference(path: str) -> Response:
    m = iri_map()
    stem, rep = split_extension(path)
    if rep is not None and not describe(m.iri(stem)):
        stem, rep = path, None  # the dot belongs to the IRI
    iri = m.iri(stem)
    queries.iri_binding(iri)  # a path that is no valid IRI is 404, before negotiating (and a 406)
    base = m.local(iri) or request.script_root + "/" + stem
    return represent(iri, base, rep, lambda: describe(iri), lambda triples: page(iri, triples, base))


def page(iri: str, triples: list, base: str) -> str:
    dossier = select(queries.DOSSIER, queries.iri_binding(iri))
    view = views.resource_page(iri, triples, dossier, linked().vocabulary(), urls())
    return render_template("linked/resource.html", page=view, jsonld=Markup(embedded_jsonld(triples)),
                           alternates=alternates(base))


@bp.get("/sources/<source_id>")
def source(source_id: str) -> Response:
    st = state()
    if not SOURCE_ID.fullmatch(source_id) or st.res is None:
        raise UnknownResource(f"no stored source {source_id!r}")
    path = st.res.sources / (source_id + SOURCE_SUFFIX)
    m = iri_map()
    iri = m.iri("id/source/" + source_id)
    rows = select(queries.SOURCE_PASSAGES, queries.iri_binding(iri)) if path.is_file() else []
    if not rows:
        raise UnknownResource(f"no stored source {source_id!r} is described in the graph", iri=iri)
    title, passages = sourceview.passages_from_rows(rows, m.href)
    text = read_source(path)
    tokens = sourceview.styled(sourceview.tokens(text, passages), text)
    html = render_template("linked/source.html", title=title or source_id, source_id=source_id,
                           source_href=m.href(iri), tokens=tokens, notes=sourceview.footnotes(passages),
                           href=m.href)
    resp = Response(html, content_type="text/html; charset=utf-8")
    resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    return resp


def not_found(e: UnknownResource):
    """404 for unknown IRIs and pages: an HTML page for browsers, JSON for everyone else."""
    if wants_html(request.headers.get("Accept")):
        html = render_template("linked/not_found.html", message=e.message, iri=e.details.get("iri"),
                               path=request.path)
        return Response(html, status=404, content_type="text/html; charset=utf-8")
    return error_response(e.code, e.message, 404, **e.details)


def not_acceptable(e: UnsupportedFormat):
    """406 (JSON), which varies by Accept like the negotiated answers."""
    resp = error_response(e.code, e.message, 406, **e.details)
    resp.headers["Vary"] = "Accept"
    return resp


bp.register_error_handler(UnknownResource, not_found)
bp.register_error_handler(UnsupportedFormat, not_acceptable)
