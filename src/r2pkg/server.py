"""Running the app under a production server.

Granian (a Rust HTTP server) with its RSGI interface is the default (:mod:`r2pkg.web.rsgi`): the
event loop answers what cannot block, threads do the rest. Measured on this project's benchmark
(bench/README.md), its WSGI interface answered small queries at about half the rate once more than
one thread served requests (the GIL passes between them), and gunicorn's threaded workers at
0.7x of that. Both stay available: ``--server granian-wsgi`` and ``--server gunicorn``.

``r2pkg serve`` checks the build, prints its URLs and then replaces itself (``exec``) by
``python -m r2pkg.server``, a process that imports only the server: the CLI's imports (the build
pipeline, rdflib) would otherwise stay resident in the server's master process (20 MB).

Each server worker process calls :func:`r2pkg.web.create_app` once: it loads the published build
into memory and forks its query workers, then serves many requests. Settings reach the worker
processes as ``R2PKG_*`` environment variables, which the factory reads.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Callable, Mapping

SERVERS = ("granian", "granian-wsgi", "gunicorn")


def _export_config(app_config: Mapping | None) -> None:
    for key, value in (app_config or {}).items():
        if value is None:
            os.environ.pop(f"R2PKG_{key}", None)
        else:
            os.environ[f"R2PKG_{key}"] = value if isinstance(value, str) else json.dumps(value)


def serve(host: str, port: int, *, workers: int = 1, threads: int = 8, app_config: Mapping | None = None,
          server: str = "granian", on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the app until interrupted."""
    _export_config(app_config)
    _export_config({"LISTEN_PORT": port})
    _raise_fd_limit()
    base = base_url(host, port)
    if server in ("granian", "granian-wsgi"):
        from granian import Granian
        from granian.constants import Interfaces, Loops
        from granian.http import HTTP1Settings
        from granian.log import LogLevels

        if on_ready:
            on_ready(base)
        if server == "granian":
            _export_config({"PAGE_THREADS": threads})
            target, interface, extra = "r2pkg.web.rsgi:create_rsgi_app", Interfaces.RSGI, {"loop": _loop(Loops)}
        else:
            target, interface, extra = "r2pkg.web:create_app", Interfaces.WSGI, {"blocking_threads": threads}
        # hyper's header timeout starts with the first byte; silent connections are the guard's
        # (r2pkg.web.guard), which the RSGI factory starts in each worker
        header_ms = int(float(os.environ.get("R2PKG_HEADER_TIMEOUT", "5")) * 1000)
        Granian(target, factory=True, address=host, port=port, interface=interface, workers=workers,
                backlog=1024, log_level=LogLevels.warning, respawn_failed_workers=True,
                http1_settings=HTTP1Settings(header_read_timeout=header_ms), **extra).serve()
        return
    if server != "gunicorn":
        raise ValueError(f"unknown server {server!r}; use one of {', '.join(SERVERS)}")
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 120)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("loglevel", "warning")
            if on_ready:
                self.cfg.set("when_ready", lambda _server: on_ready(base))

        def load(self):
            from .web import create_app

            return create_app()

    _App().run()


def exec_serve(host: str, port: int, *, workers: int, threads: int, app_config: Mapping | None,
               server: str) -> None:
    """Replace this process by ``python -m r2pkg.server`` serving with these settings (never returns)."""
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}; use one of {', '.join(SERVERS)}")
    _export_config(app_config)
    args = json.dumps({"host": host, "port": port, "workers": workers, "threads": threads, "server": server})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "r2pkg.server", args])


def _raise_fd_limit() -> None:
    """Raise the soft limit on open files to the hard limit: each connection holds a descriptor, and
    a stock soft limit of 1,024 is reached by a thousand idle clients before the guard closes them."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def _loop(loops):
    """uvloop where it is installed (Linux, macOS), else asyncio's own loop."""
    import importlib.util

    return loops.uvloop if importlib.util.find_spec("uvloop") else loops.asyncio


def base_url(host: str, port: int) -> str:
    """The server's base URL (IPv6 hosts in brackets)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


if __name__ == "__main__":
    serve(**json.loads(sys.argv[1]))
