"""Operations: ``/healthz`` and ``/metrics`` (Prometheus text format)."""
from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .state import state

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    st = state()
    alive = st.executor.alive()
    body = {"status": "ok" if alive else "degraded", "store_loaded": True, "triples": len(st.dataset),
            "build_id": st.build_id, "workers": st.executor.size, "workers_idle": alive, "workers_busy": st.executor.busy(),
            "uptime_s": round(time.time() - st.started, 1)}
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/metrics")
def metrics() -> Response:
    st = state()
    return Response(generate_latest(st.metrics.registry), content_type=CONTENT_TYPE_LATEST)
