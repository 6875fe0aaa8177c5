"""Turning executor answers into HTTP answers: ETags, caching headers, row-cap headers.

The answer is a framework-free :class:`Reply` (status, headers, body), so the same code serves the
raw WSGI path of ``/sparql`` (:mod:`r2pkg.web.fastpath`) and the Flask views (``to_response``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Response
from werkzeug.http import parse_etags

from ..errors import UnsupportedFormat
from ..jobs import Job
from ..formats import Format, for_kind
from ..safety import QUERY_FORMS, query_form
from ..formats import DEFAULTS
from .conneg import choose_format, names_only_results
from .state import State

TEXTUAL = ("text/", "application/sparql-results+json", "application/ld+json", "application/n-triples",
           "application/n-quads", "application/trig", "application/rdf+xml",
           "application/sparql-results+xml")


@dataclass
class Reply:
    """An HTTP answer independent of any web framework."""
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith(TEXTUAL) else media_type


def pick_format(sparql: str, explicit: str | None, accept: str | None) -> Format:
    """The output format of a query, from ``format=`` or the Accept header (406 if none fits; a
    graph query whose Accept names only result-set types gets the default RDF format)."""
    form = query_form(sparql)
    kind = QUERY_FORMS.get(form or "", None)
    if kind is None:  # unparseable: let the engine report the syntax error in the default format
        kind = "results"
    fmt = choose_format(kind, accept, explicit)
    if fmt is None and kind == "graph" and names_only_results(accept):
        # a client that asks for result sets only (rdflib's SPARQLStore(returnFormat="json")) still
        # gets a CONSTRUCT/DESCRIBE answered, in the default RDF format, as Fuseki does
        fmt = DEFAULTS["graph"]
    if fmt is None:
        offered = ", ".join(f.media_type for f in for_kind(kind))
        if explicit:
            raise UnsupportedFormat(f"format {explicit!r} is not available for {form or 'this'} queries "
                                    f"and the Accept header names nothing usable either; "
                                    f"use one of: {', '.join(f.name for f in for_kind(kind))}")
        raise UnsupportedFormat(f"none of the accepted media types can represent a {form} result; "
                                f"offered: {offered}")
    return fmt


def answer(st: State, job: Job, *, cacheable: bool, if_none_match: str | None = None) -> Reply:
    """Answer a job (304 if the client's ETag matches, without executing)."""
    tag = st.etag(job)
    # relative IRIs in the query resolve against a base made from Host, unless PUBLIC_URL is set
    vary = "Accept, Host" if job.base_iri and not st.settings.get("PUBLIC_URL") else "Accept"
    # RFC 9110 §13.1.2: If-None-Match uses the weak comparison
    if cacheable and if_none_match and parse_etags(if_none_match).contains_weak(tag):
        return Reply(304, _common_headers(st, tag, cacheable, vary))
    ans, tag, hit = st.answer(job, tag)
    headers = [("Content-Type", content_type(ans.media_type)), ("Content-Length", str(len(ans.body)))]
    headers += _common_headers(st, tag, cacheable, vary)
    headers.append(("X-Cache", "hit" if hit else "miss"))
    cap, byte_cap = st.settings["ROW_CAP"], st.settings["MAX_ANSWER_BYTES"]
    if cap:
        headers.append(("X-Result-Row-Cap", str(cap)))
    if byte_cap:
        headers.append(("X-Result-Byte-Cap", str(byte_cap)))
    headers.append(("X-Result-Rows", str(ans.rows)))
    if ans.truncated:
        by = getattr(ans, "truncated_by", None) or "rows"
        headers.append(("X-Result-Truncated", "true"))
        headers.append(("X-Result-Truncated-By", by))
        limit = f"the row cap of {cap}" if by == "rows" else f"the byte cap of {byte_cap}"
        headers.append(("Warning", f'199 r2pkg "result truncated to {limit}"'))
    for iri in getattr(ans, "unknown_functions", ()):
        # SPARQL 1.1 §17.3: the call was evaluated as an error (unbound), as Jena does
        iri = quote(iri, safe=":/?#[]@!$&'()*+,;=%-._~")  # a header value: ASCII, no quotes
        headers.append(("Warning", f'199 r2pkg "unknown function <{iri}> evaluated as an error"'))
    return Reply(200, headers, ans.body)


def _common_headers(st: State, tag: str, cacheable: bool, vary: str = "Accept") -> list[tuple[str, str]]:
    return [("ETag", f'"{tag}"'), ("Vary", vary), ("X-R2pkg-Build", st.build_id),
            ("Cache-Control", f"public, max-age={st.settings['CACHE_MAX_AGE']}" if cacheable else "no-cache")]


def to_response(reply: Reply) -> Response:
    """The Flask response of a :class:`Reply`."""
    resp = Response(reply.body, status=reply.status)
    resp.headers.clear()
    for k, v in reply.headers:
        resp.headers.add(k, v)
    if reply.status == 304:
        resp.headers.pop("Content-Length", None)
    return resp


def answer_response(st: State, job: Job, *, cacheable: bool) -> Response:
    """Flask adapter of :func:`answer` for the current request."""
    from flask import request

    return to_response(answer(st, job, cacheable=cacheable, if_none_match=request.headers.get("If-None-Match")))
