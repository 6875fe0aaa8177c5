"""CORS (Fetch standard): ``*`` without credentials by default, or a list of origins; preflight
answered. :func:`cors_headers` is shared by the Flask app and the raw WSGI path of ``/sparql``."""
from __future__ import annotations

from flask import Flask, Response, request

EXPOSE = ("ETag, X-Result-Row-Cap, X-Result-Byte-Cap, X-Result-Rows, X-Result-Truncated, X-Result-Truncated-By, "
          "X-R2pkg-Build, Retry-After, Warning")


def cors_headers(origins: frozenset[str], origin: str | None, method: str,
                 request_headers: str | None) -> list[tuple[str, str]]:
    """The CORS headers of an answer to a request from ``origin`` (none if it is not allowed)."""
    if "*" in origins:
        out = [("Access-Control-Allow-Origin", "*")]
    elif origin and origin in origins:
        out = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    else:
        return []
    out.append(("Access-Control-Expose-Headers", EXPOSE))
    if method == "OPTIONS":
        out += [("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", request_headers or "Content-Type, Accept, If-None-Match"),
                ("Access-Control-Max-Age", "86400")]
    return out


def register(app: Flask, origins: frozenset[str]) -> None:
    @app.before_request
    def _preflight():
        if request.method == "OPTIONS":
            resp = Response(status=204)
            resp.headers["Allow"] = "GET, POST, OPTIONS"
            return resp
        return None

    @app.after_request
    def _headers(resp):
        for k, v in cors_headers(origins, request.headers.get("Origin"), request.method,
                                 request.headers.get("Access-Control-Request-Headers")):
            if k == "Vary":
                resp.headers.add(k, v)
            else:
                resp.headers[k] = v
        return resp
