"""Turning executor answers into HTTP responses: ETags, caching headers, row-cap headers."""
from __future__ import annotations

from flask import Response, request

from ..errors import UnsupportedFormat
from ..executor import Job
from ..formats import Format, for_kind
from ..safety import QUERY_FORMS, query_form
from .conneg import choose_format
from .state import State

TEXTUAL = ("text/", "application/sparql-results+json", "application/ld+json", "application/n-triples",
           "application/n-quads", "application/trig", "application/rdf+xml",
           "application/sparql-results+xml")


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith(TEXTUAL) else media_type


def pick_format(sparql: str, explicit: str | None) -> Format:
    """The output format of a query, from ``format=`` or the Accept header (406 if none fits)."""
    form = query_form(sparql)
    kind = QUERY_FORMS.get(form or "", None)
    if kind is None:  # unparseable: let the engine report the syntax error in the default format
        kind = "results"
    fmt = choose_format(kind, request.headers.get("Accept"), explicit)
    if fmt is None:
        offered = ", ".join(f.media_type for f in for_kind(kind))
        if explicit:
            raise UnsupportedFormat(f"format {explicit!r} is not available for {form or 'this'} queries; "
                                    f"use one of: {', '.join(f.name for f in for_kind(kind))}")
        raise UnsupportedFormat(f"none of the accepted media types can represent a {form} result; "
                                f"offered: {offered}")
    return fmt


def answer_response(st: State, job: Job, *, cacheable: bool) -> Response:
    """Answer a job (304 if the client's ETag matches, without executing)."""
    tag = st.etag(job)
    if cacheable and request.if_none_match and request.if_none_match.contains(tag):
        resp = Response(status=304)
        _common_headers(resp, st, tag, cacheable)
        return resp
    ans, tag, hit = st.answer(job, tag)
    resp = Response(ans.body, status=200, content_type=content_type(ans.media_type))
    _common_headers(resp, st, tag, cacheable)
    resp.headers["X-Cache"] = "hit" if hit else "miss"
    cap = st.settings["ROW_CAP"]
    if cap:
        resp.headers["X-Result-Row-Cap"] = str(cap)
    resp.headers["X-Result-Rows"] = str(ans.rows)
    if ans.truncated:
        resp.headers["X-Result-Truncated"] = "true"
        resp.headers["Warning"] = f'199 r2pkg "result truncated to the row cap of {cap}"'
    return resp


def _common_headers(resp: Response, st: State, tag: str, cacheable: bool) -> None:
    resp.set_etag(tag)
    resp.headers["Vary"] = "Accept"
    resp.headers["X-R2pkg-Build"] = st.build_id
    if cacheable:
        resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    else:
        resp.headers["Cache-Control"] = "no-cache"
