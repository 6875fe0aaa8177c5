"""Search index against a SPARQL regex over the same texts, in one run on the current build.

    python bench/search.py [--repeat 200]

Prints the index's size, documents and build time, then per query the median latency of
:meth:`Searcher.search` (ranked, facets, snippets), of the ``search:score`` SPARQL function and of a
SPARQL ``regex`` (case-insensitive) over the same texts (labels, alternative labels, passages,
quotations), each in-process (no HTTP), and their ratios. The regex finds fewer: it matches
neither "Simonovic" against "Šimonović" nor a straight quote against a curly one.
"""
from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from r2pkg.build import ensure_build
from r2pkg.paths import resources
from r2pkg.query import run
from r2pkg.search import INDEX_FILE, index
from r2pkg.search import searcher as searcher_module
from r2pkg.search.functions import functions
from r2pkg.search.searcher import Searcher
from r2pkg.store import load

QUERIES = ("Simonovic", "Côte d'Ivoire", "veto", "prevention", "responsibility to protect")
TEXTS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT DISTINCT ?s ?pattern WHERE {
  { ?s rdfs:label|skos:altLabel|skos:prefLabel|foaf:name|dcterms:title|schema:text ?t }
  UNION { ?s oa:hasSelector/oa:exact ?t }
  FILTER(REGEX(STR(?t), ?pattern, "i"))
}"""
FUNCTION = """PREFIX search: <https://w3id.org/r2pkg/search#>
SELECT ?s ?score ?text WHERE {
  { SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } }
  BIND(search:score(?s, ?text) AS ?score) FILTER(BOUND(?score))
} ORDER BY DESC(?score)"""


def median_ms(fn, repeat: int) -> tuple[float, object]:
    out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    build = ensure_build(resources())
    ds = load(build)
    with tempfile.TemporaryDirectory() as tmp:
        stats = index.write(Path(tmp) / INDEX_FILE, ds.store, build.build_id)
    print(f"build {build.build_id}: {len(ds)} quads; index {stats['documents']} documents, "
          f"{stats['bytes']:,} bytes, built in {stats['seconds'] * 1000:.0f} ms")
    searcher = Searcher(build.path / INDEX_FILE)
    fns = functions(build.path / INDEX_FILE)
    print("| query | search (ms) | hits | search:score (ms) | rows | regex (ms) | rows | regex / search | regex / search:score |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for q in QUERIES:
        s_ms, res = median_ms(lambda: searcher.search(q, limit=20), args.repeat)
        def via_function():
            searcher_module._scores.cache_clear()  # memoised per text: clear, to time the index every time
            return list(run(ds.store, FUNCTION, substitutions={"text": ox.Literal(q)},
                            custom_functions=fns).raw)

        f_ms, frows = median_ms(via_function, max(10, args.repeat // 10))
        pattern = ox.Literal(re.escape(q))
        r_ms, rows = median_ms(lambda: list(run(ds.store, TEXTS, substitutions={"pattern": pattern}).raw),
                               max(10, args.repeat // 10))
        ratios.append(r_ms / s_ms)
        print(f"| {q} | {s_ms:.3f} | {res.total} | {f_ms:.2f} | {len(frows)} | {r_ms:.2f} | {len(rows)} | "
              f"{r_ms / s_ms:.0f}x | {r_ms / f_ms:.1f}x |")
    print(f"geometric mean, regex / search: {statistics.geometric_mean(ratios):.0f}x")


if __name__ == "__main__":
    main()
