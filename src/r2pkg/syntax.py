"""Syntax errors in words a SPARQL user understands: line, column, the offending token, and what
would fit there.

The engine reports the furthest position its parser reached and a grammar-level list of what it
expected there (``error at 1:10: expected CONSTRUCT`` for ``SELEC ?s …``, or a list of Unicode
character classes). :func:`explain` rewrites that: a misspelt query form is caught first, by a
lexical read of the prologue; otherwise the engine's position is kept and the token there is
named, with the keywords and punctuation of its list (character classes dropped).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
_UPDATE = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_SPACE_OR_COMMENT = re.compile(r"(?:\s+|#[^\n]*)*")
_PROLOGUE = re.compile(r"(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)", re.I)
_WORD = re.compile(r"[A-Za-z_][\w-]*")
_TOKEN = re.compile(r"\?\w+|\$\w+|<[^>\s]*>?|\"[^\"\n]{0,20}\"?|'[^'\n]{0,20}'?|[\w:.-]+|\S")
_UNCLOSED = re.compile(r"(?<![\\\w])(\"|')(?:[^\"'\\\n]|\\.)*$", re.M)
_ENGINE = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int | None = None
    column: int | None = None
    token: str | None = None


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def offset_of(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    line = max(1, min(line, len(lines)))
    return sum(len(s) + 1 for s in lines[:line - 1]) + max(0, column - 1)


def _query_form(text: str) -> SyntaxProblem | None:
    """A problem with the query form (the first word after PREFIX/BASE declarations), if any."""
    i = 0
    while True:
        i = _SPACE_OR_COMMENT.match(text, i).end()
        m = _PROLOGUE.match(text, i)
        if not m:
            break
        i = m.end()
    m = _WORD.match(text, i)
    word = m.group(0) if m else (text[i:i + 1] or None)
    if word is None:
        return SyntaxProblem("the query has no query form: write SELECT, CONSTRUCT, ASK or DESCRIBE "
                             "after any PREFIX and BASE declarations", *position(text, i))
    upper = word.upper()
    if upper in FORMS or upper in _UPDATE or upper in ("PREFIX", "BASE"):
        return None
    line, col = position(text, i)
    close = difflib.get_close_matches(upper, FORMS + ("PREFIX", "BASE"), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return SyntaxProblem(f"line {line}, column {col}: '{word}' is not a query form{hint}; a query starts "
                         "with SELECT, CONSTRUCT, ASK or DESCRIBE, after any PREFIX and BASE declarations",
                         line, col, word)


def _expected(listing: str) -> list[str]:
    """The keywords and punctuation of the engine's 'expected' list (no character classes)."""
    listing = re.sub(r"\[[^\]]*\]", " ", listing)  # character classes: ['a' ..= 'z' | ...], [_]
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|\b([A-Za-z][A-Za-z0-9_]*)\b', listing):
        item = m.group(1) if m.group(1) is not None else m.group(2)
        item = item.replace('\\"', '"').replace("\\\\", "\\")
        if m.group(2) and item.lower() in ("one", "of", "expected", "prefix", "not", "found") \
                and item not in ("NOT",):
            continue
        if item and item not in out:
            out.append(item)
    return out


_PREFIXED = re.compile(r"<[^>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|[?$]\w+"
                       r"|(?<![\w.-])([A-Za-z][\w.-]*)?:(?=[\w%\\])")


def _undeclared_prefix(text: str) -> tuple[str, int] | None:
    """The first prefixed name whose prefix no PREFIX declares: (``prefix:``, offset)."""
    declared = {m.group(1).lower() + ":" for m in re.finditer(r"PREFIX\s+([^\s:]*):", text, re.I)}
    for m in _PREFIXED.finditer(text):
        if m.group(0).endswith(":") or (m.group(0) and m.group(0)[0] not in "<\"'#?$"):
            prefix = (m.group(1) or "") + ":"
            if prefix.lower() not in declared and not re.match(r"PREFIX\s*$", text[max(0, m.start() - 8):m.start()],
                                                                re.I):
                return prefix, m.start()
    return None


def _second_opinion(text: str) -> tuple[int, int, str | None] | None:
    """Line, column and token where rdflib's parser (pyparsing) fails, or None if it parses. Its
    position is the start of the element that failed; the engine's is the furthest point any
    alternative of its grammar reached, which is the end of the text for most mistakes."""
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(text)
        return None
    except Exception as e:  # noqa: BLE001 - pyparsing's ParseException, or anything the grammar raises
        loc = getattr(e, "loc", None)
        if not isinstance(loc, int):
            return None
        line, col = position(text, loc)
        m = _TOKEN.match(text, loc) if loc < len(text) else None
        return line, col, m.group(0) if m else None


def explain(text: str, engine_message: str) -> SyntaxProblem:
    """A readable syntax error for ``text``, from the engine's message."""
    form = _query_form(text)
    if form is not None:
        return form
    m = _ENGINE.match(engine_message.strip())
    rest = m.group(3) if m else engine_message
    if "Prefix not found" in rest:
        undeclared = _undeclared_prefix(text)
        if undeclared is not None:
            prefix, start = undeclared
            line, col = position(text, start)
            return SyntaxProblem(f"line {line}, column {col}: the prefix '{prefix}' is not declared; add "
                                 f"PREFIX {prefix} <...> before the query", line, col, prefix)
    if '"\\""' in rest or "\"'\"" in rest:  # the engine wants a closing quote
        um = _UNCLOSED.search(text)
        if um is not None:
            line, col = position(text, um.start())
            return SyntaxProblem(f"line {line}, column {col}: the string starting here is not closed "
                                 "(a quote is missing)", line, col, um.group(0)[:20])
    second = _second_opinion(text)
    if second is not None:
        line, col, token = second
        where = f"line {line}, column {col}"
        if token is None:
            return SyntaxProblem(f"{where}: the query ends too early (a closing '}}', ')' or a term is missing)",
                                 line, col)
        excerpt = text.split("\n")[line - 1][col - 1:col + 29].rstrip()
        return SyntaxProblem(f"{where}: unexpected '{token}' (at \"{excerpt}\")", line, col, token)
    if not m:
        return SyntaxProblem(engine_message)
    line, col = int(m.group(1)), int(m.group(2))
    expected = _expected(rest.removeprefix("expected").strip())
    shown = ", ".join(f"'{e}'" if not e.isalpha() else e for e in expected[:10]) + (", ..." if len(expected) > 10 else "")
    return SyntaxProblem(f"line {line}, column {col}: " + (f"expected {shown}" if expected else rest), line, col)
