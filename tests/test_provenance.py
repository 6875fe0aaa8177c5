"""Provenance: every passage matches its source; every fact-bearing node has a passage."""
from __future__ import annotations

import pytest
from rdflib import Graph

from r2pkg.errors import DataError
from r2pkg.provenance import check_passages, locate, read_source
from r2pkg.query import run
from r2pkg.sources import input_files, parse_turtle

FACT_CLASSES = ["r2p:Statement", "r2p:Stance", "r2p:CountClaim", "r2p:OrdinalClaim", "r2p:TrendClaim",
                "schema:Quotation", "r2p:Participation", "r2p:Vote", "r2p:Inconsistency"]
PFX = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


def test_every_passage_matches_the_source_text(res):
    g = Graph()
    for f in input_files(res):
        if not f.is_tbox:
            g += parse_turtle(f.path)
    problems = check_passages(g, res.sources)
    assert problems == []


@pytest.mark.parametrize("cls", FACT_CLASSES)
def test_every_fact_has_a_passage(dataset, cls):
    q = PFX + f"""SELECT ?x WHERE {{ ?x a {cls} .
        FILTER NOT EXISTS {{ ?x prov:wasDerivedFrom ?p . ?p a r2p:Passage ;
            oa:hasSelector/oa:exact ?e ; oa:hasSelector/oa:start ?s }} }}"""
    missing = [sol["x"].value for sol in run(dataset.store, q).raw]
    assert missing == []


def test_passage_offsets_are_code_points(res):
    text = read_source(res.sources / "000_8ce56a32bf916fdd.txt")
    span = locate(text, "Ivan Šimonović, moderated", "000_8ce56a32bf916fdd")
    assert text[span.start:span.end] == "Ivan Šimonović, moderated"


def test_locate_refuses_ambiguous_and_missing():
    with pytest.raises(DataError, match="occurs 2 times"):
        locate("a b a", "a", "s")
    with pytest.raises(DataError, match="not found"):
        locate("a b a", "c", "s")
    assert locate("a b a", "a", "s", occurrence=2).start == 4
