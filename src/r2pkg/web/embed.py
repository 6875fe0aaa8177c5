"""``/embed?query=…&view=table|bar|line|graph``: one query's results as a self-contained page meant
for an iframe on another site (a live chart in an article).

It is the one page other sites may frame: its ``Content-Security-Policy`` has ``frame-ancestors``
from the ``EMBED_FRAME_ANCESTORS`` setting (default ``*``, any site) and it has no
``X-Frame-Options``; every other page keeps ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``.
The page's script queries this server's ``/sparql`` (same origin, in the query workers like every
query) and draws the view with the vendored Chart.js or Cytoscape.js.
"""
from __future__ import annotations

import functools
import re

from flask import Blueprint, Response, render_template, request

from ..errors import BadRequest, ConfigError, PayloadTooLarge
from ..namespaces import PREFIXES
from .sparql import editor_link
from .state import state
from .urls import external_for

bp = Blueprint("embed", __name__)
VIEWS = ("table", "bar", "line", "graph")
_SOURCES = re.compile(r"^[A-Za-z0-9*:/._\-' ]+$")  # CSP source expressions; no ';' or ',' to break out


def frame_ancestors(value: object) -> str:
    """The ``frame-ancestors`` sources of the embed page, checked.

    >>> frame_ancestors("https://news.example https://*.example.org")
    'https://news.example https://*.example.org'

    Raises:
        ConfigError: empty, or characters that are no part of CSP source expressions.
    """
    text = " ".join(str(value or "").split())
    if not text or not _SOURCES.fullmatch(text):
        raise ConfigError(f"EMBED_FRAME_ANCESTORS must be CSP sources such as * or https://news.example, got {value!r}",
                          setting="EMBED_FRAME_ANCESTORS")
    return text


@functools.lru_cache(maxsize=8)
def embed_csp(csp: str, ancestors: str) -> str:
    """The site's CSP with its ``frame-ancestors`` replaced by ``ancestors``."""
    return re.sub(r"frame-ancestors [^;]*", "frame-ancestors " + ancestors, csp)


@bp.get("/embed")
def embed() -> Response:
    from . import CSP

    st = state()
    query = request.args.get("query") or ""
    view = request.args.get("view") or "table"
    if not query.strip():
        raise BadRequest("give the query to show in parameter 'query'", reason="no-query")
    if len(query.encode("utf-8")) > int(st.settings["MAX_QUERY_BYTES"]):
        raise PayloadTooLarge(f"the query is longer than {st.settings['MAX_QUERY_BYTES']} bytes", reason="too-large")
    if view not in VIEWS:
        raise BadRequest(f"unknown view {view!r}; views are {', '.join(VIEWS)}", reason="bad-view", views=list(VIEWS))
    editor = editor_link(query, view)
    config = {"endpoint": external_for("sparql.endpoint"), "query": query, "view": view, "prefixes": PREFIXES,
              "pageBase": request.script_root + "/", "iriBase": st.settings["PUBLIC_BASE"]}
    resp = Response(render_template("embed.html", config=config, editor=editor, title=request.args.get("title", "")),
                    content_type="text/html; charset=utf-8")
    resp.headers["Content-Security-Policy"] = embed_csp(CSP, frame_ancestors(st.settings["EMBED_FRAME_ANCESTORS"]))
    resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    return resp
