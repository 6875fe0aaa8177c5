"""``/explore`` (the interactive network), ``/charts`` (server-side SVG charts, their CSV and SVG) and
``/series`` (the meetings of 2009-2025, and a page per meeting with every figure and its page).

The explorer page carries no data: its script fetches ``/export/<view>.cyjs``. Chart queries
(``queries/views/chart-*.rq``) run in the query workers like every other query.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from markupsafe import Markup

from ..charts import CHARTS, UnknownChart, chart_csv, chart_query, chart_rows, chart_svg, get_chart
from ..export import GRAPH_FORMATS, VIEWS
from ..namespaces import BASE
from .. import series as series_data
from .exports import queries_dir, run_select
from .state import state

bp = Blueprint("explore", __name__)
CHART_FILES = {"csv": "text/csv; charset=utf-8", "svg": "image/svg+xml; charset=utf-8"}


def _downloads() -> list[dict]:
    out = []
    for v in VIEWS.values():
        links = []
        for f in GRAPH_FORMATS:
            if f.name == "csv":
                links += [(f"CSV {t}", url_for("exports.export_view", view=v.name, ext="csv", table=t))
                          for t in ("nodes", "edges")]
            else:
                links.append((f.name, url_for("exports.export_view", view=v.name, ext=f.extensions[0])))
        out.append({"view": v, "links": links})
    return out


@bp.get("/explore")
def explore() -> Response:
    views = [{"name": v.name, "summary": v.summary,
              "url": url_for("exports.export_view", view=v.name, ext="cyjs")}
             for v in VIEWS.values() if v.explorer]
    config = {"views": views, "defaultView": views[0]["name"], "iriBase": BASE,
              "pageBase": request.script_root + "/"}
    return Response(render_template("explore.html", config=config, views=views, downloads=_downloads(),
                                    formats=GRAPH_FORMATS),
                    content_type="text/html; charset=utf-8")


def _chart(name: str) -> tuple[object, list[dict], str]:
    st = state()
    body, tag = run_select(st, chart_query(queries_dir(st), name).text)
    return get_chart(name), chart_rows(body), tag


@bp.get("/charts")
def charts() -> Response:
    items = []
    for name in CHARTS:
        chart, rows, _ = _chart(name)
        items.append({"chart": chart, "query": chart_query(queries_dir(state()), name).text, "svg": Markup(chart_svg(chart, rows)), "rows": rows,
                      "csv": url_for("explore.chart_file", name=name, ext="csv"),
                      "svg_url": url_for("explore.chart_file", name=name, ext="svg")})
    return Response(render_template("charts.html", items=items), content_type="text/html; charset=utf-8")


@bp.get("/charts/<name>.<ext>")
def chart_file(name: str, ext: str) -> Response:
    get_chart(name)
    if ext not in CHART_FILES:
        raise UnknownChart(f"chart files are available as .csv or .svg, not .{ext}")
    chart, rows, tag = _chart(name)
    body = chart_csv(chart, rows) if ext == "csv" else chart_svg(chart, rows)
    resp = Response(body, content_type=CHART_FILES[ext])
    resp.set_etag(f"{tag}-{ext}")
    resp.headers["X-R2pkg-Build"] = state().build_id
    resp.headers["Cache-Control"] = f"public, max-age={state().settings['CACHE_MAX_AGE']}"
    if ext == "csv":
        resp.headers["Content-Disposition"] = f'inline; filename="r2pkg-chart-{name}.csv"'
    return resp


def _series() -> tuple[list, list]:
    st = state()
    rows = [chart_rows(run_select(st, series_data.query_text(queries_dir(st), name))[0])
            for name in series_data.QUERIES]
    return series_data.meetings(*rows)


def _page_of(iri: str) -> str:
    """The path this server serves an r2pkg IRI under."""
    return request.script_root + "/" + iri.removeprefix(BASE) if iri.startswith(BASE) else iri


@bp.get("/series")
def series() -> Response:
    meetings, series_figures = _series()
    return Response(render_template("series.html", meetings=meetings, series_figures=series_figures,
                                    page_of=_page_of, charts=[CHARTS["participation-by-meeting"],
                                                              CHARTS["groups-over-time"]]),
                    content_type="text/html; charset=utf-8")


@bp.get("/series/<key>")
def series_meeting(key: str) -> Response:
    meetings, _ = _series()
    m = series_data.meeting(meetings, key)
    return Response(render_template("series-meeting.html", m=m, page_of=_page_of),
                    content_type="text/html; charset=utf-8")
