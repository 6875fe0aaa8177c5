"""The client matrix (issue #14): real SPARQL and RDF clients against one real `r2pkg serve`, every
answer checked for its values (rows, booleans, isomorphic graphs), never only a status code.

- engines row for row: every query of ``tests/clients/queries/`` and every named query, on the
  endpoint, on rdflib (pure Python) loaded from the N-Quads dump, on Jena ARQ over the dumps
  (default graph = the Turtle dump, the union; named graphs from the N-Quads dump), and through
  Comunica (a federated engine that queries the endpoint);
- SPARQLWrapper in every return format x GET / form POST / direct POST x SELECT / ASK / CONSTRUCT /
  DESCRIBE; rdflib's SPARQLStore in every return format x GET / POST / form POST x the four forms;
- Jena reading the endpoint's SELECT and ASK results in every results format;
- rapper and RIOT on every dump and on every RDF representation of a sample of resources;
  pyld's expansion of the JSON-LD equal to the Turtle.

Tools come from ``bash .ci/install-client-tools.sh``; a missing tool fails with that fix. Run alone
with ``pytest -m clients``.
"""
from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.dom.minidom import Document

import pytest
import rdflib
import rdflib.plugins.sparql
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML,
                           SPARQLWrapper)

from conftest import REPO, serve_subprocess, stop_subprocess

pytestmark = [pytest.mark.clients, pytest.mark.slow,
              # SPARQLWrapper and rdflib's JSON-LD/TriG parsers build ConjunctiveGraphs (deprecated in rdflib 7)
              pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Dataset.contexts is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Sending Accept header:RuntimeWarning"),
              # the server answers a SELECT asked as Turtle in JSON, a CONSTRUCT asked as JSON in Turtle
              pytest.mark.filterwarnings("ignore:Format requested was:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:unknown response content type:RuntimeWarning")]

CLIENTS = REPO / "tests" / "clients"
FIX = "bash .ci/install-client-tools.sh"
MATRIX_QUERIES = sorted((CLIENTS / "queries").glob("*.rq"))
NAMED_QUERIES = sorted((REPO / "queries").glob("*.rq")) + sorted((REPO / "queries" / "views").glob("*.rq"))
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long")}
R2P = "https://w3id.org/r2pkg/ontology#"
PROLOGUE = f"PREFIX r2p: <{R2P}>\nPREFIX state: <https://w3id.org/r2pkg/id/state/>\n"
FORMS = {
    "select": PROLOGUE + "SELECT ?iso ?s WHERE { ?s r2p:iso3 ?iso FILTER(STRSTARTS(?iso, \"N\")) }",
    "ask": PROLOGUE + 'ASK { state:NLD r2p:iso3 "NLD" }',
    "ask-false": PROLOGUE + 'ASK { state:NLD r2p:iso3 "XXX" }',
    "construct": PROLOGUE + "CONSTRUCT { state:NLD ?p ?o } WHERE { state:NLD ?p ?o }",
    "describe": PROLOGUE + "DESCRIBE state:NLD",
}
SAMPLE = ["id/state/CHL", "id/event/iid-2017", "id/stance/iid-2017/CHL/veto-restraint",
          "id/concept/polarity/support", "ontology", "graph/dialogue-2017/vote", "shapes"]


def test_query_corpus_collected():
    assert len(MATRIX_QUERIES) >= 20 and len(NAMED_QUERIES) >= 16


# -- tools, the server, the dumps -------------------------------------------------------------------


def _require(ok: bool, what: str) -> None:
    if not ok:
        pytest.fail(f"{what} is not installed: run `{FIX}` (the README's test command does)", pytrace=False)


@pytest.fixture(scope="module")
def jena_cp() -> str:
    cp = CLIENTS / ".jena-fix" / "classpath"
    _require(cp.is_file() and Path("/usr/share/java/jena-arq.jar").is_file(), "Jena (libapache-jena-java)")
    _require(subprocess.run(["which", "javac"], capture_output=True).returncode == 0, "the JDK (javac)")
    return cp.read_text().strip()


@pytest.fixture(scope="module")
def rapper() -> str:
    _require(subprocess.run(["which", "rapper"], capture_output=True).returncode == 0, "rapper (raptor2-utils)")
    return "rapper"


@pytest.fixture(scope="module")
def comunica() -> list[str]:
    _require((CLIENTS / "node_modules" / "@comunica" / "query-sparql").is_dir(), "Comunica (npm)")
    return ["node", str(CLIENTS / "comunica-run.cjs")]


@pytest.fixture(scope="module")
def server(res, built):
    proc, base = serve_subprocess(res, "--timeout", "20")
    yield base
    stop_subprocess(proc)


@pytest.fixture(scope="module")
def endpoint(server) -> str:
    return server + "/sparql"


@pytest.fixture(scope="module")
def dumps(server, tmp_path_factory) -> dict[str, Path]:
    """The three dumps, downloaded from the server and gunzipped."""
    folder = tmp_path_factory.mktemp("dumps")
    out = {}
    for name in ("r2pkg.nq.gz", "r2pkg.trig.gz", "r2pkg.ttl.gz"):
        with urllib.request.urlopen(f"{server}/dumps/{name}", timeout=30) as r:
            path = folder / name.removesuffix(".gz")
            path.write_bytes(gzip.decompress(r.read()))
        out[path.suffix[1:]] = path
    return out


@pytest.fixture(scope="module")
def union(dumps) -> rdflib.Graph:
    return rdflib.Graph().parse(data=dumps["ttl"].read_bytes(), format="turtle")


@pytest.fixture(scope="module")
def quad_count(dumps) -> int:
    return sum(1 for line in dumps["nq"].read_text(encoding="utf-8").splitlines() if line.strip())


# -- answers as comparable values ------------------------------------------------------------------


def norm_literal(value: str, datatype: str | None, lang: str | None) -> tuple:
    if lang:
        return ("lit", value, None, lang.lower())
    if datatype in (None, XSD + "string"):
        return ("lit", value, None, None)
    if datatype in NUMERIC:
        try:
            return ("num", Decimal(value).normalize())
        except InvalidOperation:
            pass
    return ("lit", value, datatype, None)


def norm_json_term(t: dict | None) -> tuple | None:
    """A SPARQL JSON results term."""
    if t is None:
        return None
    if t["type"] == "uri":
        return ("iri", t["value"])
    if t["type"] == "bnode":
        return ("bnode",)
    return norm_literal(t["value"], t.get("datatype"), t.get("xml:lang"))


def norm_rdflib_term(t) -> tuple | None:
    if t is None:
        return None
    if isinstance(t, rdflib.URIRef):
        return ("iri", str(t))
    if isinstance(t, rdflib.BNode):
        return ("bnode",)
    return norm_literal(str(t), str(t.datatype) if t.datatype else None, t.language)


def norm_rdfjs_term(t: dict | None) -> tuple | None:
    if t is None:
        return None
    kind = t["termType"]
    if kind == "NamedNode":
        return ("iri", t["value"])
    if kind == "BlankNode":
        return ("bnode",)
    return norm_literal(t["value"], t.get("datatype"), t.get("language"))


def concat_columns(text: str) -> dict[str, str]:
    """GROUP_CONCAT columns and their separators: the order of the parts is not defined by SPARQL,
    so they are compared as sorted lists."""
    out = {}
    for m in re.finditer(r'GROUP_CONCAT\s*\((?:[^;()]|\([^()]*\))*;\s*separator\s*=\s*"((?:[^"\\]|\\.)*)"\s*\)\s*AS\s*\?(\w+)',
                         text, re.I):
        out[m.group(2)] = m.group(1).encode().decode("unicode_escape")
    return out


def canon_rows(vars_: list[str], rows: list[dict], conv, concat: dict[str, str]) -> Counter:
    out = Counter()
    for row in rows:
        key = []
        for v in vars_:
            term = conv(row.get(v))
            if term is not None and v in concat and term[0] == "lit":
                term = ("concat", tuple(sorted(term[1].split(concat[v]))), term[2], term[3])
            key.append(term)
        out[tuple(key)] += 1
    return out


def canon_json(doc: dict, concat: dict[str, str]) -> object:
    if "boolean" in doc:
        return bool(doc["boolean"])
    vars_ = doc["head"]["vars"]
    return (tuple(sorted(vars_)), canon_rows(sorted(vars_), doc["results"]["bindings"], norm_json_term, concat))


# -- the engines ------------------------------------------------------------------------------------


def run_endpoint(endpoint: str, text: str):
    """(kind, value) of a query on the endpoint: ("rows", canon) | ("graph", rdflib.Graph)."""
    graph = bool(re.search(r"^\s*(CONSTRUCT|DESCRIBE)\b", text, re.I | re.M))
    req = urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": text}).encode(),
                                 headers={"Accept": "application/n-triples" if graph else
                                          "application/sparql-results+json",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.headers.get("X-Result-Truncated") is None
        body = r.read()
    if graph:
        return rdflib.Graph().parse(data=body, format="nt")
    return canon_json(json.loads(body), concat_columns(text))


@pytest.fixture(scope="module")
def rdflib_ds(dumps) -> rdflib.Dataset:
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # FROM names a graph of the dataset, never a URL
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data=dumps["nq"].read_bytes(), format="nquads")
    return ds


def run_rdflib(ds: rdflib.Dataset, text: str):
    res = ds.query(text)
    if res.type == "ASK":
        return bool(res.askAnswer)
    if res.type in ("CONSTRUCT", "DESCRIBE"):
        g = rdflib.Graph()
        for t in res.graph:
            g.add(t)
        return g
    vars_ = sorted(str(v) for v in res.vars)
    rows = [{str(k): v for k, v in row.asdict().items()} for row in res]
    return (tuple(vars_), canon_rows(vars_, rows, norm_rdflib_term, concat_columns(text)))


@pytest.fixture(scope="module")
def jena_answers(jena_cp, dumps, tmp_path_factory) -> dict[str, object]:
    """Every corpus query through Jena ARQ over the dumps, in one JVM."""
    out = tmp_path_factory.mktemp("jena")
    files = [str(p) for p in MATRIX_QUERIES + NAMED_QUERIES]
    proc = subprocess.run(["java", "-cp", jena_cp, str(CLIENTS / "JenaRun.java"), "query", str(out),
                           str(dumps["ttl"]), str(dumps["nq"]), *files],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers: dict[str, object] = {}
    for line in proc.stdout.splitlines():
        status, _, rest = line.partition(" ")
        name = rest.split(":", 1)[0]
        answers[name] = RuntimeError(rest) if status == "error" else None
    for p in MATRIX_QUERIES + NAMED_QUERIES:
        if answers.get(p.stem) is not None:
            continue
        if (out / f"{p.stem}.srj").is_file():
            answers[p.stem] = canon_json(json.loads((out / f"{p.stem}.srj").read_text()),
                                         concat_columns(p.read_text()))
        elif (out / f"{p.stem}.nt").is_file():
            answers[p.stem] = rdflib.Graph().parse(data=(out / f"{p.stem}.nt").read_bytes(), format="nt")
    return answers


@pytest.fixture(scope="module")
def comunica_answers(comunica, endpoint, tmp_path_factory) -> dict[str, object]:
    """Every corpus query through Comunica, which queries the endpoint, in one Node process."""
    out = tmp_path_factory.mktemp("comunica")
    files = [str(p) for p in MATRIX_QUERIES + NAMED_QUERIES]
    proc = subprocess.run([*comunica, endpoint, str(out), *files], capture_output=True, text=True, timeout=300,
                          cwd=CLIENTS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers: dict[str, object] = {}
    for line in proc.stdout.splitlines():
        status, _, rest = line.partition(" ")
        if status == "error":
            name, _, msg = rest.partition(":")
            answers[name] = RuntimeError(msg)
    for p in MATRIX_QUERIES + NAMED_QUERIES:
        f = out / f"{p.stem}.json"
        if p.stem in answers or not f.is_file():
            continue
        doc = json.loads(f.read_text())
        if "boolean" in doc:
            answers[p.stem] = doc["boolean"]
        elif "quads" in doc:
            g = rdflib.Graph()
            for s, pr, o in doc["quads"]:
                g.add(tuple(_rdflib_term(t) for t in (s, pr, o)))
            answers[p.stem] = g
        else:
            vars_ = sorted(doc["vars"])
            answers[p.stem] = (tuple(vars_), canon_rows(vars_, doc["rows"], norm_rdfjs_term,
                                                        concat_columns(p.read_text())))
    return answers


def _rdflib_term(t: dict):
    if t["termType"] == "NamedNode":
        return rdflib.URIRef(t["value"])
    if t["termType"] == "BlankNode":
        return rdflib.BNode(t["value"])
    return rdflib.Literal(t["value"], lang=t.get("language"),
                          datatype=None if t.get("language") or t.get("datatype") == XSD + "string"
                          else t.get("datatype"))


def same(a, b) -> bool:
    if isinstance(a, rdflib.Graph) and isinstance(b, rdflib.Graph):
        return len(a) == len(b) and isomorphic(a, b)
    return a == b


def diff(a, b) -> str:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return (f"vars {a[0]} / {b[0]}; only on the endpoint: {list((a[1] - b[1]).items())[:5]}; "
                f"only on the other engine: {list((b[1] - a[1]).items())[:5]}")
    return f"{str(a)[:300]} / {str(b)[:300]}"


CORPUS = MATRIX_QUERIES + NAMED_QUERIES
IDS = [p.stem for p in CORPUS]
# rdflib 7.6, a pure-Python engine, is the third engine: it answers the matrix queries and the
# shipped queries row for row, except these, on which it takes from 3 s to minutes on this machine
# (Jena and Comunica compare them). A fixed list, so what is compared does not depend on the
# machine's load (a time limit used to skip whichever ran long).
RDFLIB_SLOW = {"cq04-claimed-versus-named-supporters", "cq05-veto-restraint-backers", "cq14-provenance-of-a-fact",
               "cq32-provenance-per-fact", "chart-claimed-vs-named", "chart-participation-by-meeting", "delegation",
               "membership", "series", "series-figures", "support"}
RDFLIB_CORPUS = [p for p in CORPUS if p.stem not in RDFLIB_SLOW]
RDFLIB_BUGS = {"full": "rdflib 7.6 raises TypeError ('<' between None and None) ordering rows with unbound values"}
RDFLIB_SECONDS = 60  # a hang guard, not a skip: past it the test fails


def test_rdflib_leaves_out_only_shipped_queries_it_cannot_answer_quickly():
    """A renamed or removed query must leave the list too (else rdflib would compare it unnoticed)."""
    assert RDFLIB_SLOW <= {p.stem for p in NAMED_QUERIES}


def _rdflib_param(p: Path):
    if p.stem in RDFLIB_BUGS:
        return pytest.param(p, id=p.stem, marks=pytest.mark.xfail(reason=RDFLIB_BUGS[p.stem], strict=True))
    return pytest.param(p, id=p.stem)


# Comunica 5.4 querying the endpoint as a SPARQL source: open, see tests/clients/README.md
_NOT_EXISTS_GRAPH = ("Comunica 5.4 answers a query whose FILTER NOT EXISTS holds a GRAPH pattern with rows that "
                     "bind no variable (as many rows as the endpoint's); Jena gives the endpoint's rows")
COMUNICA_BUGS = {"full": _NOT_EXISTS_GRAPH}


def _comunica_param(p: Path):
    if p.stem in COMUNICA_BUGS:
        return pytest.param(p, id=p.stem, marks=pytest.mark.xfail(reason=COMUNICA_BUGS[p.stem], strict=True))
    return pytest.param(p, id=p.stem)


class _TooSlow(Exception):
    pass


def _rdflib_with_time_limit(ds, text: str, seconds: int):
    """rdflib's answer; a failure if the engine has not answered in ``seconds``."""
    import signal

    def alarm(*_args):
        raise _TooSlow

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        return run_rdflib(ds, text)
    except _TooSlow:
        pytest.fail(f"rdflib 7.6 did not answer in {seconds} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("path", [_rdflib_param(p) for p in RDFLIB_CORPUS])
def test_rdflib_gives_the_same_answer(endpoint, rdflib_ds, path):
    text = path.read_text(encoding="utf-8")
    ours = run_endpoint(endpoint, text)
    theirs = _rdflib_with_time_limit(rdflib_ds, text, RDFLIB_SECONDS)
    assert same(ours, theirs), diff(ours, theirs)
    assert ours not in (False,) or "false" in path.stem  # no vacuous comparison


@pytest.mark.parametrize("path", CORPUS, ids=IDS)
def test_jena_gives_the_same_answer(endpoint, jena_answers, path):
    theirs = jena_answers.get(path.stem)
    assert not isinstance(theirs, Exception) and theirs is not None, f"Jena: {theirs}"
    ours = run_endpoint(endpoint, path.read_text(encoding="utf-8"))
    assert same(ours, theirs), diff(ours, theirs)


@pytest.mark.parametrize("path", [_comunica_param(p) for p in CORPUS])
def test_comunica_gives_the_same_answer(endpoint, rdflib_ds, comunica_answers, path):
    theirs = comunica_answers.get(path.stem)
    assert not isinstance(theirs, Exception) and theirs is not None, f"Comunica: {theirs}"
    ours = run_endpoint(endpoint, path.read_text(encoding="utf-8"))
    assert same(ours, theirs), diff(ours, theirs)


def test_the_corpus_is_not_vacuous(endpoint):
    empty = []
    for p in CORPUS:
        a = run_endpoint(endpoint, p.read_text(encoding="utf-8"))
        if (isinstance(a, tuple) and not a[1]) or (isinstance(a, rdflib.Graph) and not len(a)) or a is False:
            empty.append(p.stem)
    assert not empty, f"queries with an empty answer compare nothing: {empty}"


# -- SPARQLWrapper: every return format x method x query form ---------------------------------------


@pytest.fixture(scope="module")
def expected(rdflib_ds) -> dict[str, object]:
    return {name: run_rdflib(rdflib_ds, q) for name, q in FORMS.items()}


def read_any(body: bytes, content_type: str, form: str):
    """An answer in whatever format the server chose, read by its Content-Type."""
    ct = content_type.split(";")[0].strip()
    if form in ("construct", "describe"):
        fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld",
               "application/n-triples": "nt"}[ct]
        return rdflib.Graph().parse(data=body, format=fmt)
    fmt = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
           "text/csv": "csv", "text/tab-separated-values": "tsv"}[ct]
    return rdflib_result(body, fmt, form)


def rdflib_result(body: bytes, fmt: str, form: str):
    res = rdflib.query.Result.parse(io.BytesIO(body), format=fmt)
    if form.startswith("ask"):
        if res.type == "ASK":
            return bool(res.askAnswer)
        # CSV/TSV have no boolean form: one _askResult column, one row (Jena's convention)
        rows = [r for r in res]
        assert [str(v) for v in res.vars] == ["_askResult"] and len(rows) == 1
        return str(rows[0][0]).lower() == "true"
    rows = [{str(k): v for k, v in r.asdict().items()} for r in res]
    vars_ = sorted(str(v) for v in res.vars)
    if fmt == "csv":  # CSV loses term kinds and datatypes: compare lexical forms
        return ("csv", Counter(tuple(str(r.get(v)) for v in vars_) for r in rows))
    return (tuple(vars_), canon_rows(vars_, rows, norm_rdflib_term, {}))


def lexical(expected_rows) -> tuple:
    """Expected rows as CSV gives them: lexical forms only."""
    _, rows = expected_rows
    return ("csv", Counter(tuple(str(t[1]) if t else "None" for t in row) for row in rows.elements()))


WRAPPER_FORMATS = [JSON, XML, CSV, TSV, JSONLD, TURTLE, N3, RDFXML]
WRAPPER_METHODS = {"get": (GET, URLENCODED), "post-form": (POST, URLENCODED), "post-direct": (POST, POSTDIRECTLY)}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("method", list(WRAPPER_METHODS))
@pytest.mark.parametrize("fmt", WRAPPER_FORMATS)
def test_sparqlwrapper(endpoint, expected, fmt, method, form):
    w = SPARQLWrapper(endpoint)
    w.setQuery(FORMS[form])
    w.setReturnFormat(fmt)
    w.setMethod(WRAPPER_METHODS[method][0])
    w.setRequestMethod(WRAPPER_METHODS[method][1])
    w.setTimeout(30)
    res = w.query()
    ct = res.info()["content-type"]
    converted = res.convert()  # what a SPARQLWrapper user gets
    if isinstance(converted, dict):
        assert ct.startswith("application/sparql-results+json")
        value = rdflib_result(json.dumps(converted).encode(), "json", form)
    elif isinstance(converted, Document):
        assert ct.startswith("application/sparql-results+xml")
        value = rdflib_result(converted.toxml("utf-8"), "xml", form)
    elif isinstance(converted, rdflib.Graph):
        value = rdflib.Graph()
        for t in converted.triples((None, None, None)):
            value.add(t)
    else:
        value = read_any(converted if isinstance(converted, bytes) else converted.encode(), ct, form)
    want = expected[form]
    if isinstance(value, tuple) and value[0] == "csv":
        want = lexical(want)
    assert same(value, want), diff(value, want)


# -- rdflib SPARQLStore: every return format x method x query form ------------------------------------


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_sparqlstore(endpoint, expected, fmt, method, form):
    store = SPARQLStore(query_endpoint=endpoint, returnFormat=fmt, method=method)
    try:
        res = rdflib.Graph(store=store).query(FORMS[form])
        want = expected[form]
        if form in ("construct", "describe"):
            value = rdflib.Graph()
            for t in res.graph:
                value.add(t)
        elif form.startswith("ask"):
            if res.type == "ASK":
                value = bool(res.askAnswer)
            else:  # CSV/TSV: the one-row _askResult table
                rows = list(res)
                assert [str(v) for v in res.vars] == ["_askResult"] and len(rows) == 1
                value = str(rows[0][0]).lower() == "true"
        else:
            rows = [{str(k): v for k, v in r.asdict().items()} for r in res]
            vars_ = sorted(str(v) for v in res.vars)
            if fmt == "csv":
                value, want = ("csv", Counter(tuple(str(r.get(v)) for v in vars_) for r in rows)), lexical(want)
            else:
                value = (tuple(vars_), canon_rows(vars_, rows, norm_rdflib_term, {}))
        assert same(value, want), diff(value, want)
    finally:
        store.close()


# -- Jena reading the endpoint's result formats -------------------------------------------------------


RESULT_TYPES = {"srj": "application/sparql-results+json", "srx": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values"}


@pytest.fixture(scope="module")
def jena_read(jena_cp, endpoint, tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("jena-results")
    files = []
    for form in ("select", "ask", "ask-false"):
        for ext, media in RESULT_TYPES.items():
            url = endpoint + "?" + urllib.parse.urlencode({"query": FORMS[form]})
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": media}), timeout=30) as r:
                name = f"{form}.{'ask.' if form.startswith('ask') else ''}{ext}"
                (folder / name).write_bytes(r.read())
                files.append(str(folder / name))
    proc = subprocess.run(["java", "-cp", jena_cp, str(CLIENTS / "JenaRun.java"), "results", *files],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, object] = {}
    for f in files:
        key = Path(f).name
        srj = Path(f + ".srj")
        out[key] = json.loads(srj.read_text()) if srj.is_file() and srj.stat().st_size else \
            RuntimeError(next((ln for ln in proc.stdout.splitlines() if f in ln), "no output"))
    return out


@pytest.mark.parametrize("ext", list(RESULT_TYPES))
@pytest.mark.parametrize("form", ["select", "ask", "ask-false"])
def test_jena_reads_the_results(jena_read, expected, form, ext):
    doc = jena_read[f"{form}.{'ask.' if form.startswith('ask') else ''}{ext}"]
    assert not isinstance(doc, Exception), doc
    if form.startswith("ask"):
        if ext == "tsv":  # Jena 4.5 reads no TSV boolean (not even its own): the one-row ?_askResult table
            assert doc["head"]["vars"] == ["_askResult"]
            [row] = doc["results"]["bindings"]
            assert row["_askResult"]["value"] == str(expected[form]).lower()
            assert row["_askResult"]["datatype"] == XSD + "boolean"
        else:
            assert doc["boolean"] is expected[form]
        return
    got = canon_json(doc, {})
    want = expected[form]
    if ext == "csv":  # CSV: every value a plain literal
        got = ("csv", Counter(tuple(str(t[1]) for t in row) for row in got[1].elements()))
        want = lexical(want)
    assert got == want, diff(got, want)


# -- rapper and RIOT: every dump, every RDF format of a sample of resources --------------------------


RESOURCE_FORMATS = {"ttl": ("text/turtle", "turtle"), "nt": ("application/n-triples", "ntriples"),
                    "rdf": ("application/rdf+xml", "rdfxml"), "jsonld": ("application/ld+json", None)}


@pytest.fixture(scope="module")
def resources(server, tmp_path_factory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("resources")
    out = {}
    for path in SAMPLE:
        for ext, (media, _) in RESOURCE_FORMATS.items():
            req = urllib.request.Request(f"{server}/{path}", headers={"Accept": media})
            with urllib.request.urlopen(req, timeout=30) as r:
                assert r.headers.get_content_type() == media
                f = folder / f"{path.replace('/', '_')}.{ext}"
                f.write_bytes(r.read())
                out[(path, ext)] = f
    return out


@pytest.fixture(scope="module")
def resource_graphs(resources) -> dict[str, rdflib.Graph]:
    return {path: rdflib.Graph().parse(data=resources[(path, "ttl")].read_bytes(), format="turtle") for path in SAMPLE}


def rapper_graph(rapper: str, path: Path, syntax: str, base: str = "http://example.org/") -> rdflib.Graph:
    proc = subprocess.run([rapper, "-q", "-i", syntax, "-o", "ntriples", str(path), base],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return rdflib.Graph().parse(data=proc.stdout, format="nt")


@pytest.mark.parametrize("kind", ["nq", "trig", "ttl"])
def test_rapper_reads_every_dump(rapper, dumps, union, quad_count, kind):
    syntax = {"nq": "nquads", "trig": "trig", "ttl": "turtle"}[kind]
    proc = subprocess.run([rapper, "-c", "-i", syntax, str(dumps[kind])], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    count = int(re.search(r"returned (\d+) (?:triples|statements)", proc.stderr + proc.stdout).group(1))
    assert count == (len(union) if kind == "ttl" else quad_count)
    if kind == "ttl":
        assert isomorphic(rapper_graph(rapper, dumps["ttl"], "turtle"), union)


@pytest.mark.parametrize("path", SAMPLE)
@pytest.mark.parametrize("ext", ["ttl", "nt", "rdf"])
def test_rapper_reads_every_resource_format(rapper, resources, resource_graphs, path, ext):
    g = rapper_graph(rapper, resources[(path, ext)], RESOURCE_FORMATS[ext][1])
    assert len(g) > 3 and isomorphic(g, resource_graphs[path])


@pytest.fixture(scope="module")
def riot_parsed(jena_cp, dumps, resources) -> dict[str, object]:
    """RIOT parses every dump and every sampled representation, in one JVM."""
    files = [str(dumps[k]) for k in ("nq", "trig", "ttl")] + [str(p) for p in resources.values()]
    proc = subprocess.run(["java", "-cp", jena_cp, str(CLIENTS / "JenaRun.java"), "parse", *files],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, object] = {}
    for f in files:
        line = next((ln for ln in proc.stdout.splitlines() if ln.split(" ", 1)[1].split(":")[0] == f), "")
        out[f] = Path(f + ".nq") if line.startswith("ok ") else RuntimeError(line)
    return out


@pytest.mark.parametrize("kind", ["nq", "trig", "ttl"])
def test_riot_reads_every_dump(riot_parsed, dumps, union, quad_count, kind):
    got = riot_parsed[str(dumps[kind])]
    assert not isinstance(got, Exception), got
    ds = rdflib.Dataset()
    ds.parse(data=got.read_bytes(), format="nquads")
    n = sum(1 for _ in ds.quads((None, None, None, None)))
    assert n == (len(union) if kind == "ttl" else quad_count)
    g = rdflib.Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    assert isomorphic(g, union)


@pytest.mark.parametrize("path", SAMPLE)
@pytest.mark.parametrize("ext", list(RESOURCE_FORMATS))
def test_riot_reads_every_resource_format(riot_parsed, resources, resource_graphs, path, ext):
    got = riot_parsed[str(resources[(path, ext)])]
    assert not isinstance(got, Exception), got
    g = rdflib.Graph().parse(data=got.read_bytes(), format="nquads")
    assert len(g) > 3 and isomorphic(g, resource_graphs[path])


# -- pyld: the JSON-LD expands to the Turtle ----------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLE)
def test_pyld_expansion_equals_the_turtle(server, resources, resource_graphs, path):
    from pyld import jsonld

    def loader(url, options=None):
        assert url.startswith(server), f"pyld asked for {url}: contexts must come from this server"
        with urllib.request.urlopen(url, timeout=30) as r:
            return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                    "document": json.loads(r.read())}

    doc = json.loads(resources[(path, "jsonld")].read_text(encoding="utf-8"))
    expanded = jsonld.expand(doc, {"documentLoader": loader, "base": f"{server}/{path}"})
    assert expanded
    nquads = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
    g = rdflib.Graph().parse(data=nquads, format="nquads")
    assert len(g) > 3 and isomorphic(g, resource_graphs[path])

