"""Checks of the ontology files (ontology/r2p.ttl, schemes.ttl, imports/external.ttl): header
metadata, annotations of every term, declaration of every term the project uses, and consistency
under OWL RL (owlrl) and OWL 2 DL (HermiT via owlready2). No Flask, no build.
"""
from __future__ import annotations

import re
import shutil
import time
from collections import defaultdict
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from r2pkg.namespaces import ONTOLOGY_IRI, R2P, SH, VANN
from r2pkg.sources import parse_turtle
from r2pkg.validate import owlrl_errors

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology" / "r2p.ttl"
EXTERNAL = REPO / "ontology" / "imports" / "external.ttl"
SCHEMES = REPO / "ontology" / "schemes.ttl"
SHAPES_DIR = REPO / "shapes"
DATA_DIR = REPO / "data"

# Namespaces whose terms need no declaration of ours.
BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD), str(SH))
DECLARATION_TYPES = {OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                     RDF.Property, RDFS.Datatype}
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property}
# Predicates of ontology axioms whose IRI objects are classes or properties.
AXIOM_PREDICATES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
                    OWL.equivalentClass, OWL.equivalentProperty, OWL.disjointWith, OWL.propertyDisjointWith,
                    OWL.onProperty, OWL.someValuesFrom, OWL.allValuesFrom, OWL.onClass}
LIST_PREDICATES = {OWL.members, OWL.unionOf, OWL.intersectionOf, OWL.propertyChainAxiom, OWL.disjointUnionOf}


def rel(p: Path) -> str:
    return p.relative_to(REPO).as_posix()


def data_files() -> list[Path]:
    return sorted(DATA_DIR.rglob("*.ttl"))


@pytest.fixture(scope="module")
def onto() -> Graph:
    return parse_turtle(ONTOLOGY)


@pytest.fixture(scope="module")
def external() -> Graph:
    return parse_turtle(EXTERNAL)


@pytest.fixture(scope="module")
def schemes() -> Graph:
    return parse_turtle(SCHEMES)


@pytest.fixture(scope="module")
def tbox(onto: Graph, external: Graph) -> Graph:
    g = Graph()
    g += onto
    g += external
    return g


@pytest.fixture(scope="module")
def data_graphs() -> dict[Path, Graph]:
    return {p: parse_turtle(p) for p in data_files()}


@pytest.fixture(scope="module")
def declared(tbox: Graph) -> set[URIRef]:
    return {s for t in DECLARATION_TYPES for s in tbox.subjects(RDF.type, t) if isinstance(s, URIRef)}


# --------------------------------------------------------------------------- header


def test_ontology_header(onto: Graph):
    o = ONTOLOGY_IRI
    assert (o, RDF.type, OWL.Ontology) in onto
    problems = []
    for p in (DCTERMS.title, DCTERMS.description):
        vals = list(onto.objects(o, p))
        if not any(isinstance(v, Literal) and v.language == "en" and str(v).strip() for v in vals):
            problems.append(f"{onto.qname(p)}: needs a non-empty @en literal, has {vals}")
    lic = list(onto.objects(o, DCTERMS.license))
    if len(lic) != 1 or not isinstance(lic[0], URIRef):
        problems.append(f"dcterms:license: needs exactly one IRI, has {lic}")
    dates = {}
    for p in (DCTERMS.created, DCTERMS.modified):
        vals = list(onto.objects(o, p))
        if len(vals) != 1 or not isinstance(vals[0], Literal) or vals[0].datatype != XSD.date:
            problems.append(f"{onto.qname(p)}: needs exactly one xsd:date, has {vals}")
        else:
            dates[p] = vals[0].toPython()
    if len(dates) == 2 and isinstance(dates[DCTERMS.created], date) and dates[DCTERMS.modified] < dates[DCTERMS.created]:
        problems.append("dcterms:modified is before dcterms:created")
    viri = list(onto.objects(o, OWL.versionIRI))
    vinfo = list(onto.objects(o, OWL.versionInfo))
    if len(viri) != 1 or not isinstance(viri[0], URIRef):
        problems.append(f"owl:versionIRI: needs exactly one IRI, has {viri}")
    if len(vinfo) != 1 or not isinstance(vinfo[0], Literal):
        problems.append(f"owl:versionInfo: needs exactly one literal, has {vinfo}")
    if len(viri) == 1 and len(vinfo) == 1 and not str(viri[0]).endswith("/" + str(vinfo[0])):
        problems.append(f"owl:versionIRI {viri[0]} does not end with /{vinfo[0]} (owl:versionInfo)")
    for p, want in ((VANN.preferredNamespacePrefix, "r2p"), (VANN.preferredNamespaceUri, str(R2P))):
        vals = list(onto.objects(o, p))
        if len(vals) != 1 or not isinstance(vals[0], Literal) or str(vals[0]) != want:
            problems.append(f'{onto.qname(p)}: must be exactly one literal "{want}", has {vals}')
    assert not problems, "ontology header of ontology/r2p.ttl:\n  " + "\n  ".join(problems)


def test_version_matches_package(onto: Graph):
    """owl:versionInfo is the project's one version source (pyproject reads it via hatch)."""
    try:
        installed = version("r2pkg")
    except PackageNotFoundError:
        pytest.skip("r2pkg is not installed; nothing to compare owl:versionInfo with")
    import r2pkg

    info = str(onto.value(ONTOLOGY_IRI, OWL.versionInfo))
    assert r2pkg.__version__ == installed
    assert info == installed, (
        f"owl:versionInfo {info!r} in ontology/r2p.ttl != installed r2pkg {installed!r} "
        "(reinstall the package after bumping the version: pip install -e .)")


def test_version_pattern_in_pyproject(onto: Graph):
    """The hatch version pattern in pyproject.toml really matches the ontology header."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    m = re.search(r"""\[tool\.hatch\.version\][^\[]*?pattern\s*=\s*'([^']+)'""", text, re.S)
    assert m, "pyproject.toml has no [tool.hatch.version] pattern"
    found = re.search(m.group(1), ONTOLOGY.read_text(encoding="utf-8"))
    assert found, f"hatch version pattern {m.group(1)!r} does not match ontology/r2p.ttl"
    assert found.group("version") == str(onto.value(ONTOLOGY_IRI, OWL.versionInfo))


# --------------------------------------------------------------------------- annotations


def test_r2p_terms_are_annotated(onto: Graph):
    terms = sorted({s for t in DECLARATION_TYPES for s in onto.subjects(RDF.type, t)
                    if isinstance(s, URIRef) and str(s).startswith(str(R2P))})
    assert len(terms) > 20, f"suspiciously few r2p: terms declared: {terms}"
    problems = []
    for t in terms:
        name = onto.qname(t)
        labels = list(onto.objects(t, RDFS.label))
        if len(labels) != 1 or not isinstance(labels[0], Literal) or labels[0].language != "en":
            problems.append(f"{name}: needs exactly one rdfs:label@en, has {[l.n3() for l in labels]}")
        defs = [d for d in onto.objects(t, SKOS.definition) if isinstance(d, Literal) and d.language == "en"]
        if len(defs) != 1:
            problems.append(f"{name}: needs one skos:definition@en, has {len(defs)}")
        if list(onto.objects(t, RDFS.isDefinedBy)) != [ONTOLOGY_IRI]:
            problems.append(f"{name}: needs rdfs:isDefinedBy <{ONTOLOGY_IRI}>")
    assert not problems, "ontology/r2p.ttl:\n  " + "\n  ".join(problems)


def test_r2p_namespace_only_declared_in_r2p_ttl(onto: Graph, external: Graph, schemes: Graph):
    """Every r2p: IRI used in the ontology files is declared in r2p.ttl (typos show up here)."""
    declared_r2p = {s for t in DECLARATION_TYPES for s in onto.subjects(RDF.type, t)}
    used = set()
    for g in (onto, external, schemes):
        for triple in g:
            used |= {x for x in triple if isinstance(x, URIRef) and str(x).startswith(str(R2P))}
    missing = sorted(used - declared_r2p)
    assert not missing, f"r2p: terms used in ontology/ but not declared in r2p.ttl: {missing}"


def test_schemes_are_annotated(schemes: Graph):
    items = sorted(set(schemes.subjects(RDF.type, SKOS.ConceptScheme)) | set(schemes.subjects(RDF.type, SKOS.Concept)))
    assert len(items) > 10, "suspiciously few SKOS schemes/concepts in ontology/schemes.ttl"
    problems = []
    for c in items:
        for p in (SKOS.prefLabel, SKOS.definition):
            en = [v for v in schemes.objects(c, p) if isinstance(v, Literal) and v.language == "en"]
            if len(en) != 1:
                problems.append(f"<{c}>: needs exactly one {schemes.qname(p)}@en, has {len(en)}")
    assert not problems, "ontology/schemes.ttl:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- declarations


def _list_items(g: Graph, head) -> list:
    try:
        return list(Collection(g, head))
    except Exception:  # malformed list: report nothing here, the reasoners will complain
        return []


def ontology_terms(g: Graph) -> set[URIRef]:
    """Classes and properties an ontology-like graph uses: predicates, rdf:type objects, axiom objects."""
    used: set[URIRef] = set()
    for s, p, o in g:
        used.add(p)
        if p == RDF.type or p in AXIOM_PREDICATES:
            used.add(o)
        if p in LIST_PREDICATES and isinstance(o, BNode):
            used |= set(_list_items(g, o))
    return {t for t in used if isinstance(t, URIRef)}


def shape_terms(g: Graph) -> set[URIRef]:
    """Terms the shapes refer to: sh:path, sh:class, sh:targetClass, sh:targetSubjectsOf/ObjectsOf, and
    r2p: names inside SPARQL constraints."""
    used: set[URIRef] = set()
    for p in (SH.path, SH["class"], SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf):
        for o in g.objects(None, p):
            if isinstance(o, URIRef):
                used.add(o)
            elif isinstance(o, BNode):  # sequence paths, alternative paths, inverse paths
                used |= {x for x in _list_items(g, o) if isinstance(x, URIRef)}
                used |= {x for x in g.objects(o, None) if isinstance(x, URIRef)}
    for q in g.objects(None, SH.select):
        used |= {R2P[n] for n in re.findall(r"\br2p:([A-Za-z_][A-Za-z0-9_]*)", str(q))}
    return used


def data_terms(g: Graph) -> set[URIRef]:
    return {p for p in g.predicates() if isinstance(p, URIRef)} | {
        o for o in g.objects(None, RDF.type) if isinstance(o, URIRef)}


def test_every_used_term_is_declared(declared: set[URIRef], onto, external, schemes, data_graphs):
    sources: dict[str, set[URIRef]] = {
        rel(ONTOLOGY): ontology_terms(onto),
        rel(EXTERNAL): ontology_terms(external),
        rel(SCHEMES): ontology_terms(schemes),
    }
    for p in sorted(SHAPES_DIR.glob("*.ttl")):
        sources[rel(p)] = shape_terms(parse_turtle(p))
    for p, g in data_graphs.items():
        sources[rel(p)] = data_terms(g)
    undeclared: dict[URIRef, list[str]] = defaultdict(list)
    for where, terms in sources.items():
        for t in terms:
            if not str(t).startswith(BUILTIN) and t not in declared:
                undeclared[t].append(where)
    msg = "\n  ".join(f"<{t}> used in {', '.join(sorted(w))}" for t, w in sorted(undeclared.items()))
    assert not undeclared, ("terms used but declared neither in ontology/r2p.ttl nor in "
                            f"ontology/imports/external.ttl:\n  {msg}")


def test_properties_are_not_also_classes(declared, tbox: Graph):
    """Punning a term as class and property is legal OWL 2 but almost always a mistake here."""
    classes = set(tbox.subjects(RDF.type, OWL.Class))
    props = {s for t in PROPERTY_TYPES for s in tbox.subjects(RDF.type, t)}
    assert not (classes & props), f"terms declared both class and property: {sorted(classes & props)}"
    obj = set(tbox.subjects(RDF.type, OWL.ObjectProperty))
    dat = set(tbox.subjects(RDF.type, OWL.DatatypeProperty))
    ann = set(tbox.subjects(RDF.type, OWL.AnnotationProperty))
    both = (obj & dat) | (obj & ann) | (dat & ann)
    assert not both, f"terms declared as two kinds of property (not OWL 2 DL): {sorted(both)}"


# --------------------------------------------------------------------------- consistency


def test_owlrl_consistent_tbox(tbox: Graph):
    errors = owlrl_errors(tbox, Graph())
    assert not errors, "OWL RL inconsistencies in the TBox:\n  " + "\n  ".join(errors)


def test_owlrl_consistent_with_all_data(built):
    """The session's build ran the OWL RL closure over the ontology, the schemes and every data
    file (r2pkg.validate.owlrl_errors; a build with an inconsistency fails, which
    tests/shapes/OwlRlConsistency-invalid-*.ttl show): it passed, and says so."""
    validation = built.manifest["validation"]
    assert validation["consistency"] == "owlrl" and validation["conforms"] is True, validation
    assert validation["Violation"] == 0, validation


HERMIT_INPUTS = {
    "tbox": [ONTOLOGY, EXTERNAL],
    "tbox+schemes+data": [ONTOLOGY, EXTERNAL, SCHEMES, *data_files()],
}


@pytest.mark.slow
@pytest.mark.parametrize("inputs", list(HERMIT_INPUTS), ids=list(HERMIT_INPUTS))
def test_hermit_consistent(inputs: str, tmp_path: Path):
    import owlready2
    from owlready2 import OwlReadyInconsistentOntologyError, World, sync_reasoner

    java = shutil.which(owlready2.JAVA_EXE)
    if java is None:
        pytest.fail(f"Java not found (owlready2.JAVA_EXE = {owlready2.JAVA_EXE!r}): HermiT needs a JRE; "
                    "install one (e.g. apt-get install openjdk-17-jre-headless) or set owlready2.JAVA_EXE")
    g = Graph()
    for p in HERMIT_INPUTS[inputs]:
        g += parse_turtle(p)
    nt = tmp_path / "r2pkg-hermit-input.nt"
    g.serialize(nt, format="nt", encoding="utf-8")

    world = World()
    world.get_ontology(nt.as_uri()).load()
    t0 = time.perf_counter()
    try:
        # HermiT accepts only the OWL 2 datatype map; the data's xsd:date literals (schema:startDate,
        # required by the SHACL shapes) are outside it, so they are ignored for the ABox run only.
        sync_reasoner(world, infer_property_values=False, debug=0,
                      ignore_unsupported_datatypes=inputs != "tbox")
    except OwlReadyInconsistentOntologyError:
        pytest.fail(f"HermiT: the ontology ({inputs}: {', '.join(rel(p) for p in HERMIT_INPUTS[inputs])}) "
                    "is inconsistent")
    finally:
        print(f"HermiT on {inputs} ({len(g)} triples): {time.perf_counter() - t0:.1f} s")
    unsat = sorted(c.iri for c in world.inconsistent_classes())
    assert not unsat, f"HermiT infers these classes equivalent to owl:Nothing: {unsat}"
