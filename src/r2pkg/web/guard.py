"""A connection guard: closes connections that send nothing, and caps connections per client.

Granian's HTTP/1 server (hyper) times out a request header only once its first byte has arrived:
a connection that never sends a byte is kept open for ever (measured: after 5 s of a 3 s
``header_read_timeout``, 0 of 50 such connections had been closed). A thousand of them exhaust
file descriptors and the accept backlog, and every other client is refused.

So each server process runs this guard, a thread that once a second looks at the process's own
TCP connections on the listening port (``/proc/self/fd``) and asks the kernel about each
(``TCP_INFO``: bytes received, milliseconds since data last arrived):

- a connection that has received **no byte** for ``header_timeout`` seconds is shut down (what a
  header timeout is for; a connection that sent a partial header is hyper's to time out);
- a client address holding more than ``per_client`` connections loses the idlest of them.

Shutting down a duplicate of the descriptor ends the connection for its owner too (the server sees
end-of-file and drops it). Linux only (``/proc`` and ``TCP_INFO``); elsewhere the guard does not
start and a reverse proxy must do this (SECURITY.md).
"""
from __future__ import annotations

import logging
import os
import socket
import struct
import sys
import threading
from collections import defaultdict

log = logging.getLogger("r2pkg.web")

_TCP_INFO_LEN = 232
_LAST_DATA_RECV = 52       # struct tcp_info: __u32 tcpi_last_data_recv (ms)
_BYTES_RECEIVED = 128      # struct tcp_info: __u64 tcpi_bytes_received (Linux >= 4.1)
_ESTABLISHED, _CLOSE_WAIT = 1, 8


class ConnectionGuard:
    """Sweeps this process's connections on ``port``; :meth:`start` runs it in a daemon thread."""

    def __init__(self, port: int, *, header_timeout: float, per_client: int, interval: float = 1.0) -> None:
        self.port, self.header_timeout_ms = port, int(header_timeout * 1000)
        self.per_client, self.interval = per_client, interval
        self.closed_idle = self.closed_excess = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def supported() -> bool:
        return sys.platform.startswith("linux") and os.path.isdir("/proc/self/fd") and hasattr(socket, "TCP_INFO")

    def start(self) -> "ConnectionGuard":
        if self.supported() and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="r2pkg-connection-guard", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - the guard must never die of one odd descriptor
                log.exception("connection guard sweep failed")

    def sweep(self) -> tuple[int, int]:
        """One pass: (connections closed for silence, connections closed over the per-client cap)."""
        idle = excess = 0
        by_client: dict[str, list[tuple[int, socket.socket]]] = defaultdict(list)
        kept: list[socket.socket] = []  # duplicates held to the end, so no descriptor is reused meanwhile
        try:
            for name in os.listdir("/proc/self/fd"):
                try:
                    if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                        continue
                    sock = socket.socket(fileno=os.dup(int(name)))
                except OSError:
                    continue
                kept.append(sock)
                try:
                    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM \
                            or sock.getsockname()[1] != self.port:
                        continue
                    peer = sock.getpeername()[0]
                    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_LEN)
                except OSError:  # the listening socket (no peer), or gone meanwhile
                    continue
                if info[0] not in (_ESTABLISHED, _CLOSE_WAIT):
                    continue
                quiet_ms = struct.unpack_from("I", info, _LAST_DATA_RECV)[0]
                received = struct.unpack_from("Q", info, _BYTES_RECEIVED)[0] if len(info) >= 136 else None
                if received == 0 and quiet_ms >= self.header_timeout_ms:
                    _shutdown(sock)
                    idle += 1
                    continue
                by_client[peer].append((quiet_ms, sock))
            if self.per_client:
                for conns in by_client.values():
                    if len(conns) > self.per_client:
                        conns.sort(key=lambda c: c[0], reverse=True)  # the idlest first
                        for _quiet, sock in conns[:len(conns) - self.per_client]:
                            _shutdown(sock)
                            excess += 1
        finally:
            for sock in kept:
                sock.close()  # the duplicates only
        self.closed_idle += idle
        self.closed_excess += excess
        return idle, excess


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
