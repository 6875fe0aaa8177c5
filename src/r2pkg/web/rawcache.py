"""A WSGI-level cache of whole answers to repeated identical GETs of the SPARQL endpoint.

The dataset is immutable per build, so the same raw request (path, query string, and the headers
the answer varies on: Accept, Origin, Host) always gets the same answer. Repeated dashboard and
page queries are answered here without entering Flask at all; ``If-None-Match`` still gets 304.
Only 200 answers that the app itself marked ``Cache-Control: public`` are stored.
"""
from __future__ import annotations

from typing import Callable, Iterable

from .cache import AnswerCache

PATHS = frozenset({"/sparql", "/sparql/"})


class RawAnswerCache:
    def __init__(self, app: Callable, cache: AnswerCache, on_hit: Callable[[], None] | None = None) -> None:
        self.app, self.cache, self.on_hit = app, cache, on_hit

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in PATHS \
                or not environ.get("QUERY_STRING"):
            return self.app(environ, start_response)
        key = "\x00".join((environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""),
                           environ.get("SCRIPT_NAME", ""), environ["PATH_INFO"], environ["QUERY_STRING"],
                           environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ORIGIN", "")))
        hit = self.cache.get(key)
        if hit is not None:
            headers, body, etag = hit
            if self.on_hit:
                self.on_hit()
            inm = environ.get("HTTP_IF_NONE_MATCH")
            if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
                start_response("304 NOT MODIFIED", [(k, v) for k, v in headers
                                                    if k.lower() not in ("content-type", "content-length")])
                return [b""]
            start_response("200 OK", headers)
            return [body]
        captured: dict = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = list(self.app(environ, capture))
        headers = captured.get("headers") or []
        names = {k.lower(): v for k, v in headers}
        if captured.get("status", "").startswith("200") and names.get("cache-control", "").startswith("public") \
                and names.get("etag"):
            body = b"".join(chunks)
            stored = [(k, "hit" if k.lower() == "x-cache" else v) for k, v in headers]
            self.cache.put(key, (stored, body, names["etag"]), len(body) + len(key))
            return [body]
        return chunks
