"""Persistent HTTP connections to a remote store: one per thread and origin, reused query after query.

A new TCP connection per query costs the handshake and the store's per-connection set-up on every
request (measured over Virtuoso 7.2: the larger part of the front end's fixed cost per query, see
``bench/README.md``). Queries are read-only, so a request that fails on a connection the store had
already closed (an idle keep-alive it dropped) is sent once more on a fresh one. Never via a proxy:
``http.client`` connects where it is told.
"""
from __future__ import annotations

import http.client
import threading
import urllib.parse

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
