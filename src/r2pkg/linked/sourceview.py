"""The readable source: a stored text cut into segments at every passage boundary, so that every
cited passage can be anchored (``id="p-<start>-<end>"``) and highlighted, nested and overlapping
passages included, and linked to the facts derived from it.

The result is a flat token stream a template renders without recursion:
``text`` (a run of characters), ``open`` / ``close`` (a highlight of one passage; the first
fragment of a passage carries its anchor, continuation fragments of a passage split by a crossing
one do not), and ``refs`` (footnote references, emitted outside every highlight so a highlight's
text is exactly the passage's text).

>>> toks = tokens("abcdef", [Passage(1, 4, "p1"), Passage(2, 3, "p2")])
>>> [(t.kind, t.text or (t.passage.anchor if t.passage else "")) for t in toks]  # doctest: +NORMALIZE_WHITESPACE
[('text', 'a'), ('open', 'p-1-4'), ('text', 'b'), ('open', 'p-2-3'), ('text', 'c'), ('close', 'p-2-3'),
 ('text', 'd'), ('close', 'p-1-4'), ('refs', ''), ('text', 'ef')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Passage:
    start: int
    end: int
    iri: str
    exact: str = ""
    facts: list[tuple[str, str, str]] = field(default_factory=list)  # (href, label, iri)
    number: int = 0

    @property
    def anchor(self) -> str:
        return f"p-{self.start}-{self.end}"

    @property
    def note(self) -> str:
        return f"fn-{self.start}-{self.end}"

    @property
    def title(self) -> str:
        names = "; ".join(label for _, label, _ in self.facts)
        return f"Passage {self.number}: {names}" if names else f"Passage {self.number}"


@dataclass
class Token:
    kind: str  # text | open | close | refs
    text: str = ""
    passage: Passage | None = None
    first: bool = True  # for open: the first fragment (carries the anchor)
    depth: int = 0
    refs: list[Passage] = field(default_factory=list)
    start: int = 0  # for text: its offset in the source
    runs: list[tuple[str, str]] = field(default_factory=list)  # for text: (CSS classes, text), see styled


def tokens(text: str, passages: list[Passage]) -> list[Token]:
    """Cut ``text`` at every passage boundary; see the module docstring."""
    ps = sorted((p for p in passages if 0 <= p.start < p.end <= len(text)), key=lambda p: (p.start, -p.end, p.iri))
    for i, p in enumerate(ps, 1):
        p.number = i
    bounds = sorted({0, len(text)} | {p.start for p in ps} | {p.end for p in ps})
    starting: dict[int, list[Passage]] = {}
    for p in ps:
        starting.setdefault(p.start, []).append(p)
    out: list[Token] = []
    stack: list[Passage] = []
    opened: set[str] = set()
    cluster: list[Passage] = []
    for i, pos in enumerate(bounds):
        ending = [p for p in stack if p.end == pos]
        if ending:
            # close from the top down to the deepest passage that ends here; reopen the others
            lowest = min(stack.index(p) for p in ending)
            reopen = [p for p in stack[lowest:] if p.end != pos]
            for p in reversed(stack[lowest:]):
                out.append(Token("close", passage=p, depth=stack.index(p)))
            del stack[lowest:]
            for p in reopen:
                out.append(Token("open", passage=p, first=False, depth=len(stack)))
                stack.append(p)
            if not stack and cluster:
                out.append(Token("refs", refs=cluster))
                cluster = []
        for p in starting.get(pos, []):
            out.append(Token("open", passage=p, first=p.iri not in opened, depth=len(stack)))
            opened.add(p.iri)
            stack.append(p)
            cluster.append(p)
        if i + 1 < len(bounds):
            out.append(Token("text", text=text[pos:bounds[i + 1]], start=pos))
    return out


# The Markdown the stored sources use, shown as formatting rather than as markup. The markup
# characters stay in the page, in hidden spans, so every highlight's text is still the passage's
# exact text and offsets are untouched.
_HEADING = re.compile(r"^(#{1,6})([ \t]+)(\S[^\n]*)$", re.M)
_STRONG = re.compile(r"(\*\*)(?=\S)([^\n]*?\S)(\*\*)")
_EM = re.compile(r"(?<![*\w])(\*)(?=[^\s*])([^*\n]*?[^\s*])(\*)(?![*\w])")
_SUP = re.compile(r"(<sup>)([^<\n]*)(</sup>)")
SYNTAX = "md-syntax"


def markdown_classes(text: str) -> list[frozenset[str]]:
    """For every character of ``text``, the CSS classes of the Markdown it is part of: ``md-h1`` ...
    ``md-h6``, ``md-strong``, ``md-em``, ``md-sup`` for content, ``md-syntax`` for the markup.

    >>> c = markdown_classes("## A *b*")
    >>> [sorted(x) for x in c]  # doctest: +NORMALIZE_WHITESPACE
    [['md-syntax'], ['md-syntax'], ['md-syntax'], ['md-h2'], ['md-h2'], ['md-h2', 'md-syntax'],
     ['md-em', 'md-h2'], ['md-h2', 'md-syntax']]
    """
    classes: list[set[str]] = [set() for _ in text]

    def mark(a: int, b: int, cls: str) -> None:
        for i in range(a, b):
            classes[i].add(cls)

    for m in _HEADING.finditer(text):
        mark(m.start(1), m.end(2), SYNTAX)
        mark(m.start(3), m.end(3), f"md-h{len(m.group(1))}")
    for rx, cls in ((_STRONG, "md-strong"), (_EM, "md-em"), (_SUP, "md-sup")):
        for m in rx.finditer(text):
            mark(m.start(1), m.end(1), SYNTAX)
            mark(m.start(2), m.end(2), cls)
            mark(m.start(3), m.end(3), SYNTAX)
    return [frozenset(c) for c in classes]


def styled(tokens: list[Token], text: str) -> list[Token]:
    """Set ``runs`` on every text token: its characters grouped by their Markdown classes (a
    character of markup has only ``md-syntax``). Returns ``tokens``."""
    classes = markdown_classes(text)
    for t in tokens:
        if t.kind != "text":
            continue
        runs: list[tuple[str, str]] = []
        for i, ch in enumerate(t.text):
            c = classes[t.start + i]
            name = SYNTAX if SYNTAX in c else " ".join(sorted(c))
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + ch)
            else:
                runs.append((name, ch))
        t.runs = runs
    return tokens


def footnotes(passages: list[Passage]) -> list[Passage]:
    return sorted(passages, key=lambda p: p.number)


def passages_from_rows(rows: list[dict], fact_href) -> tuple[str | None, list[Passage]]:
    """(source title, passages) from the SOURCE_PASSAGES query's rows; ``fact_href(iri)`` links a fact."""
    title = None
    by_iri: dict[str, Passage] = {}
    for r in rows:
        if "title" in r:
            title = r["title"].value
            continue
        iri = r["passage"].value
        p = by_iri.get(iri)
        if p is None:
            p = by_iri[iri] = Passage(int(r["start"].value), int(r["end"].value), iri, r["exact"].value)
        if "f" in r:
            f = r["f"].value
            label = r["fLabel"].value if "fLabel" in r else f.rsplit("/id/", 1)[-1]
            if all(x[2] != f for x in p.facts):
                p.facts.append((fact_href(f), label, f))
    for p in by_iri.values():
        p.facts.sort(key=lambda x: (x[1].lower(), x[2]))
    return title, list(by_iri.values())
