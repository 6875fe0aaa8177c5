"""SHACL validation, the passage check and the OWL RL consistency check.

One entry point, :func:`validate`, over parsed graphs; it never prints. Severity rules: the data
conforms when no result has severity ``sh:Violation`` (warnings and infos are reported, not fatal).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from .namespaces import SH
from .provenance import PROV_DERIVED, check_passages, missing_passages

SHAPES_NS = "https://w3id.org/r2pkg/shapes#"
PASSAGE_CHECK_SHAPE = URIRef(SHAPES_NS + "PassageMatchesSource")
OWLRL_CHECK_SHAPE = URIRef(SHAPES_NS + "OwlRlConsistency")
PASSAGE_EXISTS_SHAPE = URIRef(SHAPES_NS + "PassageExists")
SEVERITIES = ("Violation", "Warning", "Info")


@dataclass
class Finding:
    severity: str
    shape: str
    focus: str
    path: str | None
    message: str

    def line(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"[{self.severity}] {self.shape} on {self.focus}{where}: {self.message}"


@dataclass
class ValidationResult:
    report: Graph
    findings: list[Finding] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not any(f.severity == "Violation" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def text(self) -> str:
        c = self.counts()
        head = (f"Conforms: {self.conforms} "
                f"({c['Violation']} violations, {c['Warning']} warnings, {c['Info']} infos)")
        return "\n".join([head, *(f.line() for f in sorted(
            self.findings, key=lambda f: (SEVERITIES.index(f.severity), f.shape, f.focus, f.path or "")))])


def load_shapes(shapes_dir: Path) -> Graph:
    from .sources import parse_turtle

    g = Graph()
    for p in sorted(shapes_dir.glob("*.ttl")):
        g += parse_turtle(p)
    return g


_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[\w.-]*[\w-])?$")


def _short(term: object, prefixes: dict[str, str] | None = None) -> str:
    """``term`` as a prefixed name with the prefixes the data and shapes declare (the longest
    namespace that leaves a plain local name), else as ``<IRI>``; literals and blank nodes as is."""
    if not isinstance(term, URIRef):
        return str(term)
    s = str(term)
    best = None
    for name, ns in (prefixes if prefixes is not None else {"shapes": SHAPES_NS}).items():
        if s.startswith(ns) and _LOCAL.match(s[len(ns):]) and (best is None or len(ns) > len(best[1])):
            best = (name, ns)
    return f"{best[0]}:{s[len(best[1]):]}" if best else f"<{s}>"


def _node_shape(shapes: Graph | None, shape: object) -> object:
    """The named node shape a (possibly anonymous) property shape belongs to."""
    seen = set()
    while shapes is not None and not isinstance(shape, URIRef) and shape not in seen:
        seen.add(shape)
        parent = shapes.value(predicate=SH.property, object=shape) or shapes.value(
            predicate=SH.sparql, object=shape)
        if parent is None:
            break
        shape = parent
    return shape


def _findings(report: Graph, shapes: Graph | None = None,
              prefixes: dict[str, str] | None = None) -> list[Finding]:
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        sev = report.value(r, SH.resultSeverity)
        shape = _node_shape(shapes, report.value(r, SH.sourceShape))
        out.append(Finding(
            severity=str(sev).rsplit("#", 1)[-1] if sev else "Violation",
            shape=_short(shape, prefixes) if isinstance(shape, URIRef) else "(anonymous shape)",
            focus=_short(report.value(r, SH.focusNode), prefixes),
            path=_short(report.value(r, SH.resultPath), prefixes) if report.value(r, SH.resultPath) else None,
            message=str(report.value(r, SH.resultMessage) or ""),
        ))
    return out


def _add_result(report: Graph, shape: URIRef, focus: str, message: str) -> None:
    r = BNode()
    report.add((r, RDF.type, SH.ValidationResult))
    report.add((r, SH.sourceShape, shape))
    report.add((r, SH.focusNode, URIRef(focus)))
    report.add((r, SH.resultSeverity, SH.Violation))
    report.add((r, SH.resultMessage, Literal(message)))
    report.add((r, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))


def owlrl_errors(tbox: Graph, abox: Graph) -> list[str]:
    """Run the OWL 2 RL closure over ontology plus data; return the inconsistencies it reports."""
    import owlrl

    g = Graph()
    g += tbox
    g += abox
    closure = owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False)
    closure.expand(g)
    errns = URIRef("http://www.daml.org/2002/03/agents/agent-ont#")
    return sorted(str(o) for o in g.objects(None, URIRef(str(errns) + "error")))


@functools.lru_cache(maxsize=512)
def _prepared(text: str):
    """``text`` parsed and translated by rdflib, once per process (a pure function of the text; a
    prepared query is evaluated against any graph with any bindings)."""
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text)


class _PreparedQueries(Graph):
    """The data graph as pySHACL sees it: a SPARQL-based target or constraint runs once per focus
    node with the same text (``$this`` is bound, not pasted), and rdflib parses a text again on
    every call (three quarters of the constraint time, and of a small fixture's whole validation).
    Here each text is parsed and translated once (:func:`_prepared`)."""

    def __init__(self, *graphs: Graph) -> None:
        super().__init__()
        for g in graphs:
            self += g

    def query(self, query_object, processor="sparql", result="sparql", initNs=None,  # noqa: N803
              initBindings=None, use_store_provided=True, **kwargs):
        if isinstance(query_object, str) and not initNs and not kwargs.get("base"):
            query_object = _prepared(query_object)
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def validate(data: Graph, tbox: Graph, shapes: Graph, sources_dir: Path, *,
             consistency: bool = False, prefixes: dict[str, str] | None = None,
             files: dict[str, Graph] | None = None) -> ValidationResult:
    """Validate ``data`` against ``shapes`` (with ``tbox`` as pySHACL's ont_graph).

    Adds the passage check (every passage's quote equals the source text at its offsets) and,
    when ``consistency`` is true, the OWL RL consistency check, as results of pseudo-shapes
    ``shapes:PassageMatchesSource`` and ``shapes:OwlRlConsistency`` so one report holds all; and
    ``shapes:PassageExists`` for a ``prov:wasDerivedFrom`` naming a passage IRI nothing defines
    (the message names the IRI, the file ``files`` holds it in, and the nearest existing passage).

    Args:
        prefixes: prefix -> namespace, to print focus nodes and paths as the data writes them.
        files: file name -> its graph, to say where a triple is.
    """
    # the ontology mixed into (a copy of) the data, as pySHACL's ont_graph would, in a graph that
    # parses each constraint's query once; pySHACL works on it in place (no second copy)
    _conforms, report, _text = pyshacl.validate(
        _PreparedQueries(data, tbox), shacl_graph=shapes, inplace=True, inference="none", advanced=True,
        allow_warnings=True, allow_infos=True, abort_on_first=False, meta_shacl=False,
    )
    for problem in check_passages(data, sources_dir):
        _add_result(report, PASSAGE_CHECK_SHAPE, problem.passage, problem.message)
    for fact, iri, nearest in missing_passages(data):
        where = [name for name, g in (files or {}).items() if (fact, PROV_DERIVED, iri) in g]
        _add_result(report, PASSAGE_EXISTS_SHAPE, str(fact),
                    f"prov:wasDerivedFrom {_short(iri, prefixes)}"
                    + (f" (in {', '.join(where)})" if where else "")
                    + " names a passage that does not exist"
                    + (f"; the nearest existing passage is {_short(URIRef(nearest), prefixes)}" if nearest else "")
                    + "; create it with `r2pkg passage \"<exact text>\"`, or correct the IRI")
    if consistency:
        for msg in owlrl_errors(tbox, data):
            _add_result(report, OWLRL_CHECK_SHAPE, "https://w3id.org/r2pkg/ontology", msg)
    return ValidationResult(report=report, findings=_findings(report, shapes, prefixes))
