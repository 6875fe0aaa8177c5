"""What a query asks for, decided by a SPARQL 1.1 parser: is it an update, does it call SERVICE?

A lexer cannot tell: ``<`` opens an IRI in one place and is less-than in another, a language tag
may be followed by ``.``, and ``\\u`` escapes may spell any keyword. So the verdict comes from a
parse of the whole query with rdflib's SPARQL 1.1 grammar (which, like the engine, first expands
``\\u`` escapes), walked for ``SERVICE`` patterns with their endpoint IRIs resolved against the
query's own prologue. The lexical checks in :mod:`r2pkg.safety` may refuse earlier; they never
allow anything by themselves.

The parse runs in the query worker, inside the query's time and memory budget (a parser fed a
hostile text is work like any other), and its verdict is memoised per query text.

A query rdflib cannot parse is not refused for that alone (the engine accepts a few forms rdflib
does not, such as RDF-star terms): it is evaluated in a worker that cannot reach the network, and
it is never sent to the pool that can (:mod:`r2pkg.sandbox`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import ForbiddenQuery

# imported before the workers fork, so every worker shares one copy of the grammar
from rdflib.plugins.sparql import parser as _parser  # noqa: E402
from rdflib.plugins.sparql.algebra import translatePrologue as _prologue  # noqa: E402
from rdflib.plugins.sparql.parserutils import CompValue  # noqa: E402
from rdflib.term import URIRef, Variable  # noqa: E402

_CACHE_MAX_CHARS = 16384


@dataclass(frozen=True)
class Analysis:
    """What the parser found in a query text."""

    parsed: bool                      # False: rdflib's grammar does not accept it (the engine decides)
    form: str | None = None           # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    services: tuple[str | None, ...] = ()  # SERVICE endpoints, in order (None: a variable endpoint)
    dataset_clause: bool = False      # FROM / FROM NAMED present
    update: bool = False              # the text is a SPARQL Update request


def analyse(sparql: str) -> Analysis:
    """Parse ``sparql`` and report what it asks for (memoised for texts up to 16 KiB)."""
    return _analyse(sparql) if len(sparql) <= _CACHE_MAX_CHARS else _analyse.__wrapped__(sparql)


@lru_cache(maxsize=4096)
def _analyse(sparql: str) -> Analysis:
    try:
        tree = _parser.parseQuery(sparql)
    except RecursionError:
        return Analysis(parsed=False)
    except Exception:  # noqa: BLE001 - pyparsing's ParseException and friends: not a query
        try:
            _parser.parseUpdate(sparql)
        except Exception:  # noqa: BLE001 - neither: the engine reports the syntax error
            return Analysis(parsed=False)
        return Analysis(parsed=True, update=True)
    prologue_node, query = tree[0], tree[1]
    try:
        prologue = _prologue(prologue_node, None)
    except Exception:  # noqa: BLE001 - e.g. an undeclared prefix: the engine reports it
        return Analysis(parsed=False)
    services: list[str | None] = []
    stack = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                services.append(_endpoint(node["term"] if "term" in node else None, prologue))
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "asList"):  # pyparsing ParseResults
            stack.extend(list(node))
    # (CompValue.get answers the key's name for a missing key: test membership instead)
    return Analysis(parsed=True, form=query.name, services=tuple(services),
                    dataset_clause="datasetClause" in query)


def _endpoint(term, prologue) -> str | None:
    if isinstance(term, Variable) or term is None:
        return None
    try:
        iri = prologue.absolutize(term)
    except Exception:  # noqa: BLE001 - an unresolvable name is no allowed endpoint
        return None
    return str(iri) if isinstance(iri, URIRef) else None


def enforce(analysis: Analysis, service_allowlist: frozenset[str] = frozenset()) -> bool:
    """Refuse what a read-only endpoint must not run; True when the query needs the network
    (every SERVICE endpoint it calls is allowlisted).

    Raises:
        ForbiddenQuery: an update, or a SERVICE endpoint not in ``service_allowlist``.
    """
    if analysis.update:
        raise ForbiddenQuery("SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is not allowed: this endpoint "
                             "is read-only", reason="update")
    for iri in analysis.services:
        if iri is None or iri not in service_allowlist:
            raise ForbiddenQuery(
                f"SERVICE {('<' + iri + '>') if iri else '(variable endpoint)'} is not allowed: this endpoint "
                "makes no outbound requests" + ("" if not service_allowlist else " except to its configured allowlist"),
                reason="service")
    return bool(analysis.services)
