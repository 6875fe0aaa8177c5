"""The embedded backend: the build in pyoxigraph (in memory, or its on-disk store opened read-only by
each worker: ``STORE_MODE``, :mod:`r2pkg.store`), queries in sandboxed worker processes."""
from __future__ import annotations

from . import Opened


def open(settings, worker_config) -> Opened:  # noqa: A001 - the backend interface's name
    from dataclasses import replace

    from ..build import ensure_build
    from ..executor import Executor
    from ..paths import resources
    from ..search import INDEX_FILE
    from ..store import load

    dataset = settings.get("DATASET")
    if dataset is None:
        res = resources(settings["HOME"], settings["BUILD_DIR"])
        dataset = load(ensure_build(res), str(settings["STORE_MODE"]))  # memory or disk (r2pkg.store)
    else:
        try:
            res = resources(settings["HOME"], settings["BUILD_DIR"])
        except Exception:  # noqa: BLE001 - an injected dataset needs no resources
            res = None
    # the search: functions read the build's index (made by the build, or added on first start)
    worker_config = replace(worker_config, search_index=str(dataset.build.path / INDEX_FILE))
    workers = int(settings["QUERY_WORKERS"])
    executor = Executor(dataset.worker_store(), workers=workers, max_workers=max(workers, int(settings["QUERY_MAX_WORKERS"])),
                        timeout=float(settings["QUERY_TIMEOUT"]), queue_timeout=float(settings["QUEUE_TIMEOUT"]),
                        config=worker_config, max_waiting=int(settings["MAX_PENDING"]))
    return Opened(dataset, executor, res)
