"""Dataset statistics: triples per named graph and instances per class."""
from __future__ import annotations

from .query import run
from .store import LoadedDataset

_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
_CLASSES = ("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c")


def compute(ds: LoadedDataset) -> dict:
    graphs = {sol["g"].value: int(sol["n"].value) for sol in run(ds.store, _GRAPHS).raw}
    classes = {sol["c"].value: int(sol["n"].value) for sol in run(ds.store, _CLASSES).raw}
    return {"build_id": ds.build_id, "triples": len(ds.store), "graphs": graphs, "classes": classes}
