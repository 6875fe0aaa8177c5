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
from .config import DEFAULTS, as_bool, split_list

log = logging.getLogger("r2pkg.web")

# Pages load scripts, styles, fonts and images from this server only; no inline script (data blocks
# such as application/ld+json are not executed). Inline style attributes are allowed for the
# vendored editor and graph libraries, which set them.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Application factory: settings from defaults, ``R2PKG_*`` environment, then ``config``.

    The backend is opened once (:func:`r2pkg.backends.open_backend`): the embedded store loads the
    dataset (from the build artefact, building first if there is none, or the ``DATASET`` passed in)
    and query workers are forked holding it, so requests never reparse RDF; with ``STORE``, queries
    go to that remote store.
    """
    from .cache import AnswerCache
    from .state import Metrics, State
    from . import ops
    from .urls import PublicUrl, check_public_url, external_for, vary_on_host

    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("R2PKG")
    if config:
        app.config.update(config)
    settings = {k: app.config[k] for k in DEFAULTS}
    settings["PUBLIC_URL"] = public_url = check_public_url(settings["PUBLIC_URL"])
    app.extensions[ops.KEY] = ops.parse_allow(settings["METRICS_ALLOW"])  # checked before workers start
    from .embed import frame_ancestors

    frame_ancestors(settings["EMBED_FRAME_ANCESTORS"])  # a bad setting stops the start, not a page
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_QUERY_BYTES"]) + 4096
    app.json.sort_keys = False

    from ..backends import open_backend
    from ..executor import WorkerConfig

    worker_config = WorkerConfig(memory_mb=int(settings["WORKER_MEMORY_MB"]) or None,
                                 recycle_mb=int(settings["WORKER_RECYCLE_MB"]) or None,
                                 policy=as_bool(settings["POLICY_CHECK"]), nice=int(settings["WORKER_NICE"]),
                                 service_allowlist=frozenset(split_list(settings["SERVICE_ALLOWLIST"])))
    # the one place a backend is chosen: embedded, or the remote store's kind (r2pkg.backends)
    dataset, executor, res = open_backend(settings, worker_config)
    atexit.register(executor.close)
    st = State(res=res, dataset=dataset, executor=executor,
               cache=AnswerCache(int(settings["CACHE_MAX_BYTES"])), metrics=Metrics(), settings=settings,
               queries=named.catalogue(res.queries) if res else {},
               service_allowlist=frozenset(split_list(settings["SERVICE_ALLOWLIST"])),
               policy_check=as_bool(settings["POLICY_CHECK"]))
    app.extensions["r2pkg"] = st

    from . import api, cors, embed, errors, explore, exports, linked, minted, resources, search, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(explore.bp)
    app.register_blueprint(linked.bp)  # /, /ontology, /classes, VoID, dumps, JSON-LD context
    app.register_blueprint(resources.bp)  # /id/..., /ontology/..., /sources/<id>
    app.register_blueprint(minted.bp)  # /graph/... (the named graphs), /shapes
    app.register_blueprint(search.bp)  # /search, /api/search (the build's full-text index)
    app.register_blueprint(embed.bp)  # /embed (a query's view for other sites' iframes)
    errors.register(app)
    origins = frozenset(split_list(settings["CORS_ORIGINS"]))
    cors.register(app, origins)
    app.after_request(vary_on_host)  # Vary: Host on answers with URLs made from Host (no PUBLIC_URL)
    app.add_template_global(external_for)
    app.add_template_global(sparql.editor_link)

    @app.after_request
    def _count(resp):
        st.metrics.requests.labels(request.url_rule.endpoint if request.url_rule else "none",
                                   str(resp.status_code)).inc()
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", CSP)
            resp.headers.setdefault("Referrer-Policy", "same-origin")
            if request.endpoint != "embed.embed":  # the one page other sites may frame
                resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp

    from .fastpath import SparqlFastPath
    from .rawcache import RawAnswerCache

    # inside the raw answer cache, which RsgiApp looks up from the RSGI scope (it keys on Host)
    app.wsgi_app = PublicUrl(SparqlFastPath(app.wsgi_app, st, origins), public_url)
    if int(settings["CACHE_MAX_BYTES"]):
        app.wsgi_app = RawAnswerCache(app.wsgi_app, AnswerCache(int(settings["CACHE_MAX_BYTES"]) // 4),
                                      on_hit=lambda: (st.metrics.answered_hit.inc(),
                                                      st.metrics.requests.labels("sparql.endpoint", "200").inc()))
    return app
