"""OpenLink Virtuoso (tested with Debian's virtuoso-opensource 7.2) as a remote store.

Its quirks, each found on the real server (tests/test_virtuoso.py):

- A direct POST (``Content-Type: application/sparql-query``) to ``/sparql`` hangs until the client's
  timeout; the same query as a form POST (``application/x-www-form-urlencoded``) answers at once. So
  every query, and the dataset parameters, go in a form body.
- ``GRAPH ?g`` also ranges over Virtuoso's own system graphs (``virtrdf#``, ``ldp#``, the server's
  ``/sparql`` graph, ...), and its default graph is the union of all graphs, system graphs included.
  So the dataset is the graphs in r2pkg's graph namespace (``https://w3id.org/r2pkg/graph/``), and
  a query without FROM or dataset parameters asks for Virtuoso's default graph without the other
  graphs it listed at start-up (``define input:default-graph-exclude`` and ``named-graph-exclude``:
  the ``exclude`` union strategy). Naming every dataset graph instead (``explicit``) gives the same
  answers but is slow there: ``COUNT(*)`` over the build took 149 ms so, 3 ms with the exclusions.
- A trailing ``VALUES`` clause (how r2pkg binds a named query's parameters) is partly ignored after
  ``ORDER BY`` over a ``UNION`` with ``BIND`` (cq14 answered 222 rows, not 1); the same block as the
  first pattern of the outermost WHERE group (the same join) is honoured, so it goes there.
- ``DESCRIBE`` also returns the triples pointing at the resource; r2pkg's (and Oxigraph's) is the
  concise bounded description, which Virtuoso gives with ``define sql:describe-mode "CBD"``.
- Its SPARQL JSON writes ``"type": "typed-literal"`` (SPARQL 1.0's name), which
  :class:`~r2pkg.remote.RemoteExecutor` reads as ``literal``.
- It keeps integer-derived datatypes as written (``"21"^^xsd:nonNegativeInteger``), where the
  embedded store (pyoxigraph) holds and answers them as ``xsd:integer``; ``publish`` loads the quads
  as the embedded store holds them, so both answer alike.
- A query past its ``timeout`` form parameter ends with 200, partial results and the header
  ``X-SQL-State: S1TAT``; r2pkg sends its own timeout there (so Virtuoso stops a query r2pkg gave up
  on) and turns such an answer into a timeout (503), never a truncated 200.
- It refuses up front a query it estimates past ``MaxQueryCostEstimationTime``, and stops a property
  path past ``tn_max_memory``, with a 500; r2pkg answers those as timeouts (503).
- Its Graph Store endpoint that writes, ``/sparql-graph-crud-auth``, wants HTTP Digest credentials:
  ``r2pkg publish --to http://host:8890/sparql-graph-crud-auth --user dba --password …``.
"""
from __future__ import annotations


from ..namespaces import GRAPH
from ..errors import QueryTimeout
from ..remote import SparqlStore, _publish_gsp, form_body
from . import Opened


class VirtuosoStore(SparqlStore):
    name = "virtuoso"
    example = "http://127.0.0.1:8890/sparql"

    def __init__(self, graph_prefix: str = str(GRAPH)) -> None:
        self.graph_prefix = graph_prefix

    def matches(self, server_header: str) -> bool:
        return "virtuoso" in server_header.lower()

    def matches_gsp_path(self, path: str) -> bool:
        return path.rstrip("/").endswith(("/sparql-graph-crud", "/sparql-graph-crud-auth"))

    def union(self, server_header: str) -> str:
        return "exclude"

    def exclude(self, text, graphs):
        # on the first line, so error lines stay true
        return "".join(f"define input:default-graph-exclude <{g}> define input:named-graph-exclude <{g}> "
                       for g in graphs if _iri_safe(g)) + text

    def keep_graph(self, iri: str) -> bool:
        return iri.startswith(self.graph_prefix)

    def bind(self, text, values):
        at = _where_group(text)
        if at is None:
            return super().bind(text, values)
        return text[:at] + " " + values + " " + text[at:]

    def prepare(self, text, form):
        if form == "DESCRIBE":  # on the first line, so error lines stay true
            return 'define sql:describe-mode "CBD" ' + text
        return text

    def request(self, url, text, params, timeout):
        # a form POST (a direct POST hangs), with Virtuoso's own limit, so it stops a query r2pkg
        # gave up on (else it runs on, for nobody)
        form = [("query", text), *params, ("timeout", str(max(1, int(timeout * 1000))))]
        return url, form_body(form), "application/x-www-form-urlencoded"

    def answered(self, status, body, head, timeout):
        if head.get("X-SQL-State", "").strip() == "S1TAT":  # "incomplete results": never a 200
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s", timeout_s=timeout)
        if status == 500 and any(m in body[:400] for m in _TOO_COSTLY):
            raise QueryTimeout("the remote store refused the query as too costly for its limits: "
                               + body[:200].decode("utf-8", "replace").split("\n", 1)[0], timeout_s=timeout)
        return status, body, head.get("Server", "")

    def publish(self, dataset_nq, gsp_url, *, timeout=120.0, auth=None):
        return _publish_gsp(dataset_nq, gsp_url, timeout=timeout, auth=auth, as_served=True)


def _iri_safe(iri: str) -> bool:
    return not any(c in iri for c in '<>"{}|^`\\ \n\t')


def _word(c: str) -> bool:
    return bool(c) and (c.isalnum() or c in "_?$:-")


def _where_group(text: str) -> int | None:
    """The offset just inside the outermost WHERE group's ``{`` (strings, IRIs and comments skipped):
    after the WHERE keyword, else the first ``{`` (``SELECT * { … }``, not a CONSTRUCT template)."""
    i, n, first, depth = 0, len(text), None, 0
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            q = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            j = i + len(q)
            while j < n and not text.startswith(q, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(q)
            continue
        if c == "<":
            j = i + 1
            while j < n and text[j] not in "<>\"{}|^`\\ \t\n":
                j += 1
            if j < n and text[j] == ">":
                i = j + 1
                continue
        if c == "{":
            if first is None and depth == 0:
                first = i + 1
            depth += 1
        elif c == "}":
            depth -= 1
        elif (depth == 0 and text[i:i + 5].upper() == "WHERE" and not _word(text[i - 1:i])
              and not _word(text[i + 5:i + 6])):
            j = text.find("{", i + 5)
            return None if j < 0 else j + 1
        i += 1
    return None if text.lstrip().upper().startswith("CONSTRUCT") else first


# Virtuoso's own limits (MaxQueryCostEstimationTime; [Flags] tn_max_memory): the query would not
# finish in time, so r2pkg answers as for a timeout (503), not as for a failed store
_TOO_COSTLY = (b"The estimated execution time", b"in transitive temp memory")

STORE = VirtuosoStore()


def open(settings, worker_config) -> Opened:  # noqa: A001 - the backend interface's name
    from .sparql import open_remote

    return open_remote(settings, worker_config, STORE)
