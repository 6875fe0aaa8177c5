"""The raw WSGI path of SPARQL queries: ``/sparql`` requests that carry a query are answered here,
before Flask's routing, request context and response objects.

Measured on the benchmark's ASK query (``bench/README.md``), Flask's per-request work was about
140 µs of a 160 µs in-process request, where the engine needs 20 µs. The protocol, safety checks,
content negotiation, ETags, caching, CORS, metrics and error mapping are the same functions the
Flask views use (:func:`r2pkg.web.sparql.query_reply`, :func:`r2pkg.web.errors.error_reply`,
:func:`r2pkg.web.cors.cors_headers`); only the adapter differs. Everything else (the service
description, the UI, preflight, other paths) passes through to Flask unchanged.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Callable, Iterable

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from ..errors import R2pkgError
from .cors import cors_headers
from .errors import error_reply, http_error_reply, json_reply
from .sparql import query_reply
from .state import State

log = logging.getLogger("r2pkg.web")

PATHS = frozenset({"/sparql", "/sparql/"})
_STATUS = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
_NOSNIFF = ("X-Content-Type-Options", "nosniff")


class SparqlFastPath:
    def __init__(self, app: Callable, st: State, origins: frozenset[str]) -> None:
        self.app, self.st, self.origins = app, st, origins

        class _Request(Request):
            max_content_length = int(st.settings["MAX_QUERY_BYTES"]) + 4096

        self._request = _Request
        self._counters: dict[int, object] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") not in PATHS or method not in ("GET", "HEAD", "POST") \
                or (method != "POST" and not environ.get("QUERY_STRING")):
            return self.app(environ, start_response)
        req = self._request(environ)
        try:
            reply = query_reply(self.st, req)
            if reply is None:  # a GET without a query: the service description or the UI
                return self.app(environ, start_response)
        except R2pkgError as e:
            reply = error_reply(self.st, e, environ["PATH_INFO"])
        except HTTPException as e:
            reply = http_error_reply(e)
        except Exception:  # noqa: BLE001 - never a traceback to the client
            log.exception("unhandled error on %s", environ.get("PATH_INFO"))
            reply = json_reply("INTERNAL", "internal error", 500)
        headers = reply.headers + cors_headers(self.origins, environ.get("HTTP_ORIGIN"), method,
                                               environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"))
        headers.append(_NOSNIFF)
        self._count(reply.status)
        start_response(_STATUS.get(reply.status, f"{reply.status} UNKNOWN"), headers)
        return [b"" if method == "HEAD" else reply.body]

    def _count(self, status: int) -> None:
        counter = self._counters.get(status)
        if counter is None:
            counter = self._counters[status] = self.st.metrics.requests.labels("sparql.endpoint", str(status))
        counter.inc()
