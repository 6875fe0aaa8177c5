"""The build's on-disk store: a RocksDB directory that query workers open read-only.

Written once per build, from the build's N-Quads, into ``<build>/store/`` (``db/``, the RocksDB
data, and ``stats.json``: the quad count and the named graphs, which the server process answers
from without opening the store). Either by the build itself, inside the build's temporary folder so
it is published atomically with the other artefacts (:func:`r2pkg.build.publish_nquads` with
``disk_store=True``), or on the first start in disk mode (:func:`ensure`), into a temporary folder
renamed into place, so a failed or concurrent write never leaves a half-written store.

RocksDB is not fork-safe, and the server process forks its query workers at any time (a replacement
after a timeout, an overflow worker): so the store is written in a child process, and opened only
in processes that never fork again (:func:`open_read_only`, called by each query worker after its
fork). A build's store is never written after it is published, which is what RocksDB's read-only
mode requires.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .errors import R2pkgError

FOLDER = "store"
DB = "db"
STATS = "stats.json"


def _write_child(dataset_path: str, target: str) -> None:
    """In a child process: bulk-load the N-Quads into a new RocksDB store at ``target``/db, check
    that it opens read-only with the same quads, and write ``target``/stats.json."""
    db = os.path.join(target, DB)
    os.makedirs(target)
    store = ox.Store(db)
    store.bulk_load(path=dataset_path, format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    quads = len(store)
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    del store  # closes the database
    if len(ox.Store.read_only(db)) != quads:
        raise RuntimeError("the store read back a different number of quads")
    with open(os.path.join(target, STATS), "w", encoding="utf-8") as f:
        json.dump({"quads": quads, "graphs": graphs}, f, indent=1)


def write(folder: Path, dataset_path: Path) -> dict:
    """Write the store for ``dataset_path`` into ``folder``/store (which must not exist); return
    its statistics. The work is done in a child process, so this process never opens RocksDB.

    Raises:
        R2pkgError: the store could not be written (the partial folder is removed).
    """
    target = Path(folder) / FOLDER
    ctx = mp.get_context("fork")
    proc = ctx.Process(target=_write_child, args=(str(dataset_path), str(target)), daemon=True)
    proc.start()
    proc.join()
    stats = target / STATS
    if proc.exitcode != 0 or not stats.is_file():
        shutil.rmtree(target, ignore_errors=True)
        raise R2pkgError(f"writing the on-disk store of {dataset_path} failed (exit code {proc.exitcode})")
    return json.loads(stats.read_text(encoding="utf-8"))


def stats(build_path: Path) -> dict | None:
    """The statistics of the build's store, or None if it has no (complete) store."""
    f = Path(build_path) / FOLDER / STATS
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def ensure(build_path: Path, dataset_path: Path) -> dict:
    """The statistics of the build's store, writing the store first if the build has none.

    Concurrent callers (server processes starting together) may each write one; the first rename
    wins and the others drop theirs."""
    found = stats(build_path)
    if found is not None:
        return found
    tmp = Path(tempfile.mkdtemp(prefix=".store-", dir=build_path))
    try:
        write(tmp, dataset_path)
        try:
            os.replace(tmp / FOLDER, Path(build_path) / FOLDER)
        except OSError:  # another process published its store first
            if stats(build_path) is None:
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats(build_path)  # type: ignore[return-value]


def open_read_only(build_path: Path) -> ox.Store:
    """The build's store, opened read-only (in a process that will not fork).

    Raises:
        OSError: the build has no store, or it cannot be read.
    """
    return ox.Store.read_only(str(Path(build_path) / FOLDER / DB))
