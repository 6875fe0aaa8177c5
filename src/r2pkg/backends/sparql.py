"""The portable remote backend: any SPARQL 1.1 Protocol store (Oxigraph server, Fuseki, GraphDB).

The implementation is :mod:`r2pkg.remote` (:class:`~r2pkg.remote.SparqlStore`,
:class:`~r2pkg.remote.RemoteExecutor`); ``open`` here is shared by every remote kind.
"""
from __future__ import annotations

from ..remote import SparqlStore
from . import Opened


STORE = SparqlStore()


def open_remote(settings, worker_config, store: SparqlStore) -> Opened:
    """Connect to the store at ``settings["STORE"]`` and answer the front end's jobs there. A local
    build, when there is one, adds named queries, docs and dumps, and its id if the store holds it."""
    from ..build import current_build
    from ..errors import R2pkgError
    from ..paths import resources
    from ..remote import RemoteExecutor

    dataset = store.connect(str(settings["STORE"]), timeout=float(settings["QUERY_TIMEOUT"]) * 6,
                            union=settings.get("STORE_UNION"))
    res = None
    try:
        res = resources(settings["HOME"], settings["BUILD_DIR"])
        dataset.build = current_build(res.build_dir)
        if dataset.holds(dataset.build):  # the remote store holds exactly this build
            dataset.build_id = dataset.build.build_id
    except R2pkgError:  # resources and a local build only add named queries, docs and dumps
        pass
    executor = RemoteExecutor(dataset, workers=int(settings["QUERY_WORKERS"]),
                              max_workers=int(settings["QUERY_MAX_WORKERS"]),
                              timeout=float(settings["QUERY_TIMEOUT"]),
                              queue_timeout=float(settings["QUEUE_TIMEOUT"]), config=worker_config)
    return Opened(dataset, executor, res)


def open(settings, worker_config) -> Opened:  # noqa: A001 - the backend interface's name
    return open_remote(settings, worker_config, STORE)
