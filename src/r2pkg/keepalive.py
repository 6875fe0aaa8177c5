"""Persistent HTTP connections to a remote store, reused query after query: :class:`Connections`
(one per thread and origin, ``http.client``) for requests made from threads, and
:class:`LoopConnections` (a pool per event loop and origin, asyncio) for requests awaited on the
server's event loop, which then need no thread hop at all.

A new TCP connection per query costs the handshake and the store's per-connection set-up on every
request (measured over Virtuoso 7.2: the larger part of the front end's fixed cost per query, see
``bench/README.md``). Queries are read-only, so a request that fails on a connection the store had
already closed (an idle keep-alive it dropped) is sent once more on a fresh one. Never via a proxy:
``http.client`` connects where it is told.
"""
from __future__ import annotations

import asyncio
import functools
import http.client
import ssl
import threading
import urllib.parse
import weakref

# what a connection the other side closed while idle looks like when it is next used
_STALE = (http.client.RemoteDisconnected, http.client.CannotSendRequest, BrokenPipeError,
          ConnectionResetError, ConnectionAbortedError)


class _Held(dict):
    """One thread's connections, closed when the thread (and so its ``threading.local``) goes."""

    def __del__(self) -> None:
        for conn in self.values():
            conn.close()


class Connections:
    """Keep-alive connections, one per (thread, origin).

    Example:
        >>> pool = Connections()
        >>> # status, body, headers = pool.request("http://127.0.0.1:8890/sparql", "POST", b"...", {}, 5.0)
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def request(self, url: str, method: str, body: bytes | None, headers: dict[str, str],
                timeout: float) -> tuple[int, bytes, http.client.HTTPMessage]:
        """Send one request and read the whole answer: (status, body, headers).

        Raises:
            TimeoutError: no answer within ``timeout`` seconds (the connection is dropped).
            OSError: the origin cannot be reached.
        """
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        conns: dict = self._local.__dict__.setdefault("conns", _Held())
        while True:
            conn = conns.pop(key, None)
            reused = conn is not None
            if conn is None:
                cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
                conn = cls(parts.hostname, parts.port, timeout=timeout)
            try:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except _STALE:
                conn.close()
                if reused:
                    continue  # the store closed it while it was idle: once more, on a fresh one
                raise
            except BaseException:
                conn.close()
                raise
            if not resp.will_close:
                conns[key] = conn
            else:
                conn.close()
            return resp.status, data, resp.headers

    def close(self) -> None:
        """Close this thread's connections."""
        held = self._local.__dict__.pop("conns", None)
        if held is not None:
            held.__del__()
            held.clear()


class ProtocolError(OSError):
    """The origin's answer is not HTTP/1.1 that this client reads."""


class Headers(dict):
    """Response headers, looked up case-insensitively (as ``http.client.HTTPMessage``)."""

    def get(self, name: str, default=None):  # type: ignore[override]
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())


class _Exchange(asyncio.Protocol):
    """One connection: sends a request, parses the answer as it arrives (a body sized by
    Content-Length, chunked, or up to the end of the connection), completes a future with it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.answered = False  # some byte of the current answer arrived
        self._reset()

    def _reset(self) -> None:
        self.buf = bytearray()
        self.status = 0
        self.headers: Headers | None = None
        self.mode = ""  # "length" | "chunked" | "eof"
        self.length = 0
        self.chunks: list[bytes] = []
        self.keep = True

    # -- asyncio.Protocol --------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted any more
            return
        self.answered = True
        self.buf += data
        try:
            self._parse(eof=False)
        except ProtocolError as e:
            self._fail(e)

    def eof_received(self):
        if self.waiter is not None and not self.waiter.done():
            try:
                self._parse(eof=True)
            except ProtocolError as e:
                self._fail(e)
        return False  # close the transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            if self.mode == "eof" and self.headers is not None:
                self._done(bytes(self.buf))
            else:
                self.waiter.set_exception(exc if isinstance(exc, OSError) else
                                          ConnectionResetError("the connection closed before the answer ended"))

    # -- one exchange ------------------------------------------------------------------------------

    def send(self, data: bytes, loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        self._reset()
        self.answered = False
        self.waiter = loop.create_future()
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: BaseException) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def _done(self, body: bytes) -> None:
        if not self.keep:
            self.close()
        self.waiter.set_result((self.status, body, self.headers))

    def _parse(self, eof: bool) -> None:
        buf = self.buf
        while self.headers is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > 65536:
                    raise ProtocolError("the answer's header is over 64 KiB")
                if eof:
                    raise ConnectionResetError("the connection closed inside the answer's header")
                return
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            del buf[:end + 4]
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
            status = int(code)
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue): the real one follows
            head = Headers()
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    raise ProtocolError(f"not a header line: {line[:80]!r}")
                key = name.strip().lower()
                value = value.strip()
                head[key] = head[key] + ", " + value if key in head else value
            self.status, self.headers = status, head
            conn = head.get("connection", "").lower()
            self.keep = ("close" not in conn) and (version != "HTTP/1.0" or "keep-alive" in conn)
            if status in (204, 304):
                self.mode, self.length = "length", 0
            elif "chunked" in head.get("transfer-encoding", "").lower():
                self.mode = "chunked"
            elif head.get("content-length", "").strip().isdigit():
                self.mode, self.length = "length", int(head["content-length"])
            else:
                self.mode, self.keep = "eof", False
        if self.mode == "length":
            if len(buf) >= self.length:
                if len(buf) > self.length:
                    self.keep = False  # more than the answer: do not reuse
                self._done(bytes(buf[:self.length]))
            elif eof:
                raise ConnectionResetError("the connection closed inside the answer's body")
        elif self.mode == "chunked":
            while True:
                line_end = buf.find(b"\r\n")
                if line_end < 0:
                    break
                size_text = bytes(buf[:line_end]).split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise ProtocolError(f"not a chunk size: {size_text[:20]!r}") from None
                if size == 0:  # the last chunk, then trailer lines (if any) up to an empty line
                    if buf[line_end + 2:line_end + 4] != b"\r\n" and buf.find(b"\r\n\r\n", line_end) < 0:
                        break
                    self._done(b"".join(self.chunks))
                    return
                if len(buf) < line_end + 2 + size + 2:
                    break
                self.chunks.append(bytes(buf[line_end + 2:line_end + 2 + size]))
                del buf[:line_end + 2 + size + 2]
            if eof:
                raise ConnectionResetError("the connection closed inside a chunked answer")
        elif eof:  # "eof": the body is everything up to the end of the connection
            self._done(bytes(buf))


class LoopConnections:
    """Keep-alive connections for requests awaited on an event loop: per loop and origin, a pool of
    idle connections (one per request in flight at most), so no request waits for a thread.

    Example:
        >>> pool = LoopConnections()
        >>> # status, body, headers = await pool.request("http://127.0.0.1:8890/sparql", "POST", b"...", {}, 5.0)
    """

    MAX_IDLE = 32  # per loop and origin

    def __init__(self) -> None:
        self._idle: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def request(self, url: str, method: str, body: bytes | None, headers: dict[str, str],
                      timeout: float) -> tuple[int, bytes, Headers]:
        """Send one request and read the whole answer: (status, body, headers).

        Raises:
            TimeoutError: no answer within ``timeout`` seconds (the connection is dropped).
            OSError: the origin cannot be reached, or its answer is not HTTP/1.x (ProtocolError).
        """
        loop = asyncio.get_running_loop()
        key, host, target = _origin(url)
        https, hostname, port = key[0] == "https", key[1], key[2]
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}",
                 f"Content-Length: {len(body or b'')}", "Accept-Encoding: identity"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        idle = self._idle.setdefault(loop, {}).setdefault(key, [])
        end = loop.time() + timeout
        while True:
            conn = None
            while idle and conn is None:
                conn = idle.pop()
                if conn.closed:
                    conn = None
            reused = conn is not None
            if conn is None:
                try:
                    _, conn = await asyncio.wait_for(loop.create_connection(
                        _Exchange, hostname, port, ssl=ssl.create_default_context() if https else None),
                        max(0.0, end - loop.time()))
                except asyncio.TimeoutError:
                    raise TimeoutError(f"no connection within {timeout:g} s") from None
            waiter = conn.send(data, loop)
            timer = loop.call_later(max(0.0, end - loop.time()), _expire, conn, waiter, timeout)
            try:
                status, answer, head = await waiter
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
                conn.close()
                if reused and not conn.answered:
                    continue  # the store closed it while it was idle: once more, on a fresh one
                raise
            except BaseException:  # a timeout, or the awaiting request was cancelled
                conn.close()
                raise
            finally:
                timer.cancel()
            if not conn.closed and len(idle) < self.MAX_IDLE:
                idle.append(conn)
            else:
                conn.close()
            return status, answer, head

    def close(self) -> None:
        """Close every idle connection (of every loop)."""
        for pools in list(self._idle.values()):
            for conns in pools.values():
                for conn in conns:
                    conn.close()
                conns.clear()


@functools.lru_cache(maxsize=64)
def _origin(url: str) -> tuple[tuple[str, str, int], str, str]:
    """(scheme, host name, port), the Host header and the request target of ``url``: parsed once
    per URL, not per request (``SplitResult.port`` parses the netloc at each read)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return (parts.scheme, parts.hostname, port), host, (parts.path or "/") + ("?" + parts.query if parts.query else "")


def _expire(conn: _Exchange, waiter: asyncio.Future, timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no answer within {timeout:g} s"))
    conn.close()
