"""The in-memory pyoxigraph store a build is served and queried from."""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .build import Build


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


def load(build: Build) -> LoadedDataset:
    """Load a build's N-Quads into a fresh in-memory store (no parsing of Turtle, no validation)."""
    store = ox.Store()
    store.bulk_load(path=str(build.dataset_path), format=ox.RdfFormat.N_QUADS)
    return LoadedDataset(build, store)
