"""Charts as data and as server-side SVG (no Flask, no JavaScript).

Each chart's data is a SPARQL SELECT in ``queries/views/chart-<name>.rq``; a chart is one row per
category (an IRI and its label) and one numeric column per series, drawn as a grouped horizontal bar
chart that reads without hovering: value labels on the bars, a value axis with ticks and a title, the
category labels, a legend. Every bar is a ``<rect class="bar">`` carrying ``data-series``,
``data-category`` (the IRI) and ``data-value``.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from . import named
from .errors import R2pkgError


class UnknownChart(R2pkgError):
    code = "UNKNOWN_CHART"
    status = 404


@dataclass(frozen=True)
class Series:
    column: str
    label: str
    color: str


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    caption: str
    category: str        # column with the category IRI
    category_label: str  # column with its label
    category_axis: str
    value_axis: str
    series: tuple[Series, ...]
    columns: tuple[str, ...]  # CSV columns, in order

    @property
    def query_file(self) -> str:
        return f"chart-{self.name}.rq"


CHARTS: dict[str, Chart] = {c.name: c for c in (
    Chart("claimed-vs-named", "Supporters claimed by the source versus supporters it names",
          "Per initiative or other target: the number of supporters a count claim of the source gives "
          "(r2p:CountClaim, counted polarity support) and the number of states the data names with a "
          "support stance on it.",
          "target", "targetLabel", "Initiative or other target", "Number of countries",
          (Series("claimed", "claimed by the source", "#1f5f99"),
           Series("named", "named in the data (states with a support stance)", "#e08214")),
          ("target", "targetLabel", "claim", "wording", "claimed", "named")),
    Chart("speakers-by-group", "Speakers per regional group against the group's size",
          "Per UN regional group: the states the participation table of the 2017 dialogue lists under it, "
          "and the group's formal members in the reference data.",
          "group", "groupLabel", "UN regional group", "Number of states",
          (Series("speakers", "speakers listed in the participation table", "#1f5f99"),
           Series("members", "formal members (reference data)", "#9db7d1")),
          ("group", "groupLabel", "speakers", "members")),
    Chart("participation-by-meeting", "Member states that spoke and states represented, per meeting, 2009-2025",
          "Per meeting of the series: the member states that spoke and the states represented ('on behalf of'), "
          "as the web pages of data/series state them. Where pages disagree the bar is the lowest figure stated "
          "(the CSV gives the highest too); no bar: no verified page gives the figure. No meeting was held in 2020.",
          "meeting", "meetingLabel", "Meeting", "Number of states",
          (Series("spoke", "member states that spoke", "#1f5f99"),
           Series("represented", "states represented", "#9db7d1")),
          ("meeting", "meetingLabel", "spoke", "spokeMax", "represented", "representedMax", "pages")),
    Chart("groups-over-time", "The Group of Friends of R2P and the Focal Points network over time",
          "Per date a page gives: the members of the Group of Friends of R2P and of the Global Network of R2P "
          "Focal Points, as stated. Where pages disagree on a date the bar is the lowest figure (the CSV gives the "
          "highest too); no bar: no page gives that group's size on that date.",
          "date", "dateLabel", "Date (as the page gives it)", "Number of members",
          (Series("friends", "Group of Friends of R2P", "#1f5f99"),
           Series("focalPoints", "Global Network of R2P Focal Points", "#e08214")),
          ("date", "dateLabel", "friends", "friendsMax", "focalPoints", "focalPointsMax")),
)}


def get_chart(name: str) -> Chart:
    try:
        return CHARTS[name]
    except KeyError:
        raise UnknownChart(f"no chart {name!r}; available: {', '.join(CHARTS)}", available=list(CHARTS)) from None


def chart_query(queries_dir: Path, name: str) -> named.NamedQuery:
    chart = get_chart(name)
    path = Path(queries_dir) / "views" / chart.query_file
    if not path.is_file():
        raise UnknownChart(f"chart {name!r} has no query file {path}")
    return named.parse_header(path.stem, path, path.read_text(encoding="utf-8"))


def chart_rows(sparql_json: bytes | str) -> list[dict[str, object]]:
    """The rows of a chart query's SPARQL JSON result (numbers as int/float)."""
    from .export.views import rows_from_json

    return rows_from_json(sparql_json)


def chart_csv(chart: Chart, rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(chart.columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r[c] for c in chart.columns])
    return out.getvalue()


def _nice_step(vmax: float, max_ticks: int = 8) -> float:
    if vmax <= 0:
        return 1
    raw = vmax / max_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return max(1, m * mag)
    return 10 * mag


def _num(v: object) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def chart_svg(chart: Chart, rows: list[dict[str, object]], *, width: int = 760) -> str:
    """A grouped horizontal bar chart, labelled so it reads without hover or JavaScript."""
    font, char_w = 12, 6.6
    labels = [str(r.get(chart.category_label, r.get(chart.category, ""))) for r in rows]
    left = int(min(360, max(140, 16 + char_w * max([len(x) for x in labels] + [len(chart.category_axis)]))))
    right, bar_h, bar_gap, group_gap = 56, 16, 3, 14
    legend_y, top = 46, 78 + 16 * (len(chart.series) - 1)
    n = len(chart.series)
    group_h = n * bar_h + (n - 1) * bar_gap
    plot_h = max(1, len(rows)) * (group_h + group_gap)
    height = top + plot_h + 56
    vmax = max([_num(r.get(s.column)) for r in rows for s in chart.series] + [1])
    step = _nice_step(vmax)
    xmax = math.ceil(vmax / step) * step
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * v / xmax

    tid, did = f"chart-{chart.name}-title", f"chart-{chart.name}-desc"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-{chart.name}" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{tid} {did}" '
           f'font-family="system-ui, sans-serif" font-size="{font}" data-chart="{chart.name}">',
           f'<title id="{tid}">{escape(chart.title)}</title>', f'<desc id="{did}">{escape(chart.caption)}</desc>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="8" y="22" font-size="15" font-weight="600" fill="#1d1d1f">{escape(chart.title)}</text>']
    for i, s in enumerate(chart.series):  # legend
        ly = legend_y + 16 * i
        out.append(f'<g class="legend-item" data-series="{escape(s.column)}"><rect x="{left}" y="{ly - 10}" '
                   f'width="12" height="12" fill="{s.color}"/><text x="{left + 18}" y="{ly}" fill="#1d1d1f">'
                   f'{escape(s.label)}</text></g>')
    out.append(f'<text x="{left - 8}" y="{top - 8}" text-anchor="end" font-weight="600" fill="#444">'
               f'{escape(chart.category_axis)}</text>')
    ticks = [step * i for i in range(int(round(xmax / step)) + 1)]
    axis_y = top + plot_h
    for t in ticks:  # grid and value axis
        out.append(f'<line x1="{x(t):.1f}" y1="{top - 4}" x2="{x(t):.1f}" y2="{axis_y}" stroke="#e3e3e3"/>')
        out.append(f'<text class="tick" x="{x(t):.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#444">'
                   f'{_fmt(t)}</text>')
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#666"/>')
    out.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{axis_y}" stroke="#666"/>')
    out.append(f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{axis_y + 40}" text-anchor="middle" '
               f'font-weight="600" fill="#444">{escape(chart.value_axis)}</text>')
    for gi, (r, label) in enumerate(zip(rows, labels)):
        gy = top + gi * (group_h + group_gap) + group_gap / 2
        cat = str(r.get(chart.category, ""))
        out.append(f'<g class="category" data-category={quoteattr(cat)}>')
        out.append(f'<text class="category-label" x="{left - 8}" y="{gy + group_h / 2 + 4:.1f}" '
                   f'text-anchor="end" fill="#1d1d1f">{escape(label)}</text>')
        for si, s in enumerate(chart.series):
            by = gy + si * (bar_h + bar_gap)
            if r.get(s.column) is None:  # no figure: no bar (a zero bar would state a number)
                out.append(f'<text class="value missing" x="{left + 4}" y="{by + bar_h - 4:.1f}" fill="#888" '
                           f'data-series="{escape(s.column)}">no figure</text>')
                continue
            v = _num(r.get(s.column))
            w = max(0.0, x(v) - left)
            out.append(f'<rect class="bar" x="{left}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{s.color}" data-series="{escape(s.column)}" data-category={quoteattr(cat)} '
                       f'data-value="{_fmt(v)}"><title>{escape(label)}: {_fmt(v)} {escape(s.label)}</title></rect>')
            out.append(f'<text class="value" x="{left + w + 4:.1f}" y="{by + bar_h - 4:.1f}" fill="#1d1d1f" '
                       f'data-series="{escape(s.column)}">{_fmt(v)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
