"""Flood a running r2pkg endpoint with hostile traffic, on loopback only, and measure what it withstood.

    python bench/flood.py --url http://127.0.0.1:8000 --out results.json   # a server already running
    python bench/flood.py --serve --out results.json                       # starts `r2pkg serve` itself

With --serve, `python -m r2pkg.cli serve` from this checkout is started on a free loopback port with
its default settings (add some with --serve-arg / --env) and stopped at the end.

Phases, each bounded in count and time:

1. canary: two canary HTTP servers (127.0.0.1 and 127.0.0.2, free ports) count every connection
   and answer one SPARQL row, x = "CANARY"; SERVICE / LOAD payloads (including the shapes that passed
   the old regex lexer) are sent as GET query= and POST sparql-query. The canaries must see 0.
2. flood (--seconds, default 20): --idle sockets that never send a byte, --runaways clients looping
   runaway queries (a never-ending cross join, cache-busted), --pages clients looping HTML pages,
   while /healthz and a static file are probed every 0.1 s: p50 / p99 / max latency and failures.
3. fuzz: --fuzz requests (random paths under the known routes, methods, headers, bodies, SPARQL
   fragments; seeded), counting 5xx and dropped connections.

Memory (RSS and PSS summed over the server's process tree, from /proc/<pid>/smaps_rollup) is read
before and after each flood. Every failure is logged on a timeline (seconds since start). The JSON
summary is printed and written to --out.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DIRECT = "application/sparql-query"
FORM = "application/x-www-form-urlencoded"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from canary import Canary  # noqa: E402  (the tests' canary: one implementation)
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PAGES = ["/", "/id/state/NLD", "/id/state/FRA", "/classes", "/ontology", "/.well-known/void", "/api/queries"]
STATIC = "/static/css/r2pkg.css"
FRA = "<https://w3id.org/r2pkg/id/state/FRA>"
LANG = f'{FRA} ?p "France"@en.'
SV = "SERVICE <@C@> { ?x ?b ?c }"
# name -> text; @C@ / @C2@ are the 127.0.0.1 / 127.0.0.2 canary base URLs
PAYLOADS = {
    "plain": "SELECT ?x WHERE { " + SV + " }",
    "silent": "SELECT ?x WHERE { SERVICE SILENT <@C@> { ?x ?b ?c } }",
    "lowercase": "select ?x where { service <@C@> { ?x ?b ?c } }",
    "other-host": "SELECT ?x WHERE { SERVICE <@C2@> { ?x ?b ?c } }",
    "variable-endpoint": "SELECT ?x WHERE { VALUES ?e { <@C@> } SERVICE ?e { ?x ?b ?c } }",
    "lt-iri-single-quote": f"SELECT ?x WHERE {{ {FRA} ?p ?o FILTER(?o<'a>b') {SV} FILTER(?o!='z') }}",
    "lt-numeric-and-string": f"SELECT ?x WHERE {{ BIND(1 AS ?n) FILTER(?n<2&&'>'!='') {SV} FILTER(''='') }}",
    "lang-dot": f"SELECT ?x WHERE {{ {LANG}{SV} }}",
    "lang-dot-silent": f"SELECT ?x WHERE {{ {LANG}SERVICE SILENT <@C@> {{ ?x ?b ?c }} }}",
    "lang-dot-other-host": f"SELECT ?x WHERE {{ {LANG}SERVICE <@C2@> {{ ?x ?b ?c }} }}",
    "lang-dot-union": f"SELECT ?x WHERE {{ {{ BIND(1 AS ?u) }} UNION {{ {LANG}{SV} }} }}",
    "lang-dot-subquery": f"SELECT ?x WHERE {{ {{ SELECT ?x WHERE {{ {LANG}{SV} }} }} }}",
    "pname-quote": ('PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\n'
                    f'SELECT ?x WHERE {{ VALUES ?v {{ r2p:x"}}" }} {SV} VALUES ?w {{ "z" }} }}'),
    "u0022-in-string": 'SELECT ?x WHERE { BIND("a\\u0022b" AS ?y) ' + SV + ' BIND("c" AS ?z) }',
    "u0027-in-string": "SELECT ?x WHERE { BIND('a\\u0027b' AS ?y) " + SV + " BIND('c' AS ?z) }",
    "load": "LOAD <@C@>",
    "lang-dot-load": f'ASK {{ {FRA} ?p "France"@en }} ; LOAD <@C@>',
}


class Timeline:
    def __init__(self, limit: int = 2000) -> None:
        self.t0, self.limit, self.events, self.dropped = time.monotonic(), limit, [], 0
        self.lock = threading.Lock()

    def add(self, phase: str, what: str, detail: str = "") -> None:
        with self.lock:
            if len(self.events) < self.limit:
                self.events.append({"t": round(time.monotonic() - self.t0, 3), "phase": phase, "what": what,
                                    "detail": detail[:200]})
            else:
                self.dropped += 1


def request(host: str, port: int, method: str, path: str, body=None, headers=None, source=None,
            timeout: float = 30):
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0) if source else None)
    t0 = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data, time.perf_counter() - t0
    finally:
        conn.close()


# -- memory of the server's process tree -------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """The process and its descendants (children of every thread, as worker processes are forked
    from several threads)."""
    out, todo = [], [pid]
    while todo and len(out) < 10_000:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def memory(pid: int | None) -> dict:
    if pid is None:
        return {}
    rss = pss = 0
    procs = tree(pid)
    for p in procs:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1), "processes": len(procs)}


def pid_listening_on(port: int) -> int | None:
    """The pid of the process whose socket listens on this TCP port (loopback), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for line in Path(table).read_text().splitlines()[1:]:
                f = line.split()
                if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f[9])
        except OSError:
            pass
    candidates = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            for fd in (d / "fd").iterdir():
                if os.readlink(fd).startswith("socket:[") and os.readlink(fd)[8:-1] in inodes:
                    candidates.append(int(d.name))
                    break
        except OSError:
            continue
    if not candidates:
        return None
    # the top of the tree: a listening process whose parent does not listen too
    for p in candidates:
        try:
            ppid = int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid not in candidates:
            return _top_of_server(p)
    return _top_of_server(candidates[0])


def _top_of_server(pid: int) -> int:
    """Up the parents while they run the same command line (Granian's main process hands the
    listening socket to its worker process)."""
    def cmdline(p: int) -> bytes:
        try:
            return Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            return b""

    for _ in range(10):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return pid
        if ppid <= 1 or cmdline(ppid) != cmdline(pid):
            return pid
        pid = ppid
    return pid


# -- canaries --------------------------------------------------------------------------------------


def canary_phase(host: str, port: int, tl: Timeline) -> dict:
    canaries = [Canary("127.0.0.1").start(), Canary("127.0.0.2").start()]
    results = {}
    try:
        for c in canaries:  # self-check: a canary counts its probe, then starts from zero
            st = request(c.base[7:].rsplit(":", 1)[0], int(c.base.rsplit(":", 1)[1]), "GET", "/probe")[0]
            assert st == 200 and c.connections == 1, "a canary does not answer"
            c.reset()
        c1, c2 = (c.base + "/" for c in canaries)
        for name, text in PAYLOADS.items():
            text = text.replace("@C@", c1).replace("@C2@", c2)
            for how in ("GET", "POST"):
                before = sum(c.connections for c in canaries)
                try:
                    if how == "GET":
                        st, _, body, _ = request(host, port, "GET", "/sparql?" + urllib.parse.urlencode({"query": text}))
                    else:
                        st, _, body, _ = request(host, port, "POST", "/sparql", body=text.encode(),
                                                 headers={"Content-Type": DIRECT})
                except (OSError, http.client.HTTPException) as e:
                    st, body = -1, type(e).__name__.encode()
                time.sleep(0.05)
                hits = sum(c.connections for c in canaries) - before
                reply = {}
                try:
                    reply = json.loads(body)
                except ValueError:
                    pass
                results[f"{name} ({how})"] = {"status": st, "canary_in_body": b"CANARY" in body, "canary_hits": hits,
                                              "error": reply.get("error") if isinstance(reply, dict) else None,
                                              "reason": reply.get("reason") if isinstance(reply, dict) else None}
                if hits or b"CANARY" in body or st >= 500 or st == 200:
                    tl.add("canary", f"{name} {how}: {st}", f"hits={hits} canary_in_body={b'CANARY' in body}")
        time.sleep(0.3)
        return {"hits": sum(c.connections for c in canaries), "hits_by_host": {c.base: c.connections for c in canaries},
                "payloads": results,
                "bypassed": sorted({k.rsplit(" (", 1)[0] for k, v in results.items()
                                    if v["canary_in_body"] or v["canary_hits"]})}
    finally:
        for c in canaries:
            c.stop()


# -- the flood -------------------------------------------------------------------------------------


def _stats(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    s = sorted(xs)
    return {"n": len(s), "p50_s": round(statistics.median(s), 4), "p99_s": round(s[min(len(s) - 1, int(0.99 * len(s)))], 4),
            "max_s": round(s[-1], 4)}


def flood_phase(host: str, port: int, args, tl: Timeline) -> dict:
    stop = threading.Event()
    end = time.monotonic() + args.seconds
    lock = threading.Lock()
    out = {"healthz": [], "static": [], "healthz_failures": 0, "static_failures": 0, "runaway_status": {},
           "page_status": {}, "page_latency": []}

    def count(key: str, st) -> None:
        with lock:
            out[key][str(st)] = out[key].get(str(st), 0) + 1

    def probe(path: str, key: str) -> None:
        for _ in range(int(args.seconds * 10) + 50):
            if stop.is_set():
                return
            t0 = time.perf_counter()
            try:
                st = request(host, port, "GET", path, source="127.0.0.12", timeout=10)[0]
                dt = time.perf_counter() - t0
                ok = st == 200
            except (OSError, http.client.HTTPException) as e:
                st, dt, ok = type(e).__name__, time.perf_counter() - t0, False
            with lock:
                out[key].append(dt if ok else max(dt, 10.0))
                if not ok:
                    out[key + "_failures"] += 1
            if not ok or dt > 1.0:
                tl.add("flood", f"{path} {'slow' if ok else 'failed'}", f"{st} after {dt:.2f} s")
            time.sleep(0.1)

    def runaway(i: int) -> None:
        n = 0
        while not stop.is_set() and n < 1000:
            n += 1
            try:
                st, _, body, dt = request(host, port, "POST", "/sparql",
                                          body=f"{RUNAWAY} # flood {i} {n} {random.random()}".encode(),
                                          headers={"Content-Type": DIRECT}, source=f"127.0.0.{20 + i % 10}",
                                          timeout=max(5.0, end - time.monotonic() + 5))
                label = st if st != 503 else f"503 {json.loads(body).get('error', '?') if body[:1] == b'{' else '?'}"
            except (OSError, http.client.HTTPException, ValueError) as e:
                label = type(e).__name__
                time.sleep(0.2)
            count("runaway_status", label)
            if isinstance(label, str) and not label.startswith("503"):
                tl.add("flood", "runaway client error", str(label))

    def page_client(i: int) -> None:
        rng = random.Random(i)
        for _ in range(20_000):  # bounded; the flood's end stops it long before
            if stop.is_set():
                return
            path = rng.choice(PAGES)
            t0 = time.perf_counter()
            try:
                st = request(host, port, "GET", path, headers={"Accept": "text/html"},
                             source=f"127.0.0.{30 + i % 4}", timeout=20)[0]
            except (OSError, http.client.HTTPException) as e:
                st = type(e).__name__
                time.sleep(0.2)
            dt = time.perf_counter() - t0
            count("page_status", st)
            with lock:
                out["page_latency"].append(dt)
            if st != 200:
                tl.add("flood", f"page {path} failed", str(st))

    idle: list[socket.socket] = []
    idle_failed = 0
    t_idle = time.monotonic()
    for i in range(args.idle):
        if time.monotonic() - t_idle > 20:
            break
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind((f"127.0.0.{50 + i % args.idle_sources}", 0))
            s.connect((host, port))
            idle.append(s)
        except OSError:
            idle_failed += 1
            s.close()
    tl.add("flood", "idle sockets open", f"{len(idle)} connected, {idle_failed} failed")
    threads = [threading.Thread(target=runaway, args=(i,)) for i in range(args.runaways)]
    threads += [threading.Thread(target=page_client, args=(i,)) for i in range(args.pages)]
    threads += [threading.Thread(target=probe, args=("/healthz", "healthz")),
                threading.Thread(target=probe, args=(STATIC, "static"))]
    for t in threads:
        t.daemon = True
        t.start()
    while time.monotonic() < end:
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(40)
    closed_by_server = 0
    for s in idle:
        s.setblocking(False)
        try:
            closed_by_server += s.recv(1, socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed_by_server += 1
        s.close()
    return {"seconds": args.seconds, "runaway_clients": args.runaways, "page_clients": args.pages,
            "idle_sockets": {"asked": args.idle, "connected": len(idle), "failed": idle_failed,
                             "closed_by_server_at_end": closed_by_server},
            "healthz": {**_stats(out["healthz"]), "failures": out["healthz_failures"]},
            "static": {**_stats(out["static"]), "failures": out["static_failures"]},
            "pages": {**_stats(out["page_latency"]), "status": out["page_status"]},
            "runaway_status": out["runaway_status"],
            "threads_still_running": sum(t.is_alive() for t in threads)}


# -- the fuzz --------------------------------------------------------------------------------------

ROUTES = ["/", "/sparql", "/sparql/", "/healthz", "/ontology", "/ontology.ttl", "/ontology/", "/classes", "/classes/",
          "/context.jsonld", "/.well-known/void", "/.well-known/void.ttl", "/dumps/", "/id/", "/id/state/",
          "/id/state/NLD", "/sources/", "/api/queries", "/api/queries/", "/api/openapi.json", "/explore",
          "/charts", "/charts/", "/export/", "/static/", STATIC]
FRAGMENTS = ["SELECT", "ASK", "WHERE", "{", "}", "(", ")", "?s", "?p", "?o", "*", ".", ";", ",", "FILTER", "BIND",
             "AS", "VALUES", "OPTIONAL", "UNION", "MINUS", "GRAPH", "LIMIT 3", "ORDER BY", "GROUP BY", "COUNT(*)",
             "STR(", "REGEX(", "IRI(", "NOW()", "xsd:dateTimeStamp(", "fn:upper-case(", "<urn:f>(", "STRDT(",
             "SUBSTR(", '"a"@en', "'b'", '"""c"""', "1", "-0.5e3", "true", "<urn:x>", "<>", "r2p:State", "a",
             "\\u0022", "#", "\n", "FROM <urn:g>", "%", "\x00", "é", "^^xsd:integer", "<", ">", "=", "&&", "||",
             "IN", "NOT EXISTS", "$v", "_:b", "[]", "@", "^^", "|", "/", "?"]
ACCEPTS = ["*/*", "text/html", "application/json", "text/turtle", "application/ld+json", "text/csv", "x/y", ";;;",
           "text/*;q=abc", "", "application/sparql-results+xml;q=0.1, */*;q=0"]
CTYPES = [FORM, DIRECT, "application/sparql-update", "text/plain", "application/json", DIRECT + "; charset=latin-1",
          "", ";", "a" * 300]


def fuzz_query(rng: random.Random) -> str:
    head = rng.choice(["SELECT * WHERE { ?s ?p ?o ", "ASK { ", "SELECT ?x WHERE { ", "CONSTRUCT WHERE { ?s a ?o ",
                       "SELECT (COUNT(*) AS ?n) WHERE { ", ""])
    text = head + " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 12))) + \
        rng.choice([" } LIMIT 3", " }", "", ") }"])
    if "?s ?p ?o" in text and "LIMIT" not in text:
        text += " LIMIT 3"
    return ("PREFIX r2p: <https://w3id.org/r2pkg/ontology#>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
            "PREFIX fn: <http://www.w3.org/2005/xpath-functions#>\n" + text)


def fuzz_case(rng: random.Random):
    route = rng.choice(ROUTES)
    junk = "".join(rng.choice("abcXYZ019-_.~:%/?#[]@!$&'()*+,;= \"<>\\^`{|}é") for _ in range(rng.randint(0, 16)))
    path = route + urllib.parse.quote(junk, safe=rng.choice(["/", "/%:", ""])) if rng.random() < 0.6 else route
    params = []
    for _ in range(rng.randint(0, 3)):
        key = rng.choice(["query", "format", "output", "default-graph-uri", "named-graph-uri", "x", "update", ""])
        params.append((key, fuzz_query(rng) if key == "query" else rng.choice(["json", "csv", "ttl", "", "urn:g", junk])))
    qs = urllib.parse.urlencode(params) + (rng.choice(["&%", "&%zz", "=%C3", "&query"]) if rng.random() < 0.1 else "")
    method = rng.choice(["GET"] * 5 + ["POST"] * 3 + ["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
    headers = {"Accept": rng.choice(ACCEPTS)}
    if rng.random() < 0.3:
        headers["If-None-Match"] = rng.choice(['"x"', 'W/"y"', "*", "garbage"])
    if rng.random() < 0.2:
        headers["Host"] = rng.choice(["evil.example", "", "a" * 200, "127.0.0.1:1"])
    body = None
    if method in ("POST", "PUT", "PATCH"):
        headers["Content-Type"] = rng.choice(CTYPES)
        body = rng.choice([fuzz_query(rng).encode(), urllib.parse.urlencode({"query": fuzz_query(rng)}).encode(),
                           bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))), b""])
    return method, path + ("?" + qs if qs else ""), body, headers


def fuzz_phase(host: str, port: int, args, tl: Timeline) -> dict:
    rng = random.Random(args.seed)
    cases = [fuzz_case(rng) for _ in range(args.fuzz)]
    deadline = time.monotonic() + 90
    status: dict[str, int] = {}
    samples: list[str] = []
    lock = threading.Lock()
    it = iter(cases)

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                case = next(it, None)
            if case is None:
                return
            method, path, body, headers = case
            try:
                st = request(host, port, method, path, body=body, headers=headers, timeout=15)[0]
            except (OSError, http.client.HTTPException) as e:
                st = type(e).__name__
            with lock:
                status[str(st)] = status.get(str(st), 0) + 1
                if not isinstance(st, int) or st >= 500:
                    if len(samples) < 20:
                        samples.append(f"{st} {method} {path[:160]}")
                    tl.add("fuzz", f"{st}", f"{method} {path[:160]}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(100)
    sent = sum(status.values())
    errors_5xx = sum(n for k, n in status.items() if k.isdigit() and int(k) >= 500)
    dropped = sum(n for k, n in status.items() if not k.isdigit())
    return {"requests": sent, "seed": args.seed, "status": dict(sorted(status.items())), "5xx": errors_5xx,
            "no_answer": dropped, "samples": samples}


# -- running it ------------------------------------------------------------------------------------


def start_server(args, tmp: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "R2PKG_HOME": str(REPO)}
    if args.build_dir:
        env["R2PKG_BUILD_DIR"] = args.build_dir
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    log = open(tmp / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "r2pkg.cli", "serve", "--port", str(port), *args.serve_arg],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # may build first
    while time.monotonic() < deadline:
        try:
            if request("127.0.0.1", port, "GET", "/healthz", timeout=1)[0] == 200:
                return proc, base
        except (OSError, http.client.HTTPException):
            if proc.poll() is not None:
                raise SystemExit("r2pkg serve exited: " + (tmp / "serve.log").read_text()[-2000:])
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("r2pkg serve did not answer /healthz within 120 s")


def wait_settled(host: str, port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            st, _, body, _ = request(host, port, "GET", "/healthz", timeout=5)
            if st == 200 and json.loads(body).get("workers_busy", 0) == 0:
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server on loopback, e.g. http://127.0.0.1:8000")
    where.add_argument("--serve", action="store_true", help="start `r2pkg serve` from this checkout")
    ap.add_argument("--pid", type=int, help="the server's pid, for memory (default: found from the port)")
    ap.add_argument("--out", help="write the JSON summary here")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the flood (default 20)")
    ap.add_argument("--runaways", type=int, default=50)
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--idle", type=int, default=2000)
    ap.add_argument("--idle-sources", type=int, default=1, help="spread idle sockets over this many addresses")
    ap.add_argument("--fuzz", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--build-dir", help="with --serve: R2PKG_BUILD_DIR")
    ap.add_argument("--serve-arg", action="append", default=[], help="with --serve: an extra `r2pkg serve` argument")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="with --serve: a setting")
    args = ap.parse_args(argv)
    args.seconds = min(max(args.seconds, 1.0), 120.0)
    args.runaways, args.pages = min(args.runaways, 200), min(args.pages, 64)
    args.idle, args.fuzz = min(args.idle, 5000), min(args.fuzz, 5000)
    args.idle_sources = min(max(args.idle_sources, 1), 200)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, args.idle + 2000)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    tmp = Path(tempfile.mkdtemp(prefix="r2pkg-flood-"))
    proc = None
    if args.serve:
        proc, url = start_server(args, tmp)
        pid = proc.pid  # `r2pkg serve` execs the server in place
    else:
        url = args.url
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port or 80
    if not host or not host.startswith("127."):
        raise SystemExit("flood.py only talks to loopback (127.0.0.0/8)")
    if not args.serve:
        pid = args.pid or pid_listening_on(port)
    tl = Timeline()
    summary: dict = {"url": url, "server_pid": pid, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "settings": {k: getattr(args, k) for k in ("seconds", "runaways", "pages", "idle", "fuzz", "seed")},
                     "serve": {"args": args.serve_arg, "env": args.env} if args.serve else None}
    try:
        t0 = time.monotonic()
        summary["memory"] = {"start": memory(pid)}
        summary["canary"] = canary_phase(host, port, tl)
        wait_settled(host, port)
        summary["memory"]["before_flood"] = memory(pid)
        summary["flood"] = flood_phase(host, port, args, tl)
        summary["memory"]["end_of_flood"] = memory(pid)
        wait_settled(host, port)
        time.sleep(2)
        summary["memory"]["after_flood"] = memory(pid)
        summary["fuzz"] = fuzz_phase(host, port, args, tl)
        wait_settled(host, port)
        summary["memory"]["after_fuzz"] = memory(pid)
        try:
            summary["healthz_after"] = json.loads(request(host, port, "GET", "/healthz", timeout=10)[2])
        except (OSError, http.client.HTTPException, ValueError) as e:
            summary["healthz_after"] = type(e).__name__
        summary["duration_s"] = round(time.monotonic() - t0, 1)
        summary["timeline"] = tl.events
        summary["timeline_dropped"] = tl.dropped
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            summary["server_log_tail"] = (tmp / "serve.log").read_text(errors="replace")[-3000:]
    text = json.dumps(summary, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    brief = {k: summary.get(k) for k in ("url", "memory", "duration_s")}
    brief["canary_hits"] = summary.get("canary", {}).get("hits")
    brief["bypassed"] = summary.get("canary", {}).get("bypassed")
    brief["healthz"] = summary.get("flood", {}).get("healthz")
    brief["static"] = summary.get("flood", {}).get("static")
    brief["fuzz_5xx"] = summary.get("fuzz", {}).get("5xx")
    print(json.dumps(brief, indent=2))
    return summary


if __name__ == "__main__":
    main()
