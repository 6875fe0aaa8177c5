"""Who may read the operations endpoints: ``/metrics`` only from the networks of
``METRICS_ALLOW`` (default loopback); ``/healthz`` for everyone, with worker saturation only for
those networks."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from r2pkg.errors import ConfigError

OUTSIDE = {"REMOTE_ADDR": "203.0.113.5"}
PUBLIC_FIELDS = {"status", "store_loaded", "triples", "build_id"}
SATURATION = {"workers", "workers_idle", "workers_busy", "uptime_s"}


def test_metrics_refused_outside_the_allowed_networks(client):
    r = client.get("/metrics", environ_base=OUTSIDE)
    assert r.status_code == 403 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["error"] == "FORBIDDEN" and body["reason"] == "metrics-not-allowed" and body["message"]
    assert b"r2pkg_" not in r.data
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("addr", ["127.0.0.1", "127.8.9.10", "::1"])
def test_metrics_open_to_loopback_by_default(client, addr):
    r = client.get("/metrics", environ_base={"REMOTE_ADDR": addr})
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert "r2pkg_requests_total" in r.get_data(as_text=True)


def test_metrics_has_the_worker_gauges(client):
    text = client.get("/metrics").get_data(as_text=True)
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    gauge = fams["r2pkg_query_workers"]
    assert gauge.type == "gauge"
    values = {s.labels["state"]: s.value for s in gauge.samples}
    assert values["size"] == 2 and values["idle"] >= 2 and values["busy"] == 0


def test_healthz_outside_shows_no_saturation(client, built):
    r = client.get("/healthz", environ_base=OUTSIDE)
    assert r.status_code == 200
    h = r.get_json()
    assert set(h) == PUBLIC_FIELDS
    assert h["status"] == "ok" and h["build_id"] == built.build_id and h["triples"] == built.manifest["triples"]


def test_healthz_inside_shows_the_workers(client):
    h = client.get("/healthz", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert set(h) == PUBLIC_FIELDS | SATURATION
    assert h["workers"] == 2 and h["workers_busy"] == 0


@pytest.mark.parametrize(("allow", "addr", "status"), [
    ("10.0.0.0/8", "10.20.30.40", 200),
    ("10.0.0.0/8", "127.0.0.1", 403),
    ("10.0.0.0/8, 2001:db8::/32", "2001:db8::7", 200),
    ("192.0.2.1", "::ffff:192.0.2.1", 200),
    ("*", "203.0.113.5", 200),
    ("", "127.0.0.1", 403),
])
def test_metrics_allow_setting(make_app, allow, addr, status):
    app = make_app(METRICS_ALLOW=allow)
    assert app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": addr}).status_code == status
    h = app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": addr}).get_json()
    assert ("workers_busy" in h) is (status == 200)


def test_metrics_allow_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("R2PKG_METRICS_ALLOW", "203.0.113.0/24")
    app = make_app()
    assert app.test_client().get("/metrics", environ_base=OUTSIDE).status_code == 200
    assert app.test_client().get("/metrics").status_code == 403  # 127.0.0.1 is no longer listed


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/8,nope"])
def test_invalid_metrics_allow_is_refused_at_start(dataset, bad):
    from r2pkg.web import create_app

    with pytest.raises(ConfigError) as e:
        create_app({"DATASET": dataset, "METRICS_ALLOW": bad, "QUERY_WORKERS": 1})
    assert e.value.details["setting"] == "METRICS_ALLOW"


def test_real_server_refuses_metrics_to_an_unlisted_network(configured_server):
    """``r2pkg serve`` with ``R2PKG_METRICS_ALLOW=192.0.2.0/24``: the loopback client is outside."""
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(configured_server + "/metrics", timeout=10)
    assert e.value.code == 403 and json.loads(e.value.read())["reason"] == "metrics-not-allowed"
    with urllib.request.urlopen(configured_server + "/healthz", timeout=10) as r:
        assert set(json.loads(r.read())) == PUBLIC_FIELDS
