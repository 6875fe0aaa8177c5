"""Domain exceptions and HTTP errors as JSON ``{"error": CODE, "message": ...}``; never a 500 that
echoes internals."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import Overloaded, QueryTimeout, R2pkgError

log = logging.getLogger("r2pkg.web")

_HTTP_CODES = {400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
               406: "NOT_ACCEPTABLE", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
               414: "URI_TOO_LONG", 431: "HEADERS_TOO_LARGE"}


def error_response(code: str, message: str, status: int, **extra: object):
    resp = jsonify({"error": code, "message": message, **extra})
    resp.status_code = status
    return resp


def register(app: Flask) -> None:
    @app.errorhandler(R2pkgError)
    def domain_error(e: R2pkgError):
        from .state import state

        st = state()
        if isinstance(e, QueryTimeout):
            st.metrics.timeouts.inc()
        if e.status in (403, 413):
            st.metrics.rejections.labels(e.details.get("reason", e.code.lower())).inc()
        if e.status >= 500 and not isinstance(e, (QueryTimeout, Overloaded)):
            log.error("internal error on %s: %s", request.path, e.message)
            resp = error_response("INTERNAL", "internal error; the query was not answered", 500)
        else:
            resp = error_response(e.code, e.message, e.status, **e.details)
        if e.status == 503:
            resp.headers["Retry-After"] = str(st.settings["RETRY_AFTER"])
        return resp

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = _HTTP_CODES.get(e.code or 500, "HTTP_ERROR")
        if (e.code or 500) == 404 and "text/html" in (request.headers.get("Accept") or ""):
            from flask import render_template

            return render_template("error.html", status=404, message="No such page."), 404
        resp = error_response(code, e.description or code, e.code or 500)
        if isinstance(e, MethodNotAllowed) and e.valid_methods:
            resp.headers["Allow"] = ", ".join(sorted(e.valid_methods))
        return resp

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response("INTERNAL", "internal error", 500)
