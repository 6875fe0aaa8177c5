"""Which input files make up the dataset, and which named graph each one becomes."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from .errors import DataError, RdfSyntaxError
from .namespaces import BASE as BASE_IRI, graph_iri
from .paths import Resources

# ontology/ files map to fixed graph names; every data/**/*.ttl file to graph/<relative path>.
ONTOLOGY_GRAPHS = {
    "r2p.ttl": "ontology",
    "schemes.ttl": "schemes",
    "imports/external.ttl": "imports",
}
# The TBox (pySHACL ont_graph, reasoner input). The SKOS schemes are instance data and are validated.
TBOX_GRAPHS = frozenset({"ontology", "imports"})


@dataclass(frozen=True)
class InputFile:
    path: Path
    graph: URIRef
    name: str  # short graph name, e.g. "dialogue-2017/stances"

    @property
    def is_tbox(self) -> bool:
        return self.name in TBOX_GRAPHS


def input_files(res: Resources) -> list[InputFile]:
    """All RDF inputs in a stable order: ontology files first, then data files by path."""
    files: list[InputFile] = []
    for rel, name in ONTOLOGY_GRAPHS.items():
        p = res.ontology / rel
        if p.is_file():
            files.append(InputFile(p, graph_iri(name), name))
    extra = sorted(set(res.ontology.rglob("*.ttl")) - {f.path for f in files})
    if extra:
        raise DataError("ontology/ holds files no graph is assigned to: "
                        + ", ".join(str(p.relative_to(res.root)) for p in extra))
    for p in sorted(res.data.rglob("*.ttl")):
        name = p.relative_to(res.data).with_suffix("").as_posix()
        files.append(InputFile(p, graph_iri(name), name))
    return files


_PREFIX = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*|):\s*<([^>]*)>", re.MULTILINE | re.IGNORECASE)


def prefixes_of(paths: list[Path]) -> dict[str, str]:
    """The prefixes the Turtle files declare (``prefix -> namespace``); the first file wins a clash."""
    out: dict[str, str] = {}
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # parse_turtle reports such files
        for name, ns in _PREFIX.findall(text):
            out.setdefault(name, ns)
    return out


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file strictly (UTF-8, via pyoxigraph for speed and precise errors).

    Raises:
        DataError: the file is not UTF-8.
        RdfSyntaxError: with ``file``, ``line`` and ``column`` details.
    """
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{path}: not UTF-8 (invalid byte at line {line})", file=str(path), line=line) from e
    g = Graph()
    try:
        g.parse(data=raw, format="ox-turtle", publicID=BASE_IRI)
    except SyntaxError as e:
        line, col = e.lineno, e.offset
        msg = str(e.msg if hasattr(e, "msg") else e)
        raise RdfSyntaxError(f"{path}:{line}:{col}: {msg}", file=str(path), line=line, column=col) from e
    return g
