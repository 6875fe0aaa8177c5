"""The r2pkg web application: a thin Flask adapter over the library.

>>> from r2pkg.web import create_app
>>> app = create_app({"HOME": "/path/to/checkout"})  # doctest: +SKIP
"""
from __future__ import annotations

import atexit
import logging
from typing import Mapping

from flask import Flask, request

from .. import named
from .config import DEFAULTS, split_list

log = logging.getLogger("r2pkg.web")


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Application factory: settings from defaults, ``R2PKG_*`` environment, then ``config``.

    The dataset is loaded once (from the build artefact, building first if there is none, or the
    ``DATASET`` passed in) and query workers are forked holding it; requests never reparse RDF.
    """
    from ..build import ensure_build
    from ..executor import Executor
    from ..paths import resources
    from ..store import load
    from .cache import AnswerCache
    from .state import Metrics, State

    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("R2PKG")
    if config:
        app.config.update(config)
    settings = {k: app.config[k] for k in DEFAULTS}
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_QUERY_BYTES"]) + 4096
    app.json.sort_keys = False

    dataset = settings["DATASET"]
    res = None
    if dataset is None:
        res = resources(settings["HOME"], settings["BUILD_DIR"])
        dataset = load(ensure_build(res))
    else:
        try:
            res = resources(settings["HOME"], settings["BUILD_DIR"])
        except Exception:  # noqa: BLE001 - an injected dataset needs no resources
            res = None
    executor = Executor(dataset.store, workers=int(settings["QUERY_WORKERS"]),
                        timeout=float(settings["QUERY_TIMEOUT"]),
                        queue_timeout=float(settings["QUEUE_TIMEOUT"]))
    atexit.register(executor.close)
    st = State(res=res, dataset=dataset, executor=executor,
               cache=AnswerCache(int(settings["CACHE_MAX_BYTES"])), metrics=Metrics(), settings=settings,
               queries=named.catalogue(res.queries) if res else {})
    app.extensions["r2pkg"] = st

    from . import api, errors, ops, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ops.bp)
    errors.register(app)
    _cors(app, split_list(settings["CORS_ORIGINS"]))

    @app.after_request
    def _count(resp):
        st.metrics.requests.labels(request.url_rule.endpoint if request.url_rule else "none",
                                   str(resp.status_code)).inc()
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    return app


def _cors(app: Flask, origins: list[str]) -> None:
    """CORS: ``*`` without credentials by default, or a list of origins; preflight answered."""
    expose = "ETag, X-Result-Row-Cap, X-Result-Rows, X-Result-Truncated, X-R2pkg-Build, Retry-After"

    @app.before_request
    def _preflight():
        if request.method == "OPTIONS":
            from flask import Response

            resp = Response(status=204)
            resp.headers["Allow"] = "GET, POST, OPTIONS"
            return resp
        return None

    @app.after_request
    def _headers(resp):
        origin = request.headers.get("Origin")
        if "*" in origins:
            resp.headers["Access-Control-Allow-Origin"] = "*"
        elif origin and origin in origins:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers.add("Vary", "Origin")
        else:
            return resp
        resp.headers["Access-Control-Expose-Headers"] = expose
        if request.method == "OPTIONS":
            resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Content-Type, Accept, If-None-Match")
            resp.headers["Access-Control-Max-Age"] = "86400"
        return resp
