"""The pyoxigraph store a build is served and queried from: in memory, or on disk (read-only).

Two store modes (``R2PKG_STORE_MODE``, :data:`MODES`):

- ``memory`` (:class:`LoadedDataset`): the server process loads the build's N-Quads into an
  in-memory store and forks its query workers holding it. Fastest per query, but reading that
  store writes to the pages it touches (the engine's reference counts), so each forked worker
  slowly copies it (copy-on-write): at bench k=100 a worker that ran the nine bench queries held
  about 230 MB of its own.
- ``disk`` (:class:`DiskDataset`): the build's RocksDB store (:mod:`r2pkg.diskstore`, written once
  per build) is opened read-only by every query worker after it is forked; the server process never
  opens it (RocksDB is not fork-safe) and answers its count and graphs from the store's statistics.
  The data is shared through the page cache, each process keeps only RocksDB's block cache.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import pyoxigraph as ox

from .build import Build
from .errors import ConfigError

MODES = ("memory", "disk")


@dataclass
class LoadedDataset:
    """A build loaded once into an in-memory pyoxigraph store."""

    build: Build
    store: ox.Store

    @property
    def build_id(self) -> str:
        return self.build.build_id

    def __len__(self) -> int:
        return len(self.store)

    def graphs(self) -> list[str]:
        """The named graphs' IRIs, sorted."""
        return sorted(g.value for g in self.store.named_graphs())

    def worker_store(self) -> ox.Store:
        """What a query worker evaluates over: this store, inherited by the fork."""
        return self.store


@dataclass
class DiskDataset:
    """A build served from its on-disk store, which only query workers open (after their fork)."""

    build: Build
    stats: dict  # {"quads": n, "graphs": [IRI, ...]}, written with the store

    @property
    def build_id(self) -> str:
        return self.build.build_id

    def __len__(self) -> int:
        return int(self.stats["quads"])

    def graphs(self) -> list[str]:
        return list(self.stats["graphs"])

    def worker_store(self) -> Callable[[], ox.Store]:
        """What a query worker evaluates over: a function that opens the store read-only, called
        by the worker after it is forked and before it is confined (:mod:`r2pkg.executor`)."""
        from .diskstore import open_read_only

        return functools.partial(open_read_only, self.build.path)


def load(build: Build, mode: str = "memory") -> LoadedDataset | DiskDataset:
    """The build as a servable dataset in store mode ``mode`` (:data:`MODES`).

    ``memory``: the N-Quads bulk-loaded into a fresh in-memory store (no parsing of Turtle, no
    validation). ``disk``: the build's on-disk store, written first if the build has none.

    Raises:
        ConfigError: ``mode`` is not one of :data:`MODES`.
    """
    if mode == "memory":
        store = ox.Store()
        store.bulk_load(path=str(build.dataset_path), format=ox.RdfFormat.N_QUADS)
        return LoadedDataset(build, store)
    if mode == "disk":
        from .diskstore import ensure

        return DiskDataset(build, ensure(build.path, build.dataset_path))
    raise ConfigError(f"unknown store mode {mode!r}; use one of {', '.join(MODES)}", setting="STORE_MODE")
