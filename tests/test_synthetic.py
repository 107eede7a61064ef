"""The synthetic national graph (benchmarks/synthetic.py) and the validation by parts it measures.

The generator is deterministic, lays its output out like data/, reuses the real vocabulary and passes the
shapes with no violation. Validating by parts (the build's way on many files) finds exactly what validating the
whole graph at once finds, on synthetic data spread over several batches and worker processes, and on a scheme
file that points into another one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict

import pytest
from rdflib import Graph
from rdflib.namespace import RDFS

from sdsf_graph import partition
from sdsf_graph.build import build_graph, compile_dataset
from sdsf_graph.namespaces import RDF, SDSF
from sdsf_graph.parts import validate_by_parts
from sdsf_graph.search_build import write_index
from sdsf_graph.settings import load_settings
from sdsf_graph.store import OxigraphEngine
from sdsf_graph.validate import load_shapes, sort_findings, validate_graph

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
assert spec and spec.loader
synthetic = importlib.util.module_from_spec(spec)
sys.modules["synthetic"] = synthetic
spec.loader.exec_module(synthetic)

SHAPES = load_shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def small_plans(tmp_path_factory):
    """Two départements with small plans (a quarter of the actions): the whole-graph validation they are
    compared with is slow on big plans (its SPARQL target runs on rdflib, quadratic in the plan's size)."""
    out = tmp_path_factory.mktemp("synthetic-small") / "data"
    return out, synthetic.generate(out, seed=7, scale=0.25, departements=2)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two départements (Ain, Aisne): 4 to 6 schemes."""
    out = tmp_path_factory.mktemp("synthetic") / "data"
    totals = synthetic.generate(out, seed=7, departements=2)
    return out, totals


def settings_for(data, tmp_path=None):
    overrides = {"data_dir": str(data)}
    if tmp_path is not None:
        overrides["build_dir"] = str(tmp_path / "build")
    return load_settings(overrides, environ={})


def test_layout_like_data_and_deterministic(small, tmp_path):
    out, totals = small
    assert sorted(p.name for p in (out / "reference").glob("*.ttl")) == \
        sorted(p.name for p in (ROOT / "data" / "reference").glob("*.ttl"))
    files = sorted(p.name for p in (out / "schemes").glob("*.ttl"))
    assert len(files) == totals["schemes"] >= 4
    assert all(re.fullmatch(r"0[12]-[a-z-]+-20\d\d-20\d\d\.ttl", f) for f in files), files
    again = tmp_path / "again"  # another interpreter, with another string-hashing seed (set order differs)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synthetic.py"), str(again), "--seed", "7",
                    "--departements", "2"], check=True, env={**os.environ, "PYTHONHASHSEED": "12345"},
                   capture_output=True, timeout=300)
    for name in files:
        assert (again / "schemes" / name).read_bytes() == (out / "schemes" / name).read_bytes()
    other = tmp_path / "other"
    synthetic.generate(other, seed=8, departements=2)
    assert sorted(p.name for p in (other / "schemes").glob("*.ttl")) != files or any(
        (other / "schemes" / n).read_bytes() != (out / "schemes" / n).read_bytes() for n in files)
    with pytest.raises(FileExistsError):
        synthetic.generate(out, seed=7, departements=1)


def test_schemes_succeed_one_another_and_documents_are_synthetic(small):
    out, _ = small
    graph = Graph()
    for path in (out / "schemes").glob("*.ttl"):
        graph.parse(path, format="turtle")
    by_departement: dict[str, list[tuple[int, int, object]]] = {}
    for scheme in graph.subjects(RDF.type, SDSF.Scheme):
        code = str(graph.value(scheme, SDSF.departement)).rsplit("/", 1)[1]
        by_departement.setdefault(code, []).append(
            (int(graph.value(scheme, SDSF.startYear)), int(graph.value(scheme, SDSF.endYear)), scheme))
    for schemes in by_departement.values():
        schemes.sort()
        assert 2 <= len(schemes) <= 3
        for (_, end, before), (start, _, after) in zip(schemes, schemes[1:], strict=False):
            assert end < start  # periods never overlap
            assert graph.value(after, SDSF.predecessor) == before
            assert graph.value(before, SDSF.successor) == after
    for document in graph.subjects(RDF.type, SDSF.SourceDocument):
        assert re.fullmatch(r"synthetic-\d\d-20\d\d-20\d\d\.txt", str(graph.value(document, SDSF.fileName)))
        assert graph.value(document, SDSF.sha256) is None
    # Every plan label is a real one (recombined), taken from the encoded schemes.
    real = Graph()
    for path in (ROOT / "data" / "schemes").glob("*.ttl"):
        real.parse(path, format="turtle")
    actions = set(graph.subjects(RDF.type, SDSF.Action))
    assert len(actions) > 40 * len(list(graph.subjects(RDF.type, SDSF.Scheme)))
    real_labels = {str(o) for o in real.objects(None, RDFS.label)}
    assert {str(graph.value(a, RDFS.label)) for a in actions} <= real_labels


def test_the_integrity_tests_only_see_the_real_data():
    # tests/conftest.py compiles the project's own data (environ={}), never a --data folder: the seed-file
    # digests checked by test_integrity.py are those of the real sources only.
    assert load_settings(environ={}).data_path == ROOT / "data"


def test_scale_multiplies_the_plan_not_the_schemes(tmp_path):
    base = synthetic.generate(tmp_path / "x1", seed=3, departements=2)
    scaled = synthetic.generate(tmp_path / "x4", seed=3, scale=4, departements=2)
    assert scaled["schemes"] == base["schemes"]
    assert 2.5 < scaled["Action"] / base["Action"] < 6
    subjects: dict[str, str] = {}
    for path in (tmp_path / "x4" / "schemes").glob("*.ttl"):
        for element in re.findall(r"^((?:axis|objective|action|subaction|orientation):\S+) a ", path.read_text(), re.M):
            assert element not in subjects, f"{element} in {path.name} and {subjects[element]}"
            subjects[element] = path.name


def findings(report):
    return [asdict(f) for f in report.findings], report.group_labels


def test_synthetic_data_has_no_violation_and_parts_find_what_the_whole_graph_finds(small_plans, monkeypatch):
    out, _ = small_plans
    settings = settings_for(out)
    monkeypatch.setattr(partition, "WORKERS", 2)
    by_parts = validate_by_parts(compile_dataset(settings), settings, SHAPES, batch_bytes=20_000)
    assert by_parts is not None
    assert by_parts.count("Violation") == 0
    assert {f.shape.rsplit("#", 1)[1] for f in by_parts.findings} <= {
        "SignatoriesStatedShape", "SignatoryCountShape", "StateSignatoryShape", "DepartmentalCouncilSignatoryShape",
        "CafSignatoryShape", "FamilyServicesCommitteeShape", "IndicatorInfoShape", "ThreadInfoShape",
        "EarlyChildhoodCoveredShape", "ParentingCoveredShape"}
    assert by_parts.count("Warning") + by_parts.count("Info") > 0
    compiled = compile_dataset(settings)
    whole = validate_graph(compiled.union(), SHAPES, dict(compiled.graphs))
    sort_findings(whole)
    assert findings(by_parts) == findings(whole)


def test_a_file_pointing_into_another_is_validated_with_it(tmp_path):
    """A sub-action in its own file, under an action of another file, with an order its siblings have."""
    out = tmp_path / "data"
    synthetic.generate(out, seed=11, scale=0.25, departements=1)
    first = sorted((out / "schemes").glob("*.ttl"))[0]
    text = first.read_text(encoding="utf-8")
    action = re.search(r"^action:(\S+) a sdsf:Action", text, re.M).group(1)
    prefixes = text[text.index("@prefix"):text.index("\n\n", text.index("@prefix"))]
    (out / "schemes" / "zz-extra.ttl").write_text(prefixes + f"""

subaction:extra a sdsf:SubAction ;
    sdsf:parent action:{action} ;
    sdsf:order 1 ;
    rdfs:label "Sous-action ajoutée"@fr ;
    sdsf:sourceSection "Section"@fr ;
    sdsf:theme theme:parentalite .

action:{action} sdsf:order 99 .
""", encoding="utf-8")
    settings = settings_for(out)
    by_parts = validate_by_parts(compile_dataset(settings), settings, SHAPES)
    compiled = compile_dataset(settings)
    whole = validate_graph(compiled.union(), SHAPES, dict(compiled.graphs))
    sort_findings(whole)
    assert by_parts is not None and findings(by_parts) == findings(whole)
    assert by_parts.count("Violation") >= 1  # two orders for the action at least


def test_build_by_parts_writes_every_graph(small_plans, tmp_path, monkeypatch):
    out, totals = small_plans
    monkeypatch.setattr(partition, "BATCH_BYTES", 20_000)
    monkeypatch.setattr(partition, "WORKERS", 2)
    manifest = build_graph(settings_for(out, tmp_path))
    assert manifest["validation"]["violations"] == 0
    assert len(manifest["graphs"]) == 2 + 2 + totals["schemes"] + 1  # ontology, thesaurus, reference, derived
    assert manifest["quads"] == sum(manifest["graphs"].values())
    dataset_graphs: dict[str, int] = {}
    for line in (tmp_path / "build" / "sdsf.nq").read_text(encoding="utf-8").splitlines():
        graph = line.rsplit(" ", 2)[-2]
        dataset_graphs[graph.strip("<>")] = dataset_graphs.get(graph.strip("<>"), 0) + 1
    assert dataset_graphs == manifest["graphs"]
    assert json.loads((tmp_path / "build" / "manifest.json").read_text())["version"] == manifest["version"]
    # The search index, read part by part during the validation, is the one read from the whole store.
    whole = tmp_path / "whole-index"
    assert write_index(OxigraphEngine(str(tmp_path / "build" / "store")), whole) > 100
    written = sorted((tmp_path / "build" / "search-index").iterdir())
    assert [f.name for f in written] == sorted(f.name for f in whole.iterdir())
    for path in written:
        assert path.read_bytes() == (whole / path.name).read_bytes(), path.name
