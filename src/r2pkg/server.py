"""Running the app under a production WSGI server (gunicorn, threaded workers).

Each gunicorn worker process calls :func:`r2pkg.web.create_app` once: it loads the published build
into memory and forks its query workers, then serves many requests.
"""
from __future__ import annotations

from typing import Callable, Mapping


def serve(host: str, port: int, *, workers: int = 1, threads: int = 8, app_config: Mapping | None = None,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the app with gunicorn until interrupted."""
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
                self.cfg.set("when_ready", lambda _server: on_ready(f"http://{_fmt(host)}:{port}"))

        def load(self):
            from .web import create_app

            return create_app(dict(app_config or {}))

    _App().run()


def _fmt(host: str) -> str:
    return f"[{host}]" if ":" in host else host
