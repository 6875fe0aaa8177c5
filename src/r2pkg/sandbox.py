"""The confinement of a query worker process: no network, a memory budget, low CPU priority.

A worker calls :func:`confine` once, right after it is forked (and, in the disk store mode, has
opened the build's store read-only: RocksDB's files and threads need nothing the filter refuses)
and before it reads its first query.
From then on the kernel, not a check in Python, decides what the process can do:

- **No network.** A seccomp filter (libseccomp through its ctypes binding ``pyseccomp``) makes
  ``socket()`` fail with ``EACCES`` for every address family but ``AF_UNIX`` (the pipe to the
  parent is a Unix socket pair, made before the fork), and refuses ``io_uring_setup`` (which can
  open sockets without the ``socket`` system call) and ``execve``. A ``SERVICE`` or ``LOAD`` that
  slipped past the query policy therefore fails inside the engine with "Permission denied", and
  DNS look-ups fail the same way. The filter is inherited by anything the process could start
  and cannot be removed (``PR_SET_NO_NEW_PRIVS``).
- **Memory.** ``RLIMIT_AS`` caps the address space at what the process had when it was forked
  (in the disk store mode: once it has opened the build's RocksDB store, so the budget is on top of
  what the store maps) plus ``memory_mb``: an allocation beyond that fails (the engine then aborts the process, the
  parent sees why on the worker's stderr and answers 503 ``RESOURCE_LIMIT``).
- **CPU.** The worker runs at ``nice`` +10, so the server process (health checks, static files,
  pages) keeps the processor when runaway queries fill every core.

Workers of the allowlisted ``SERVICE`` pool (``R2PKG_SERVICE_ALLOWLIST``) get the memory budget
and the priority but not the network filter: they are the one explicit way out.
"""
from __future__ import annotations

import errno
import os
import resource
import socket

from .errors import SandboxUnavailable

NICE = 10


def _filter():
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as e:  # pyseccomp loads libseccomp.so.2 when imported
        raise SandboxUnavailable(f"libseccomp is not available ({e}); on Debian: apt-get install libseccomp2") from e
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    f.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    for call in ("io_uring_setup", "execve", "execveat"):
        try:
            f.add_rule(sc.ERRNO(errno.EACCES), call)
        except (RuntimeError, OSError, ValueError):  # an older kernel/libseccomp without the call
            pass
    return f


def available() -> str | None:
    """None when the network filter can be installed on this machine, else why not."""
    try:
        _filter()
    except SandboxUnavailable as e:
        return str(e)
    return None


def address_space() -> int:
    """This process's current address-space size in bytes (VmSize)."""
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident() -> int:
    """The largest resident set size this process has had, in bytes: one ``getrusage`` call (1 µs;
    reading ``/proc/self/statm`` for the current size costs 15 µs, a quarter of a small query)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def confine(*, network: bool = False, memory_mb: int | None = None, nice: int = NICE) -> None:
    """Confine the calling process (a freshly forked worker); irreversible.

    Args:
        network: keep the network (only for the allowlisted SERVICE pool).
        memory_mb: address space allowed beyond the current size; None or 0 = no limit.
        nice: how much lower the CPU priority is than the server's.

    Raises:
        SandboxUnavailable: ``network`` is False and the seccomp filter cannot be installed.
    """
    try:
        if nice:
            os.nice(nice)
    except OSError:
        pass
    if memory_mb:
        limit = address_space() + int(memory_mb) * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if not network:
        _filter().load()
