"""The app under Granian's RSGI interface: answers that need no waiting are made on the event loop,
everything else in threads.

Why (measured, ``bench/README.md``): under Granian's WSGI interface each request is handed to one
of a pool of Python threads, and with more than one thread the hand-offs of the GIL between them
halved the throughput of small queries; with one thread, a single slow query stalls the process.
Here the event loop itself answers what cannot block: repeated GETs from the raw answer cache,
answers in the answer cache, protocol errors, refusals, 304s, ``/healthz`` and static files. No
query is ever evaluated here. A query request runs once, in a greenlet on the loop's thread: when
it needs a worker's answer it is suspended, and the loop sends the job to a free worker and awaits
its answer on the worker's pipe (a reader and a timer of the loop: no thread hand-off, the query's
timeout still kills the worker), then resumes the request with it; if no worker is free, the
request awaits one on the loop until its deadline (then 503 ``OVERLOADED``). Over a remote store the
loop awaits the policy's verdict from a worker, then the store's answer from a thread that holds a
keep-alive connection to it. Only the allowlisted SERVICE pool (and an executor that has no
awaitable path) is unwound and runs again in a *query* thread.
Every other path (pages, exports, the API) runs in a *page* thread. The pools are apart, so slow
queries never hold up pages, and nothing holds up health checks and static files.

Every wait is bounded: each pool takes at most its threads plus ``MAX_PENDING`` requests (more get
503 ``OVERLOADED`` at once), and a request waits for a query worker only until ``QUEUE_TIMEOUT``
after it *arrived* (time queued for a thread counts). A :class:`~r2pkg.web.guard.ConnectionGuard`
closes connections that send nothing and caps connections per client address.

The WSGI app (:func:`r2pkg.web.create_app`) stays the single implementation: this adapter builds a
WSGI environ from the RSGI scope and calls it. ``r2pkg serve --server granian-wsgi`` or
``gunicorn`` serve the same app over WSGI.
"""
from __future__ import annotations

import asyncio
import io
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from greenlet import greenlet

from ..errors import R2pkgError
from ..executor import Abandoned, Deferred, set_deadline
from .errors import json_reply
from .fastpath import PATHS
from .rawcache import RawAnswerCache
from .state import WouldBlock, forbid_blocking, state

log = logging.getLogger("r2pkg.web")

_JOIN = {"cookie": "; "}  # repeated request headers are joined as one WSGI value (RFC 9110 §5.3)


INLINE = ("/healthz", "/static/")
_GONE = object()  # answered on the event loop: they never wait for anything


class Full(Exception):
    """A thread pool already holds as many requests as it may."""


class Lane:
    """A thread pool that takes at most ``threads + max_pending`` requests at a time (counted on
    the event loop's thread, so no lock is needed)."""

    def __init__(self, threads: int, max_pending: int, name: str) -> None:
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix=name)
        self.limit, self.pending = threads + max_pending, 0

    async def run(self, fn: Callable, *args):
        if self.pending >= self.limit:
            raise Full
        self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        finally:
            self.pending -= 1

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class RsgiApp:
    def __init__(self, wsgi_app: Callable, *, page_threads: int, query_threads: int,
                 max_body: int, close: Callable[[], None] | None = None, max_pending: int = 64,
                 queue_timeout: float = 10.0, retry_after: int = 5) -> None:
        self.wsgi_app, self.max_body, self._close = wsgi_app, max_body, close
        self.queue_timeout, self.retry_after = queue_timeout, retry_after
        # repeated GETs are looked up in the raw answer cache straight from the RSGI scope
        self.raw = wsgi_app if isinstance(wsgi_app, RawAnswerCache) else None
        self.executor = None  # the query worker pool, when queries may be awaited on the loop
        self.pages = Lane(page_threads, max_pending, "r2pkg-page")
        self.queries = Lane(query_threads, max_pending, "r2pkg-query")
        self.guard = None

    # -- RSGI ------------------------------------------------------------------------------------

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pages.shutdown()
        self.queries.shutdown()
        if self.guard is not None:
            self.guard.stop()
        if self._close:
            self._close()

    async def __rsgi__(self, scope, proto) -> None:
        if scope.proto != "http":  # no websockets here: refuse the upgrade
            proto.close(403)
            return
        if self.raw is not None and scope.method == "GET" and scope.query_string and scope.path in PATHS:
            h = scope.headers
            names = h.keys()
            if len(names) == len(set(names)):  # else the WSGI path joins repeated headers first
                hit = self.raw.hit(self.raw.key(scope.scheme, h.get("host", ""), "", scope.path,
                                                scope.query_string, h.get("accept", ""), h.get("origin", "")),
                                   h.get("if-none-match"))
                if hit is not None:
                    proto.response_bytes(*hit)
                    return
        arrived = time.monotonic()
        body = b""
        if scope.method not in ("GET", "HEAD"):
            body = await self._body(scope, proto)
        environ = self.environ(scope, body)
        environ["r2pkg.deadline"] = arrived + self.queue_timeout
        forbid_blocking()  # this thread runs the event loop: never wait for a query worker here
        try:
            if environ["PATH_INFO"] in PATHS and (scope.method == "POST" or environ["QUERY_STRING"]):
                reply = await self._query(scope, body, environ, proto)
                if reply is _GONE:  # the client left while its query waited for a worker
                    return
                status, headers, out = reply
            elif scope.path.startswith(INLINE):
                status, headers, out = self.call(environ)
            else:
                status, headers, out = await self.pages.run(self.call, environ)
        except Full:
            reply = json_reply("OVERLOADED", "the server is at capacity; retry shortly", 503, reason="queue-full")
            status, headers, out = reply.status, reply.headers + [("Retry-After", str(self.retry_after))], reply.body
        proto.response_bytes(status, headers, out)

    async def _query(self, scope, body: bytes, environ: dict, proto):
        """A query request, run once in a greenlet of the loop's thread: when it needs a worker's
        answer it is suspended (:func:`r2pkg.web.state._from_loop`) while the loop awaits the
        worker, and resumed with the answer or its error. What cannot be awaited on the loop is
        unwound and runs again from the start in a query thread."""
        deadline, outcome = environ["r2pkg.deadline"], None
        request = greenlet(self.call)
        try:
            step = request.switch(environ)
            while isinstance(step, WouldBlock):  # suspended: the request needs this answer
                outcome = await self._on_loop(step, deadline, proto)
                if outcome is None or outcome is _GONE:
                    break
                step = request.switch(outcome)
            else:
                return step
        except WouldBlock:  # it asked outside a greenlet's reach: nothing was done yet
            pass
        finally:
            if not request.dead:  # unwind the suspended request (its teardown runs)
                try:
                    request.throw(WouldBlock())
                except WouldBlock:
                    pass
        if outcome is _GONE:
            return _GONE
        fresh = self.environ(scope, body)
        fresh["r2pkg.deadline"] = deadline
        return await self.queries.run(self.call, fresh)

    async def _on_loop(self, wb: WouldBlock, deadline: float, proto=None):
        """The answer to the query that would block, awaited on the loop from the executor
        (``run_async``: a sandboxed worker, waited for until the request's deadline, or a remote
        store): an Answer or the domain error it raised; None when the executor cannot be awaited
        or the answer needs the allowlisted pool, so a query thread waits instead; ``_GONE`` when
        the client disconnected while its request waited for a worker (it then stops waiting:
        abandoned requests do not pile up)."""
        executor = self.executor
        if wb.job is None or executor is None or not hasattr(executor, "run_async"):
            return None
        abandoned = getattr(proto, "client_disconnect", None)
        try:
            return await executor.run_async(wb.job, deadline, abandoned)
        except Abandoned:
            return _GONE
        except Deferred:
            return None
        except R2pkgError as e:
            return e

    # -- WSGI bridge -----------------------------------------------------------------------------

    async def _body(self, scope, proto) -> bytes:
        """The request body, read up to ``max_body`` + 1 bytes: the app answers 413 beyond that
        (the environ's CONTENT_LENGTH says how much was sent), and nothing more is buffered."""
        declared = scope.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            return b""
        chunks, size = [], 0
        async for chunk in proto:
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                break
        return b"".join(chunks)

    def environ(self, scope, body: bytes) -> dict:
        """A PEP 3333 environ for the request (PATH_INFO as WSGI bytes-in-latin-1)."""
        host, _, port = scope.server.rpartition(":")
        env = {
            "REQUEST_METHOD": scope.method, "SCRIPT_NAME": "",
            "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"), "QUERY_STRING": scope.query_string,
            "SERVER_NAME": host, "SERVER_PORT": port, "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": scope.client.rpartition(":")[0], "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            env[key] = env[key] + _JOIN.get(name, ", ") + value if key in env else value
        if body and "CONTENT_LENGTH" not in env:  # a chunked body: say how much of it was read
            env["CONTENT_LENGTH"] = str(len(body))
        return env

    def call(self, environ: dict) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run the WSGI app to completion: (status, headers, body)."""
        started: list = []

        def start_response(status: str, headers: list, exc_info=None):
            started[:] = [int(status[:3]), headers]

        set_deadline(environ.get("r2pkg.deadline"))
        try:
            result = self.wsgi_app(environ, start_response)
            try:
                out = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except WouldBlock:
            raise
        except Exception:  # noqa: BLE001 - the app maps its own errors; this is the last resort
            log.exception("unhandled error on %s", environ.get("PATH_INFO"))
            reply = json_reply("INTERNAL", "internal error", 500)
            return reply.status, reply.headers, reply.body
        if environ["REQUEST_METHOD"] == "HEAD":
            out = b""
        return started[0], started[1], out


def create_rsgi_app(config: dict | None = None) -> RsgiApp:
    """Factory for Granian (``interface=RSGI, factory=True``): one per server process."""
    from . import create_app

    app = create_app(config)
    st = state(app)
    cfg = st.settings
    rsgi = RsgiApp(app.wsgi_app, page_threads=int(cfg["PAGE_THREADS"]),
                   query_threads=max(8, 4 * int(cfg["QUERY_MAX_WORKERS"])),
                   max_body=int(app.config["MAX_CONTENT_LENGTH"]), close=st.executor.close,
                   max_pending=int(cfg["MAX_PENDING"]), queue_timeout=float(cfg["QUEUE_TIMEOUT"]),
                   retry_after=int(cfg["RETRY_AFTER"]))
    rsgi.executor = st.executor
    if cfg.get("LISTEN_PORT"):
        from .guard import ConnectionGuard

        rsgi.guard = ConnectionGuard(int(cfg["LISTEN_PORT"]), header_timeout=float(cfg["HEADER_TIMEOUT"]),
                                     per_client=int(cfg["MAX_CONNECTIONS_PER_CLIENT"])).start()
    return rsgi
