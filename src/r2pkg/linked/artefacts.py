"""Build-time linked-data artefacts, written into the build folder before it is published:

``ontology.html`` (the ontology documentation), ``context.jsonld`` (the JSON-LD context),
``void-stats.json`` (VoID statistics, dump checksums), ``dumps/r2pkg.{nq,trig,ttl}.gz`` and
``search.sqlite`` (the full-text index of :mod:`r2pkg.search`; its size, document count and build
time go into the manifest as ``search``).

They are a pure function of the build's N-Quads and manifest, so :func:`ensure` can add them to a
build published by an older r2pkg without rebuilding.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
from ..namespaces import graph_iri
from ..query import run
from ..search import INDEX_FILE
from ..search import index as search_index
from . import dumps, jsonld, ontodoc, void
from .rdfio import to_rdflib

ONTOLOGY_HTML = "ontology.html"
CONTEXT = "context.jsonld"
STATS = "void-stats.json"
FILES = (ONTOLOGY_HTML, CONTEXT, STATS, INDEX_FILE, *(f"{dumps.FOLDER}/{n}" for n in dumps.NAMES))


def _graph(store: ox.Store, name: str) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph_iri(name))))]


def _select(store: ox.Store):
    def select(q: str) -> list[dict[str, str]]:
        res = run(store, q)
        return [{v: sol[v].value for v in res.variables or [] if sol[v] is not None} for sol in res.raw]
    return select


def generate(folder: Path, nquads: bytes, manifest: dict) -> dict:
    """Write every artefact into ``folder``; return the statistics written to ``void-stats.json``."""
    store = ox.Store()
    store.load(nquads, format=ox.RdfFormat.N_QUADS)
    onto_triples = _graph(store, "ontology")
    ontology = to_rdflib(onto_triples)
    context = jsonld.make_context(ontology)
    (folder / CONTEXT).write_text(json.dumps(context, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    embedded = jsonld.script_safe(jsonld.compact(onto_triples, context))
    html = ontodoc.render(ontology, to_rdflib(_graph(store, "imports")), to_rdflib(_graph(store, "schemes")),
                          jsonld=embedded, build_id=manifest.get("build_id", ""))
    (folder / ONTOLOGY_HTML).write_text(html, encoding="utf-8")
    manifest["search"] = search_index.write(folder / INDEX_FILE, store, manifest.get("build_id"))
    stats = void.compute(_select(store))
    stats.update(build_id=manifest.get("build_id"), built_at=manifest.get("built_at"),
                 quads=manifest.get("triples"), validation=manifest.get("validation"))
    stats["dumps"] = dumps.write(folder, nquads)
    (folder / STATS).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return stats


def missing(folder: Path) -> list[str]:
    return [f for f in FILES if not (folder / f).is_file()]


def ensure(folder: Path, dataset_file: Path, manifest: dict) -> bool:
    """Add the artefacts to a published build that lacks them (atomically, file by file).

    Returns True when something was written."""
    if not missing(folder):
        return False
    tmp = Path(tempfile.mkdtemp(prefix=".linked-", dir=folder))
    try:
        generate(tmp, dataset_file.read_bytes(), manifest)
        (folder / dumps.FOLDER).mkdir(exist_ok=True)
        for f in FILES:
            os.replace(tmp / f, folder / f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def load_stats(folder: Path) -> dict | None:
    p = folder / STATS
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def load_context(folder: Path) -> dict | None:
    p = folder / CONTEXT
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
