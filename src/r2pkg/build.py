"""Build once, serve many: parse, validate and write an immutable build artefact.

A build directory holds ``builds/<build-id>/`` folders and a ``current`` symlink. A build is
written to a temporary folder and published by atomically replacing the symlink, so a failed build
(syntax error, non-conforming data, inconsistency) leaves the last good build in place.

Artefact files: ``dataset.nq`` (sorted N-Quads, blank nodes canonicalised with RDFC-1.0, so the same
inputs give the same bytes), ``report.ttl`` (the SHACL validation report) and ``manifest.json``; plus
the linked-data artefacts of :mod:`r2pkg.linked.artefacts` (``ontology.html``, ``context.jsonld``,
``void-stats.json``, ``dumps/r2pkg.{nq,trig,ttl}.gz``), generated before the build is published;
and, for the disk store mode, ``store/`` (:mod:`r2pkg.diskstore`), when asked for.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pyoxigraph as ox
from rdflib import Graph

from . import __version__
from .entailment import ENTAILMENT_GRAPH, entailments
from .errors import DataError, NoBuild, ValidationFailed
from .linked import artefacts as linked_artefacts
from .linked.rdfio import to_ox
from .namespaces import BASE
from .paths import Resources
from .sources import InputFile, input_files, parse_turtle

if TYPE_CHECKING:
    from .validate import ValidationResult

DATASET_FILE = "dataset.nq"
REPORT_FILE = "report.ttl"
MANIFEST_FILE = "manifest.json"
KEEP_BUILDS = 3


@dataclass(frozen=True)
class Build:
    """A published build artefact."""

    path: Path
    manifest: dict

    @property
    def build_id(self) -> str:
        return self.manifest["build_id"]

    @property
    def dataset_path(self) -> Path:
        return self.path / DATASET_FILE

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE


@dataclass
class Inputs:
    files: list[InputFile]
    graphs: dict[str, Graph]  # graph name -> parsed graph

    def union(self, *, tbox: bool) -> Graph:
        g = Graph()
        for f in self.files:
            if f.is_tbox == tbox:
                g += self.graphs[f.name]
        return g


def load_inputs(res: Resources) -> Inputs:
    """Parse every input file (raises on the first file that does not parse)."""
    files = input_files(res)
    return Inputs(files, {f.name: parse_turtle(f.path) for f in files})


def check(res: Resources, inputs: Inputs | None = None, *, consistency: bool = True) -> ValidationResult:
    """Validate the inputs without writing anything."""
    inputs = inputs or load_inputs(res)
    from .validate import load_shapes, validate  # pyshacl and owlrl: only when building

    from .sources import prefixes_of

    prefixes = prefixes_of([f.path for f in inputs.files if not f.is_tbox] + sorted(res.shapes.glob("*.ttl")))
    files = {f.path.relative_to(res.root).as_posix(): inputs.graphs[f.name] for f in inputs.files if not f.is_tbox}
    return validate(inputs.union(tbox=False), inputs.union(tbox=True), load_shapes(res.shapes),
                    res.sources, consistency=consistency, prefixes=prefixes, files=files)


def _nquads(inputs: Inputs, derived: dict[str, Graph] | None = None) -> bytes:
    """Sorted N-Quads of every input file in its graph, plus ``derived`` (graph IRI -> triples)."""
    ds = ox.Dataset()
    for f in inputs.files:
        g = ox.NamedNode(str(f.graph))
        for q in ox.parse(path=str(f.path), format=ox.RdfFormat.TURTLE, base_iri=BASE,
                          rename_blank_nodes=True):
            ds.add(ox.Quad(q.subject, q.predicate, q.object, g))
    for name, graph in (derived or {}).items():
        g = ox.NamedNode(name)
        for t in to_ox(graph):
            ds.add(ox.Quad(t.subject, t.predicate, t.object, g))
    if any(isinstance(t, ox.BlankNode) for q in ds for t in (q.subject, q.object)):
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    _check_store_keeps_literals(ds)
    text = ox.serialize(ds, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    lines = sorted(set(line for line in text.splitlines() if line))
    return ("\n".join(lines) + "\n").encode("utf-8")


FINGERPRINT_DIRS = ("ontology", "shapes", "data")
FINGERPRINT_SUFFIXES = (".ttl", ".txt")


def source_files(res: Resources) -> list[Path]:
    """Every file a build reads: ontology, shapes, data and stored sources (sorted)."""
    out: list[Path] = []
    for d in FINGERPRINT_DIRS:
        base = res.root / d
        if base.is_dir():
            out += [p for p in base.rglob("*") if p.suffix in FINGERPRINT_SUFFIXES and p.is_file()]
    return sorted(out)


def fingerprint(res: Resources) -> dict[str, str]:
    """Relative path -> SHA-256 of every file a build reads; recorded in the manifest."""
    return {p.relative_to(res.root).as_posix(): _sha256(p) for p in source_files(res)}


def stale_inputs(res: Resources, b: Build) -> list[str]:
    """The files (relative paths) added, removed or changed since build ``b``; empty if it is current.

    Only files whose modification time is later than the build are hashed (as make would look at
    times), so checking an unchanged checkout costs a directory walk; a newer file whose content is
    unchanged (a fresh checkout, ``touch``) does not count.
    """
    recorded: dict[str, str] | None = b.manifest.get("fingerprint")
    if recorded is None and "inputs" not in b.manifest:
        return []  # published from a dataset file (publish_nquads, e.g. the benchmark's): no sources to compare
    if recorded is None:  # a build from before fingerprints: compare what it did record
        recorded = {i["path"]: i["sha256"] for i in b.manifest.get("inputs", [])}
        files = {p.relative_to(res.root).as_posix(): p for p in source_files(res) if p.suffix == ".ttl"
                 and not p.relative_to(res.root).as_posix().startswith("shapes/")}
    else:
        files = {p.relative_to(res.root).as_posix(): p for p in source_files(res)}
    built_at = (b.path / MANIFEST_FILE).stat().st_mtime
    changed = sorted(set(recorded) ^ set(files))
    for rel, p in files.items():
        if rel in recorded and p.stat().st_mtime >= built_at and _sha256(p) != recorded[rel]:
            changed.append(rel)
    return sorted(changed)


_XSD = "http://www.w3.org/2001/XMLSchema#"
# types pyoxigraph's store rewrites on storage: the integer family becomes xsd:integer, and integers,
# decimals, floats, doubles and booleans are kept in canonical lexical form only
_INTEGER_FAMILY = {_XSD + t for t in (
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_CANONICAL = {
    _XSD + "integer": re.compile(r"-?(0|[1-9][0-9]*)"),
    _XSD + "decimal": re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?"),
    _XSD + "boolean": re.compile(r"true|false"),
}


def _check_store_keeps_literals(ds: ox.Dataset) -> None:
    """Refuse literals the store would answer differently from the dump.

    pyoxigraph's store normalises literals on storage (``"9"^^xsd:positiveInteger`` and
    ``"09"^^xsd:integer`` come back as ``"9"^^xsd:integer``, ``"1.50"`` as ``"1.5"``), so the
    endpoint's answers would differ from the dump. Use the types it keeps (``xsd:integer``,
    ``xsd:decimal``, ``xsd:boolean``) in canonical form, with bounds in the SHACL shapes.
    (A rule, not a probe store: a store made in the building process would change the address
    space that query workers forked later are budgeted from, :mod:`r2pkg.sandbox`.)

    Raises:
        DataError: naming each literal.
    """
    bad: list[str] = []
    for q in ds:
        lit = q.object
        if not isinstance(lit, ox.Literal):
            continue
        dt = lit.datatype.value
        if dt in _INTEGER_FAMILY and dt != _XSD + "integer":
            bad.append(f"{lit}: the store keeps it as xsd:integer")
        elif dt in (_XSD + "float", _XSD + "double"):
            bad.append(f"{lit}: the store rewrites floats and doubles; use xsd:decimal")
        elif dt in _CANONICAL and not _CANONICAL[dt].fullmatch(lit.value):
            bad.append(f"{lit}: not in canonical form, which is how the store keeps it")
    if bad:
        bad = sorted(set(bad))
        raise DataError(f"{len(bad)} literals would not survive the store unchanged (put bounds in the "
                        "shapes, not in the datatype):\n  " + "\n  ".join(bad[:10]), literals=len(bad))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(res: Resources, *, consistency: bool = True, disk_store: bool = False) -> Build:
    """Parse, validate and publish a new build; return it (with its on-disk store if ``disk_store``).

    Raises:
        RdfSyntaxError, DataError: an input does not parse.
        ValidationFailed: SHACL violations, a passage that does not match its source, or an
            OWL RL inconsistency. The previous build stays published.
    """
    t0 = time.perf_counter()
    inputs = load_inputs(res)
    result = check(res, inputs, consistency=consistency)
    if not result.conforms:
        c = result.counts()
        raise ValidationFailed(f"the data does not conform ({c['Violation']} violations)\n{result.text()}",
                               violations=c["Violation"])
    derived = {str(ENTAILMENT_GRAPH): entailments(inputs.union(tbox=True), inputs.union(tbox=False))}
    nq = _nquads(inputs, derived)
    counts = {f.name: len(inputs.graphs[f.name]) for f in inputs.files}
    manifest = {
        "graphs": {**{str(f.graph): counts[f.name] for f in inputs.files},
                   **{name: len(g) for name, g in derived.items()}},
        "inputs": [{"path": f.path.relative_to(res.root).as_posix(), "graph": str(f.graph),
                    "sha256": _sha256(f.path), "triples": counts[f.name]} for f in inputs.files],
        "sources": sorted(p.name for p in res.sources.glob("*.txt")),
        "fingerprint": fingerprint(res),
        "validation": {"conforms": result.conforms, **result.counts(),
                       "consistency": "owlrl" if consistency else "skipped"},
    }
    return publish_nquads(nq, res.build_dir, manifest, report=result.report, started=t0, disk_store=disk_store)


def publish_nquads(nq: bytes, build_dir: Path, manifest: dict, *, report: Graph | None = None,
                   started: float | None = None, linked_data: bool = True, disk_store: bool = False) -> Build:
    """Write an artefact for sorted N-Quads ``nq`` and publish it atomically as the current build.

    ``build`` calls this after validation; benchmarks call it directly for synthetic data (which is
    then published unvalidated: the manifest says so). ``linked_data=False`` skips the linked-data
    artefacts (the web app then adds them on first start, see :func:`r2pkg.linked.artefacts.ensure`);
    ``disk_store=True`` also writes the on-disk store of the disk store mode (:mod:`r2pkg.diskstore`;
    else a disk-mode server adds it on first start).
    """
    t0 = started if started is not None else time.perf_counter()
    build_id = hashlib.sha256(nq).hexdigest()[:16]
    manifest = {
        "build_id": build_id,
        "r2pkg_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_s": None,
        "triples": nq.count(b"\n"),
        "graphs": {},
        "validation": {"conforms": None, "consistency": "skipped"},
        **manifest,
    }
    build_dir.mkdir(parents=True, exist_ok=True)
    builds = build_dir / "builds"
    builds.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=builds))
    try:
        (tmp / DATASET_FILE).write_bytes(nq)
        (report if report is not None else Graph()).serialize(tmp / REPORT_FILE, format="turtle")
        if linked_data:  # ontology docs, JSON-LD context, VoID statistics, dumps
            linked_artefacts.generate(tmp, nq, manifest)
        if disk_store:
            from . import diskstore

            diskstore.write(tmp, tmp / DATASET_FILE)
        manifest["duration_s"] = round(time.perf_counter() - t0, 3)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        final = builds / build_id
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _publish(build_dir, final)
    _prune(builds, keep=final)
    return Build(final, manifest)


def _publish(build_dir: Path, final: Path) -> None:
    link = build_dir / "current"
    tmp_link = build_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(Path("builds") / final.name, tmp_link)
    os.replace(tmp_link, link)


def _prune(builds: Path, keep: Path) -> None:
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in done[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_build(build_dir: Path) -> Build:
    """The published build in ``build_dir``.

    Raises:
        NoBuild: nothing has been built there yet.
    """
    link = build_dir / "current"
    manifest = link / MANIFEST_FILE
    if not manifest.is_file():
        raise NoBuild(f"no build in {build_dir}; run `r2pkg build` first")
    path = link.resolve()
    return Build(path, json.loads(manifest.read_text()))


def ensure_build(res: Resources, *, rebuild_stale: bool = False,
                 on_rebuild: Callable[[str], None] | None = None) -> Build:
    """The current build, building first if there is none.

    Args:
        rebuild_stale: also rebuild when files under ontology/, shapes/ or data/ changed since the
            current build (see :func:`stale_inputs`), as make would.
        on_rebuild: called with a one-line reason before a rebuild of a stale build.

    Raises:
        RdfSyntaxError, DataError, ValidationFailed: the (re)build failed; the old build stays.
    """
    try:
        b = current_build(res.build_dir)
    except NoBuild:
        return build(res)
    if rebuild_stale:
        changed = stale_inputs(res, b)
        if changed:
            if on_rebuild:
                more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
                on_rebuild(f"{', '.join(changed[:3])}{more} changed since build {b.build_id}; rebuilding")
            return build(res, consistency=b.manifest.get("validation", {}).get("consistency") != "skipped")
    return b
