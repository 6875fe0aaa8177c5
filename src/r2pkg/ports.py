"""Is a TCP port free to listen on? Checked before a server starts.

Granian (and gunicorn with ``reuse_port``) bind with ``SO_REUSEPORT``, so a second server on a port
already served would start and the kernel would split connections between the two. A plain socket
bound *without* ``SO_REUSEPORT`` fails with ``EADDRINUSE`` while any process listens there, which is
the check. ``SO_REUSEADDR`` is set so that connections of a stopped server still in TIME_WAIT do not
count as "in use" (on Linux it never lets two sockets listen on one address).
"""
from __future__ import annotations

import errno
import socket

from .errors import PortInUse, R2pkgError


def ensure_port_free(host: str, port: int) -> None:
    """Bind and close a plain socket on ``host:port``.

    Raises:
        PortInUse: another process listens on ``host:port``.
        R2pkgError: ``host`` does not resolve or cannot be bound here.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise R2pkgError(f"cannot listen on {host!r}: {e.strerror}; give an address of this machine "
                         f"with --host, e.g. 127.0.0.1") from e
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {port} is in use on {host} (another `r2pkg serve`?); stop that "
                                f"server or choose another port with --port", port=port) from e
            if e.errno == errno.EACCES:
                raise R2pkgError(f"no permission to listen on port {port}; use a port above 1023 "
                                 f"with --port") from e
            raise R2pkgError(f"cannot listen on {host}:{port}: {e.strerror}; check --host") from e
