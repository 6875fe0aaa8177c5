"""Soak: mixed queries from 16 clients against a real `r2pkg serve` for a bounded time, on loopback.

Zero errors, every client answered, and stable memory. How many answers the server gives in that time
is a benchmark's business (bench/), not a test's: it depends on what else the machine runs. CI runs
12 s; `R2PKG_SOAK_SECONDS=600 pytest tests/test_soak.py -s` runs longer. The figures are printed (run
with -s) and written to tests/artifacts/soak.json.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

SECONDS = float(os.environ.get("R2PKG_SOAK_SECONDS", "12"))
CLIENTS = 16
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"


def _tree_rss_mb(pid: int) -> float:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            todo += [int(k) for k in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return total / 1024


@pytest.fixture(scope="module")
def soak_server(res, built):
    """Its own server, with small answer caches, so that what the soak measures is leaks, not the
    caches filling up to their (configured, bounded) size; a 15 s query timeout, since a slow answer
    on a loaded machine is not what it looks for (test_hardening and test_hostile check timeouts)."""
    from conftest import serve_subprocess, stop_subprocess

    proc, base = serve_subprocess(res, "--timeout", "15", env={"R2PKG_CACHE_MAX_BYTES": str(8 * 2**20)})
    yield base, proc.pid  # `r2pkg serve` execs the server in place: same process, same pid
    stop_subprocess(proc)


@pytest.mark.slow
def test_soak(soak_server):
    live_server, pid = soak_server
    port = int(live_server.rsplit(":", 1)[1])
    queries = [p.read_text() for p in sorted((REPO / "queries").glob("cq*.rq"))]
    queries += [
        "SELECT ?s ?label WHERE { ?s a <https://w3id.org/r2pkg/ontology#State> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label",
        "ASK { ?s <https://w3id.org/r2pkg/ontology#supports> ?o }",
        "CONSTRUCT WHERE { <https://w3id.org/r2pkg/id/state/CHL> ?p ?o }",
    ]
    paths = ["/healthz", "/api/queries", "/api/queries/cq05-veto-restraint-backers?format=csv"]
    # warm up, then measure memory at the start
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for q in queries:
        c.request("GET", "/sparql?" + urllib.parse.urlencode({"query": q}))
        c.getresponse().read()
    c.close()
    stats = {"requests": 0, "errors": 0, "by_status": {}, "uncached": 0, "per_client": {}}
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            r = rng.random()
            if r < 0.15:
                path = rng.choice(paths)
            else:
                q = rng.choice(queries)
                if r < 0.45:  # a distinct query text each time: never served from the cache
                    q += f"\n# {seed}-{rng.random()}"
                path = "/sparql?" + urllib.parse.urlencode({"query": q, "format": rng.choice(["json", "csv", "tsv", "xml"]) if "CONSTRUCT" not in q else "turtle"})
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                status = resp.status
                if status != 200:
                    with lock:
                        samples = stats.setdefault("samples", [])
                        if len(samples) < 5:
                            samples.append({"status": status, "path": path[:120], "body": body[:300].decode("utf-8", "replace")})
            except (OSError, http.client.HTTPException) as e:
                status = -1
                with lock:
                    stats.setdefault("exceptions", {}).setdefault(type(e).__name__, 0)
                    stats["exceptions"][type(e).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                stats["requests"] += 1
                stats["per_client"][seed] = stats["per_client"].get(seed, 0) + 1
                stats["uncached"] += int(0.15 <= r < 0.45)
                stats["by_status"][status] = stats["by_status"].get(status, 0) + 1
                if status != 200:
                    stats["errors"] += 1
        conn.close()

    def run(seconds: float, seed: int) -> None:
        nonlocal stop
        stop = time.monotonic() + seconds
        threads = [threading.Thread(target=client, args=(seed + i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # Warm up under the same load first, so the worker pool (and its overflow workers) reaches its
    # steady size; memory is measured from there, over the soak proper.
    stop = 0.0
    run(min(10.0, SECONDS / 4), 1000)
    warmup = dict(stats)
    stats.update(requests=0, errors=0, by_status={}, uncached=0, per_client={})
    rss_start = _tree_rss_mb(pid)
    run(SECONDS, 0)
    rss_end = _tree_rss_mb(pid)
    stats["warmup_requests"] = warmup["requests"]
    stats["warmup_errors"] = warmup["errors"]
    report = {"seconds": SECONDS, "clients": CLIENTS, **stats, "rss_start_mb": round(rss_start, 1),
              "rss_end_mb": round(rss_end, 1), "rss_drift_mb": round(rss_end - rss_start, 1)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "soak.json").write_text(json.dumps(report, indent=2, default=str))
    print("\nsoak:", report)
    assert stats["errors"] == 0 and stats["warmup_errors"] == 0, (stats["by_status"], stats.get("samples"))
    # No client starved: each of the 16 got several answers (a server that stalls, or
    # serves some connections and leaves others waiting, fails here whatever the machine's speed).
    answered = [stats["per_client"].get(i, 0) for i in range(CLIENTS)]
    assert min(answered) >= 3, answered
    assert rss_end < rss_start * 1.15 + 20, report
