"""A WSGI-level cache of whole answers to repeated identical GETs of the SPARQL endpoint.

The dataset is immutable per build, so the same raw request (path, query string, and the headers
the answer varies on: Accept, Origin, Host) always gets the same answer. Repeated dashboard and
page queries are answered here without entering Flask at all; ``If-None-Match`` still gets 304.
Only 200 answers that the app itself marked ``Cache-Control: public`` are stored.
"""
from __future__ import annotations

from typing import Callable, Iterable

from werkzeug.http import parse_etags, unquote_etag

from .cache import AnswerCache

PATHS = frozenset({"/sparql", "/sparql/"})


class RawAnswerCache:
    def __init__(self, app: Callable, cache: AnswerCache, on_hit: Callable[[], None] | None = None) -> None:
        self.app, self.cache, self.on_hit = app, cache, on_hit

    @staticmethod
    def key(scheme: str, host: str, script: str, path: str, query: str, accept: str, origin: str) -> str:
        return "\x00".join((scheme, host, script, path, query, accept, origin))

    def hit(self, key: str, if_none_match: str | None) -> tuple[int, list, bytes] | None:
        """The stored answer (status, headers, body), 304 when the client holds its ETag; or None."""
        hit = self.cache.get(key)
        if hit is None:
            return None
        headers, body, etag = hit
        if self.on_hit:
            self.on_hit()
        if if_none_match and parse_etags(if_none_match).contains_weak(unquote_etag(etag)[0]):
            return 304, [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")], b""
        return 200, headers, body

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in PATHS \
                or not environ.get("QUERY_STRING"):
            return self.app(environ, start_response)
        key = self.key(environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""),
                       environ.get("SCRIPT_NAME", ""), environ["PATH_INFO"], environ["QUERY_STRING"],
                       environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ORIGIN", ""))
        hit = self.hit(key, environ.get("HTTP_IF_NONE_MATCH"))
        if hit is not None:
            status, headers, body = hit
            start_response("304 NOT MODIFIED" if status == 304 else "200 OK", headers)
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
