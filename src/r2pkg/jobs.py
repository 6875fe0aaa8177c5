"""One query job and its answer: what the front end asks a worker, and what the worker does with it.

:class:`Job` is a query with its protocol parameters and caps; :func:`execute` runs it against a
store in the calling process and serialises an :class:`Answer` within the job's row and byte caps
(SELECT rows through pyoxigraph's TSV writer, which stops at the cap; CONSTRUCT/DESCRIBE triples
taken from the engine one at a time and never materialised past it). Only a confined worker
process (:mod:`r2pkg.executor`) calls :func:`execute` on user query text.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .errors import UnsupportedFormat
from .formats import BY_NAME, DEFAULTS, Format
from .policy import Analysis
from .query import run


@dataclass(frozen=True)
class Job:
    sparql: str
    format: str | None  # format name; None = the kind's default
    base_iri: str | None = None
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    substitutions: tuple[tuple[str, str, str, str | None], ...] = ()  # (var, kind, value, datatype/lang)
    row_cap: int | None = None
    byte_cap: int | None = None
    check_only: bool = False  # only the policy's verdict (for a remote store, which evaluates itself)


@dataclass(frozen=True)
class Answer:
    kind: str  # "results" | "graph"
    format: str
    media_type: str
    body: bytes
    rows: int
    truncated: bool
    truncated_by: str | None = None  # "rows" | "bytes" when truncated
    unknown_functions: tuple[str, ...] = ()


def encode_terms(subs: dict[str, ox.NamedNode | ox.Literal]) -> tuple:
    out = []
    for k, t in sorted(subs.items()):
        if isinstance(t, ox.NamedNode):
            out.append((k, "iri", t.value, None))
        else:
            out.append((k, "literal", t.value, t.language or t.datatype.value))
    return tuple(out)


def decode_terms(subs: tuple) -> dict[str, ox.NamedNode | ox.Literal]:
    out = {}
    for k, kind, value, extra in subs:
        if kind == "iri":
            out[k] = ox.NamedNode(value)
        elif extra and ":" in extra:
            out[k] = ox.Literal(value, datatype=ox.NamedNode(extra))
        else:
            out[k] = ox.Literal(value, language=extra) if extra else ox.Literal(value)
    return out


class _CapReached(Exception):
    pass


class _Budget:
    """A binary writer for pyoxigraph's native serialisers that keeps at most ``lines`` lines and
    ``size`` bytes and then stops the serialiser (by raising), so a capped result is never written
    out in full."""

    def __init__(self, lines: int | None, size: int | None) -> None:
        self.limit, self.size_limit, self.lines, self.size, self.parts = lines, size, 0, 0, []
        self.reached: str | None = None

    def write(self, chunk: bytes) -> int:
        self.parts.append(bytes(chunk))
        self.lines += chunk.count(b"\n")
        self.size += len(chunk)
        if self.limit is not None and self.lines > self.limit:
            self.reached = "rows"
            raise _CapReached
        if self.size_limit is not None and self.size > self.size_limit:
            self.reached = "bytes"
            raise _CapReached
        return len(chunk)

    def flush(self) -> None:
        pass


def shrink_rows(rows: int, body: bytes, byte_cap: int) -> int:
    """Fewer rows, in proportion, for a body over the byte cap."""
    return max(0, min(rows - 1, int(rows * byte_cap / max(1, len(body)) * 0.95)))


def _select_answer(solutions: ox.QuerySolutions, fmt: Format, cap: int | None,
                   byte_cap: int | None) -> tuple[bytes, int, str | None]:
    """Serialise SELECT solutions with pyoxigraph's native writers: (body, rows, truncated_by).

    The solutions are written as SPARQL TSV, one solution per line (TSV escapes line breaks inside
    terms), so rows are counted, and cut at ``cap`` rows or ``byte_cap`` bytes, as lines; any other
    format is then written natively from that TSV (and cut further if it outgrows ``byte_cap``).
    No term passes through Python objects."""
    budget = _Budget(None if cap is None else cap + 1, byte_cap)  # the header line + cap + 1 rows
    try:
        solutions.serialize(budget, format=ox.QueryResultsFormat.TSV)
    except _CapReached:
        pass
    tsv = b"".join(budget.parts)
    by = budget.reached
    if by == "rows":
        tsv = b"\n".join(tsv.split(b"\n", cap + 1)[:cap + 1]) + b"\n"  # type: ignore[operator]
    elif by == "bytes":
        tsv = tsv[:tsv.rfind(b"\n", 0, byte_cap) + 1]  # whole lines only  # type: ignore[arg-type]
        if not tsv:  # not even the header fits: an empty answer with no variables
            tsv = b"\n"
    rows = max(0, tsv.count(b"\n") - 1)
    if fmt.results_format == ox.QueryResultsFormat.TSV:
        return tsv, rows, by
    header, _, rest = tsv.partition(b"\n")
    lines = rest.split(b"\n")[:rows]
    while True:
        part = header + b"\n" + b"".join(line + b"\n" for line in lines[:rows])
        body = ox.parse_query_results(part, ox.QueryResultsFormat.TSV).serialize(format=fmt.results_format)
        if byte_cap is None or len(body) <= byte_cap or rows == 0:
            return body, rows, by
        rows, by = shrink_rows(rows, body, byte_cap), "bytes"


def _graph_answer(triples, fmt: Format, cap: int | None, byte_cap: int | None) -> tuple[bytes, int, str | None]:
    """Serialise CONSTRUCT/DESCRIBE triples as they come from the engine: (body, count, truncated_by).

    The engine's iterator is consumed only up to ``cap`` triples or ``byte_cap`` bytes of N-Triples
    (nothing past the cap is ever materialised); the body is cut further if its format writes it
    larger than ``byte_cap``."""
    kept: list = []
    size, by = 0, None
    for t in triples:
        if cap is not None and len(kept) >= cap:
            by = "rows"
            break
        size += len(str(t)) + 3
        if byte_cap is not None and size > byte_cap:
            by = "bytes"
            break
        kept.append(t)
    n = len(kept)
    while True:
        body = ox.serialize(kept[:n], format=fmt.rdf_format) or b""
        if byte_cap is None or len(body) <= byte_cap or n == 0:
            return body, n, by
        n, by = shrink_rows(n, body, byte_cap), "bytes"


def execute(store: ox.Store, job: Job, analysis: Analysis | None = None,
            custom_functions: dict | None = None) -> Answer:
    """Run one job in this process and serialise its answer (pure function over the store).

    ``analysis`` is the parser's view of the query (:func:`r2pkg.policy.analyse`), when known;
    ``custom_functions`` the extension functions the query may call (the search index's)."""
    result = run(store, job.sparql, base_iri=job.base_iri, default_graph=job.default_graph,
                 named_graphs=job.named_graphs, substitutions=decode_terms(job.substitutions),
                 dataset_clause=analysis.dataset_clause if analysis is not None and analysis.parsed else None,
                 custom_functions=custom_functions, lazy=True)
    fmt: Format = BY_NAME[job.format] if job.format else None  # type: ignore[assignment]
    if fmt is None or fmt.kind != result.kind:
        if fmt is not None:
            raise UnsupportedFormat(f"format {fmt.name} cannot serialise this query's result")
        fmt = DEFAULTS[result.kind]
    extra = {"unknown_functions": result.unknown_functions}
    if result.kind == "graph":
        body, n, by = _graph_answer(result.raw, fmt, job.row_cap, job.byte_cap)
        return Answer("graph", fmt.name, fmt.media_type, body, n, by is not None, by, **extra)
    if isinstance(result.raw, ox.QueryBoolean):
        return Answer("results", fmt.name, fmt.media_type, result.serialize(fmt), 1, False, **extra)
    body, rows, by = _select_answer(result.raw, fmt, job.row_cap, job.byte_cap)
    return Answer("results", fmt.name, fmt.media_type, body, rows, by is not None, by, **extra)
