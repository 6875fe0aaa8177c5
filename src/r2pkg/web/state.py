"""Per-app state: the loaded dataset, the worker pool, the answer cache and the metrics.

Built once in the factory and kept in ``app.extensions["r2pkg"]``; nothing is module-level.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app
from greenlet import greenlet
from prometheus_client import CollectorRegistry, Counter, Histogram

from .. import named
from ..executor import Executor
from ..jobs import Answer, Job
from ..paths import Resources
from ..store import LoadedDataset
from .cache import AnswerCache

log = logging.getLogger("r2pkg.query")


class WouldBlock(BaseException):
    """What a request asks of the event loop when it needs a query worker's answer and runs where
    it must not wait for one (the loop's thread). Raised when the request cannot be suspended (it
    then runs again in a thread that may wait); handed to the loop by :func:`_from_loop` when it
    can. A BaseException, so that no error handler turns this control-flow signal into an HTTP
    answer."""

    def __init__(self, job: Job | None = None, tag: str | None = None) -> None:
        super().__init__()
        self.job, self.tag = job, tag


_thread = threading.local()


def forbid_blocking() -> None:
    """Mark the calling thread (an event loop) as one that must never wait for a query worker."""
    _thread.no_blocking = True


def _from_loop(job: Job, tag: str) -> Answer:
    """The answer to ``job``, obtained by the event loop while this request's greenlet is
    suspended (``r2pkg.web.rsgi``): the request runs once, from its parsing to its reply, and the
    loop serves other requests meanwhile. Outside such a greenlet, or when the loop cannot await
    the answer (the allowlisted SERVICE pool), :class:`WouldBlock` unwinds the request."""
    here = greenlet.getcurrent()
    if here.parent is None:
        raise WouldBlock(job, tag)
    outcome = here.parent.switch(WouldBlock(job, tag))
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("r2pkg_requests_total", "HTTP requests", ["endpoint", "status"],
                                registry=self.registry)
        self.queries = Counter("r2pkg_queries_total", "SPARQL queries answered", ["outcome", "cache"],
                               registry=self.registry)
        self.latency = Histogram("r2pkg_query_seconds", "SPARQL query latency (s)", ["cache"],
                                 registry=self.registry,
                                 buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.timeouts = Counter("r2pkg_query_timeouts_total", "Queries stopped by the timeout",
                                registry=self.registry)
        self.rejections = Counter("r2pkg_query_rejections_total", "Queries refused before execution",
                                  ["reason"], registry=self.registry)
        # the children used on every query, bound once (``labels()`` takes a lock and a lookup)
        self.latency_hit, self.latency_miss = self.latency.labels("hit"), self.latency.labels("miss")
        self.answered_hit, self.answered_miss = self.queries.labels("ok", "hit"), self.queries.labels("ok", "miss")


@dataclass
class State:
    res: Resources | None
    dataset: LoadedDataset
    executor: Executor
    cache: AnswerCache
    metrics: Metrics
    settings: dict
    queries: dict[str, named.NamedQuery] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    service_allowlist: frozenset[str] = frozenset()
    policy_check: bool = True

    @property
    def build_id(self) -> str:
        return self.dataset.build_id

    def etag(self, job: Job) -> str:
        key = json.dumps([self.build_id, job.sparql, job.format, job.base_iri, job.default_graph,
                          job.named_graphs, job.substitutions, job.row_cap, job.byte_cap], ensure_ascii=False)
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]

    def answer(self, job: Job, tag: str | None = None) -> tuple[Answer, str, bool]:
        """Answer from the cache, or run in a worker and cache; returns (answer, etag, hit).

        ``tag`` is the job's ETag when the caller has already computed it."""
        tag = tag or self.etag(job)
        t0 = time.perf_counter()
        hit = self.cache.get(tag)
        if hit is not None:
            self.metrics.latency_hit.observe(time.perf_counter() - t0)
            self.metrics.answered_hit.inc()
            return hit, tag, True  # type: ignore[return-value]
        if getattr(_thread, "no_blocking", False):
            ans = _from_loop(job, tag)
        else:
            # user query text is evaluated only in a confined worker process (r2pkg.sandbox)
            ans = self.executor.submit(job)
        dt = time.perf_counter() - t0
        self.metrics.latency_miss.observe(dt)
        self.metrics.answered_miss.inc()
        self.cache.put(tag, ans, len(ans.body) + len(job.sparql))
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps({"event": "query", "etag": tag[:16], "ms": round(dt * 1000, 2),
                                 "rows": ans.rows, "format": ans.format, "truncated": ans.truncated,
                                 "cache": "miss"}))
        return ans, tag, False


def state(app: Flask | None = None) -> State:
    return (app or current_app).extensions["r2pkg"]
