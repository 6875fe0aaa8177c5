"""The worker sandbox and the answer budgets (r2pkg.sandbox, r2pkg.executor).

Each wall is tested on its own: the network filter with the query policy switched off (so only the
kernel stands between a query and a canary listening on loopback), the memory budget with a query
that builds a huge string, the byte cap with answers far larger than it, recycling with a worker
that grew.
"""
from __future__ import annotations

import json
import os
import socket

import pyoxigraph as ox
import pytest
from canary import Canary

from r2pkg import sandbox
from r2pkg.errors import ForbiddenQuery, ResourceLimit
from r2pkg.executor import Executor, WorkerConfig
from r2pkg.jobs import Job, execute

BIG = "x" * 20000
ROWS = " ".join(str(i) for i in range(500))



@pytest.fixture()
def canary():
    """Canaries on 127.0.0.1 and 127.0.0.2; yields their SPARQL URLs and the canaries."""
    servers = [Canary("127.0.0.1").start(), Canary("127.0.0.2").start()]
    yield [s.base + "/sparql" for s in servers], servers
    for s in servers:
        s.stop()


@pytest.fixture(scope="module")
def store():
    s = ox.Store()
    s.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("a")))
    s.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/q"), ox.Literal("a", language="en")))
    return s


def test_the_kernel_refuses_sockets_in_a_confined_process():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child confines itself, then tries the network and a Unix socket pair
        os.close(r)
        try:
            sandbox.confine(memory_mb=None)
            out = []
            for fam in (socket.AF_INET, socket.AF_INET6):
                try:
                    socket.socket(fam, socket.SOCK_STREAM).close()
                    out.append("open")
                except PermissionError:
                    out.append("refused")
            try:
                socket.getaddrinfo("localhost", 80)
                out.append("dns")
            except OSError:
                out.append("no-dns")
            a, b = socket.socketpair()
            out.append("pair")
            os.write(w, json.dumps(out).encode())
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1000)
    os.waitpid(pid, 0)
    assert json.loads(got)[:2] == ["refused", "refused"] and json.loads(got)[-1] == "pair"


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ ?s ?p ?o SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER(?o < \"x\") SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p \"a\"@en.SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "ASK {{ SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ OPTIONAL {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
])
def test_with_the_policy_off_the_sandbox_alone_stops_service(store, canary, template):
    urls, hits = canary
    ex = Executor(store, workers=1, timeout=5, config=WorkerConfig(policy=False))
    try:
        for url in urls:
            with pytest.raises(ForbiddenQuery) as e:
                ex.submit(Job(template.format(url=url), None))
            assert e.value.details["reason"] == "network"
        # SILENT: the failed call is ignored, as SPARQL says; still nothing leaves the process
        silent = ex.submit(Job(f"SELECT * WHERE {{ SERVICE SILENT <{urls[0]}> {{ ?a ?b ?c }} }}", "json"))
        assert json.loads(silent.body)["results"]["bindings"] == [{}]
    finally:
        ex.close()
    assert [c.connections for c in hits] == [0, 0]


def test_the_policy_refuses_before_the_engine(store, canary):
    urls, hits = canary
    ex = Executor(store, workers=1, timeout=5)
    try:
        with pytest.raises(ForbiddenQuery) as e:
            ex.submit(Job(f"SELECT * WHERE {{ SERVICE <{urls[1]}> {{ ?a ?b ?c }} }}", None))
        assert e.value.details["reason"] == "service"
        with pytest.raises(ForbiddenQuery) as e:
            ex.submit(Job(f"LOAD <{urls[0]}>", None))
        assert e.value.details["reason"] == "update"
    finally:
        ex.close()
    assert [c.connections for c in hits] == [0, 0]


def test_allowlisted_endpoints_have_their_own_pool(store, canary):
    urls, hits = canary
    ex = Executor(store, workers=1, timeout=2, config=WorkerConfig(service_allowlist=frozenset({urls[0]})))
    try:
        assert ex.network is not None and ex.network.config.network and not ex.config.network
        ans = ex.submit(Job(f"SELECT ?x WHERE {{ SERVICE <{urls[0]}> {{ ?x ?b ?c }} }}", "json"))
        assert json.loads(ans.body)["results"]["bindings"] == [{"x": {"type": "literal", "value": "CANARY"}}]
        with pytest.raises(ForbiddenQuery):
            ex.submit(Job(f"SELECT * WHERE {{ SERVICE <{urls[1]}> {{ ?a ?b ?c }} }}", None))
    finally:
        ex.close()
    assert [c.connections for c in hits] == [1, 0]  # the allowlisted endpoint only


def test_the_memory_budget_stops_a_query_and_the_pool_heals(store):
    ex = Executor(store, workers=1, timeout=10, config=WorkerConfig(memory_mb=200))
    grow = ("SELECT (STRLEN(CONCAT(?a4, ?a4, ?a4, ?a4)) AS ?n) WHERE { BIND(\"" + "y" * 10000
            + "\" AS ?a0) " + " ".join(f"BIND(CONCAT({', '.join([f'?a{i}'] * 10)}) AS ?a{i + 1})" for i in range(4)) + " }")
    try:
        with pytest.raises(ResourceLimit) as e:
            ex.submit(Job(grow, "json"))
        assert e.value.details["reason"] == "memory" and e.value.status == 503
        ok = ex.submit(Job("SELECT ?o WHERE { ?s <http://e/p> ?o }", "json"))
        assert json.loads(ok.body)["results"]["bindings"] == [{"o": {"type": "literal", "value": "a"}}]
    finally:
        ex.close()


def test_a_worker_that_grew_is_replaced(store):
    ex = Executor(store, workers=1, timeout=10, config=WorkerConfig(recycle_mb=8))
    try:
        before = ex._free[0].proc.pid
        big = ex.submit(Job(f'SELECT ?l WHERE {{ VALUES ?i {{ {ROWS} }} BIND(CONCAT(STR(?i), "{BIG}") AS ?l) }}', "json",
                            byte_cap=50_000_000))
        assert big.rows == 500 and len(big.body) > 10_000_000
        after = ex._free[0].proc.pid
        assert after != before
        small = ex.submit(Job("ASK { ?s ?p ?o }", "json"))
        assert json.loads(small.body)["boolean"] is True and ex._free[0].proc.pid == after  # a small answer keeps it
    finally:
        ex.close()


def test_growth_counts_from_the_workers_own_peak_not_the_servers(store):
    """Growth is judged by peak resident memory: a forked worker's peak starts at its own size, so
    a server process that once peaked high (loading a build) does not hide a worker's growth."""
    big = bytearray(256 * 2**20)
    big[::4096] = b"x" * len(big[::4096])  # the parent's peak: 256 MB above what it holds after
    del big
    ex = Executor(store, workers=1, timeout=10, config=WorkerConfig(recycle_mb=8))
    try:
        before = ex._free[0].proc.pid
        ans = ex.submit(Job(f'SELECT ?l WHERE {{ VALUES ?i {{ {ROWS} }} BIND(CONCAT(STR(?i), "{BIG}") AS ?l) }}',
                            "json", byte_cap=50_000_000))
        assert ans.rows == 500 and ex._free[0].proc.pid != before
    finally:
        ex.close()


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_answers_stop_at_the_byte_cap(fmt):
    q = f'SELECT ?i ?l WHERE {{ VALUES ?i {{ {ROWS} }} BIND(CONCAT(STR(?i), "{BIG}") AS ?l) }}'
    ans = execute(ox.Store(), Job(q, fmt, byte_cap=1_000_000))
    assert ans.truncated and ans.truncated_by == "bytes" and len(ans.body) <= 1_000_000
    assert 30 <= ans.rows < 50  # whole rows, as many as fit
    full = execute(ox.Store(), Job(q, fmt, byte_cap=None))
    assert full.rows == 500 and not full.truncated
    if fmt == "json":
        rows = json.loads(ans.body)["results"]["bindings"]
        assert len(rows) == ans.rows and [r["i"]["value"] for r in rows] == [str(i) for i in range(ans.rows)]


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld", "rdfxml"])
def test_construct_answers_stop_at_the_byte_cap(fmt):
    q = (f'CONSTRUCT {{ ?s <http://e/p> ?l }} WHERE {{ VALUES ?i {{ {ROWS} }} '
         f'BIND(IRI(CONCAT("http://e/", STR(?i))) AS ?s) BIND(CONCAT(STR(?i), "{BIG}") AS ?l) }}')
    from r2pkg.formats import BY_NAME

    name = next(n for n in BY_NAME if n.startswith(fmt[:4]) and BY_NAME[n].kind == "graph")
    ans = execute(ox.Store(), Job(q, name, byte_cap=1_000_000))
    assert ans.truncated and ans.truncated_by == "bytes" and len(ans.body) <= 1_000_000 and 30 <= ans.rows < 50
    parsed = list(ox.parse(ans.body, format=BY_NAME[name].rdf_format))
    assert len(parsed) == ans.rows  # a whole, parseable document


def test_row_cap_and_byte_cap_together():
    q = f'SELECT ?i WHERE {{ VALUES ?i {{ {ROWS} }} }}'
    rows = execute(ox.Store(), Job(q, "json", row_cap=10, byte_cap=1_000_000))
    assert rows.truncated_by == "rows" and rows.rows == 10
    fits = execute(ox.Store(), Job(q, "json", row_cap=1000, byte_cap=1_000_000))
    assert not fits.truncated and fits.rows == 500


def test_unknown_functions_are_evaluation_errors():
    q = ('PREFIX fn: <http://www.w3.org/2005/xpath-functions#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> '
         'SELECT ?x ?y ?z WHERE { BIND(fn:upper-case("a") AS ?x) BIND(xsd:dateTimeStamp("2020-01-01T00:00:00Z") AS ?y) '
         'BIND(1 AS ?z) }')
    ans = execute(ox.Store(), Job(q, "json"))
    assert json.loads(ans.body)["results"]["bindings"] == [
        {"z": {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    assert set(ans.unknown_functions) == {"http://www.w3.org/2005/xpath-functions#upper-case",
                                          "http://www.w3.org/2001/XMLSchema#dateTimeStamp"}
    filtered = execute(ox.Store(), Job("SELECT * WHERE { VALUES ?a { 1 2 } FILTER(<urn:f>(?a)) }", "json"))
    assert json.loads(filtered.body)["results"]["bindings"] == []  # a FILTER error is false


def test_answers_awaited_on_the_event_loop_arrive_whole(store):
    """The RSGI front end awaits a worker's answer on its pipe with a reader of uvloop, which makes
    the descriptor non-blocking: an answer larger than the pipe's buffer must still arrive whole."""
    import asyncio

    import uvloop

    ex = Executor(store, workers=1, timeout=10)
    q = f'SELECT ?i ?l WHERE {{ VALUES ?i {{ {ROWS} }} BIND(CONCAT(STR(?i), "{BIG}") AS ?l) }}'

    async def go():
        worker = await ex.take_on_loop(None)
        return await ex.run_on_loop(worker, Job(q, "json"))

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            ans = runner.run(go())
            again = runner.run(go())  # the worker went back to the pool in a usable state
        assert ans.rows == 500 and len(ans.body) > 10_000_000 and again.body == ans.body
    finally:
        ex.close()


def test_waiting_on_the_event_loop_is_bounded(store):
    """With every slot taken, a request on the loop waits until its deadline (then 503 OVERLOADED,
    reason queue-timeout); beyond max_waiting waiters, it is refused at once (queue-full)."""
    import asyncio
    import time

    from r2pkg.errors import Overloaded

    ex = Executor(store, workers=1, max_workers=1, timeout=10, max_waiting=1)
    held = ex.take_nowait()
    assert held is not None and ex.take_nowait() is None

    async def go():
        waiter = asyncio.ensure_future(ex.take_on_loop(time.monotonic() + 0.5))
        await asyncio.sleep(0.05)
        with pytest.raises(Overloaded) as full:
            await ex.take_on_loop(time.monotonic() + 5)
        t0 = time.monotonic()
        with pytest.raises(Overloaded) as late:
            await waiter
        return full.value.details["reason"], late.value.details["reason"], time.monotonic() - t0

    try:
        full, late, waited = asyncio.run(go())
        assert (full, late) == ("queue-full", "queue-timeout") and waited < 1.0
        ex._release(held)
        ex._free_slot()  # the slot comes back: a waiter now gets a worker
        assert asyncio.run(ex.take_on_loop(time.monotonic() + 1)) is held
    finally:
        ex.close()


def test_workers_run_at_a_lower_cpu_priority(store):
    """WORKER_NICE: query workers yield the processor to the server process (health checks, pages)."""
    ex = Executor(store, workers=1, config=WorkerConfig(nice=7))
    try:
        ex.submit(Job("ASK { ?s ?p ?o }", "json"))  # the worker has confined itself by now
        pid = ex._free[0].proc.pid
        assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
    finally:
        ex.close()
