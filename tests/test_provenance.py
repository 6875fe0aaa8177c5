"""Provenance: every passage matches its source; every fact-bearing node has a passage, or a web
page (with its URL) for the facts of the series table."""
from __future__ import annotations

import pytest
from rdflib import Graph

from r2pkg.errors import DataError
from r2pkg.provenance import check_passages, locate, read_source
from r2pkg.query import run
from r2pkg.sources import input_files, parse_turtle

FACT_CLASSES = ["r2p:Statement", "r2p:Stance", "r2p:CountClaim", "r2p:OrdinalClaim", "r2p:TrendClaim",
                "r2p:StatedValueClaim", "schema:Quotation", "r2p:Participation", "r2p:Vote", "r2p:Inconsistency"]
PFX = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""
WEB_PAGE = "?p a r2p:WebPage ; schema:url ?url . FILTER (STR(?url) = STR(?p))"


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
        FILTER NOT EXISTS {{ ?x prov:wasDerivedFrom ?p . {{ ?p a r2p:Passage ;
            oa:hasSelector/oa:exact ?e ; oa:hasSelector/oa:start ?s }} UNION {{ {WEB_PAGE} }} }} }}"""
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


def _window_with(text: str, ch: str, size: int = 60) -> tuple[int, int]:
    i = text.index(ch)
    return max(i - size, 0), min(i + size, len(text))


@pytest.mark.parametrize("mark,straight", [("\u201c", '"'), ("\u2019", "'")])
def test_locate_ignores_quote_style(res, mark, straight):
    sid = "000_8ce56a32bf916fdd"
    text = read_source(res.sources / f"{sid}.txt")
    s, e = _window_with(text, mark)
    original = text[s:e]
    typed = original.translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))
    assert typed != original and straight in typed
    assert text.count(original) == 1
    span = locate(text, typed, sid)
    assert (span.start, span.end, span.exact) == (s, e, original)


def test_locate_ignores_whitespace_runs():
    text = "The Council  met\non Tuesday.\n\nIt adjourned."
    span = locate(text, "Council met on\tTuesday. It", "s")
    assert (span.start, span.end) == (text.index("Council"), text.index("It") + 2)
    assert span.exact == "Council  met\non Tuesday.\n\nIt"
    assert text[span.start:span.end] == span.exact


def test_locate_prefers_the_literal_text():
    text = 'said "no" once, said \u201cno\u201d twice'
    assert locate(text, 'said "no"', "s").start == 0  # the literal occurrence, not ambiguous
    assert locate(text, "said \u201cno\u201d", "s").start == text.index("said \u201c")


@pytest.mark.parametrize("blank", ["", " ", "\n\t "])
def test_locate_refuses_empty_text(blank):
    with pytest.raises(DataError, match="the text to find is empty"):
        locate("some text", blank, "s")


def test_passage_command_prints_the_span_it_matched(res):
    from click.testing import CliRunner

    from r2pkg.cli import main

    sid = "000_8ce56a32bf916fdd"
    text = read_source(res.sources / f"{sid}.txt")
    s, e = _window_with(text, "\u201c", 40)
    original = text[s:e]
    typed = " ".join(original.replace("\u201c", '"').replace("\u201d", '"').split())
    r = CliRunner().invoke(main, ["--home", str(res.root), "passage", typed], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    span = locate(text, typed, sid)
    assert span.exact == text[span.start:span.end] and "\u201c" in span.exact
    assert f"/{sid}/{span.start}-{span.end}>" in r.stdout
    assert r.stderr == f"r2pkg: matched {span.start}-{span.end}, the source's own text: {span.exact!r}\n"
    r = CliRunner().invoke(main, ["--home", str(res.root), "passage", original], catch_exceptions=False)
    assert r.exit_code == 0 and r.stderr == ""
