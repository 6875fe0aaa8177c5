"""Operations: ``/healthz`` and ``/metrics`` (Prometheus text format).

``/healthz`` is public and says whether the server is up (status, build, triples). Worker
saturation (how many query workers are idle or busy) is shown only to the clients the
``METRICS_ALLOW`` setting names, who may also read ``/metrics`` (which has it as the gauge
``r2pkg_query_workers``); anyone else gets 403 there. ``METRICS_ALLOW`` is a comma-separated list
of networks (``127.0.0.0/8,::1,10.0.0.0/8``) or ``*``, matched against the connection's address
(``REMOTE_ADDR``: behind a reverse proxy, the proxy's).
"""
from __future__ import annotations

import ipaddress
import time

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from ..errors import ConfigError
from .config import split_list
from .errors import error_response
from .state import state

bp = Blueprint("ops", __name__)
KEY = "r2pkg.ops"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow(value: object) -> tuple[Network, ...] | None:
    """The networks of ``METRICS_ALLOW``; None for ``*`` (every client).

    Raises:
        ConfigError: an entry is not an IP address or network.

    >>> parse_allow("127.0.0.0/8, ::1")
    (IPv4Network('127.0.0.0/8'), IPv6Network('::1/128'))
    >>> parse_allow("*") is None
    True
    """
    entries = split_list(value)
    if "*" in entries:
        return None
    try:
        return tuple(ipaddress.ip_network(e, strict=False) for e in entries)
    except ValueError as e:
        raise ConfigError(f"METRICS_ALLOW must list IP networks or '*': {e}", setting="METRICS_ALLOW") from e


def client_allowed(addr: str | None, networks: tuple[Network, ...] | None) -> bool:
    """Whether a client address (``REMOTE_ADDR``) is in ``networks`` (None: everyone is).

    >>> nets = parse_allow("127.0.0.0/8,::1")
    >>> [client_allowed(a, nets) for a in ("127.0.0.1", "[::1]", "::ffff:127.0.0.1", "203.0.113.5", "", None)]
    [True, True, True, False, False, False]
    """
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address((addr or "").strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


class WorkerGauges:
    """A Prometheus collector: the query workers configured, idle and busy, read when scraped."""

    def __init__(self, executor) -> None:
        self.executor = executor

    def collect(self):
        g = GaugeMetricFamily("r2pkg_query_workers", "Query workers: kept ready (size), idle, busy",
                              labels=["state"])
        g.add_metric(["size"], self.executor.size)
        g.add_metric(["idle"], self.executor.alive())
        g.add_metric(["busy"], self.executor.busy())
        yield g


@bp.record_once
def _init(setup) -> None:
    app: Flask = setup.app
    st = state(app)
    if KEY not in app.extensions:  # the factory parses it before the workers start
        app.extensions[KEY] = parse_allow(st.settings["METRICS_ALLOW"])
    st.metrics.registry.register(WorkerGauges(st.executor))


def _allowed() -> bool:
    return client_allowed(request.remote_addr, current_app.extensions[KEY])


@bp.get("/healthz")
def healthz() -> Response:
    st = state()
    alive = st.executor.alive()
    body = {"status": "ok" if alive else "degraded", "store_loaded": True, "triples": len(st.dataset),
            "build_id": st.build_id}
    if _allowed():  # saturation is for the operators' networks only
        body.update(workers=st.executor.size, workers_idle=alive, workers_busy=st.executor.busy(),
                    uptime_s=round(time.time() - st.started, 1))
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        resp = error_response("FORBIDDEN", "the metrics are readable from the operators' networks only "
                              "(setting METRICS_ALLOW)", 403, reason="metrics-not-allowed")
    else:
        resp = Response(generate_latest(state().metrics.registry), content_type=CONTENT_TYPE_LATEST)
    resp.headers["Cache-Control"] = "no-store"
    return resp
