"""Query execution in confined worker processes, with budgets that the kernel enforces.

Every user query is parsed and evaluated in a forked worker process that already holds the loaded
store (copy-on-write, nothing is reparsed; or, in the disk store mode, that opened the build's
on-disk store read-only right after its fork, :mod:`r2pkg.store`) and that cannot open a network socket, may not grow
past its memory budget and runs at a lower CPU priority (:mod:`r2pkg.sandbox`). In the worker:

- the query policy (:mod:`r2pkg.policy`: a real parser) refuses updates and SERVICE calls;
- the answer is serialised within a row cap and a byte cap (CONSTRUCT/DESCRIBE triples are taken
  from the engine one at a time and never materialised past the cap);
- a worker whose resident memory ever grew past ``recycle_mb`` (its peak, so a query that touched
  much memory and freed it counts too) is replaced after answering.

pyoxigraph cannot cancel a running query: on timeout the worker is killed and replaced and the
caller gets :class:`~r2pkg.errors.QueryTimeout`. A worker that dies (its memory budget, a crash)
gives :class:`~r2pkg.errors.ResourceLimit` or :class:`~r2pkg.errors.QueryTooComplex`. When every
worker stays busy until ``queue_timeout`` after the request arrived, the caller gets
:class:`~r2pkg.errors.Overloaded`.

The server process never evaluates user query text, so forking a replacement worker never copies
a store in the middle of a query.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Awaitable, Callable

import pyoxigraph as ox

from .errors import (ForbiddenQuery, Overloaded, QuerySyntaxError, QueryTimeout, R2pkgError, ResourceLimit,
                     SandboxUnavailable)
from .jobs import Answer, Job, execute
from .policy import analyse, enforce, is_update
from .sandbox import available, confine, peak_resident
from .search.functions import functions as search_functions

_CTX = mp.get_context("fork")


@dataclass(frozen=True)
class WorkerConfig:
    """How a pool's workers are confined and what they let through (see :mod:`r2pkg.sandbox`)."""

    network: bool = False             # True only for the allowlisted-SERVICE pool
    memory_mb: int | None = 1024      # address space beyond the forked size; None/0 = unlimited
    recycle_mb: int | None = 64       # a worker whose peak resident set grew by more is replaced
    policy: bool = True               # run the parser's policy (False only to test the sandbox alone)
    nice: int = 10                    # CPU priority below the server's (health checks before queries)
    service_allowlist: frozenset[str] = frozenset()
    search_index: str | None = None   # the build's search index, for the search: functions (opened read-only)


def _network_error() -> tuple:
    return ("error", "ForbiddenQuery", "the query tried to reach the network, which this endpoint's query "
            "workers cannot do (SERVICE and LOAD are not available)", {"reason": "network"})


def _worker_main(conn: Connection, store: ox.Store | Callable[[], ox.Store], cfg: WorkerConfig,
                 stderr_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.dup2(stderr_fd, 2)  # what the engine prints before it aborts reaches the parent (see _Worker)
    os.close(stderr_fd)
    import faulthandler

    faulthandler.disable()  # an abort at the memory budget is expected here; the parent reports it
    os.environ["RUST_BACKTRACE"] = "0"  # the engine's last words stay one line
    if callable(store):  # the disk store mode: opened here, after the fork (RocksDB is not fork-safe)
        store = store()  # before confine: the memory budget counts from the opened store
    confine(network=cfg.network, memory_mb=cfg.memory_mb, nice=cfg.nice)
    functions = search_functions(cfg.search_index) if cfg.search_index else None  # the index opens on first call
    baseline = peak_resident()
    recycle = (cfg.recycle_mb or 0) * 1024 * 1024
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if os.lseek(2, 0, os.SEEK_CUR):  # the stderr file holds only the current job's words
            os.ftruncate(2, 0)
            os.lseek(2, 0, os.SEEK_SET)
        try:
            analysis = None
            if cfg.policy:
                analysis = analyse(job.sparql)
                needs_network = enforce(analysis, cfg.service_allowlist)
                if job.check_only:
                    conn.send(("ok", None, False))
                    continue
                if needs_network and not cfg.network:
                    conn.send(("network",))  # allowlisted SERVICE: the parent hands it to the network pool
                    continue
            try:
                ans = execute(store, job, analysis, functions)
            except QuerySyntaxError:
                if cfg.policy and is_update(job.sparql):
                    raise ForbiddenQuery("SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is not allowed: this "
                                         "endpoint is read-only", reason="update") from None
                raise
            conn.send(("ok", ans, bool(recycle) and peak_resident() - baseline > recycle))
        except R2pkgError as e:
            conn.send(("error", type(e).__name__, e.message, e.details))
        except MemoryError:
            conn.send(("memory",))
            os._exit(0)
        except PermissionError:  # the seccomp filter refused a socket: a SERVICE reached the engine
            conn.send(_network_error())
        except (RuntimeError, ValueError, OSError) as e:  # the engine's evaluation errors: the query's
            if "os error 13" in str(e):  # the engine wraps the refused socket in its own error types
                conn.send(_network_error())
            else:
                conn.send(("error", "QueryError", f"the query could not be evaluated: {str(e)[:300]}",
                           {"reason": "evaluation"}))
        except Exception as e:  # noqa: BLE001 - the parent maps this to a 500 without echoing it
            conn.send(("crash", type(e).__name__, str(e)[:500], {}))


class _Worker:
    """A forked worker process, its pipe, and a memory file holding what it writes to stderr."""

    def __init__(self, store: ox.Store | Callable[[], ox.Store], cfg: WorkerConfig) -> None:
        self.last_used = time.monotonic()
        self.stderr = os.memfd_create("r2pkg-worker-stderr")
        self.conn, child = _CTX.Pipe()
        self.proc = _CTX.Process(target=_worker_main, args=(child, store, cfg, self.stderr), daemon=True)
        # The objects inherited by the fork go to the worker's permanent generation: its garbage
        # collector never writes to their headers, so their pages stay shared (copy-on-write).
        gc.freeze()
        try:
            self.proc.start()
        finally:
            gc.unfreeze()
        child.close()

    def last_words(self) -> str:
        """The end of what the worker wrote to stderr (after it died)."""
        try:
            return os.pread(self.stderr, 65536, 0).decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(1)
        finally:
            self.conn.close()
            try:
                os.close(self.stderr)
            except OSError:
                pass


class Deferred(Exception):
    """The answer needs a wait that may block (the allowlisted SERVICE pool): ask from a thread."""


class Abandoned(Exception):
    """The request went away (its client disconnected) while it waited for a free worker."""


_deadline = threading.local()


def set_deadline(deadline: float | None) -> None:
    """The monotonic time by which the calling thread's request must have a worker (or get 503);
    the front end sets it when the request arrives, so time spent queued before reaching the
    executor counts against ``queue_timeout`` too."""
    _deadline.value = deadline


class Executor:
    """A pool of sandboxed worker processes holding ``store``: an in-memory store they inherit by
    the fork, or a function each worker calls after its fork to open one (the disk store mode).

    ``workers`` processes are started up front. When all of them are busy (say, with runaway
    queries that will only end at their timeout), up to ``max_workers`` in total are forked on
    demand, so a cheap query still gets a worker at once; surplus workers retire after ``idle_ttl``
    idle seconds. Beyond ``max_workers`` concurrent queries, a request waits for a worker until
    ``queue_timeout`` after it arrived and then gets :class:`~r2pkg.errors.Overloaded` (503).

    Args:
        workers: worker processes kept ready.
        max_workers: the most concurrent queries (default twice ``workers``).
        timeout: wall-clock seconds a query may run before its worker is killed.
        queue_timeout: seconds a request may wait for a free worker before Overloaded.
        max_waiting: requests that may wait for a worker on an event loop; more get Overloaded.
        config: how workers are confined (:class:`WorkerConfig`); a pool for the allowlisted SERVICE
            endpoints, with network, is made alongside when ``config.service_allowlist`` is set.
    """

    def __init__(self, store: ox.Store | Callable[[], ox.Store], *, workers: int = 2, max_workers: int | None = None,
                 timeout: float = 5.0, queue_timeout: float = 10.0, idle_ttl: float = 30.0,
                 config: WorkerConfig | None = None, max_waiting: int = 64) -> None:
        self.store, self.timeout, self.queue_timeout, self.idle_ttl = store, timeout, queue_timeout, idle_ttl
        self.max_waiting = max_waiting
        self.config = config or WorkerConfig()
        if not self.config.network:
            problem = available()
            if problem:
                raise SandboxUnavailable(problem)
        self.size = max(1, workers)
        self.max_workers = max(self.size, max_workers if max_workers is not None else 2 * self.size)
        self._lock = threading.Lock()
        self._free: list[_Worker] = [_Worker(store, self.config) for _ in range(self.size)]
        self._total = self.size
        self._sem = threading.Semaphore(self.max_workers)
        self._waiters: list = []  # (loop, future) of requests awaiting a slot on an event loop
        self._closed = False
        self.timeouts = 0
        self.network: Executor | None = None
        if self.config.service_allowlist and not self.config.network:
            self.network = Executor(store, workers=1, max_workers=self.max_workers, timeout=timeout,
                                    queue_timeout=queue_timeout, idle_ttl=idle_ttl,
                                    config=replace(self.config, network=True))

    def submit(self, job: Job, timeout: float | None = None) -> Answer:
        """Run ``job`` in a worker; raise QueryTimeout / Overloaded / ResourceLimit / the job's error."""
        deadline = getattr(_deadline, "value", None)
        wait = self.queue_timeout if deadline is None else max(0.0, deadline - time.monotonic())
        if not self._sem.acquire(timeout=wait):
            raise Overloaded(f"all {self.max_workers} query workers stayed busy for {self.queue_timeout:g} s; "
                             "retry shortly", reason="queue-timeout")
        worker = None
        try:
            with self._lock:
                if self._free:
                    worker = self._free.pop()
                else:  # every worker is busy: fork an overflow worker (bounded by the semaphore)
                    self._total += 1
            if worker is None:
                try:
                    worker = _Worker(self.store, self.config)
                except BaseException:
                    with self._lock:
                        self._total -= 1
                    raise
        except BaseException:
            self._free_slot()
            raise
        limit = self.timeout if timeout is None else timeout
        try:
            worker.conn.send(job)
            answered = worker.conn.poll(limit)
        except BaseException:
            self._settle(worker, None, limit)
            raise
        return self._outcome(job, self._settle(worker, answered, limit), timeout)

    def take_nowait(self) -> _Worker | None:
        """A worker reserved for the caller (a free one, or a new overflow worker while fewer than
        ``max_workers`` run), or None at once when every slot is taken."""
        if not self._sem.acquire(blocking=False):
            return None
        with self._lock:
            if self._free:
                return self._free.pop()
            self._total += 1
        try:
            return _Worker(self.store, self.config)
        except BaseException:
            with self._lock:
                self._total -= 1
            self._free_slot()
            raise

    async def take_on_loop(self, deadline: float | None) -> _Worker:
        """A worker for a request on an event loop, awaited (never blocking the loop) until
        ``deadline`` (monotonic; default ``queue_timeout`` from now), then Overloaded."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self.queue_timeout if deadline is None else deadline
        while True:
            worker = self.take_nowait()
            if worker is not None:
                return worker
            left = deadline - time.monotonic()
            if left <= 0:
                raise Overloaded(f"all {self.max_workers} query workers stayed busy for {self.queue_timeout:g} s; "
                                 "retry shortly", reason="queue-timeout")
            woken = loop.create_future()
            entry = (loop, woken)
            with self._lock:
                if len(self._waiters) >= self.max_waiting:
                    raise Overloaded(f"{self.max_waiting} requests are already waiting for a query worker; "
                                     "retry shortly", reason="queue-full")
                self._waiters.append(entry)
            try:
                await asyncio.wait_for(woken, left)
            except asyncio.TimeoutError:
                pass
            finally:
                with self._lock:
                    if entry in self._waiters:
                        self._waiters.remove(entry)

    def give_back(self, worker: _Worker) -> None:
        """Return a worker reserved by :meth:`take_nowait` / :meth:`take_on_loop` unused."""
        self._release(worker)
        self._free_slot()

    def _free_slot(self) -> None:
        """Give a query slot back, and wake one request waiting for it on an event loop."""
        self._sem.release()
        with self._lock:
            entry = self._waiters.pop(0) if self._waiters else None
        if entry is not None:
            loop, fut = entry
            try:
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(None))
            except RuntimeError:  # that loop is closed
                pass

    async def run_async(self, job: Job, deadline: float | None,
                        abandoned: Callable[[], Awaitable[object]] | None = None) -> Answer:
        """:meth:`submit` for a request on an event loop: a free worker (awaited until ``deadline``,
        then Overloaded), then its answer, both awaited without blocking the loop.

        Args:
            abandoned: makes an awaitable that completes when the request's client goes away; while
                the request waits for a free worker it then stops waiting (abandoned requests do not
                pile up in the queue).

        Raises:
            Abandoned: the client went away while the request waited for a worker.
            Deferred: the query names an allowlisted SERVICE (a thread that may wait takes it).
        """
        worker = self.take_nowait()
        if worker is None:
            worker = await self._take_unless_abandoned(deadline, abandoned)
        return await self.run_on_loop(worker, job)

    async def _take_unless_abandoned(self, deadline: float | None,
                                     abandoned: Callable[[], Awaitable[object]] | None) -> _Worker:
        import asyncio

        if abandoned is None:
            return await self.take_on_loop(deadline)
        waiting = asyncio.ensure_future(self.take_on_loop(deadline))
        gone = asyncio.ensure_future(abandoned())
        try:
            done, _ = await asyncio.wait({waiting, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not gone.done():
                gone.cancel()
        if waiting in done:
            return waiting.result()
        waiting.cancel()
        try:
            worker = await waiting  # it may have got a worker just now: give it back
        except (asyncio.CancelledError, R2pkgError):
            raise Abandoned from None
        self.give_back(worker)
        raise Abandoned

    async def run_on_loop(self, worker: _Worker, job: Job) -> Answer:
        """Run ``job`` in ``worker`` (from :meth:`take_nowait`) without blocking the event loop: the
        answer is awaited on the worker's pipe, the timeout is a timer of the loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = worker.conn.fileno()

        def settle(value: bool) -> None:
            if not ready.done():
                ready.set_result(value)

        try:
            worker.conn.send(job)
            loop.add_reader(fd, settle, True)
            timer = loop.call_later(self.timeout, settle, False)  # a timer, not a task per query
            try:
                answered = await ready
            finally:
                timer.cancel()
                loop.remove_reader(fd)
                os.set_blocking(fd, True)  # the loop's reader made it non-blocking; recv reads whole messages
        except BaseException:
            self._settle(worker, None, self.timeout)
            raise
        msg = self._settle(worker, answered, self.timeout)
        if msg[0] == "network":
            raise Deferred  # the allowlisted pool is waited for from a thread
        return self._outcome(job, msg, None)

    def _settle(self, worker: _Worker, answered: bool | None, limit: float) -> tuple:
        """Read the worker's reply (``answered``: it has one; False: it ran out of time; None: the
        exchange failed), give the worker back or replace it, free its slot; returns the message."""
        try:
            if answered is None:
                self._replace(worker)
                return ("crash", "Exchange", "the exchange with the worker failed", {})
            if not answered:
                self._replace(worker)
                self.timeouts += 1
                raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped", timeout_s=limit)
            try:
                msg = worker.conn.recv()
            except (EOFError, OSError):
                # The worker died while evaluating this query: out of its memory budget (the engine
                # aborts when an allocation fails), or the engine crashed (e.g. its stack overflowed).
                # The query is the cause; the pool heals.
                words = worker.last_words()
                self._replace(worker)
                raise _death(words) from None
            if msg[0] == "ok" and msg[2] or msg[0] == "memory":  # grown large: start afresh
                self._replace(worker)
            else:
                self._release(worker)
            return msg
        finally:
            self._free_slot()

    def _outcome(self, job: Job, msg: tuple, timeout: float | None) -> Answer:
        """The answer in a worker's message, or the error it stands for."""
        if msg[0] == "ok":
            return msg[1]
        if msg[0] == "memory":
            raise _death("memory allocation failed")
        if msg[0] == "network":
            if self.network is None:
                raise ForbiddenQuery("SERVICE is not allowed here", reason="service")
            return self.network.submit(job, timeout)  # blocks: only from threads (see RsgiApp)
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
        """Kill a worker (timed out, dead or grown) and keep the pool at its base size."""
        worker.kill()
        with self._lock:
            if self._closed or self._total > self.size:
                self._total -= 1
                return
        fresh = _Worker(self.store, self.config)
        with self._lock:
            self._free.append(fresh)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for w in self._free:
                w.kill()
            self._free.clear()
        if self.network is not None:
            self.network.close()

    def alive(self) -> int:
        """Idle workers whose process is alive."""
        with self._lock:
            return sum(1 for w in self._free if w.proc.is_alive())

    def busy(self) -> int:
        with self._lock:
            return self._total - len(self._free)


def _death(last_words: str) -> R2pkgError:
    """The error for a query whose worker died, from what the worker wrote last."""
    if "memory allocation" in last_words or "MemoryError" in last_words or "Cannot allocate" in last_words:
        return ResourceLimit("the query needed more memory than a query may use and was stopped",
                             reason="memory")
    from .errors import QueryTooComplex

    return QueryTooComplex("the query crashed the query engine and was refused", reason="crash")
