"""The series of meetings as page data (no Flask): the rows of ``queries/views/series-*.rq`` grouped
into meetings, each with its headline figures and every figure with the page it comes from."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import named
from .errors import R2pkgError
from .namespaces import BASE

SERIES_IRI = BASE + "id/series/ga-r2p-discussions"
EVENT_PREFIX = BASE + "id/event/"
HEADLINE = ("member_states_spoke", "states_represented", "gof_members")
QUERIES = ("series-meetings", "series-figures")


class UnknownMeeting(R2pkgError):
    code = "UNKNOWN_MEETING"
    status = 404


@dataclass
class Figure:
    claim: str
    figure: str
    values: list[str]
    as_of: str
    page: str
    publisher: str
    page_kind: str
    inconsistencies: dict[str, str] = field(default_factory=dict)  # IRI -> label

    @property
    def value(self) -> str:
        return "; ".join(self.values)


@dataclass
class Meeting:
    iri: str
    key: str
    label: str
    kind: str
    year: str
    start: str = ""
    end: str = ""
    report: str = ""
    symbol: str = ""
    title: str = ""
    figures: list[Figure] = field(default_factory=list)

    def headline(self, figure: str) -> list[str]:
        """A headline figure as shown: per date it refers to, the distinct values the pages state
        ("81 / 83" where they disagree), the date added where there is more than one."""
        by_date: dict[str, set[str]] = defaultdict(set)
        for f in self.figures:
            if f.figure == figure:
                by_date[f.as_of].add(f.value)
        out = []
        for as_of in sorted(by_date):
            shown = " / ".join(sorted(by_date[as_of], key=lambda v: (len(v), v)))
            out.append(f"{shown} ({as_of})" if as_of and len(by_date) > 1 else shown)
        return out

    def disputed(self, figure: str) -> bool:
        """Pages give different values of the figure for the same date."""
        return any(" / " in v for v in self.headline(figure))

    @property
    def pages(self) -> list[str]:
        return sorted({f.page for f in self.figures})

    @property
    def disagreements(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.figures:
            out.update(f.inconsistencies)
        return dict(sorted(out.items()))


def query_text(queries_dir: Path, name: str) -> str:
    if name not in QUERIES:
        raise ValueError(name)
    path = Path(queries_dir) / "views" / f"{name}.rq"
    return named.parse_header(name, path, path.read_text(encoding="utf-8")).text


def _s(row: dict, key: str) -> str:
    v = row.get(key)
    return "" if v is None else str(v)


def meetings(meeting_rows: list[dict], figure_rows: list[dict]) -> tuple[list[Meeting], list[Figure]]:
    """The meetings (oldest first) with their figures, and the figures of the series itself (no meeting)."""
    by_iri: dict[str, Meeting] = {}
    for r in meeting_rows:
        iri = _s(r, "meeting")
        key = iri.removeprefix(EVENT_PREFIX)
        by_iri[iri] = Meeting(iri, key, _s(r, "label"), _s(r, "kind"), key[-4:], _s(r, "start"), _s(r, "end"),
                              _s(r, "report"), _s(r, "symbol"), _s(r, "title"))
    claims: dict[str, Figure] = {}
    owner: dict[str, str] = {}
    for r in figure_rows:
        c = _s(r, "claim")
        f = claims.get(c)
        if f is None:
            f = claims[c] = Figure(c, _s(r, "figure"), [], _s(r, "asOf"), _s(r, "page"), _s(r, "publisher"),
                                   _s(r, "pageKind"))
            owner[c] = _s(r, "meeting")
        v = _s(r, "value") or _s(r, "number")
        if v and v not in f.values:
            f.values.append(v)
        if r.get("inconsistency"):
            f.inconsistencies[_s(r, "inconsistency")] = _s(r, "inconsistencyLabel")
    series: list[Figure] = []
    for c, f in claims.items():
        m = by_iri.get(owner[c])
        (m.figures if m else series).append(f)
    for m in by_iri.values():
        m.figures.sort(key=lambda f: (f.figure, f.as_of, f.page, f.value))
    series.sort(key=lambda f: (f.figure, f.as_of, f.page))
    return sorted(by_iri.values(), key=lambda m: (m.year, m.key)), series


def meeting(all_meetings: list[Meeting], key: str) -> Meeting:
    for m in all_meetings:
        if m.key == key:
            return m
    raise UnknownMeeting(f"no meeting {key!r} in the series; see /series for the meetings")
