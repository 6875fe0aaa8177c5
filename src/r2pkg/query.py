"""Running SPARQL queries against a loaded dataset, and serialising their results.

Everything executes in pyoxigraph. Query text is never assembled from user values: named-query
parameters are bound with pyoxigraph ``substitutions``.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from .errors import QueryError, QuerySyntaxError, UnsupportedFormat
from .formats import DEFAULTS, Format, for_kind, lookup
from .safety import has_dataset_clause
from .syntax import explain


@dataclass
class Result:
    """A materialised query result: ``kind`` is "results" (SELECT/ASK) or "graph"."""

    kind: str
    raw: object  # QuerySolutions | QueryBoolean | list[Triple]
    variables: list[str] | None = None
    unknown_functions: tuple[str, ...] = ()  # function IRIs the engine does not know (evaluated as errors)

    def serialize(self, fmt: Format | str | None = None) -> bytes:
        f = _resolve(fmt, self.kind)
        out = io.BytesIO()
        if isinstance(self.raw, ox.QueryBoolean) and f.name in _BOOLEAN_TABLES:
            return _BOOLEAN_TABLES[f.name][bool(self.raw)]
        if self.kind == "results":
            self.raw.serialize(out, f.results_format)
        else:
            ox.serialize(self.raw, out, f.rdf_format)
        return out.getvalue()


# SPARQL 1.1 CSV/TSV define no ASK form; a bare ``true`` is read by Jena as a zero-row SELECT (CSV) or
# refused (TSV), and by rdflib as an empty, false result. Jena (and Fuseki) write one column
# ``_askResult`` (``?_askResult`` in TSV, where variables carry their ``?``) and one row; Jena reads
# that back as the boolean, rdflib as a one-row result holding it.
_BOOLEAN_TABLES = {
    "csv": {True: b"_askResult\r\ntrue\r\n", False: b"_askResult\r\nfalse\r\n"},
    "tsv": {True: b"?_askResult\ntrue\n", False: b"?_askResult\nfalse\n"},
}


def _resolve(fmt: Format | str | None, kind: str) -> Format:
    if fmt is None:
        return DEFAULTS[kind]
    f = fmt if isinstance(fmt, Format) else lookup(fmt, kind)
    if f is None or f.kind != kind:
        name = fmt.name if isinstance(fmt, Format) else fmt
        what = "cannot serialise" if f is not None or lookup(name) else "is not a format for"
        raise UnsupportedFormat(f"format {name!r} {what} {kind_label(kind)}; use one of "
                                f"{', '.join(x.name for x in for_kind(kind))}")
    return f


def kind_label(kind: str) -> str:
    return "SELECT/ASK results" if kind == "results" else "CONSTRUCT/DESCRIBE graphs"


def run(store: ox.Store, sparql: str, *, base_iri: str | None = None,
        default_graph: Iterable[str] | None = None, named_graphs: Iterable[str] | None = None,
        union_default: bool = True, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        dataset_clause: bool | None = None, custom_functions: dict | None = None, lazy: bool = False,
        ) -> Result:
    """Execute ``sparql`` on ``store``.

    Args:
        default_graph / named_graphs: protocol dataset IRIs; when given they replace the query's
            FROM / FROM NAMED and the union default graph.
        union_default: the default graph is the union of the named graphs (r2pkg's convention).
        substitutions: variable name -> RDF term, bound by the engine (never pasted into text).
        dataset_clause: whether the query has FROM / FROM NAMED, when a parser has said so
            (:mod:`r2pkg.policy`); None = ask the lexical scan.
        custom_functions: function IRI -> Python callable, for pyoxigraph.
        lazy: leave a CONSTRUCT/DESCRIBE result as the engine's iterator (the caller caps it)
            instead of a list.

    Raises:
        QuerySyntaxError: the query does not parse; the message gives the line, column and token
            (:func:`r2pkg.syntax.explain`), also as ``line``, ``column``, ``token`` details.
    """
    kwargs: dict[str, object] = {"base_iri": base_iri}
    if default_graph is not None or named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in (default_graph or [])] or ox.DefaultGraph()
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    else:
        # The union default graph is for queries without a dataset clause: pyoxigraph's flag would
        # also override the query's own FROM (FROM <g> would still see every graph).
        if dataset_clause is None:
            dataset_clause = has_dataset_clause(sparql)
        kwargs["use_default_graph_as_union"] = union_default and not dataset_clause
    if custom_functions:
        kwargs["custom_functions"] = custom_functions
    if substitutions:
        kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
    unknown: list[str] = []
    while True:
        try:
            raw = store.query(sparql, **kwargs)
            break
        except SyntaxError as e:
            problem = explain(sparql, str(e))
            raise QuerySyntaxError(problem.message, line=problem.line, column=problem.column,
                                   token=problem.token) from e
        except RuntimeError as e:
            m = _UNKNOWN_FUNCTION.fullmatch(str(e))
            if m and len(unknown) < _MAX_UNKNOWN_FUNCTIONS and m.group(1) not in unknown:
                # SPARQL 1.1 §17.3: a function the engine does not know is an evaluation error (the
                # expression is unbound, a FILTER false), as in Jena; not a failed request.
                unknown.append(m.group(1))
                kwargs["custom_functions"] = {**kwargs.get("custom_functions", {}),  # type: ignore[dict-item]
                                              ox.NamedNode(m.group(1)): _unknown_function}
                continue
            if m:
                raise QueryError(f"the query calls too many functions this engine does not know ({len(unknown)})",
                                 reason="unknown-functions") from e
            if substitutions:  # pyoxigraph substitutes only variables of the SELECT projection
                from .errors import BadParameter

                raise BadParameter(f"a parameter cannot be bound: {e}") from e
            raise
    if isinstance(raw, ox.QuerySolutions):
        return Result("results", raw, [v.value for v in raw.variables], tuple(unknown))
    if isinstance(raw, ox.QueryBoolean):
        return Result("results", raw, unknown_functions=tuple(unknown))
    return Result("graph", raw if lazy else list(raw), unknown_functions=tuple(unknown))


_UNKNOWN_FUNCTION = re.compile(r"The custom function <([^>]*)> is not supported")
_MAX_UNKNOWN_FUNCTIONS = 32


def _unknown_function(*_args: object) -> None:
    return None  # pyoxigraph: None from a custom function is an evaluation error


CUT_NOTE = "(… = cut to fit; --format csv gives full values)"


def table(result: Result, width: int | None = None) -> str:
    """A plain-text table of a SELECT result (or the boolean of an ASK), for terminals.

    With ``width``, the widest columns are narrowed until every line fits in ``width`` characters;
    a cut value ends with "…" and the footer says so (other formats give the full values).
    """
    if isinstance(result.raw, ox.QueryBoolean):
        return "true" if bool(result.raw) else "false"
    cols = result.variables or []
    rows = [[_one_line(_cell(sol[c])) for c in cols] for sol in result.raw]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]
    full = list(widths)
    if width is not None and cols:
        budget = max(width - 2 * (len(cols) - 1), len(cols))
        while sum(widths) > budget and max(widths) > 1:
            i = max(range(len(widths)), key=lambda k: widths[k])
            widths[i] -= 1
    line = "  ".join(_fit(c, w) for c, w in zip(cols, widths))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(_fit(v, w) for v, w in zip(r, widths)) for r in rows]
    foot = [f"({len(rows)} rows)"]
    if widths != full:
        foot.append(CUT_NOTE)
    return "\n".join(x.rstrip() for x in [line, sep, *body, *foot])


def _one_line(value: str) -> str:
    """A cell on one line: newlines and tabs become spaces."""
    return value.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")


def _fit(value: str, width: int) -> str:
    if len(value) > width:
        return value[: max(width - 1, 0)] + "…"
    return value.ljust(width)


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value.replace("https://w3id.org/r2pkg/id/", "id:")
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)
