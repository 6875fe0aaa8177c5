"""Graph exports (issue #6): every view in every format round-trips, and its node and edge counts equal
independent SPARQL COUNTs over the same definition; attribute values of known nodes and edges; the CLI."""
from __future__ import annotations

import csv
import io
import json
import re

import networkx as nx
import pytest
from click.testing import CliRunner

from r2pkg.export import GRAPH_FORMATS, VIEWS, export_view, view_graph
from r2pkg.query import run

ID = "https://w3id.org/r2pkg/id/"
CHL, LAC = ID + "state/CHL", ID + "regional-group/latin-america-caribbean"
ACT = ID + "initiative/act-code-of-conduct"
PROLOGUE = """PREFIX r2p: <https://w3id.org/r2pkg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

# Written here from each view's definition (its query header), independently of the view queries.
COUNTS = {
    "support": (
        "SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE { ?s a r2p:Stance . { ?s r2p:holder ?n } UNION { ?s r2p:target ?n } }",
        "SELECT (COUNT(DISTINCT ?s) AS ?c) WHERE { ?s a r2p:Stance ; r2p:holder ?h ; r2p:target ?t }"),
    "delegation": (
        """SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {
             ?st a r2p:Statement .
             { ?st r2p:onBehalfOf ?n } UNION { ?st r2p:covers ?n }
             UNION { ?st r2p:deliveredBy ?n FILTER EXISTS { ?st r2p:onBehalfOf|r2p:covers ?x } } }""",
        """SELECT (COUNT(*) AS ?c) WHERE { SELECT DISTINCT ?st ?p ?o WHERE {
             ?st a r2p:Statement ; ?p ?o FILTER (?p IN (r2p:onBehalfOf, r2p:covers)) } }"""),
    "membership": (
        """SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {
             { ?n a r2p:State } UNION { ?s a r2p:State ; org:memberOf ?n }
             UNION { ?m a org:Membership ; org:member ?s ; org:organization ?n . ?s a r2p:State } }""",
        """SELECT (COUNT(*) AS ?c) WHERE { SELECT DISTINCT ?s ?o WHERE { ?s a r2p:State .
             { ?s org:memberOf ?o } UNION { ?m a org:Membership ; org:member ?s ; org:organization ?o } } }"""),
    "series": (
        """SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {
             { <https://w3id.org/r2pkg/id/series/ga-r2p-discussions> <https://schema.org/subEvent> ?n }
             UNION { ?cl r2p:figureKey ?f ; r2p:namedAgent ?n . VALUES ?f { "gof_reader" "challengers" }
                     ?n a ?k FILTER (?k IN (r2p:State, r2p:IntergovernmentalOrganization)) }
             UNION { ?m a org:Membership ; r2p:asOf ?d ; org:member ?n ;
                     org:organization <https://w3id.org/r2pkg/id/group/group-of-friends-r2p> }
             UNION { ?m a org:Membership ; r2p:asOf ?d ; org:organization ?n
                     FILTER (?n = <https://w3id.org/r2pkg/id/group/group-of-friends-r2p>) } }""",
        """SELECT (COUNT(*) AS ?c) WHERE { SELECT DISTINCT ?a ?b WHERE {
             { ?a r2p:figureKey ?f ; r2p:namedAgent ?b . VALUES ?f { "gof_reader" "challengers" }
               ?b a ?k FILTER (?k IN (r2p:State, r2p:IntergovernmentalOrganization)) }
             UNION { ?a a org:Membership ; r2p:asOf ?d ;
                     org:organization <https://w3id.org/r2pkg/id/group/group-of-friends-r2p> . BIND (?a AS ?b) } } }"""),
    "full": (
        """SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {
             { ?n ?p ?o } UNION { ?s ?p ?n FILTER (?p != rdf:type) } FILTER (isIRI(?n)) }""",
        """SELECT (COUNT(*) AS ?c) WHERE { SELECT DISTINCT ?s ?p ?o WHERE {
             ?s ?p ?o FILTER (isIRI(?s) && isIRI(?o) && ?p != rdf:type)
             FILTER NOT EXISTS { GRAPH <https://w3id.org/r2pkg/graph/entailments> { ?s ?p ?o } } } }"""),
}
FORMATS = [f.name for f in GRAPH_FORMATS]


def count(store, text: str) -> int:
    return int(next(iter(run(store, PROLOGUE + text).raw))["c"].value)


# The whole graph ("full") is the largest view, a second or more per test: marked slow, so that
# the inner loop runs the other views and CI all of them.
VIEW_PARAMS = [pytest.param(v, marks=pytest.mark.slow) if v == "full" else v for v in VIEWS]


@pytest.fixture(scope="module")
def expected(dataset) -> dict[str, tuple[int, int]]:
    return {v: (count(dataset.store, n), count(dataset.store, e)) for v, (n, e) in COUNTS.items()}


@pytest.fixture(scope="module")
def graphs(res, dataset) -> dict[str, nx.MultiDiGraph]:
    return {v: view_graph(dataset.store, res.queries, v) for v in VIEWS}


@pytest.fixture(scope="module")
def exported(res, dataset):
    cache: dict[tuple, bytes] = {}

    def get(view: str, fmt: str, table: str = "nodes") -> bytes:
        if (view, fmt, table) not in cache:
            cache[view, fmt, table] = export_view(res, view, fmt, table=table, dataset=dataset)
        return cache[view, fmt, table]

    return get


def test_every_view_is_defined_by_a_query_file(res):
    for v in VIEWS:
        text = (res.queries / "views" / f"{v}.rq").read_text(encoding="utf-8")
        assert text.startswith("# title:") and "# description:" in text and "SELECT" in text


def test_counts_match_sparql(graphs, expected):
    for v, g in graphs.items():
        assert (g.number_of_nodes(), g.number_of_edges()) == expected[v], v
        assert all(e > 0 for e in expected[v]), v


# --- reading each format back -------------------------------------------------------------------------

def _edge_keys(g) -> set[tuple[str, str, str]]:
    """(source, target, key) of every edge, whatever the reader did with the key."""
    if g.is_multigraph():
        return {(u, v, str(d.get("key", d.get("id", k)))) for u, v, k, d in g.edges(keys=True, data=True)}
    return {(u, v, str(d.get("key", d.get("id")))) for u, v, d in g.edges(data=True)}


DOT_TOKEN = re.compile(r'\s+|"((?:[^"\\]|\\.)*)"|(->|[{}\[\];=,])|([A-Za-z_][A-Za-z0-9_]*)|(.)', re.S)


def _unquote(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            nxt = s[i + 1]
            assert nxt in '"\\n', f"unexpected escape \\{nxt}"
            out.append({'"': '"', "\\": "\\", "n": "\n"}[nxt])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def parse_dot(text: str) -> nx.MultiDiGraph:
    """A strict reader for the DOT subset r2pkg writes: `digraph "id" { graph [..]; "n" [..]; "a" -> "b" [..]; }`
    with every ID quoted (bare words only for the keywords)."""
    toks = []
    for m in DOT_TOKEN.finditer(text):
        q, punct, word, other = m.groups()
        assert other is None, f"unexpected character {other!r} at {m.start()}"
        if q is not None:
            toks.append(("id", _unquote(q)))
        elif punct:
            toks.append(("p", punct))
        elif word:
            assert word in ("digraph", "graph"), f"unquoted ID {word!r}"
            toks.append(("kw", word))
    pos = 0

    def take(kind, value=None):
        nonlocal pos
        k, v = toks[pos]
        assert k == kind and (value is None or v == value), f"expected {kind} {value}, got {k} {v} at token {pos}"
        pos += 1
        return v

    def attrs() -> dict[str, str]:
        out = {}
        take("p", "[")
        while toks[pos] != ("p", "]"):
            name = take("id")
            take("p", "=")
            out[name] = take("id")
            if toks[pos] == ("p", ","):
                take("p", ",")
        take("p", "]")
        return out

    g = nx.MultiDiGraph()
    take("kw", "digraph")
    g.graph["name"] = take("id")
    take("p", "{")
    while toks[pos] != ("p", "}"):
        if toks[pos] == ("kw", "graph"):
            take("kw", "graph")
            g.graph.update(attrs())
        else:
            a = take("id")
            if toks[pos] == ("p", "->"):
                take("p", "->")
                b = take("id")
                d = attrs()
                assert a in g and b in g, "edges come after their nodes"
                g.add_edge(a, b, d["key"])
                g.edges[a, b, d["key"]].update(d)
            else:
                assert a not in g, f"node {a} declared twice"
                g.add_node(a, **attrs())
        take("p", ";")
    take("p", "}")
    assert pos == len(toks)
    return g


def _text(v) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def read_back(view: str, fmt: str, exported) -> nx.Graph:
    data = exported(view, fmt)
    if fmt == "graphml":
        return nx.read_graphml(io.BytesIO(data))
    if fmt == "gexf":
        return nx.read_gexf(io.BytesIO(data))
    if fmt == "cytoscape":
        return nx.cytoscape_graph(json.loads(data))
    if fmt == "dot":
        return parse_dot(data.decode("utf-8"))
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "dot"])
@pytest.mark.parametrize("view", VIEW_PARAMS)
def test_round_trip(view, fmt, exported, graphs, expected):
    g, back = graphs[view], read_back(view, fmt, exported)
    assert (back.number_of_nodes(), back.number_of_edges()) == expected[view]
    assert set(back.nodes) == set(g.nodes)
    assert _edge_keys(back) == {(u, v, k) for u, v, k in g.edges(keys=True)}
    typed = fmt != "dot"  # DOT attributes are strings; the others keep int/bool
    for n, attrs in g.nodes(data=True):
        got = back.nodes[n]
        for k, v in attrs.items():
            assert (got[k] == v and type(got[k]) is type(v)) if typed else got[k] == _text(v), (view, fmt, n, k)
    by_key = {k: d for k, d in ((str(d.get("key", d.get("id"))), d) for *_, d in back.edges(data=True))} \
        if not back.is_multigraph() else {str(k): d for *_, k, d in back.edges(keys=True, data=True)}
    for u, v, k, attrs in g.edges(keys=True, data=True):
        got = by_key[k]
        for a, val in attrs.items():
            assert (got[a] == val) if typed else got[a] == _text(val), (view, fmt, k, a)


@pytest.mark.parametrize("view", VIEW_PARAMS)
def test_csv_tables(view, exported, graphs, expected):
    g = graphs[view]
    nodes = list(csv.DictReader(io.StringIO(exported(view, "csv", "nodes").decode("utf-8"), newline="")))
    edges = list(csv.DictReader(io.StringIO(exported(view, "csv", "edges").decode("utf-8"), newline="")))
    assert (len(nodes), len(edges)) == expected[view]
    assert len({r["id"] for r in nodes}) == len(nodes) and {r["id"] for r in nodes} == set(g.nodes)
    assert list(nodes[0])[:2] == ["id", "label"] and list(edges[0])[:4] == ["source", "target", "key", "label"]
    assert len({r["key"] for r in edges}) == len(edges)
    for r in nodes:
        for k, v in g.nodes[r["id"]].items():
            assert r[k] == _text(v)


def test_known_node_attributes(exported):
    for view in ("support", "membership", "full"):
        back = nx.read_graphml(io.BytesIO(exported(view, "graphml")))
        chile = back.nodes[CHL]
        assert chile["label"] == "Chile" and chile["iso3"] == "CHL", view
        assert chile["regional_group"] == LAC, view
        assert chile["regional_group_label"] == "Latin American and Caribbean Group"
        assert chile["regional_group_basis"] == "participation table"
    full = nx.read_graphml(io.BytesIO(exported("full", "graphml")))
    assert full.nodes[CHL]["r2p:iso3"] == "CHL" and full.nodes[CHL]["type"] == "https://w3id.org/r2pkg/ontology#State"
    assert full.has_edge(CHL, LAC)  # org:memberOf


def test_regional_group_prefers_the_participation_table(graphs):
    turkey = graphs["membership"].nodes[ID + "state/TUR"]  # formal member of two groups, listed under one
    assert turkey["regional_group_basis"] == "participation table"
    assert {ID + "regional-group/weog", ID + "regional-group/asia-pacific"} <= set(graphs["membership"][ID + "state/TUR"])
    holy_see = graphs["membership"].nodes[ID + "state/VAT"]
    assert "regional_group" not in holy_see and holy_see["un_status"] == "observer state"


def test_act_code_support_edges(dataset, exported):
    rows = run(dataset.store, PROLOGUE + f"""SELECT ?h ?stance (COUNT(?p) AS ?n) WHERE {{
        ?stance a r2p:Stance ; r2p:target <{ACT}> ; r2p:holder ?h ;
                r2p:polarity <{ID}concept/polarity/support> ; prov:wasDerivedFrom ?p }} GROUP BY ?h ?stance""").raw
    want = {r["h"].value: (r["stance"].value, int(r["n"].value)) for r in rows}
    assert ID + "state/LIE" in want
    back = nx.cytoscape_graph(json.loads(exported("support", "cytoscape")))
    edges = {u: d for u, v, d in back.in_edges(ACT, data=True)}
    assert set(edges) == set(want)
    for holder, d in edges.items():
        assert d["polarity"] == "support" and d["key"] == want[holder][0]
        assert d["passage_count"] == want[holder][1] == len(d["passages"].split("\n"))
    lie = edges[ID + "state/LIE"]
    exact = next(iter(run(dataset.store, PROLOGUE + f"""SELECT ?e WHERE {{ <{lie['stance']}> prov:wasDerivedFrom ?p .
        ?p oa:hasSelector ?s . ?s oa:exact ?e }}""").raw))["e"].value
    assert lie["passages"] == " ".join(exact.split()) and lie["passage_iris"].startswith(ID + "passage/")
    assert back.nodes[ACT]["is_target"] is True and back.nodes[ACT]["category"] == "initiative"


def test_delegation_edges(graphs):
    g = graphs["delegation"]
    nor, nordic = ID + "state/NOR", ID + "group/nordic-states"
    assert [d["label"] for d in g[nor][nordic].values()] == ["on behalf of"]
    covered = {v for v in g.successors(nordic)}
    assert {ID + f"state/{c}" for c in ("DNK", "FIN", "ISL", "NOR", "SWE")} == covered


def test_dot_quoting_survives_awkward_values():
    from r2pkg.export import write_dot

    g = nx.MultiDiGraph(name='a "quoted" \\ name')
    g.add_node("n1", label='say "hi"\nback\\slash', flag=True, n=3)
    g.add_node("digraph", label="keyword as id")
    g.add_edge("n1", "digraph", key="k -> {x}", note="semi; colon, [bracket]")
    back = parse_dot(write_dot(g))
    assert back.graph["name"] == g.graph["name"]
    assert back.nodes["n1"] == {"label": 'say "hi"\nback\\slash', "flag": "true", "n": "3"}
    assert list(back.edges(keys=True, data=True)) == [
        ("n1", "digraph", "k -> {x}", {"key": "k -> {x}", "note": "semi; colon, [bracket]"})]


def test_unknown_view_and_format(res, dataset):
    from r2pkg.errors import BadParameter
    from r2pkg.export import UnknownGraphFormat, UnknownView

    with pytest.raises(UnknownView):
        export_view(res, "nope", "graphml", dataset=dataset)
    with pytest.raises(UnknownGraphFormat):
        export_view(res, "support", "xlsx", dataset=dataset)
    with pytest.raises(BadParameter):
        export_view(res, "support", "csv", table="links", dataset=dataset)


# --- the command line ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_export(fmt, res, built, exported, tmp_path, expected):
    from r2pkg.cli import main

    out = tmp_path / f"support.{fmt}"
    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "export", "support",
                                  "--format", fmt, "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data == exported("support", fmt)  # GEXF too: it carries the build's date, not today's
    if fmt == "csv":
        r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "export",
                                      "delegation", "--format", "csv", "--table", "edges"])
        assert r.exit_code == 0
        assert len(list(csv.DictReader(io.StringIO(r.stdout_bytes.decode("utf-8"), newline="")))) == \
            expected["delegation"][1]


def test_cli_export_errors(res, built):
    from r2pkg.cli import main

    r = CliRunner().invoke(main, ["--home", str(res.root), "--build-dir", str(res.build_dir), "export", "nope"])
    assert r.exit_code == 2 and r.stderr == f"r2pkg: error: no graph view 'nope'; available: {', '.join(VIEWS)}\n"


def test_gexf_carries_the_builds_date(res, built, dataset, tmp_path):
    """networkx stamps the day it writes; the export is of a build, so it carries the build's date."""
    import copy

    from r2pkg.store import LoadedDataset

    day = built.manifest["built_at"][:10]
    data = export_view(res, "support", "gexf", dataset=dataset)
    assert re.findall(rb'lastmodifieddate="([^"]*)"', data) == [day.encode()]
    # another build date, same data: the header follows the build, not the clock
    other = copy.deepcopy(built.manifest)
    other["built_at"] = "2001-02-03T04:05:06Z"
    older = LoadedDataset(type(built)(built.path, other), dataset.store)
    data = export_view(res, "support", "gexf", dataset=older)
    assert re.findall(rb'lastmodifieddate="([^"]*)"', data) == [b"2001-02-03"]
    assert nx.read_gexf(io.BytesIO(data)).number_of_nodes() > 0
