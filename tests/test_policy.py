"""The query policy decides from a SPARQL 1.1 parse, not from a lexer (r2pkg.policy).

The regression payloads are the shapes that fooled the old regular-expression lexer; the property
tests generate queries with SERVICE hidden in literals, IRIs, comments and language tags (which must
be allowed), real SERVICE clauses placed after the tokens that confuse a lexer (which must be found,
with their endpoint), and random mixtures run by the engine itself in a worker without network:
whenever the engine tries to reach a service, the policy must have refused the text.
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2pkg.errors import ForbiddenQuery, R2pkgError
from r2pkg.executor import Executor, WorkerConfig
from r2pkg.jobs import Job
from r2pkg.policy import analyse, enforce

CANARY = "http://127.0.0.1:9999/sparql"
BS = "\\"

# The two shapes from the review that got 200 and reached the canary, and their relatives.
BYPASSES = [
    f'SELECT * WHERE {{ ?s ?p ?o FILTER(?o < "x") SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ ?s ?p ?o FILTER(?o < 3) SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ ?s ?p ?o FILTER(?o<?p&&?o>?s) SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ ?s ?p "a"@en.SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ ?s ?p "a"@en-GB . SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ service silent <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ SERVICE #x\n <{CANARY}> {{ ?a ?b ?c }} }}',
    f'SELECT * WHERE {{ ?s ?p """a""b""" . SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    'PREFIX c: <http://127.0.0.1:9999/> SELECT * WHERE { SERVICE c:sparql { ?a ?b ?c } }',
    'BASE <http://127.0.0.1:9999/> SELECT * WHERE { SERVICE <sparql> { ?a ?b ?c } }',
    f'SELECT * WHERE {{ OPTIONAL {{ {{ SELECT * {{ FILTER EXISTS {{ SERVICE <{CANARY}> {{ ?a ?b ?c }} }} }} }} }} }}',
    f'ASK {{ {{ }} UNION {{ MINUS {{ SERVICE <{CANARY}> {{ ?a ?b ?c }} }} }} }}',
    f'CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
    f'DESCRIBE ?a WHERE {{ SERVICE <{CANARY}> {{ ?a ?b ?c }} }}',
]
# Texts the grammar cannot read as the engine does, which mention SERVICE: refused unverified.
UNVERIFIABLE = [
    # pyoxigraph reads "a\u005C" as a closed string holding a backslash; rdflib's entry points expand
    # the escape first and then see an escaped quote: the string would end in one reading only
    f'SELECT * WHERE {{ BIND("a{BS}u005C" AS ?x) SERVICE <{CANARY}> {{ ?a ?b ?c }} }} #" AS ?x) }}',
    # the engine ends a comment at a carriage return, rdflib's grammar does not
    f"SELECT * WHERE {{ # c\r SERVICE <{CANARY}> {{ ?a ?b ?c }} }}",
    f"SELECT * WHERE {{ SERVICE <{CANARY}> {{ ?a ?b ?c }}",  # a syntax error
]


@pytest.mark.parametrize("query", BYPASSES)
def test_lexer_bypasses_are_found_by_the_parser(query):
    a = analyse(query)
    assert a.parsed and a.services == (CANARY,)
    with pytest.raises(ForbiddenQuery) as e:
        enforce(a)
    assert e.value.details["reason"] == "service"


@pytest.mark.parametrize("query", UNVERIFIABLE)
def test_what_the_parser_cannot_read_is_refused_when_it_mentions_service(query):
    a = analyse(query)
    assert a.unverifiable and not a.parsed
    with pytest.raises(ForbiddenQuery) as e:
        enforce(a, frozenset({CANARY}))  # not even for an allowlisted endpoint
    assert e.value.details["reason"] == "service"


def test_texts_without_the_word_need_no_parse():
    a = analyse("SELECT * WHERE { ?s ?p ?o } # no such word here")
    assert not a.parsed and a.services == () and not a.unverifiable and a.dataset_clause is None
    assert enforce(a) is False


def test_variable_endpoints_and_allowlist():
    assert analyse("SELECT * WHERE { SERVICE SILENT ?e { ?a ?b ?c } }").services == (None,)
    with pytest.raises(ForbiddenQuery):
        enforce(analyse("SELECT * WHERE { SERVICE ?e { ?a ?b ?c } }"), frozenset({CANARY}))
    assert enforce(analyse(BYPASSES[0]), frozenset({CANARY})) is True  # needs the network pool
    two = analyse(f"SELECT * WHERE {{ SERVICE <{CANARY}> {{ ?a ?b ?c }} SERVICE <http://127.0.0.2/> {{ ?d ?e ?f }} }}")
    with pytest.raises(ForbiddenQuery):
        enforce(two, frozenset({CANARY}))
    assert enforce(analyse("SELECT * WHERE { ?s ?p 'service' }"), frozenset({CANARY})) is False


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://e/s> <http://e/p> <http://e/service> }",
    "LOAD <http://127.0.0.1:9999/service>",
    "PREFIX e: <http://e/> DELETE WHERE { ?s e:service ?o }",
    "WITH <http://e/service> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused(update):
    a = analyse(update)
    assert a.update
    with pytest.raises(ForbiddenQuery) as e:
        enforce(a)
    assert e.value.details["reason"] == "update"


def test_dataset_clause_and_form():
    assert analyse("SELECT * FROM <http://service> WHERE { ?s ?p ?o }").dataset_clause is True
    assert analyse("SELECT * WHERE { ?s ?p ?o } # FROM <http://g> service").dataset_clause is False
    assert analyse('SELECT * WHERE { ?s ?p "FROM <http://g> service" }').dataset_clause is False
    assert analyse("CONSTRUCT WHERE { ?s <http://e/service> ?o }").form == "ConstructQuery"


# -- property tests --------------------------------------------------------------------------------

def _string(body: str) -> st.SearchStrategy[str]:
    esc = body.replace(BS, BS + BS)
    short = esc.replace("\n", BS + "n")  # a short string holds no raw line break
    return st.sampled_from([
        '"' + short.replace('"', BS + '"') + '"', "'" + short.replace("'", BS + "'") + "'",
        '"""' + esc.replace('"', BS + '"') + '"""', "'''" + esc.replace("'", BS + "'") + "'''"])


_hidden_text = st.sampled_from([
    f"SERVICE <{CANARY}> {{ ?a ?b ?c }}", "SERVICE", "service silent <x:y> {}", "} SERVICE <" + CANARY + "> {",
    '" SERVICE <x:y> { } "', "# SERVICE", "'''SERVICE'''", "a\nSERVICE\n"])

# places where the text SERVICE appears without being the keyword
_decoy = st.one_of(
    _hidden_text.flatmap(lambda t: _string(t).map(lambda lit: f"BIND({lit} AS ?lit)")),
    _hidden_text.flatmap(lambda t: _string(t).map(lambda lit: f"?s ?p {lit}@en .")),
    st.text(alphabet="abcxyz019:/._-SERVICEservice", min_size=1, max_size=20).map(lambda t: f"?s <http://e/{t}> ?o ."),
    _hidden_text.map(lambda t: "# " + t.replace("\n", " ") + "\n"),
    st.just("?service ?p ?o ."),
    st.just("?s <http://e/p> ?o . FILTER(?o < 3)"),
    st.just('?s ?p "x"@en .'),
)

# tokens a lexer misreads, placed just before a real SERVICE
_confuser = st.sampled_from([
    'FILTER(?o < "x")', "FILTER(?o < 3)", 'FILTER(?o <= "a" || ?o > 2)', '?s ?p "a"@en.', '?s ?p "a"@en-GB .',
    "?s ?p ?o .", "# comment\n", '?s ?p """multi\nline""" .', "?s ?p 'a\\'b' .", "BIND(1 < 2 AS ?b)",
    "FILTER(?o<?p&&?o>?s)",
])
_keyword = st.sampled_from(["SERVICE", "service", "Service", "SERVICE SILENT", "SERVICE #c\n", "SERVICE\t"])
_wrap = st.sampled_from(["{}", "OPTIONAL {{ {} }}", "{{ ?x ?y ?z }} UNION {{ {} }}", "MINUS {{ {} }}",
                         "FILTER EXISTS {{ {} }}", "{{ SELECT * WHERE {{ {} }} }}"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_decoy, max_size=5))
def test_service_hidden_in_literals_iris_comments_is_not_a_call(decoys):
    query = "SELECT * WHERE { ?s ?p ?o . " + " ".join(decoys) + " }"
    a = analyse(query)
    assert a.services == ()
    if a.unverifiable:
        # rdflib's grammar fails on some valid texts (a "#" inside a string before SERVICE: its
        # comment rule): refused, never allowed on a wrong verdict; known and counted in the note
        assert "#" in query, query
    else:
        enforce(a)  # allowed


@settings(max_examples=200, deadline=None)
@given(st.lists(_decoy, max_size=3), st.lists(_confuser, min_size=1, max_size=3), _keyword, _wrap)
def test_real_service_after_confusing_tokens_is_found(decoys, confusers, keyword, wrap):
    call = wrap.format(f"{keyword} <{CANARY}> {{ ?a ?b ?c }}")
    query = "SELECT * WHERE { " + " ".join(decoys) + " " + " ".join(confusers) + " " + call + " }"
    a = analyse(query)
    assert (a.parsed and a.services == (CANARY,)) or (a.unverifiable and "#" in query), query
    with pytest.raises(ForbiddenQuery):
        enforce(a)


@pytest.fixture(scope="module")
def engine():
    """A worker pool with the policy switched off: the engine itself, unable to reach the network."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("a")))
    ex = Executor(store, workers=1, timeout=5, config=WorkerConfig(policy=False))
    yield ex
    ex.close()


_piece = st.one_of(_decoy, _confuser, _keyword.map(lambda k: f"{k} <{CANARY}> {{ ?a ?b ?c }}"),
                   st.sampled_from(["\r", "\\u0053ERVICE", '"a\\u005C"', "# x\r", "\f", "{", "}", "."]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_piece, min_size=1, max_size=5))
def test_the_policy_refuses_whatever_the_engine_would_send_out(engine, pieces):
    """Soundness against the engine: a text the engine evaluates by calling a service (the worker's
    seccomp filter reports the attempt) is one the policy refuses."""
    query = "SELECT * WHERE { ?s ?p ?o " + " ".join(pieces) + " }"
    try:
        engine.submit(Job(query, None))
        tried = False
    except R2pkgError as e:
        tried = e.details.get("reason") == "network"
    if tried:
        with pytest.raises(ForbiddenQuery):
            enforce(analyse(query))


def test_escapes_cannot_spell_the_keyword_for_the_engine(engine):
    """pyoxigraph does not expand \\u escapes outside strings and IRIs: an escaped keyword is a
    syntax error there, so a text without the letters "service" needs no verdict."""
    from r2pkg.errors import QuerySyntaxError

    q = f"SELECT * WHERE {{ {BS}u0053ERVICE <{CANARY}> {{ ?a ?b ?c }} }}"
    assert enforce(analyse(q)) is False
    with pytest.raises(QuerySyntaxError):
        engine.submit(Job(q, None))


def test_the_engine_oracle_sees_a_service_call(engine):
    """The soundness test above is not vacuous: the oracle does report an attempted call."""
    with pytest.raises(ForbiddenQuery) as e:
        engine.submit(Job(BYPASSES[0], None))
    assert e.value.details["reason"] == "network"
