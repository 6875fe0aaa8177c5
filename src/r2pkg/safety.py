"""A fast lexical scan of query text in the server process: an early refusal, never a permission.

pyoxigraph executes ``SERVICE`` by calling out to any URL, and has no switch to turn that off;
``LOAD`` and the other update operations would write. This scan refuses them early, on tokens with
strings, IRIs and comments removed. SPARQL cannot be tokenised without parsing (``<`` is an IRI or
less-than; a language tag may be followed by ``.``), so the scan can be fooled: what decides is the
parser in the worker (:mod:`r2pkg.policy`), and behind it the worker's seccomp filter
(:mod:`r2pkg.sandbox`). The scan also gives the query form (for content negotiation before the
query runs) and the nesting depth (the engine's recursive parser overflows its stack on deep
nesting).
"""
from __future__ import annotations

import re
from functools import lru_cache

from .errors import ForbiddenQuery

_TOKEN = re.compile(
    r'''(?P<comment>\#[^\n\r]*)
      | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
                    |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
      | (?P<word>[A-Za-z_][A-Za-z0-9_\-\.]*(?::[^\s{}()\[\];,]*)?|:[^\s{}()\[\];,]*)
      | (?P<other>\S)''', re.VERBOSE | re.DOTALL)

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})


MAX_NESTING = 128  # pyoxigraph's recursive parser overflows its stack (and crashes) on ~5,000 levels


_CACHE_MAX_CHARS = 8192  # analyses of short queries are memoised (repeated queries are the common case)


def _memo(fn):
    cached = lru_cache(maxsize=2048)(fn)

    def wrapper(sparql: str):
        return cached(sparql) if len(sparql) <= _CACHE_MAX_CHARS else fn(sparql)

    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


@_memo
def nesting_depth(sparql: str) -> int:
    """The deepest nesting of (), {} and [] outside strings, IRIs and comments."""
    depth = deepest = 0
    for m in _TOKEN.finditer(sparql):
        if m.lastgroup != "other":
            continue
        c = m.group()
        if c in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")}]":
            depth -= 1
    return deepest


@_memo
def keywords(sparql: str) -> tuple[tuple[str, str | None], ...]:
    """Bare keywords of a query, each with the IRI token that follows it (if any)."""
    # SPARQL allows \uXXXX escapes anywhere in a query: decode them first, so an escaped keyword
    # cannot slip past (this can only make the scan stricter, never looser).
    sparql = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
    out: list[tuple[str, str | None]] = []
    pending: str | None = None
    for m in _TOKEN.finditer(sparql):
        kind = m.lastgroup
        if kind == "comment":
            continue
        if kind == "word" and ":" not in m.group():
            if pending is not None:
                out.append((pending, None))
            pending = m.group().upper()
            continue
        if pending is not None:
            out.append((pending, m.group()[1:-1] if kind == "iri" else None))
            pending = None
    if pending is not None:
        out.append((pending, None))
    return tuple(out)


def check_query(sparql: str, *, service_allowlist: frozenset[str] = frozenset(), policy: bool = True) -> None:
    """Refuse early what a read-only public endpoint must not run: a lexical pre-filter.

    This scan may refuse, never allow: the verdict that counts is the parser's
    (:mod:`r2pkg.policy`), in the query worker, and the worker cannot reach the network anyway
    (:mod:`r2pkg.sandbox`). With ``policy`` False only the nesting limit is checked (to test the
    sandbox on its own).

    Raises:
        QueryTooComplex: more than ``MAX_NESTING`` levels of brackets.
        ForbiddenQuery: an update operation, ``LOAD``, or ``SERVICE`` to an endpoint that is not in
            ``service_allowlist`` (a variable endpoint, ``SERVICE ?x``, is never allowed).
    """
    if not policy:
        depth = nesting_depth(sparql)
        if depth > MAX_NESTING:
            from .errors import QueryTooComplex

            raise QueryTooComplex(f"the query nests {depth} levels deep; at most {MAX_NESTING} are allowed",
                                  reason="nesting", limit=MAX_NESTING)
        return
    verdict = _verdict(sparql, service_allowlist) if len(sparql) <= _CACHE_MAX_CHARS \
        else _verdict.__wrapped__(sparql, service_allowlist)
    if verdict is not None:
        cls, message, details = verdict
        raise cls(message, **details)


@lru_cache(maxsize=2048)
def _verdict(sparql: str, service_allowlist: frozenset[str]) -> tuple[type, str, dict] | None:
    """Why ``sparql`` is refused, as (exception class, message, details), or None (memoised)."""
    depth = nesting_depth(sparql)
    if depth > MAX_NESTING:
        from .errors import QueryTooComplex

        return (QueryTooComplex, f"the query nests {depth} levels deep; at most {MAX_NESTING} are allowed",
                {"reason": "nesting", "limit": MAX_NESTING})
    kws = keywords(sparql)
    for i, (word, iri) in enumerate(kws):
        if word == "SERVICE":
            if i + 1 < len(kws) and kws[i][1] is None and kws[i + 1][0] == "SILENT":
                iri = kws[i + 1][1]
            if iri is None or iri not in service_allowlist:
                return (ForbiddenQuery,
                        f"SERVICE {('<' + iri + '>') if iri else '(variable endpoint)'} is not allowed: this "
                        "endpoint makes no outbound requests" + (
                            "" if not service_allowlist else " except to its configured allowlist"),
                        {"reason": "service"})
    first = next((w for w, _ in kws if w not in ("PREFIX", "BASE")), None)
    if first in UPDATE_KEYWORDS or any(w == "LOAD" for w, _ in kws):
        return (ForbiddenQuery, "SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is not allowed: "
                "this endpoint is read-only", {"reason": "update"})
    return None


@_memo
def has_dataset_clause(sparql: str) -> bool:
    """True when the query has FROM / FROM NAMED (the bare keyword, not in strings, IRIs or comments)."""
    return any(word == "FROM" for word, _ in keywords(sparql))


QUERY_FORMS = {"SELECT": "results", "ASK": "results", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


@_memo
def query_form(sparql: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first query-form keyword after the prologue."""
    for word, _ in keywords(sparql):
        if word in QUERY_FORMS:
            return word
    return None


_ABSOLUTE = re.compile(r"^<[A-Za-z][A-Za-z0-9+.-]*:")


@_memo
def has_relative_iri(sparql: str) -> bool:
    """True when the query writes an IRI that needs a base to resolve (e.g. ``<s>``)."""
    return any(m.lastgroup == "iri" and not _ABSOLUTE.match(m.group()) for m in _TOKEN.finditer(sparql))
