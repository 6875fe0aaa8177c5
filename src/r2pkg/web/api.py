"""Named queries as an API: ``/api/queries``, ``/api/queries/<name>`` and the OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import __version__
from ..errors import UnknownQuery
from ..executor import Job, encode_terms
from ..formats import FORMATS
from .responses import answer_response, pick_format
from .state import state
from .urls import external_for, external_root, request_url

bp = Blueprint("api", __name__, url_prefix="/api")
RESERVED = ("format",)


@bp.get("/queries")
def list_queries() -> Response:
    st = state()
    return jsonify({"queries": [{**q.as_dict(), "url": external_for("api.run_query", name=q.name)}
                                for q in st.queries.values()]})


@bp.get("/queries/<name>")
def run_query(name: str) -> Response:
    st = state()
    q = st.queries.get(name)
    if q is None:
        raise UnknownQuery(f"no named query {name!r}", available=list(st.queries))
    values = {k: v for k, v in request.args.items() if k not in RESERVED}
    subs = q.bindings(values)
    fmt = pick_format(q.text, request.args.get("format"), request.headers.get("Accept"))
    job = Job(q.text, fmt.name, base_iri=request_url(), substitutions=encode_terms(subs),
              row_cap=st.settings["ROW_CAP"] or None)
    return answer_response(st, job, cacheable=True)


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
