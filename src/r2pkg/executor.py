"""Query execution in worker processes, with a wall-clock timeout that really stops the work.

pyoxigraph cannot cancel a running query, so each query runs in a forked worker process that
already holds the loaded store (copy-on-write, nothing is reparsed). On timeout the worker is
killed and replaced; the caller gets :class:`~r2pkg.errors.QueryTimeout`. When every worker is busy
for longer than ``queue_timeout`` the caller gets :class:`~r2pkg.errors.Overloaded`.

The parent process never runs a query on its own copy of the store, so forking a replacement
worker never copies a store in the middle of a query.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from .errors import Overloaded, QueryTimeout, R2pkgError
from .formats import BY_NAME, Format
from .query import run

_CTX = mp.get_context("fork")


@dataclass(frozen=True)
class Job:
    sparql: str
    format: str | None  # format name; None = the kind's default
    base_iri: str | None = None
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    substitutions: tuple[tuple[str, str, str, str | None], ...] = ()  # (var, kind, value, datatype/lang)
    row_cap: int | None = None


@dataclass(frozen=True)
class Answer:
    kind: str  # "results" | "graph"
    format: str
    media_type: str
    body: bytes
    rows: int
    truncated: bool


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


class _RowCapReached(Exception):
    pass


class _LineBudget:
    """A binary writer for pyoxigraph's native serialisers that keeps the first ``limit`` lines and
    then stops the serialiser (by raising), so a capped result is never written out in full."""

    def __init__(self, limit: int | None) -> None:
        self.limit, self.lines, self.parts = limit, 0, []

    def write(self, chunk: bytes) -> int:
        self.parts.append(bytes(chunk))
        self.lines += chunk.count(b"\n")
        if self.limit is not None and self.lines > self.limit:
            raise _RowCapReached
        return len(chunk)

    def flush(self) -> None:
        pass


def _select_answer(solutions: ox.QuerySolutions, fmt: Format, cap: int | None) -> tuple[bytes, int, bool]:
    """Serialise SELECT solutions with pyoxigraph's native writers: (body, rows, truncated).

    The solutions are written as SPARQL TSV, one solution per line (TSV escapes line breaks inside
    terms), so rows are counted, and cut at ``cap``, as lines; any other format is then written
    natively from that TSV. No term passes through Python objects."""
    budget = _LineBudget(None if cap is None else cap + 1)  # the header line + cap + 1 rows
    truncated = False
    try:
        solutions.serialize(budget, format=ox.QueryResultsFormat.TSV)
    except _RowCapReached:
        truncated = True
    tsv = b"".join(budget.parts)
    if truncated:
        tsv = b"\n".join(tsv.split(b"\n", cap + 1)[:cap + 1]) + b"\n"
    rows = tsv.count(b"\n") - 1
    if fmt.results_format == ox.QueryResultsFormat.TSV:
        return tsv, rows, truncated
    body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(format=fmt.results_format)
    return body, rows, truncated


def execute(store: ox.Store, job: Job) -> Answer:
    """Run one job in this process and serialise its answer (pure function over the store)."""
    result = run(store, job.sparql, base_iri=job.base_iri, default_graph=job.default_graph,
                 named_graphs=job.named_graphs, substitutions=decode_terms(job.substitutions))
    fmt: Format = BY_NAME[job.format] if job.format else None  # type: ignore[assignment]
    if fmt is None or fmt.kind != result.kind:
        from .formats import DEFAULTS

        if fmt is not None:
            from .errors import UnsupportedFormat

            raise UnsupportedFormat(f"format {fmt.name} cannot serialise this query's result")
        fmt = DEFAULTS[result.kind]
    cap = job.row_cap
    if result.kind == "graph":
        triples = result.raw
        truncated = cap is not None and len(triples) > cap
        if truncated:
            triples = triples[:cap]
        body = ox.serialize(triples, format=fmt.rdf_format) or b""
        return Answer("graph", fmt.name, fmt.media_type, body, len(triples), truncated)
    if isinstance(result.raw, ox.QueryBoolean):
        return Answer("results", fmt.name, fmt.media_type, result.serialize(fmt), 1, False)
    body, rows, truncated = _select_answer(result.raw, fmt, cap)
    return Answer("results", fmt.name, fmt.media_type, body, rows, truncated)


def _worker_main(conn: Connection, store: ox.Store) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            conn.send(("ok", execute(store, job)))
        except R2pkgError as e:
            conn.send(("error", type(e).__name__, e.message, e.details))
        except Exception as e:  # noqa: BLE001 - the parent maps this to a 500 without echoing it
            conn.send(("crash", type(e).__name__, str(e)[:500], {}))


class _Worker:
    def __init__(self, store: ox.Store) -> None:
        self.last_used = time.monotonic()
        self.conn, child = _CTX.Pipe()
        self.proc = _CTX.Process(target=_worker_main, args=(child, store), daemon=True)
        self.proc.start()
        child.close()

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(1)
        finally:
            self.conn.close()


class Executor:
    """A pool of worker processes holding ``store``.

    ``workers`` processes are started up front. When all of them are busy (say, with runaway
    queries that will only end at their timeout), up to ``max_workers`` in total are forked on
    demand, so a cheap query still gets a worker at once; surplus workers retire after ``idle_ttl`` idle seconds.
    Beyond ``max_workers`` concurrent queries, a request waits at most ``queue_timeout`` for a
    worker and then gets :class:`~r2pkg.errors.Overloaded` (503).

    Args:
        workers: worker processes kept ready.
        max_workers: the most concurrent queries (default twice ``workers``).
        timeout: wall-clock seconds a query may run before its worker is killed.
        queue_timeout: seconds a request may wait for a free worker before Overloaded.
    """

    def __init__(self, store: ox.Store, *, workers: int = 2, max_workers: int | None = None,
                 timeout: float = 5.0, queue_timeout: float = 10.0, idle_ttl: float = 30.0) -> None:
        self.store, self.timeout, self.queue_timeout, self.idle_ttl = store, timeout, queue_timeout, idle_ttl
        self.size = max(1, workers)
        self.max_workers = max(self.size, max_workers if max_workers is not None else 2 * self.size)
        self._lock = threading.Lock()
        self._free: list[_Worker] = [_Worker(store) for _ in range(self.size)]
        self._total = self.size
        self._sem = threading.Semaphore(self.max_workers)
        self._closed = False
        self.timeouts = 0

    def submit(self, job: Job, timeout: float | None = None) -> Answer:
        """Run ``job`` in a worker; raise QueryTimeout / Overloaded / the job's domain error."""
        if not self._sem.acquire(timeout=self.queue_timeout):
            raise Overloaded(f"all {self.size} query workers are busy; retry shortly")
        worker = None
        try:
            with self._lock:
                if self._free:
                    worker = self._free.pop()
                else:  # every worker is busy: fork an overflow worker (bounded by the semaphore)
                    self._total += 1
            if worker is None:
                try:
                    worker = _Worker(self.store)
                except BaseException:
                    with self._lock:
                        self._total -= 1
                    raise
            limit = self.timeout if timeout is None else timeout
            worker.conn.send(job)
            if not worker.conn.poll(limit):
                self._replace(worker)
                worker = None
                self.timeouts += 1
                raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped",
                                   timeout_s=limit)
            try:
                msg = worker.conn.recv()
            except (EOFError, OSError):
                # The worker died while evaluating this query (e.g. the engine overflowed its stack):
                # the query is the cause, so it is refused like any other bad query; the pool heals.
                self._replace(worker)
                worker = None
                from .errors import QueryTooComplex

                raise QueryTooComplex("the query crashed the query engine and was refused", reason="crash")
        finally:
            if worker is not None:
                self._release(worker)
            self._sem.release()
        if msg[0] == "ok":
            return msg[1]
        from . import errors

        cls = getattr(errors, msg[1], None) if msg[0] == "error" else None
        if cls is None:
            raise R2pkgError("internal error while evaluating the query")
        raise cls(msg[2], **msg[3])

    def _release(self, worker: _Worker) -> None:
        """Return a worker to the pool; overflow workers idle for ``idle_ttl`` seconds retire."""
        now = time.monotonic()
        worker.last_used = now
        retired = []
        with self._lock:
            self._free.append(worker)
            while self._total > self.size and not self._closed:
                oldest = min(self._free, key=lambda w: w.last_used)
                if now - oldest.last_used < self.idle_ttl:
                    break
                self._free.remove(oldest)
                self._total -= 1
                retired.append(oldest)
        for w in retired:
            w.kill()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (timed out or dead) and keep the pool at its base size."""
        worker.kill()
        with self._lock:
            if self._closed or self._total > self.size:
                self._total -= 1
                return
        fresh = _Worker(self.store)
        with self._lock:
            self._free.append(fresh)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for w in self._free:
                w.kill()
            self._free.clear()

    def alive(self) -> int:
        """Idle workers whose process is alive."""
        with self._lock:
            return sum(1 for w in self._free if w.proc.is_alive())

    def busy(self) -> int:
        with self._lock:
            return self._total - len(self._free)

