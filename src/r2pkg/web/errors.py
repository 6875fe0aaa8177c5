"""Domain exceptions and HTTP errors as JSON ``{"error": CODE, "message": ...}``; never a 500 that
echoes internals.

:func:`error_reply` is the one mapping from a domain exception to an HTTP answer; the Flask error
handlers and the raw WSGI path of ``/sparql`` both use it.
"""
from __future__ import annotations

import json
import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import QueryTimeout, R2pkgError
from .responses import Reply, to_response

log = logging.getLogger("r2pkg.web")

_HTTP_CODES = {400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
               406: "NOT_ACCEPTABLE", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
               414: "URI_TOO_LONG", 431: "HEADERS_TOO_LARGE"}


def json_reply(code: str, message: str, status: int, **extra: object) -> Reply:
    body = (json.dumps({"error": code, "message": message, **extra}, ensure_ascii=False) + "\n").encode("utf-8")
    return Reply(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)


def error_response(code: str, message: str, status: int, **extra: object):
    """Flask adapter of :func:`json_reply`."""
    return to_response(json_reply(code, message, status, **extra))


def error_reply(st, e: R2pkgError, path: str) -> Reply:
    """The HTTP answer to a domain exception, counted in the metrics (``st`` is the app's State)."""
    if isinstance(e, QueryTimeout):
        st.metrics.timeouts.inc()
    if e.status in (403, 413):
        st.metrics.rejections.labels(e.details.get("reason", e.code.lower())).inc()
    if e.status >= 500 and e.status != 503:  # a 503 says what is unavailable and when to retry
        log.error("internal error on %s: %s", path, e.message)
        reply = json_reply("INTERNAL", "internal error; the query was not answered", 500)
    else:
        reply = json_reply(e.code, e.message, e.status, **e.details)
    if e.status == 503:
        reply.headers.append(("Retry-After", str(st.settings["RETRY_AFTER"])))
    return reply


def http_error_reply(e: HTTPException) -> Reply:
    code = _HTTP_CODES.get(e.code or 500, "HTTP_ERROR")
    reply = json_reply(code, e.description or code, e.code or 500)
    if isinstance(e, MethodNotAllowed) and e.valid_methods:
        reply.headers.append(("Allow", ", ".join(sorted(e.valid_methods))))
    return reply


def register(app: Flask) -> None:
    @app.errorhandler(R2pkgError)
    def domain_error(e: R2pkgError):
        from .state import state

        return to_response(error_reply(state(), e, request.path))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if (e.code or 500) == 404 and "text/html" in (request.headers.get("Accept") or ""):
            from flask import render_template

            return render_template("error.html", status=404, message="No such page."), 404
        return to_response(http_error_reply(e))

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response("INTERNAL", "internal error", 500)
