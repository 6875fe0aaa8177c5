"""``/export/<view>.<ext>``: graph views for Gephi, Cytoscape and Graphviz.

The view's query (``queries/views/<view>.rq``) runs in a query worker like any SPARQL request; the
graph is built and written here. ``?table=nodes|edges`` picks the CSV table (default nodes).
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from ..errors import ResourceNotFound
from ..jobs import Job
from ..export import build_date, check_table, get_view, render, view_query
from ..export.writers import BY_EXTENSION, GraphFormat, UnknownGraphFormat
from .state import State, state

bp = Blueprint("exports", __name__)


def queries_dir(st: State):
    if st.res is None:
        raise ResourceNotFound("this app was started without a resource folder, so it has no view queries")
    return st.res.queries


def run_select(st: State, text: str) -> tuple[bytes, str]:
    """Run a fixed SELECT (a view or chart query) in a worker; the SPARQL JSON body and its ETag."""
    job = Job(text, "json")
    ans, tag, _ = st.answer(job)
    return ans.body, tag


def _format(ext: str) -> GraphFormat:
    fmt = BY_EXTENSION.get(ext.lower())
    if fmt is None:
        raise UnknownGraphFormat(f"no export format with extension {ext!r}; available: {', '.join(BY_EXTENSION)}")
    return fmt


@bp.get("/export/<view>.<ext>")
def export_view(view: str, ext: str) -> Response:
    st = state()
    get_view(view)
    fmt = _format(ext)
    table = check_table(request.args.get("table", "nodes"))
    q = view_query(queries_dir(st), view)
    tag = hashlib.sha256(f"{st.etag(Job(q.text, 'json'))} {fmt.name} {table}".encode()).hexdigest()[:40]
    if request.if_none_match and request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        hit = st.cache.get("export:" + tag)
        if hit is None:
            body, _ = run_select(st, q.text)
            data, g = render(body, view, fmt, table, build_date(st.dataset))
            hit = (data, g.number_of_nodes(), g.number_of_edges())
            st.cache.put("export:" + tag, hit, len(data))
        data, nodes, edges = hit  # type: ignore[misc]
        resp = Response(data, content_type=f"{fmt.media_type}; charset=utf-8")  # every format is UTF-8 text
        resp.headers["X-Graph-Nodes"] = str(nodes)
        resp.headers["X-Graph-Edges"] = str(edges)
        name = f"r2pkg-{view}" + (f"-{table}" if fmt.name == "csv" else "") + f".{fmt.extensions[0]}"
        resp.headers["Content-Disposition"] = f'{"attachment" if fmt.download else "inline"}; filename="{name}"'
    resp.set_etag(tag)
    resp.headers["X-R2pkg-Build"] = st.build_id
    resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    return resp
