"""``/sparql``: the SPARQL 1.1 Protocol (query side), the service description and the query UI.

Query requests are answered by :func:`query_reply`, a function of the WSGI request alone: the raw
WSGI path (:mod:`r2pkg.web.fastpath`) calls it before Flask, and the Flask view below calls it for
anything that reaches Flask. Requests without a query (service description, UI) are Flask views.
"""
from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request
from werkzeug.wrappers import Request

from ..errors import BadRequest
from ..jobs import Job
from ..safety import check_query
from ..search.documents import KIND_NAMES
from .conneg import choose_format, wants_html
from .protocol import parse
from .responses import Reply, answer, content_type, pick_format, to_response
from .service import description
from .state import State, state
from .urls import external_base, external_for

bp = Blueprint("sparql", __name__)
METHODS = ["GET", "POST", "OPTIONS"]


def query_reply(st: State, req: Request) -> Reply | None:
    """Answer a query request; None for a GET without a query (the service description or UI).

    Raises the domain exceptions of the protocol, the safety checks and the executor."""
    op = parse(req, max_bytes=st.settings["MAX_QUERY_BYTES"])
    if op.query is None:
        if req.method in ("GET", "HEAD"):
            return None
        raise BadRequest("no query given (parameter 'query' or an application/sparql-query body)",
                         reason="no-query")
    check_query(op.query, service_allowlist=st.service_allowlist, policy=st.policy_check)
    fmt = pick_format(op.query, op.format, req.headers.get("Accept"))
    job = Job(op.query, fmt.name, base_iri=endpoint_url(req), default_graph=op.default_graph,
              named_graphs=op.named_graphs, row_cap=st.settings["ROW_CAP"] or None,
              byte_cap=st.settings["MAX_ANSWER_BYTES"] or None)
    return answer(st, job, cacheable=req.method in ("GET", "HEAD"),
                  if_none_match=req.headers.get("If-None-Match"))


def endpoint_url(req: Request) -> str:
    """The URL of this endpoint (the base of relative IRIs): the external base
    (:func:`r2pkg.web.urls.external_base`) and the path. werkzeug's ``request.base_url``
    re-encodes the whole URL on every call; this does not."""
    return external_base(req.environ) + req.environ.get("PATH_INFO", "")


@bp.route("/sparql", methods=METHODS, strict_slashes=False)
def endpoint() -> Response:
    reply = query_reply(state(), request)
    return service_description() if reply is None else to_response(reply)


def service_description() -> Response:
    st = state()
    accept = request.headers.get("Accept")
    if wants_html(accept) and not request.args.get("format"):
        return ui()
    fmt = choose_format("graph", accept, request.args.get("format"))
    if fmt is None:
        from ..errors import UnsupportedFormat

        raise UnsupportedFormat("the service description is available as RDF (Turtle, JSON-LD, ...) or HTML")
    graphs = st.dataset.graphs()
    ttl = description(external_for("sparql.endpoint"), graphs, triples=len(st.dataset), build_id=st.build_id,
                      void=_void_url())
    body = ox.serialize(ox.parse(ttl, format=ox.RdfFormat.TURTLE), format=fmt.rdf_format)
    resp = Response(body, content_type=content_type(fmt.media_type))
    resp.headers["Vary"] = "Accept"
    return resp


def _void_url() -> str | None:
    try:
        return external_for("linked.void")
    except Exception:  # noqa: BLE001 - the VoID route exists only once linked data is enabled
        return None


def editor_link(query: str, view: str | None = None) -> str:
    """A link that opens ``query`` (and the result ``view``) in the query editor (a share link)."""
    from urllib.parse import urlencode

    from flask import url_for

    return url_for("sparql.endpoint") + "#" + urlencode({"query": query, **({"view": view} if view else {})})


# what the editor completes IRIs from by label: every kind of the search index but the vocabulary's
IRI_KINDS = ",".join(k for k in KIND_NAMES if k not in ("class", "property"))


def ui() -> Response:
    st = state()
    examples = [{"name": q.name, "title": q.title, "query": q.text} for q in st.queries.values()]
    from ..namespaces import PREFIXES

    resp = Response(render_template("sparql.html", examples=examples, prefixes=PREFIXES,
                                    endpoint=external_for("sparql.endpoint"), iri_kinds=IRI_KINDS),
                    content_type="text/html; charset=utf-8")
    resp.headers["Vary"] = "Accept"  # /sparql without a query: this page or the service description
    return resp
