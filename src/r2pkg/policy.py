"""What a query asks for, decided by a SPARQL 1.1 parser: does it call SERVICE, is it an update?

A lexer cannot tell: ``<`` opens an IRI in one place and is less-than in another, and a language
tag may be followed by ``.``. So the verdict comes from a parse of the whole query with rdflib's
SPARQL 1.1 grammar, walked for ``SERVICE`` patterns with their endpoint IRIs resolved against the
query's own prologue. The lexical checks in :mod:`r2pkg.safety` may refuse earlier; they never
allow anything by themselves.

The parser must read the text as the engine does. pyoxigraph does not expand ``\\uXXXX`` escapes
outside strings and IRIs (``\\u0053ELECT`` is a syntax error there) and reads them inside strings
as escaped characters (``"a\\u005C"`` is a closed string holding a backslash). rdflib's own entry
points expand every escape first, which would let a string end in one reading and go on in the
other. So the text is parsed as it is, with no expansion, and:

- a text in which the letters ``service`` appear nowhere (in any case) cannot make the engine call
  a service (the keyword cannot be spelled with escapes): it needs no verdict and is not parsed;
- a text that has them is parsed; if the parse fails (a syntax error, or a form the grammar does
  not know, such as escapes in strings or RDF-star terms) it is refused: "mentions SERVICE and
  cannot be verified" is never allowed.

The parse runs in the query worker, inside the query's time and memory budget (a parser fed a
hostile text is work like any other), and its verdict is memoised per query text. Behind it, the
worker cannot open a socket anyway (:mod:`r2pkg.sandbox`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import ForbiddenQuery

# imported before the workers fork, so every worker shares one copy of the grammar
from rdflib.plugins.sparql import parser as _parser  # noqa: E402
from rdflib.plugins.sparql.algebra import translatePrologue as _prologue  # noqa: E402
from rdflib.plugins.sparql.parserutils import CompValue  # noqa: E402
from rdflib.term import URIRef, Variable  # noqa: E402

_CACHE_MAX_CHARS = 16384
_SERVICE = re.compile("service", re.IGNORECASE)


@dataclass(frozen=True)
class Analysis:
    """What the parser found in a query text."""

    parsed: bool                      # the grammar accepted it (False also when no parse was needed)
    form: str | None = None           # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    services: tuple[str | None, ...] = ()  # SERVICE endpoints, in order (None: a variable endpoint)
    dataset_clause: bool | None = None  # FROM / FROM NAMED present (None: not parsed)
    update: bool = False              # the text is a SPARQL Update request
    unverifiable: bool = False        # mentions "service" but does not parse: refused


def analyse(sparql: str) -> Analysis:
    """Parse ``sparql`` and report what it asks for (memoised for texts up to 16 KiB)."""
    if not _SERVICE.search(sparql):
        return Analysis(parsed=False)
    return _analyse(sparql) if len(sparql) <= _CACHE_MAX_CHARS else _analyse.__wrapped__(sparql)


def is_update(sparql: str) -> bool:
    """True when ``sparql`` parses as a SPARQL Update request (used to explain a syntax error)."""
    try:
        _parser.UpdateUnit.parse_string(sparql, parse_all=True)
    except Exception:  # noqa: BLE001 - pyparsing's exceptions, RecursionError
        return False
    return True


@lru_cache(maxsize=4096)
def _analyse(sparql: str) -> Analysis:
    try:
        tree = _parser.Query.parse_string(sparql, parse_all=True)
        prologue_node, query = tree[0], tree[1]
        prologue = _prologue(prologue_node, None)
    except Exception:  # noqa: BLE001 - pyparsing's ParseException, RecursionError, an undeclared prefix
        if is_update(sparql):
            return Analysis(parsed=True, update=True)
        return Analysis(parsed=False, unverifiable=True)
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
    if analysis.unverifiable:
        raise ForbiddenQuery("the query mentions SERVICE and could not be parsed to check it: this endpoint "
                             "makes no outbound requests (write it in plain SPARQL 1.1, without \\u escapes)",
                             reason="service")
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
