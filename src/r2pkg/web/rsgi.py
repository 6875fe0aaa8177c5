"""The app under Granian's RSGI interface: answers that need no waiting are made on the event loop,
everything else in threads.

Why (measured, ``bench/README.md``): under Granian's WSGI interface each request is handed to one
of a pool of Python threads, and with more than one thread the hand-offs of the GIL between them
halved the throughput of small queries; with one thread, a single slow query stalls the process.
Here the event loop itself answers what cannot block: repeated GETs from the raw answer cache,
protocol errors, 304s, and queries in the fast lane (measured under ``FAST_LANE_MS`` before, on an
immutable build). A query that would wait for a query worker raises
:class:`~r2pkg.web.state.WouldBlock` before any work is done and is run again in a *query* thread;
every other path (pages, exports, ``/healthz``) runs in a *page* thread. The two pools are apart,
so slow queries never hold up pages or health checks.

The WSGI app (:func:`r2pkg.web.create_app`) stays the single implementation: this adapter builds a
WSGI environ from the RSGI scope and calls it. ``r2pkg serve --server granian-wsgi`` or
``gunicorn`` serve the same app over WSGI.
"""
from __future__ import annotations

import asyncio
import io
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from .errors import json_reply
from .fastpath import PATHS
from .rawcache import RawAnswerCache
from .state import WouldBlock, forbid_blocking, state

log = logging.getLogger("r2pkg.web")

_JOIN = {"cookie": "; "}  # repeated request headers are joined as one WSGI value (RFC 9110 §5.3)


class RsgiApp:
    def __init__(self, wsgi_app: Callable, *, page_threads: int, query_threads: int,
                 max_body: int, close: Callable[[], None] | None = None) -> None:
        self.wsgi_app, self.max_body, self._close = wsgi_app, max_body, close
        # repeated GETs are looked up in the raw answer cache straight from the RSGI scope
        self.raw = wsgi_app if isinstance(wsgi_app, RawAnswerCache) else None
        self.pages = ThreadPoolExecutor(page_threads, thread_name_prefix="r2pkg-page")
        self.queries = ThreadPoolExecutor(query_threads, thread_name_prefix="r2pkg-query")

    # -- RSGI ------------------------------------------------------------------------------------

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pages.shutdown(wait=False, cancel_futures=True)
        self.queries.shutdown(wait=False, cancel_futures=True)
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
        body = b""
        if scope.method not in ("GET", "HEAD"):
            body = await self._body(scope, proto)
        environ = self.environ(scope, body)
        loop = asyncio.get_running_loop()
        if environ["PATH_INFO"] in PATHS and (scope.method == "POST" or environ["QUERY_STRING"]):
            forbid_blocking()  # this thread runs the event loop: never wait for a query worker here
            try:
                status, headers, out = self.call(environ)
            except WouldBlock:  # nothing was done yet: a fresh environ (unread input) for the thread
                status, headers, out = await loop.run_in_executor(self.queries, self.call,
                                                                  self.environ(scope, body))
        else:
            status, headers, out = await loop.run_in_executor(self.pages, self.call, environ)
        proto.response_bytes(status, headers, out)

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
    return RsgiApp(app.wsgi_app, page_threads=int(st.settings["PAGE_THREADS"]),
                   query_threads=max(8, 4 * int(st.settings["QUERY_MAX_WORKERS"])),
                   max_body=int(app.config["MAX_CONTENT_LENGTH"]), close=st.executor.close)
