"""Benchmark r2pkg against Oxigraph server and rdflib-endpoint on the same data, in one run.

    python bench/run.py --k 1            # a full k=1 run (a few minutes)
    python bench/run.py --k 1 10 100     # growth from k=1 to k=100
    python bench/run.py --k 100 --peers virtuoso   # also Virtuoso, and r2pkg serve --store over it

Needs: r2pkg installed (this checkout), the PyPI packages `oxigraph` (its CLI) and `rdflib-endpoint`
+ `uvicorn` in the environment given by --peers-python (default: this Python), and Debian's `wrk`
(load generator). Everything runs on loopback. Results: bench/results/<k>.md and .json.
`--peers virtuoso` also starts Debian's Virtuoso (`virtuoso-t`, `.ci/install-virtuoso.sh`) on a private
database, loads the data with `r2pkg publish`, and measures it directly and r2pkg over it
(`serve --store`, uncached and cached).

Per query and server: rows returned (checked equal across servers), latency median and p95 over
sequential keep-alive requests, throughput with 4 and 16 concurrent connections (wrk, uncached
r2pkg = answer cache disabled; cached r2pkg = repeated identical GETs), plus load time, time to first
answer and memory (RSS and PSS summed over the server's process tree).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from summary import paired_cell  # bench/ is the script's folder, so it is on sys.path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
JSON_TYPES = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            kids = []
        todo += [int(k) for k in kids]
    return out


def rollup_kb(pid: int) -> dict[str, int]:
    """The fields of /proc/<pid>/smaps_rollup, in kB (empty if the process is gone)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def memory_mb(pid: int) -> tuple[float, float]:
    rss = pss = 0
    for p in tree(pid):
        r = rollup_kb(p)
        rss, pss = rss + r.get("Rss", 0), pss + r.get("Pss", 0)
    return round(rss / 1024, 1), round(pss / 1024, 1)


def processes_mb(pid: int) -> list[dict]:
    """Per process of the tree: PSS and private (unshared) memory in MB, largest PSS first."""
    rows = []
    for p in tree(pid):
        r = rollup_kb(p)
        if r:
            rows.append({"pss": round(r["Pss"] / 1024, 1),
                         "private": round((r["Private_Clean"] + r["Private_Dirty"]) / 1024, 1)})
    return sorted(rows, key=lambda x: -x["pss"])


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> dict[int, tuple[str, float, float]]:
    """Per process of the tree: (role, CPU seconds it used so far, CPU seconds of its children that
    ended and were reaped), user + system time, all threads. Role: ``front`` for the processes at
    the server's priority, ``workers`` for those running niced (r2pkg's query workers, nice +10)."""
    out = {}
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        role = "workers" if int(fields[16]) > 0 else "front"  # field 19 of stat(5): nice
        out[p] = (role, (int(fields[11]) + int(fields[12])) / _TICK, (int(fields[13]) + int(fields[14])) / _TICK)
    return out


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds used between two :func:`cpu_s` readings, by role. A process that ended in between
    (a query worker replaced after a timeout or for its growth, an overflow worker retired) counts
    through its parent's reaped-children time, as a worker; one that ended unreaped is missed."""
    used = {"front": 0.0, "workers": 0.0}
    for p, (role, own, reaped) in after.items():
        was = before.get(p, (role, 0.0, 0.0))
        used[role] += own - was[1]
        used["workers"] += reaped - was[2]
    return used


class Server:
    def __init__(self, name: str, cmd: list[str], port: int, path: str, env: dict | None = None,
                 setup_s: float = 0.0) -> None:
        self.name, self.port, self.path, self.setup_s = name, port, path, setup_s
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.ttfa = None
        while time.perf_counter() - t0 < 600:
            try:
                if self.request("ASK { ?s ?p ?o }")[0] == 200:
                    self.ttfa = time.perf_counter() - t0
                    break
            except OSError:
                time.sleep(0.02)
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}")
        if self.ttfa is None:
            raise RuntimeError(f"{name} did not answer")

    def url(self, query: str) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}?" + urllib.parse.urlencode({"query": query})

    def request(self, query: str, conn: http.client.HTTPConnection | None = None,
                accept: str = JSON_TYPES) -> tuple[int, bytes]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("GET", self.url(query)[len(f"http://127.0.0.1:{self.port}"):], headers={"Accept": accept})
        r = conn.getresponse()
        body = r.read()
        if own:
            conn.close()
        return r.status, body

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


class VirtuosoPeer(Server):
    """Virtuoso (tests/virtuoso_server.py) started on a private database, loaded with `r2pkg publish`."""

    def __init__(self, work: Path, nq: Path) -> None:
        sys.path.insert(0, str(REPO / "tests"))
        from virtuoso_server import PASSWORD, USER, start_virtuoso

        from r2pkg.remote import publish

        t0 = time.perf_counter()
        self.server = start_virtuoso(work / "virtuoso", buffers=170000)  # about 1.3 GB of pages
        self.ttfa = time.perf_counter() - t0
        try:
            publish(nq, self.server.gsp, kind="virtuoso", user=USER, password=PASSWORD, timeout=600)
        except BaseException:
            self.server.stop()
            raise
        self.name, self.path, self.proc = "virtuoso", "/sparql", self.server.proc
        self.port = int(self.server.base.rsplit(":", 1)[1])
        self.setup_s = time.perf_counter() - t0

    def stop(self) -> None:
        self.server.stop()


def count_rows(body: bytes, construct: bool) -> int:
    if construct:
        return sum(1 for line in body.decode().splitlines() if line.strip() and not line.startswith("#"))
    doc = json.loads(body)
    return 1 if "boolean" in doc else len(doc["results"]["bindings"])


def latency(server: Server, query: str, n: int, accept: str) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, _ = server.request(query, conn, accept)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200, (server.name, status)
    conn.close()
    times.sort()
    return round(statistics.median(times), 3), round(times[min(len(times) - 1, int(0.95 * len(times)))], 3)


WRK_LUA = HERE / "wrk-errors.lua"


def wrk(url: str, conns: int, seconds: float, accept: str) -> tuple[float, int]:
    """Requests per second and the number of requests made, with ``conns`` connections."""
    out = subprocess.run(["wrk", f"-t{min(conns, 2)}", f"-c{conns}", f"-d{max(1, round(seconds))}s",
                          "-s", str(WRK_LUA), "-H", f"Accept: {accept}", url],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        first = re.search(r"^ERROR (.*)$", out, re.M)
        raise RuntimeError(f"wrk saw {non2xx.group(1)} error responses for {url[:80]}: "
                           f"{first.group(1) if first else '?'}")
    n = re.search(r"(\d+) requests in", out)
    return (float(m.group(1)) if m else 0.0), (int(n.group(1)) if n else 0)


def queries(include_cq: bool) -> list[tuple[str, str]]:
    qs = [(p.stem, p.read_text()) for p in sorted((HERE / "queries").glob("*.rq"))]
    if include_cq:
        qs += [(p.stem, p.read_text()) for p in sorted((REPO / "queries").glob("cq*.rq"))]
    return qs


def prepare_r2pkg(nq: Path, build_dir: Path) -> None:
    from r2pkg.build import publish_nquads

    publish_nquads(nq.read_bytes(), build_dir, {"source": f"bench {nq.name}"})


def prepare_disk_store(build_dir: Path) -> None:
    """The build's on-disk store (for `--store-mode disk`), as `r2pkg serve` writes it on first start."""
    from r2pkg.build import current_build
    from r2pkg.diskstore import ensure

    b = current_build(build_dir)
    ensure(b.path, b.dataset_path)


def geomean(xs: list[float]) -> float:
    xs = [x for x in xs if x > 0]
    return round(statistics.geometric_mean(xs), 1) if xs else 0.0


def run_k(k: int, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"r2pkg-bench-k{k}-"))
    base = work / "base"
    subprocess.run([sys.executable, "-m", "r2pkg.cli", "--build-dir", str(base), "build", "--no-consistency"],
                   check=True, capture_output=True)
    nq = work / f"k{k}.nq"
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--k", str(k), "--base",
                    str(base / "current" / "dataset.nq"), "-o", str(nq)], check=True, capture_output=True)
    quads = sum(1 for _ in nq.open())
    peers_py = args.peers_python
    oxi = str(Path(peers_py).parent / "oxigraph")
    t0 = time.perf_counter()
    subprocess.run([oxi, "load", "--location", str(work / "oxi"), "--file", str(nq)], check=True,
                   capture_output=True)
    oxi_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    prepare_r2pkg(nq, work / "r2b")
    r2_prepare = time.perf_counter() - t0
    disk_prepare = None
    if "disk" in args.also_store_mode:
        t0 = time.perf_counter()
        prepare_disk_store(work / "r2b")
        disk_prepare = r2_prepare + time.perf_counter() - t0

    def r2pkg_server(name: str, cache: bool, server: str = "granian", python: str = sys.executable,
                     store: str | None = None, setup_s: float | None = None, store_mode: str = "memory") -> Server:
        return Server(name, [python, "-m", "r2pkg.cli", "--build-dir", str(work / "r2b"), "serve",
                             "--port", str(port := free_port()), "--workers", str(args.workers),
                             "--timeout", "60", "--server", server, *(["--store", store] if store else [])],
                      port, "/sparql", env={"R2PKG_CACHE_MAX_BYTES": str(64 * 2**20 if cache else 0),
                                            **({"R2PKG_STORE_MODE": store_mode} if store_mode != "memory" else {})},
                      setup_s=(disk_prepare if store_mode == "disk" else r2_prepare) if setup_s is None else setup_s)

    servers: dict[str, Server] = {}
    try:
        return _measure(k, args, work, quads, servers, r2pkg_server, oxi, oxi_load, peers_py, nq)
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def _measure(k, args, work, quads, servers, r2pkg_server, oxi, oxi_load, peers_py, nq) -> dict:
    servers["r2pkg"] = r2pkg_server("r2pkg", cache=False)
    servers["r2pkg-cached"] = r2pkg_server("r2pkg-cached", cache=True)
    for other in args.also_server:  # the same app, uncached, on another server (e.g. granian-wsgi)
        servers[f"r2pkg[{other}]"] = r2pkg_server(f"r2pkg[{other}]", cache=False, server=other)
    for mode in args.also_store_mode:  # the same app, uncached, over another store mode (r2pkg.store)
        servers[f"r2pkg[{mode}]"] = r2pkg_server(f"r2pkg[{mode}]", cache=False, store_mode=mode)
    for spec in args.also_r2pkg:  # another checkout's r2pkg (its own environment), uncached, same data
        name, _, python = spec.partition("=")
        servers[f"r2pkg[{name}]"] = r2pkg_server(f"r2pkg[{name}]", cache=False, python=python)
    port = free_port()
    servers["oxigraph"] = Server("oxigraph", [oxi, "serve-read-only", "--location", str(work / "oxi"), "--bind",
                                              f"127.0.0.1:{port}", "--union-default-graph"],
                                 port, "/query", setup_s=oxi_load)
    if "virtuoso" in args.peers:
        v = servers["virtuoso"] = VirtuosoPeer(work, nq)
        servers["r2pkg[virtuoso]"] = r2pkg_server("r2pkg[virtuoso]", cache=False, store=v.server.sparql,
                                                  setup_s=v.setup_s)
        servers["r2pkg[virtuoso]-cached"] = r2pkg_server("r2pkg[virtuoso]-cached", cache=True,
                                                         store=v.server.sparql, setup_s=v.setup_s)
    if k <= args.rdflib_max_k and "rdflib-endpoint" in args.peers:
        port = free_port()
        servers["rdflib-endpoint"] = Server("rdflib-endpoint", [peers_py, str(HERE / "rdflib_endpoint_app.py"),
                                                                str(nq), str(port)], port, "/")
    result = {"k": k, "quads": quads, "servers": {}, "queries": {}}
    for name, s in servers.items():
        rss, pss = memory_mb(s.proc.pid)
        result["servers"][name] = {"time_to_first_answer_s": round(s.ttfa, 3), "prepare_s": round(s.setup_s, 3),
                                   "rss_mb": rss, "pss_mb": pss}
    for qname, q in queries(include_cq=k <= args.cq_max_k):
        construct = bool(re.search(r"^\s*CONSTRUCT", q, re.M | re.I))
        accept = "application/n-triples" if construct else JSON_TYPES
        row = result["queries"][qname] = {}
        for name, s in servers.items():
            if name == "rdflib-endpoint" and qname.startswith("cq") and not args.rdflib_cq:
                continue
            status, body = s.request(q, accept=accept)
            if status != 200:
                row[name] = {"error": status}
                continue
            n = count_rows(body, construct)
            lat = latency(s, q, args.latency_n if name != "rdflib-endpoint" else max(3, args.latency_n // 10), accept)
            row[name] = {"rows": n, "median_ms": lat[0], "p95_ms": lat[1]}
            if qname.startswith("b") or args.all_throughput:
                for c in (4, 16):
                    dur = args.seconds if name != "rdflib-endpoint" else max(1.0, args.seconds / 2)
                    before = cpu_s(s.proc.pid)
                    row[name][f"rps_c{c}"], n = wrk(s.url(q), c, dur, accept)
                    used = cpu_used(before, cpu_s(s.proc.pid))
                    if n:  # CPU microseconds per request, by role (the load generator's own excluded)
                        row[name][f"cpu_us_c{c}"] = {r: round(v / n * 1e6, 1) for r, v in used.items()}
        rows = {r["rows"] for r in row.values() if "rows" in r}
        row["rows_agree"] = len(rows) == 1
    for name, s in servers.items():
        result["servers"][name]["rss_after_mb"], result["servers"][name]["pss_after_mb"] = memory_mb(s.proc.pid)
        result["servers"][name]["processes_after"] = processes_mb(s.proc.pid)
    for name in servers:
        for c in (4, 16):
            result["servers"][name][f"geomean_rps_c{c}"] = geomean(
                [v[name].get(f"rps_c{c}", 0) for q, v in result["queries"].items() if name in v])
    if not args.no_default_serve:
        result["default_serve"] = default_serve_memory(work, k, args)
        for mode in args.also_store_mode:
            result[f"default_serve[{mode}]"] = default_serve_memory(work, k, args, mode)
    return result


def default_serve_memory(work: Path, k: int, args, store_mode: str = "memory") -> dict:
    """`r2pkg serve` as shipped (1 server process, answer cache on), in ``store_mode``: memory when
    idle, and after every query has run for 1 s at 16 connections."""
    port = free_port()
    s = Server("r2pkg-default", [sys.executable, "-m", "r2pkg.cli", "--build-dir", str(work / "r2b"), "serve",
                                 "--port", str(port), "--store-mode", store_mode], port, "/sparql")
    try:
        idle = memory_mb(s.proc.pid)
        for _, q in queries(include_cq=k <= args.cq_max_k):
            construct = bool(re.search(r"^\s*CONSTRUCT", q, re.M | re.I))
            wrk(s.url(q), 16, 1, "application/n-triples" if construct else JSON_TYPES)  # (rps, n) unused
        after, processes = memory_mb(s.proc.pid), len(tree(s.proc.pid))
    finally:
        s.stop()
    return {"rss_idle_mb": idle[0], "pss_idle_mb": idle[1], "rss_after_mb": after[0], "pss_after_mb": after[1],
            "processes": processes}


def markdown(res: dict, machine: str) -> str:
    k = res["k"]
    names = list(res["servers"])
    ox = res["servers"]["oxigraph"]
    lines = [f"# r2pkg benchmark, k={k} ({res['quads']} quads)", "", machine, "",
             "Geomean req/s: over the queries the server answered. Ratio: the geometric mean, over the queries "
             "both answered, of the per-query req/s ratio (bench/summary.py `paired`); a query only one of the "
             "two answered is named beside it.", "",
             "| server | TTFA s | prepare s | RSS MB | PSS MB | PSS vs Oxigraph | geomean req/s c=4 | ratio vs Oxigraph | "
             "geomean req/s c=16 | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for n in names:
        s = res["servers"][n]
        pss = s["pss_after_mb"] / ox["pss_after_mb"] if ox["pss_after_mb"] else 0
        lines.append(f"| {n} | {s['time_to_first_answer_s']} | {s['prepare_s']} | {s['rss_after_mb']} | "
                     f"{s['pss_after_mb']} | {pss:.2f}x | {s['geomean_rps_c4']} | {paired_cell(res, n, 'oxigraph', 4)} | "
                     f"{s['geomean_rps_c16']} | {paired_cell(res, n, 'oxigraph', 16)} |")
    if "virtuoso" in res["servers"]:
        lines += ["", "Over Virtuoso (`serve --store`), req/s as a ratio of Virtuoso direct in the same run (paired "
                      "as above):"]
        for n in ("r2pkg[virtuoso]", "r2pkg[virtuoso]-cached"):
            lines.append(f"- {n}: {paired_cell(res, n, 'virtuoso', 4)} at c=4, "
                         f"{paired_cell(res, n, 'virtuoso', 16)} at c=16")
    for key in [key for key in res if key.startswith("default_serve")]:
        d, mode = res[key], key[len("default_serve"):] or "[memory]"
        lines += ["", f"Default `r2pkg serve` (1 server process, answer cache on), store mode {mode[1:-1]}, summed "
                      f"over its process tree: RSS {d['rss_idle_mb']} MB idle, {d['rss_after_mb']} MB after every "
                      f"query ran 1 s at 16 connections; PSS {d['pss_idle_mb']} / {d['pss_after_mb']} MB "
                      f"({d['processes']} processes)."]
    lines += ["", "PSS / private MB per process after the queries (largest first):"]
    for n in names:
        procs = res["servers"][n].get("processes_after", [])
        lines.append(f"- {n}: " + ", ".join(f"{p['pss']:.0f} / {p['private']:.0f}" for p in procs))
    lines += ["", "Per query: rows (equal across servers?), median / p95 latency in ms, req/s at c=4 and c=16.", "",
              "| query | rows agree | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for q, row in res["queries"].items():
        cells = []
        for n in names:
            v = row.get(n)
            if not v:
                cells.append("-")
            elif "error" in v:
                cells.append(f"HTTP {v['error']}")
            else:
                tp = f"; {v['rps_c4']:.0f} / {v['rps_c16']:.0f} rps" if "rps_c4" in v else ""
                cells.append(f"{v['rows']} rows; {v['median_ms']} / {v['p95_ms']} ms{tp}")
        lines.append(f"| {q} | {'yes' if row['rows_agree'] else 'NO'} | " + " | ".join(cells) + " |")
    lines += cpu_table(res, names)
    return "\n".join(lines) + "\n"


def cpu_table(res: dict, names: list[str]) -> list[str]:
    """CPU per request at c=4, by role: where a server's time goes (the profile behind the ratios)."""
    rows = [(q, row) for q, row in res["queries"].items() if any("cpu_us_c4" in v for v in row.values()
                                                                if isinstance(v, dict))]
    if not rows:
        return []
    lines = ["", "CPU per request at c=4, in µs, summed over each server's process tree while wrk ran (wrk's own "
             "excluded); for r2pkg, server processes + query workers. Over Virtuoso, r2pkg's figure leaves out "
             "Virtuoso's own CPU.", "",
             "| query | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for q, row in rows:
        cells = []
        for n in names:
            cpu = row.get(n, {}).get("cpu_us_c4") if isinstance(row.get(n), dict) else None
            if not cpu:
                cells.append("-")
            elif min(cpu.values()) < 0:  # a run before reaped workers were counted: a worker ended during it
                cells.append("n/a")
            elif cpu["workers"]:
                cells.append(f"{cpu['front']:.0f} + {cpu['workers']:.0f} = {cpu['front'] + cpu['workers']:.0f}")
            else:
                cells.append(f"{cpu['front']:.0f}")
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, nargs="+", default=[1])
    ap.add_argument("--peers-python", default=sys.executable,
                    help="Python of the environment holding the oxigraph CLI, rdflib-endpoint and uvicorn")
    ap.add_argument("--workers", type=int, default=2, help="r2pkg serve --workers")
    ap.add_argument("--also-server", action="append", default=[], metavar="NAME",
                    help="also measure r2pkg (uncached) under `serve --server NAME`: granian-wsgi, gunicorn")
    ap.add_argument("--also-store-mode", action="append", default=[], choices=["disk"],
                    help="also measure r2pkg (uncached) in another store mode (R2PKG_STORE_MODE), same build")
    ap.add_argument("--also-r2pkg", action="append", default=[], metavar="NAME=PYTHON",
                    help="also measure the r2pkg installed in another environment (e.g. an earlier checkout's "
                         "venv), uncached, on the same build: its cost ratio in the same run")
    ap.add_argument("--seconds", type=float, default=2.0, help="wrk duration per query and concurrency")
    ap.add_argument("--latency-n", type=int, default=50, help="sequential requests per query for latency")
    ap.add_argument("--rdflib-max-k", type=int, default=10, help="skip rdflib-endpoint above this k")
    ap.add_argument("--rdflib-cq", action="store_true", help="also run the competency queries on rdflib-endpoint")
    ap.add_argument("--all-throughput", action="store_true", help="throughput for the competency queries too")
    ap.add_argument("--cq-max-k", type=int, default=10,
                    help="measure the competency queries only up to this k (some take seconds at k=100)")
    ap.add_argument("--peers", nargs="+", default=["rdflib-endpoint"], choices=["rdflib-endpoint", "virtuoso"],
                    help="peers beside Oxigraph server: rdflib-endpoint (up to --rdflib-max-k) and/or virtuoso "
                         "(Debian's virtuoso-t, also measured behind r2pkg serve --store)")
    ap.add_argument("--no-default-serve", action="store_true", help="skip the memory run of the default serve")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--rewrite", nargs="+", type=Path, metavar="RESULTS.json",
                    help="measure nothing: rewrite the Markdown beside each results file from its JSON")
    args = ap.parse_args()
    if args.rewrite:
        for path in args.rewrite:
            res = json.loads(path.read_text())
            path.with_suffix(".md").write_text(markdown(res, res["machine"]))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    machine = (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"{platform.platform()}; load generator: wrk (-t2); date {time.strftime('%Y-%m-%d')}")
    for k in args.k:
        res = run_k(k, args)
        res["machine"] = machine
        (args.out / f"k{k}.json").write_text(json.dumps(res, indent=2) + "\n")
        md = markdown(res, machine)
        (args.out / f"k{k}.md").write_text(md)
        print(md)


if __name__ == "__main__":
    main()
