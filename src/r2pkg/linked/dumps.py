"""Dumps of the whole dataset: N-Quads, TriG and Turtle (the union of all graphs), each gzipped
deterministically (no file name, mtime 0), so the same build gives the same bytes and ETags."""
from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import PREFIXES

FOLDER = "dumps"
NQ, TRIG, TTL = "r2pkg.nq.gz", "r2pkg.trig.gz", "r2pkg.ttl.gz"
NAMES = (NQ, TRIG, TTL)


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()


def _key(t) -> tuple[str, ...]:
    return tuple(str(x) for x in t)


def serialise(nquads: bytes) -> dict[str, tuple[bytes, int]]:
    """{file name: (uncompressed bytes, statement count)} for the three dumps of ``nquads``."""
    quads = sorted(set(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)),
                   key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=_key)
    return {
        NQ: (nquads, len(quads)),
        TRIG: (ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES), len(quads)),
        TTL: (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES), len(triples)),
    }


def write(folder: Path, nquads: bytes) -> dict[str, dict]:
    """Write the gzipped dumps into ``folder/dumps``; return {name: {sha256, bytes, triples}}."""
    out_dir = folder / FOLDER
    out_dir.mkdir(parents=True, exist_ok=True)
    info = {}
    for name, (data, count) in serialise(nquads).items():
        gz = gzip_bytes(data)
        (out_dir / name).write_bytes(gz)
        info[name] = {"sha256": hashlib.sha256(gz).hexdigest(), "bytes": len(gz), "triples": count}
    return info
