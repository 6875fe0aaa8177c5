"""One backend interface: where the front end's queries are answered, chosen in one place.

A backend is a module of this package, named in :data:`KINDS`, with a function
``open(settings, worker_config) -> Opened`` that the app factory calls (:func:`open_backend`):
``embedded`` (the build in pyoxigraph, queries in sandboxed worker processes), ``sparql`` (any
SPARQL 1.1 store over HTTP: Oxigraph server, Fuseki, GraphDB) and ``virtuoso``. A remote kind also
has ``STORE``, a :class:`~r2pkg.remote.SparqlStore` (how to send a query, which graphs are the
dataset, how to publish). A new store is a new module here and a line in :data:`KINDS`.

Which remote kind serves a URL: ``R2PKG_STORE_KIND`` / ``--store-kind`` if set, else the first of
:data:`DETECT_ORDER` whose ``STORE.matches`` the ``Server`` header of one ``GET ?query=ASK {}``
(every SPARQL 1.1 endpoint answers that form; the portable ``sparql`` kind matches any).
"""
from __future__ import annotations

import importlib
import urllib.parse
from typing import NamedTuple

KINDS = ("embedded", "sparql", "virtuoso")
DETECT_ORDER = ("virtuoso", "sparql")  # remote kinds, the portable one last


class Opened(NamedTuple):
    dataset: object  # store.Dataset or remote.RemoteDataset: len(), graphs(), build_id
    executor: object  # submit(job), alive(), busy(), close()
    res: object | None  # Resources (named queries, docs, dumps), if there are any


def backend(kind: str):
    """The module of backend ``kind``.

    Raises:
        RemoteStoreError: ``kind`` is not one of :data:`KINDS`.
    """
    from ..remote import RemoteStoreError

    if kind not in KINDS:
        raise RemoteStoreError(f"unknown store kind {kind!r}; use one of {', '.join(KINDS[1:])}")
    return importlib.import_module(f"{__name__}.{kind}")


def store_for(url: str, kind: str | None = None, *, timeout: float = 30.0):
    """The :class:`~r2pkg.remote.SparqlStore` for the query endpoint ``url``: of ``kind``, or detected."""
    from ..remote import RemoteStoreError, _http, check_url

    if kind:
        if kind == "embedded":
            raise RemoteStoreError("store kind 'embedded' takes no URL")
        return backend(kind).STORE
    check_url(url, "http://127.0.0.1:7878/query")
    probe = url + ("&" if "?" in url else "?") + urllib.parse.urlencode({"query": "ASK {}"})
    _, _, server = _http(probe, headers={"Accept": "application/sparql-results+json"}, timeout=min(timeout, 10.0))
    return next(s for s in (backend(k).STORE for k in DETECT_ORDER) if s.matches(server))


def store_for_publish(gsp_url: str, kind: str | None = None):
    """The store behind a Graph Store Protocol endpoint: of ``kind``, or guessed from the URL's path."""
    if kind:
        return store_for(gsp_url, kind)
    path = urllib.parse.urlsplit(gsp_url).path
    return next(s for s in (backend(k).STORE for k in DETECT_ORDER) if s.matches_gsp_path(path))


def open_backend(settings, worker_config) -> Opened:
    """Open the backend the settings name: the embedded store without ``STORE``, else the remote
    kind ``STORE_KIND`` or the one detected at ``STORE``."""
    if not settings.get("STORE"):
        return backend("embedded").open(settings, worker_config)
    store = store_for(str(settings["STORE"]), settings.get("STORE_KIND") or None)
    return backend(store.name).open(settings, worker_config)
