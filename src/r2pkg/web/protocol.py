"""SPARQL 1.1 Protocol, query side: turn an HTTP request into a query operation, strictly.

Pure functions over the WSGI request; errors are domain exceptions with stable codes.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from werkzeug.wrappers import Request

from ..errors import BadRequest, ForbiddenQuery, PayloadTooLarge, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"


@dataclass(frozen=True)
class Operation:
    query: str | None
    default_graph: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    format: str | None  # the format= / output= values, the last given first, comma-separated


_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
MAX_FIELDS = 1000


def _unquote_plus(raw: bytes) -> bytes:
    """``application/x-www-form-urlencoded`` decoding of one name or value, in C: each ``%XX``
    becomes ``\\xXX`` for ``codecs.escape_decode`` (backslashes doubled first, so nothing else is an
    escape). Malformed escapes, which stay as they are, take urllib's path."""
    raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw
    if _BAD_ESCAPE.search(raw):
        return unquote_to_bytes(raw)
    return codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]


def _decode_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(..., keep_blank_values=True, errors="strict")``, about twice as fast
    (the query string of every request passes here; a test checks both agree)."""
    try:
        if not raw.isascii():
            raw.decode("ascii")  # raises: a raw query string must be percent-encoded
        pieces = [p for p in raw.split(b"&") if p]
        if len(pieces) > MAX_FIELDS:
            raise ValueError("Max number of fields exceeded")
        out = []
        for piece in pieces:
            name, _, value = piece.partition(b"=")
            out.append((_unquote_plus(name).decode("utf-8"), _unquote_plus(value).decode("utf-8")))
        return out
    except UnicodeDecodeError as e:
        raise BadRequest(f"the {where} is not valid UTF-8 (percent-encoded)", reason="encoding") from e
    except ValueError as e:
        raise BadRequest(f"the {where} has too many fields or is malformed: {e}") from e


def _graph_iri(value: str) -> str:
    """A dataset IRI from default-graph-uri / named-graph-uri: an absolute IRI, used as a name only
    (never fetched)."""
    try:
        ox.NamedNode(value)
    except ValueError as e:
        raise BadRequest(f"graph IRI {value[:100]!r} is not a valid absolute IRI", reason="graph-iri") from e
    return value


def _media_type(request: Request) -> tuple[str | None, dict[str, str]]:
    ct = request.headers.get("Content-Type")
    if not ct:
        return None, {}
    parts = [p.strip() for p in ct.split(";")]
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def _check_charset(params: dict[str, str]) -> None:
    cs = params.get("charset")
    if cs and cs.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset {cs} is not supported: SPARQL requests are UTF-8",
                                   reason="charset")


def parse(request: Request, *, max_bytes: int) -> Operation:
    """Parse a GET or POST query request.

    Raises:
        BadRequest (400): several ``query`` parameters, invalid UTF-8, an empty query.
        UnsupportedMediaType (415): a POST without, or with an unknown, Content-Type or charset.
        ForbiddenQuery (403): an update request.
        PayloadTooLarge (413): the query is larger than ``max_bytes``.
    """
    if request.content_length and request.content_length > max_bytes + 4096:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes", limit=max_bytes)
    params = _decode_params(request.query_string, "query string")
    body_query: str | None = None
    if request.method == "POST":
        mt, mparams = _media_type(request)
        if mt is None:
            raise UnsupportedMediaType(
                f"a POST needs a Content-Type: {FORM} or {DIRECT}", reason="missing-content-type")
        if mt == UPDATE:
            raise ForbiddenQuery("SPARQL Update is not allowed: this endpoint is read-only", reason="update")
        raw = request.get_data(cache=False)
        if len(raw) > max_bytes + 4096:
            raise PayloadTooLarge(f"request body larger than {max_bytes} bytes", limit=max_bytes)
        if mt == FORM:
            _check_charset(mparams)
            params += _decode_params(raw, "form body")
        elif mt == DIRECT:
            _check_charset(mparams)
            try:
                body_query = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise BadRequest("the query body is not valid UTF-8", reason="encoding") from e
            if body_query.startswith("\ufeff"):
                raise BadRequest("the query body starts with a byte-order mark; send plain UTF-8",
                                 reason="encoding")
        else:
            raise UnsupportedMediaType(f"unsupported Content-Type {mt}: use {FORM} or {DIRECT}",
                                       reason="content-type")
    names = [k for k, _ in params]
    if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
        raise ForbiddenQuery("SPARQL Update is not allowed: this endpoint is read-only", reason="update")
    queries = [v for k, v in params if k == "query"]
    if body_query is not None:
        if queries:
            raise BadRequest("the query is given both in the body and as a parameter", reason="multiple-queries")
        queries = [body_query]
    if len(queries) > 1:
        raise BadRequest(f"{len(queries)} query parameters given; exactly one is allowed",
                         reason="multiple-queries")
    query = queries[0] if queries else None
    if query is not None:
        if len(query.encode("utf-8")) > max_bytes:
            raise PayloadTooLarge(f"the query is longer than {max_bytes} bytes", limit=max_bytes)
        if not query.strip():
            raise BadRequest("the query is empty", reason="empty-query")
    dg = tuple(_graph_iri(v) for k, v in params if k == "default-graph-uri")
    ng = tuple(_graph_iri(v) for k, v in params if k == "named-graph-uri")
    formats = [v for k, v in params if k in ("format", "output")]
    # A protocol dataset (either parameter) replaces FROM / FROM NAMED and the union default graph;
    # with only named graphs given, the default graph is empty.
    given = bool(dg or ng)
    # SPARQLWrapper repeats its choice as a name and a media-type list (format=json-ld&format=
    # application/ld+json,application/x-json+ld): every value counts, the last given first.
    return Operation(query, dg if given else None, ng if given else None,
                     ",".join(reversed(formats)) if formats else None)
