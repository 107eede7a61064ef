"""SHACL shapes, driven by the paired examples in tests/shapes/: <Shape>_PASS.ttl and <Shape>_XFAIL.ttl.

All PASS examples are validated together on top of ``_base.ttl`` (a complete valid scheme), the ontology,
the thesaurus and the reference data: nothing at all may be reported. All XFAIL examples are validated
together the same way: each ``# expect: SEVERITY SHAPE FOCUS PATH`` line of each file must be reported
exactly (focus node, path, severity, shape), and nothing may be reported that no file expects.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from sdsf_graph.enrich import derive
from sdsf_graph.namespaces import OWL, RDF, SH
from sdsf_graph.settings import load_settings
from sdsf_graph.sources import find_sources, parse_source
from sdsf_graph.validate import load_shapes, validate_graph

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "shapes"
SHAPES_NS = "https://w3id.org/sdsf/shapes#"
PREFIXES = (FIXTURES / "_prefixes.ttl").read_text(encoding="utf-8")
NAMESPACES = dict(re.findall(r"@prefix (\w*): +<([^>]+)>", PREFIXES))
EXPECT = re.compile(r"^# expect: (Violation|Warning|Info) (\w+) (\S+) (\S+)$", re.M)


def expand(name: str) -> str | None:
    if name == "-":
        return None
    prefix, local = name.split(":", 1)
    return NAMESPACES[prefix] + local


def fixture(path: Path) -> Graph:
    return Graph().parse(data=PREFIXES + path.read_text(encoding="utf-8"), format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def base() -> Graph:
    graph = Graph()
    for source in find_sources(load_settings(environ={})):
        if source.kind != "scheme":
            graph += parse_source(source)
    return graph + fixture(FIXTURES / "_base.ttl")


def run(base: Graph, shapes: Graph, kind: str):
    data = Graph() + base
    for path in sorted(FIXTURES.glob(f"*_{kind}.ttl")):
        data += fixture(path)
    data += derive(data)
    return validate_graph(data, shapes)


@pytest.fixture(scope="module")
def xfail_findings(base, shapes):
    report = run(base, shapes, "XFAIL")
    return {(f.severity, f.shape.removeprefix(SHAPES_NS), f.focus, f.path) for f in report.findings}


def named_shapes(shapes: Graph) -> list[str]:
    targeted = set()
    for prop in (SH.targetClass, SH.targetObjectsOf, SH.target, SH.targetNode, SH.targetSubjectsOf):
        targeted.update(s for s in shapes.subjects(prop, None) if isinstance(s, URIRef))
    return sorted(str(s).removeprefix(SHAPES_NS) for s in targeted)


def test_every_shape_has_a_pass_and_an_xfail_example(shapes):
    names = named_shapes(shapes)
    assert len(names) >= 25
    for name in names:
        assert (FIXTURES / f"{name}_PASS.ttl").is_file(), name
        assert (FIXTURES / f"{name}_XFAIL.ttl").is_file(), name
        assert EXPECT.search((FIXTURES / f"{name}_XFAIL.ttl").read_text(encoding="utf-8")), name


def test_every_class_of_the_ontology_is_covered_by_a_shape(shapes):
    ontology = Graph().parse(ROOT / "ontology" / "sdsf.ttl")
    targeted = set(shapes.objects(None, SH.targetClass))
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    assert classes - targeted == set()


def test_every_shape_speaks_french_and_english(shapes):
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        messages = list(shapes.objects(shape, SH.message))
        for prop in shapes.objects(shape, SH.property):
            messages += list(shapes.objects(prop, SH.message))
        if isinstance(shape, URIRef) and str(shape).removeprefix(SHAPES_NS) in named_shapes(shapes):
            assert {m.language for m in messages} >= {"fr", "en"}, shape


def test_pass_examples_report_nothing(base, shapes):
    report = run(base, shapes, "PASS")
    assert [(f.severity, f.shape, f.focus, f.path) for f in report.findings] == []


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*_XFAIL.ttl")), ids=lambda p: p.stem)
def test_xfail_example_reports_exactly_its_focus_path_and_severity(path, xfail_findings):
    for severity, shape, focus, pth in EXPECT.findall(path.read_text(encoding="utf-8")):
        assert (severity, shape, expand(focus), expand(pth)) in xfail_findings, (severity, shape, focus, pth)


def test_xfail_examples_report_nothing_unexpected(xfail_findings):
    expected = set()
    for path in FIXTURES.glob("*_XFAIL.ttl"):
        for severity, shape, focus, pth in EXPECT.findall(path.read_text(encoding="utf-8")):
            expected.add((severity, shape, expand(focus), expand(pth)))
    assert sorted(xfail_findings - expected, key=str) == []
