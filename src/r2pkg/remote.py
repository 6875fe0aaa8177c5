"""A remote SPARQL 1.1 store behind the same front end, and publishing a build into one.

- :class:`RemoteExecutor` answers the front end's :class:`~r2pkg.jobs.Job` objects by sending
  them to a remote SPARQL 1.1 Protocol endpoint (Oxigraph server, Fuseki, GraphDB, Virtuoso), so the
  protocol checks, safety checks, UI, named queries, pages and exports all work unchanged.
- :func:`publish` loads a build, graph by graph, into a SPARQL 1.1 Graph Store Protocol endpoint
  with ``PUT`` (which replaces the graph, so publishing twice gives the same store).

Semantics kept: the default graph is the union of the named graphs when a request names no dataset
and the query has no FROM. How that is asked for depends on the store (``UNION_STRATEGIES``): Oxigraph's
``union-default-graph`` parameter, Jena's ``urn:x-arq:UnionGraph``, nothing for stores whose default
graph already is the union (GraphDB), or, portable but slow, every named graph listed as a
``default-graph-uri`` (Virtuoso, whose default graph also holds its system graphs). The strategy is
detected from the ``Server`` header. :class:`SparqlStore` is the portable way to talk to a store; a
store with quirks subclasses it in a module of :mod:`r2pkg.backends`, which chooses among them. Relative IRIs resolve
against the endpoint URL (a ``BASE`` line); named-query parameters are bound as RDF terms in a
trailing ``VALUES`` block written from validated pyoxigraph terms, never from raw request text.
"""
from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from .errors import InvalidUrl, Overloaded, QuerySyntaxError, QueryTimeout, R2pkgError
from .jobs import Answer, Job, decode_terms, shrink_rows
from .formats import BY_NAME, DEFAULTS
from .query import Result
from .syntax import explain
from .safety import QUERY_FORMS, has_relative_iri, keywords, query_form


class RemoteStoreError(R2pkgError):
    """The remote store failed or could not be reached."""

    code = "REMOTE_STORE_ERROR"
    status = 502


def _http(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None,
          timeout: float = 30.0, auth: tuple[str, str] | None = None) -> tuple[int, bytes, str]:
    """One request; returns (status, body, Server header).

    ``auth`` = (user, password) answers an HTTP Digest or Basic challenge (a 401) with them.
    """
    status, body, head = _http_full(url, method=method, data=data, headers=headers, timeout=timeout, auth=auth)
    return status, body, head.get("Server", "")


def _http_full(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None,
               timeout: float = 30.0, auth: tuple[str, str] | None = None):
    """As :func:`_http`, returning (status, body, response headers)."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    handlers: list = [urllib.request.ProxyHandler({})]  # never via a proxy
    if auth is not None:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, *auth)
        handlers += [urllib.request.HTTPDigestAuthHandler(mgr), urllib.request.HTTPBasicAuthHandler(mgr)]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except (socket.timeout, TimeoutError) as e:
        raise QueryTimeout(f"the remote store did not answer within {timeout:g} s", timeout_s=timeout) from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, (socket.timeout, TimeoutError)):
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s", timeout_s=timeout) from e
        raise RemoteStoreError(f"the remote store is unreachable: {e.reason}") from e


def _credentials(url: str, method: str, auth: tuple[str, str], timeout: float) -> dict[str, str]:
    """An ``Authorization`` header for ``method`` on ``url``, from the challenge a bodiless GET gets.

    A store that answers a large PUT's 401 and closes the connection before reading the body (as
    Virtuoso does) breaks the usual ask-then-retry, so the credentials go with the first PUT.
    """
    import base64

    status, _, head = _http_full(url, method="GET", timeout=timeout)
    chal = head.get("WWW-Authenticate", "") if status == 401 else ""
    if chal[:6].lower() == "digest":
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, *auth)
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(chal[7:]))
        value = urllib.request.HTTPDigestAuthHandler(mgr).get_authorization(
            urllib.request.Request(url, method=method), fields)
        return {"Authorization": "Digest " + value} if value else {}
    if chal[:5].lower() == "basic":
        return {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode("ascii")}
    return {}


def check_url(url: str, example: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host.

    Raises:
        InvalidUrl: otherwise; the message shows ``example``.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl(f"{url!r} is not an http(s) URL; give the endpoint's full URL, e.g. {example}", url=url)
    return url


# What an application/x-www-form-urlencoded body must escape: its parser splits on "&" and "=",
# reads "+" as a space and decodes "%XX", and passes every other byte through; "#", tabs and line
# ends are escaped too. For printable ASCII that is a few ``str.replace`` scans (quote_plus, a Python
# loop per byte, costs 40 us for a 700-character query); other text goes through quote_plus.
_FORM = (("%", "%25"), ("&", "%26"), ("+", "%2B"), ("=", "%3D"), ("#", "%23"), ("\t", "%09"),
         ("\n", "%0A"), ("\r", "%0D"), (" ", "+"))


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """``pairs`` as an application/x-www-form-urlencoded body (what ``urllib.parse.parse_qsl``
    reads back as the same pairs)."""
    return "&".join(_form(k) + "=" + _form(v) for k, v in pairs).encode("ascii")


def _form(text: str) -> str:
    if not text.isascii():
        return urllib.parse.quote_plus(text)
    escaped = text
    for char, escape in _FORM:
        if char in escaped:
            escaped = escaped.replace(char, escape)
    return escaped if escaped.isprintable() else urllib.parse.quote_plus(text)


def _term(t: ox.NamedNode | ox.Literal) -> str:
    return str(t)  # pyoxigraph's N-Triples form: escaped, so it is a term and nothing else


UNION_STRATEGIES = ("oxigraph", "jena", "native", "explicit", "exclude")


def _strategy(server_header: str) -> str:
    h = server_header.lower()
    if "oxigraph" in h:
        return "oxigraph"
    if "jena" in h or "fuseki" in h:
        return "jena"
    if "graphdb" in h:
        return "native"
    return "explicit"


@dataclass
class RemoteDataset:
    """What the front end needs to know of a remote store: its graphs, size and an id."""

    url: str
    named: list[str]
    triples: int
    build_id: str
    build: object | None = None  # the local build published there, if known (dumps, ontology docs)
    union: str = "explicit"  # one of UNION_STRATEGIES
    counts: dict[str, int] | None = None  # triples per named graph
    excluded: list[str] | None = None  # graphs the store listed that are not the dataset (its own)
    store: "SparqlStore | None" = None  # how to talk to it (None = the portable SparqlStore)

    def graphs(self) -> list[str]:
        return list(self.named)

    def holds(self, build) -> bool:
        """Whether the store holds exactly the graphs (and triple counts) of a local build."""
        return (self.counts is not None and build is not None
                and self.counts == {g: int(n) for g, n in build.manifest.get("graphs", {}).items()})

    def __len__(self) -> int:
        return self.triples


def connect(url: str, timeout: float = 30.0, union: str | None = None, kind: str | None = None) -> RemoteDataset:
    """Describe the remote store at ``url`` (its SPARQL query endpoint).

    Args:
        union: how to ask for the union default graph (see ``UNION_STRATEGIES``); None = detect.
        kind: the store's backend (``r2pkg.backends.KINDS``: ``sparql``, ``virtuoso``); None =
            detect from the ``Server`` header of one ``ASK {}``.

    Raises:
        InvalidUrl, RemoteStoreError: a bad URL, an unknown kind or strategy, an unreachable store.
    """
    from .backends import store_for

    return store_for(url, kind, timeout=timeout).connect(url, timeout=timeout, union=union)


class SparqlStore:
    """A SPARQL 1.1 store over HTTP: how to send it a query, which of its graphs are the dataset, how
    to publish into it. This is the portable behaviour; a store with quirks subclasses it in a
    module of ``r2pkg.backends`` (e.g. :mod:`r2pkg.backends.virtuoso`)."""

    name = "sparql"
    example = "http://127.0.0.1:7878/query"

    def matches(self, server_header: str) -> bool:
        """Whether a ``Server`` header names this kind of store (the generic one matches any)."""
        return True

    def matches_gsp_path(self, path: str) -> bool:
        """Whether a Graph Store endpoint's URL path is this kind of store's (publish without a kind)."""
        return True

    def union(self, server_header: str) -> str:
        return _strategy(server_header)

    def keep_graph(self, iri: str) -> bool:
        """Whether a graph the store lists belongs to the dataset (not to the store's own system)."""
        return True

    def bind(self, text: str, values: str) -> str:
        """``text`` with a ``VALUES`` block (the named query's parameters, as RDF terms) added: here
        as the trailing VALUES clause of SPARQL 1.1."""
        return text + "\n" + values

    def exclude(self, text: str, graphs: list[str]) -> str:
        """``text`` asking for the store's default graph without ``graphs`` (the ``exclude`` union
        strategy: for a store whose default graph is the union of all its graphs, its own included).

        Raises:
            RemoteStoreError: the store has no way to say so (the portable one has none).
        """
        raise RemoteStoreError("this store cannot exclude graphs from its default graph; "
                               "use R2PKG_STORE_UNION=explicit")

    def prepare(self, text: str, form: str | None) -> str:
        """The query text to send, for a query of ``form`` (SELECT, DESCRIBE, ...): unchanged here."""
        return text

    def request(self, url: str, text: str, params: list[tuple[str, str]], timeout: float) -> tuple[str, bytes, str]:
        """How one query is sent: (URL, body, content type). Here the SPARQL 1.1 Protocol's direct
        POST, with the dataset in the URL (``timeout`` is r2pkg's, for a store that takes one)."""
        return url + ("?" + urllib.parse.urlencode(params) if params else ""), text.encode("utf-8"), \
            "application/sparql-query"

    def answered(self, status: int, body: bytes, head, timeout: float) -> tuple[int, bytes, str]:
        """(status, body, Server header) of the store's answer to a query sent as :meth:`request`
        says; a store that signals a timeout its own way raises QueryTimeout here."""
        return status, body, head.get("Server", "")

    def send(self, url: str, text: str, params: list[tuple[str, str]], accept: str,
             timeout: float) -> tuple[int, bytes, str]:
        """Send one query from this thread and read the answer: (status, body, Server header).

        Raises:
            QueryTimeout: no answer within ``timeout``.
            RemoteStoreError: the store cannot be reached.
        """
        return self.answered(*self.post(*self.request(url, text, params, timeout), accept, timeout), timeout)

    async def send_async(self, url: str, text: str, params: list[tuple[str, str]], accept: str,
                         timeout: float) -> tuple[int, bytes, str]:
        """:meth:`send`, awaited on the running event loop (its own keep-alive connections)."""
        target, body, content_type = self.request(url, text, params, timeout)
        pool = self.__dict__.get("_loop_connections")
        if pool is None:
            from .keepalive import LoopConnections

            pool = self.__dict__.setdefault("_loop_connections", LoopConnections())
        try:
            answer = await pool.request(target, "POST", body, {"Content-Type": content_type, "Accept": accept},
                                        timeout)
        except (socket.timeout, TimeoutError) as e:
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s", timeout_s=timeout) from e
        except OSError as e:
            raise RemoteStoreError(f"the remote store is unreachable: {e}") from e
        return self.answered(*answer, timeout)

    def post(self, url: str, body: bytes, content_type: str, accept: str, timeout: float):
        """POST ``body`` on this thread's keep-alive connection to the store: (status, body, headers).

        Raises:
            QueryTimeout: no answer within ``timeout``.
            RemoteStoreError: the store cannot be reached.
        """
        pool = self.__dict__.get("_connections")
        if pool is None:
            from .keepalive import Connections

            pool = self.__dict__.setdefault("_connections", Connections())
        try:
            return pool.request(url, "POST", body, {"Content-Type": content_type, "Accept": accept}, timeout)
        except (socket.timeout, TimeoutError) as e:
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s", timeout_s=timeout) from e
        except OSError as e:
            raise RemoteStoreError(f"the remote store is unreachable: {e}") from e

    def connect(self, url: str, *, timeout: float = 30.0, union: str | None = None) -> RemoteDataset:
        check_url(url, self.example)
        if union is not None and union not in UNION_STRATEGIES:
            raise RemoteStoreError(f"unknown union strategy {union!r}; use one of {', '.join(UNION_STRATEGIES)}")
        q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        status, body, server = self.send(url, q, [], "application/sparql-results+json", timeout)
        if status != 200:
            raise RemoteStoreError(f"the remote store answered {status} to a graph listing")
        listed = json.loads(body)["results"]["bindings"]
        rows = [r for r in listed if self.keep_graph(r["g"]["value"])]
        named = [r["g"]["value"] for r in rows]
        triples = sum(int(r["n"]["value"]) for r in rows)
        ident = hashlib.sha256(json.dumps([url, [(r["g"]["value"], r["n"]["value"]) for r in rows]]).encode())
        return RemoteDataset(url, named, triples, "remote-" + ident.hexdigest()[:12],
                             union=union or self.union(server),
                             counts={r["g"]["value"]: int(r["n"]["value"]) for r in rows}, store=self,
                             excluded=[r["g"]["value"] for r in listed if not self.keep_graph(r["g"]["value"])])

    def publish(self, dataset_nq: Path, gsp_url: str, *, timeout: float = 120.0,
                auth: tuple[str, str] | None = None) -> "PublishReport":
        return _publish_gsp(dataset_nq, gsp_url, timeout=timeout, auth=auth)


class RemoteExecutor:
    """The :class:`~r2pkg.executor.Executor` interface over a remote SPARQL endpoint."""

    def __init__(self, dataset: RemoteDataset, *, workers: int = 2, max_workers: int | None = None,
                 timeout: float = 5.0, queue_timeout: float = 10.0, config=None) -> None:
        from .executor import Executor, WorkerConfig

        self.dataset, self.timeout, self.queue_timeout = dataset, timeout, queue_timeout
        self._store = dataset.store or SparqlStore()
        # The query policy (a parse of the user's text) runs in a sandboxed worker of its own, under
        # the same timeout, before anything is sent: the remote store would run SERVICE itself.
        cfg = config or WorkerConfig()
        self.policy = Executor(ox.Store(), workers=1, max_workers=max_workers or 2 * max(1, workers),
                               timeout=timeout, queue_timeout=queue_timeout,
                               config=WorkerConfig(memory_mb=cfg.memory_mb, recycle_mb=cfg.recycle_mb,
                                                   policy=cfg.policy, service_allowlist=cfg.service_allowlist,
                                                   network=False))
        self.size = max(1, workers)
        self.max_workers = max(self.size, max_workers if max_workers is not None else 2 * self.size)
        self._sem = threading.BoundedSemaphore(self.max_workers)
        self._busy = 0
        self._lock = threading.Lock()
        self._threads: ThreadPoolExecutor | None = None  # for requests awaited on an event loop
        self.timeouts = 0
        # digests of the query texts the policy passed (most recent last): the verdict depends on
        # the text alone, so a text seen before skips the sandboxed parse (the store still
        # evaluates every query); digests, so the memory is bounded whatever the texts' length
        self._passed: collections.OrderedDict[bytes, None] = collections.OrderedDict()

    def submit(self, job: Job, timeout: float | None = None) -> Answer:
        key = _text_key(job.sparql)
        if self.policy.config.policy and not self._known(key):
            self.policy.submit(replace(job, check_only=True), timeout)
            self._pass(key)
        return self._remote(job, timeout)

    async def run_async(self, job: Job, deadline: float | None, abandoned=None) -> Answer:
        """:meth:`submit` for a request on an event loop: the policy's verdict awaited on the loop
        (from a sandboxed worker, :meth:`Executor.run_async`, with its ``deadline`` and
        ``abandoned``), then the store's answer awaited on the loop too, over the loop's own
        keep-alive connections (no thread hop) when a slot is free; when all ``max_workers``
        slots are busy, a thread waits for one (up to ``queue_timeout``). An answer over
        ``_LOOP_BYTES`` is rewritten in a thread, so a large result does not hold up the loop.

        Raises:
            Abandoned: the client went away while the request waited for a policy worker.
            Deferred: the query names an allowlisted SERVICE (a thread that may wait takes it).
        """
        import asyncio

        key = _text_key(job.sparql)
        if self.policy.config.policy and not self._known(key):
            await self.policy.run_async(replace(job, check_only=True), deadline, abandoned)
            self._pass(key)
        loop = asyncio.get_running_loop()
        if not self._sem.acquire(blocking=False):
            return await loop.run_in_executor(self._thread_pool(), self._remote, job, None)
        with self._holding_slot():
            ask = self._ask(job)
            status, body, _ = await self._store.send_async(self.dataset.url, ask.text, ask.params, ask.accept,
                                                           self.timeout)
            if len(body) > _LOOP_BYTES:
                return await loop.run_in_executor(self._thread_pool(), self._answer, job, ask, status, body)
            return self._answer(job, ask, status, body)

    def _known(self, key: bytes) -> bool:
        """Whether the policy passed the text of ``key`` (:func:`_text_key`) before (it becomes the
        most recent)."""
        with self._lock:
            if key in self._passed:
                self._passed.move_to_end(key)
                return True
        return False

    def _pass(self, key: bytes) -> None:
        with self._lock:
            self._passed[key] = None
            while len(self._passed) > _PASSED_MAX:
                self._passed.popitem(last=False)

    def _thread_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.max_workers, thread_name_prefix="r2pkg-remote")
            return self._threads

    def _remote(self, job: Job, timeout: float | None) -> Answer:
        """The store's answer to ``job`` (policy already checked), within a slot of ``max_workers``."""
        if not self._sem.acquire(timeout=self.queue_timeout):
            raise Overloaded(f"all {self.max_workers} remote-store slots are busy; retry shortly")
        with self._holding_slot():
            return self._run(job, self.timeout if timeout is None else timeout)

    @contextlib.contextmanager
    def _holding_slot(self):
        """Counts the slot already acquired as busy (and a timeout in it), and releases it."""
        with self._lock:
            self._busy += 1
        try:
            yield
        except QueryTimeout:
            self.timeouts += 1
            raise
        finally:
            with self._lock:
                self._busy -= 1
            self._sem.release()

    def _run(self, job: Job, timeout: float) -> Answer:
        ask = self._ask(job)
        status, body, _ = self._store.send(self.dataset.url, ask.text, ask.params, ask.accept, timeout)
        return self._answer(job, ask, status, body)

    def _ask(self, job: Job) -> "_Ask":
        """What to send the store for ``job``: its text (base, bound parameters, the dataset as the
        store's union strategy asks), dataset parameters and the format to ask for."""
        form = query_form(job.sparql)
        kind = QUERY_FORMS.get(form or "", "results")
        fmt = BY_NAME[job.format] if job.format else DEFAULTS[kind]
        text = job.sparql
        if job.base_iri and has_relative_iri(text):
            text = f"BASE <{job.base_iri}> " + text  # on the first line, so error lines stay true
        if job.substitutions:
            subs = decode_terms(job.substitutions)
            names = sorted(subs)
            text = self._store.bind(text, "VALUES (" + " ".join("?" + n for n in names) + ") { ("
                                    + " ".join(_term(subs[n]) for n in names) + ") }")
        params: list[tuple[str, str]] = []
        has_from = any(w == "FROM" for w, _ in keywords(job.sparql))
        if job.default_graph is not None or job.named_graphs is not None:
            params += [("default-graph-uri", g) for g in job.default_graph or ()]
            params += [("named-graph-uri", g) for g in job.named_graphs or ()]
        elif not has_from:
            union = self.dataset.union
            if union == "oxigraph":
                params.append(("union-default-graph", ""))
            elif union == "jena":
                params.append(("default-graph-uri", "urn:x-arq:UnionGraph"))
                params += [("named-graph-uri", g) for g in self.dataset.named]
            elif union == "explicit":
                params += [("default-graph-uri", g) for g in self.dataset.named]
                params += [("named-graph-uri", g) for g in self.dataset.named]
            elif union == "exclude":
                text = self._store.exclude(text, self.dataset.excluded or [])
        accept = "application/sparql-results+json" if kind == "results" else "application/n-triples"
        return _Ask(self._store.prepare(text, form), params, accept, kind, fmt)

    def _answer(self, job: Job, ask: "_Ask", status: int, body: bytes) -> Answer:
        """The front end's answer from the store's (status, body): errors mapped, the caps applied,
        the body re-written in the format asked for."""
        kind, fmt = ask.kind, ask.fmt
        if status == 400:
            try:  # a syntax error: say where, as the embedded store does (parsed by an empty store;
                # a query that may call out is never evaluated here)
                if "SERVICE" not in job.sparql.upper():
                    ox.Store().query(job.sparql)
            except SyntaxError as e:
                p = explain(job.sparql, str(e))
                raise QuerySyntaxError(p.message, line=p.line, column=p.column, token=p.token) from None
            except Exception:  # noqa: BLE001 - parsed here: the remote store refused it for its own reasons
                pass
            raise QuerySyntaxError("the remote store refused the query: " + body.decode("utf-8", "replace")[:300])
        if status != 200:
            raise RemoteStoreError(f"the remote store answered {status}")
        cap = job.row_cap
        if kind == "graph":
            triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
            truncated = cap is not None and len(triples) > cap
            triples = triples[:cap] if truncated else triples
            out = ox.serialize(triples, format=fmt.rdf_format) or b""
            n, by = len(triples), "rows" if truncated else None
            while job.byte_cap and len(out) > job.byte_cap and n:
                n, by = shrink_rows(n, out, job.byte_cap), "bytes"
                out = ox.serialize(triples[:n], format=fmt.rdf_format) or b""
            return Answer("graph", fmt.name, fmt.media_type, out, n, by is not None, by)
        doc = json.loads(body)
        if "boolean" in doc:
            parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            return Answer("results", fmt.name, fmt.media_type, Result("results", parsed).serialize(fmt), 1, False)
        rows = doc["results"]["bindings"]
        for row in rows:
            for term in row.values():
                if term.get("type") == "typed-literal":
                    term["type"] = "literal"
        truncated = cap is not None and len(rows) > cap
        if truncated:
            doc["results"]["bindings"] = rows = rows[:cap]
        by = "rows" if truncated else None
        n = len(rows)
        while True:
            doc["results"]["bindings"] = rows[:n]
            out = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            if fmt.name != "json":
                out = ox.parse_query_results(out, ox.QueryResultsFormat.JSON).serialize(format=fmt.results_format)
            if not job.byte_cap or len(out) <= job.byte_cap or n == 0:
                return Answer("results", fmt.name, fmt.media_type, out, n, by is not None, by)
            n, by = shrink_rows(n, out, job.byte_cap), "bytes"

    def alive(self) -> int:
        return max(0, self.size - self._busy)

    def close(self) -> None:
        self.policy.close()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)

    def busy(self) -> int:
        return self._busy


@dataclass(frozen=True)
class _Ask:
    text: str
    params: list[tuple[str, str]]
    accept: str
    kind: str  # "results" | "graph"
    fmt: object  # r2pkg.formats.Format


# answers larger than this are re-written in a thread, not on the event loop
_LOOP_BYTES = 64 * 1024
# how many query texts the policy's verdicts are kept for
_PASSED_MAX = 4096


def _text_key(text: str) -> bytes:
    """A query text's key among the policy's verdicts: a 128-bit BLAKE2b digest (1 us for a
    1,000-character query), so no two texts share a verdict by accident."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(frozen=True)
class PublishReport:
    graphs: dict[str, int]
    url: str

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def publish(dataset_nq: Path, gsp_url: str, *, timeout: float = 120.0, kind: str | None = None,
            user: str | None = None, password: str | None = None) -> PublishReport:
    """PUT every named graph of a build into the Graph Store Protocol endpoint ``gsp_url``.

    Args:
        kind: the store's backend (``r2pkg.backends.KINDS``); None = from the URL (Virtuoso's
            ``/sparql-graph-crud``), else the portable one.
        user, password: credentials for an endpoint that asks for HTTP Digest or Basic auth
            (Virtuoso's ``/sparql-graph-crud-auth``).

    Raises:
        InvalidUrl: ``gsp_url`` is not an http(s) URL.
        RemoteStoreError: a PUT was refused or the endpoint is unreachable.
    """
    from .backends import store_for_publish

    check_url(gsp_url, "http://127.0.0.1:7878/store")
    auth = (user, password or "") if user else None
    return store_for_publish(gsp_url, kind).publish(dataset_nq, gsp_url, timeout=timeout, auth=auth)


def _publish_gsp(dataset_nq: Path, gsp_url: str, *, timeout: float = 120.0,
                 auth: tuple[str, str] | None = None, as_served: bool = False) -> PublishReport:
    """PUT each graph; with ``as_served``, the quads as the embedded store holds and serves them
    (pyoxigraph stores integer-derived datatypes such as xsd:nonNegativeInteger as xsd:integer), so
    a store that keeps datatypes as written answers the same as the embedded one."""
    check_url(gsp_url, "http://127.0.0.1:7878/store")
    if as_served:
        ds = ox.Store()
        ds.bulk_load(path=str(dataset_nq), format=ox.RdfFormat.N_QUADS)
    else:
        ds = ox.Dataset(ox.parse(path=str(dataset_nq), format=ox.RdfFormat.N_QUADS))
    graphs: dict[str, list[ox.Triple]] = {}
    for q in ds:
        graphs.setdefault(q.graph_name.value, []).append(q.triple)
    counts = {}
    for g in sorted(graphs):
        body = ox.serialize(graphs[g], format=ox.RdfFormat.N_TRIPLES)
        url = gsp_url + ("&" if "?" in gsp_url else "?") + urllib.parse.urlencode({"graph": g})
        status, resp, _ = _http(url, method="PUT", data=body, timeout=timeout, auth=auth,
                                headers={"Content-Type": "application/n-triples",
                                         **(_credentials(url, "PUT", auth, timeout) if auth else {})})
        if status == 401:
            raise RemoteStoreError(f"PUT {g} answered 401: the store wants credentials"
                                   + (" other than those given" if auth else " (--user/--password)"))
        if status not in (200, 201, 204):
            raise RemoteStoreError(f"PUT {g} answered {status}: {resp[:200].decode('utf-8', 'replace')}")
        counts[g] = len(graphs[g])
    return PublishReport(counts, gsp_url)
