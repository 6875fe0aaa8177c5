"""Named queries as an API: ``/api/queries``, ``/api/queries/<name>`` and the OpenAPI document."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from .. import __version__, named
from ..errors import UnknownQuery
from ..jobs import Job, encode_terms
from ..formats import FORMATS
from ..linked.iris import curie
from ..linked.queries import solutions
from ..namespaces import ID, source_iri
from ..safety import QUERY_FORMS, query_form
from ..search.searcher import MAX_LIMIT
from .conneg import wants_html
from .representations import iri_map, urls
from .search import PAGE_SIZE
from .responses import answer_response, pick_format
from .sparql import editor_link
from .state import state
from .urls import external_for, external_root, request_url

bp = Blueprint("api", __name__, url_prefix="/api")
RESERVED = ("format",)
PASSAGE = re.compile("^" + re.escape(str(ID)) + r"passage/([^/]+)/(\d+)-(\d+)$")


@bp.get("/queries")
def list_queries() -> Response:
    st = state()
    entries = [{**q.as_dict(), "url": external_for("api.run_query", name=q.name)} for q in st.queries.values()]
    if request.args.get("format") != "json" and wants_html(request.headers.get("Accept")):
        html = render_template("api/queries.html", queries=entries, json=f"{request_url()}?format=json",
                               openapi=url_for("api.openapi"),
                               editors={q.name: editor_link(q.text) for q in st.queries.values()})
        resp = Response(html, content_type="text/html; charset=utf-8")
        resp.headers["Vary"] = "Accept"
        return resp
    resp = jsonify({"queries": entries})
    resp.headers["Vary"] = "Accept"
    return resp


@bp.get("/queries/<name>")
def run_query(name: str) -> Response:
    """A named query's results: JSON (or by Accept / ``format=``) for programs, an HTML table for a
    browser. ``name`` may be a unique prefix (``cq05``), as in ``r2pkg query``."""
    st = state()
    try:
        q = named.resolve(st.queries, name)
    except UnknownQuery as e:
        raise UnknownQuery(e.message, available=list(st.queries)) from e
    values = {k: v for k, v in request.args.items() if k not in RESERVED}
    subs = q.bindings(values)
    accept = request.headers.get("Accept")
    if request.args.get("format") is None and wants_html(accept) and QUERY_FORMS.get(query_form(q.text) or "") == "results":
        return _page(st, q, values, subs)
    fmt = pick_format(q.text, request.args.get("format"), accept)
    job = Job(q.text, fmt.name, base_iri=_canonical(q.name), substitutions=encode_terms(subs),
              row_cap=st.settings["ROW_CAP"] or None)
    return answer_response(st, job, cacheable=True)


def _canonical(name: str) -> str:
    """The URL of a named query under its full name (a prefix gives the same base IRI, ETag, cache)."""
    return external_for("api.run_query", name=name)


def _cell(term: object, iris, pages) -> dict | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        m = PASSAGE.search(term.value)
        evidence = pages.source_page(str(source_iri(m.group(1))), int(m.group(2)), int(m.group(3))) if m else None
        return {"href": iris.href(term.value), "iri": term.value, "text": curie(term.value), "evidence": evidence}
    return {"text": term.value if isinstance(term, ox.Literal) else str(term)}


def _page(st, q, values: dict[str, str], subs) -> Response:
    """The HTML page of a named query's results: IRIs link to their /id/... pages, passages also
    to their place in the source."""
    job = Job(q.text, "json", base_iri=_canonical(q.name), substitutions=encode_terms(subs),
              row_cap=st.settings["ROW_CAP"] or None)
    ans, tag, _ = st.answer(job)
    data = json.loads(ans.body)
    iris, pages = iri_map(), urls()
    variables = data.get("head", {}).get("vars", [])
    rows = [[_cell(sol.get(v), iris, pages) for v in variables] for sol in solutions(ans.body)] if "boolean" not in data else []
    here = _canonical(q.name)
    formats = [(label, f"{here}?{urlencode({**values, 'format': fmt})}")
               for label, fmt in (("JSON", "json"), ("CSV", "csv"), ("TSV", "tsv"), ("XML", "xml"))]
    html = render_template("api/query.html", q=q, variables=variables, rows=rows, boolean=data.get("boolean"),
                           params=[{"name": k, "value": v} for k, v in values.items()], formats=formats,
                           truncated=ans.truncated)
    resp = Response(html, content_type="text/html; charset=utf-8")
    resp.headers["Vary"] = "Accept"
    resp.headers["X-R2pkg-Build"] = st.build_id
    resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    return resp


@bp.get("/openapi.json")
def openapi() -> Response:
    st = state()
    fmt_names = [f.name for f in FORMATS]
    paths: dict[str, object] = {
        "/api/queries": {"get": {"summary": "List the named queries", "operationId": "listQueries",
                                 "responses": {"200": {"description": "The catalogue",
                                                       "content": {"application/json": {}}}}}},
        "/sparql": {"get": {
            "summary": "SPARQL 1.1 Protocol query (read-only)", "operationId": "sparqlQuery",
            "parameters": [
                {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": fmt_names}}],
            "responses": _responses()}},
        "/api/search": {"get": {
            "summary": "Full-text search over labels, alternative labels, passages and quotations",
            "description": "Ranked hits with highlighted snippets, each linking to its resource's page and, "
                           "for text from the source, to the highlighted passage; facet counts by kind and year. "
                           "Diacritics, case and quote marks are folded; the last word matches as a prefix.",
            "operationId": "search",
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "kind", "in": "query", "description": "comma-separated kinds (see the answer's kinds)",
                 "schema": {"type": "string"}},
                {"name": "year", "in": "query", "description": "comma-separated years", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                            "default": PAGE_SIZE}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}],
            "responses": {"200": {"description": "Hits and facets", "content": {"application/json": {}}},
                          "400": {"description": "Bad search (reason: empty-query, query-too-long, no-words, "
                                                 "bad-facet, bad-page)",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                          "503": {"description": "No search index (SEARCH_UNAVAILABLE): a remote --store with no local "
                                                 "build, or a build whose index is missing or of another format",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    }
    for q in st.queries.values():
        params = [{"name": p.name, "in": "query", "required": False, "description": p.description,
                   "schema": {"type": "string", **({"default": p.default} if p.default else {}),
                              **({"format": "uri"} if p.kind.upper() == "IRI" else {})}}
                  for p in q.params]
        params.append({"name": "format", "in": "query", "schema": {"type": "string", "enum": fmt_names}})
        paths[f"/api/queries/{q.name}"] = {"get": {
            "summary": q.title, "description": q.description,
            "operationId": "query_" + q.name.replace("-", "_"), "parameters": params,
            "responses": _responses()}}
    return jsonify({
        "openapi": "3.0.3",
        "info": {"title": "r2pkg API", "version": __version__,
                 "description": "Named SPARQL queries over the R2P knowledge graph, and the SPARQL endpoint."},
        "servers": [{"url": external_root()}],
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error", "message"],
                                             "properties": {"error": {"type": "string"},
                                                            "message": {"type": "string"}}}}},
    })


def _responses() -> dict:
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"200": {"description": "Results in the negotiated format",
                    "content": {f.media_type: {} for f in FORMATS}},
            "304": {"description": "Not modified (ETag)"},
            "400": {"description": "Bad query or parameter", **err},
            "403": {"description": "Refused (update, SERVICE, LOAD)", **err},
            "404": {"description": "Unknown named query", **err},
            "406": {"description": "No acceptable format", **err},
            "413": {"description": "Query too large", **err},
            "503": {"description": "Timeout or overloaded (see Retry-After)", **err}}
