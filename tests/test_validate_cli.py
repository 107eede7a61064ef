"""`sdsf validate` and the build's gate, run as a person runs them (exit 0 conforms, 1 not, 2 cannot run)."""

from __future__ import annotations

import json
import shutil

from rdflib import Graph

from sdsf_graph.namespaces import SH

from .conftest import ROOT
from .test_cli import sdsf


def data_dir_with(tmp_path, scheme_text: str | None = None):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "reference", data / "reference")
    (data / "schemes").mkdir()
    if scheme_text is not None:
        (data / "schemes" / "test.ttl").write_text(scheme_text, encoding="utf-8")
    return data


def conforming_scheme() -> str:
    shapes = ROOT / "tests" / "shapes"
    return (shapes / "_prefixes.ttl").read_text(encoding="utf-8") + (shapes / "_base.ttl").read_text(encoding="utf-8")


def test_real_data_has_warnings_but_no_violation():
    done = sdsf("validate", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"]["Violation"] == 0
    warned = {(f["focus"].rsplit("/", 1)[1], f["shape"].rsplit("#", 1)[1]) for f in report["findings"]
              if f["severity"] == "Warning"}
    # The findings listed in the README: sources that name no signatories, and a scheme known only by its
    # assessment.
    assert ("52-2020-2026", "SignatoriesStatedShape") in warned
    assert ("92-2022-2026", "SignatoriesStatedShape") in warned
    assert ("26-2016-2019", "SignatoriesStatedShape") in warned
    # Haut-Rhin's press kit declares no field (its sentence on « les politiques relatives à la petite enfance… »
    # is about the policies) and lists none of its sixteen « fiches actions »: neither field is shown as covered.
    assert ("68-2017-2019", "EarlyChildhoodCoveredShape") in warned
    assert ("68-2017-2019", "ParentingCoveredShape") in warned


def test_text_report_groups_by_scheme_and_names_iri_and_label():
    done = sdsf("validate")
    assert "== SDSF Hauts-de-Seine 2022-2026 <https://w3id.org/sdsf/id/scheme/92-2022-2026>" in done.stdout
    assert "<https://w3id.org/sdsf/id/scheme/92-2022-2026> « SDSF Hauts-de-Seine 2022-2026 »" in done.stdout
    assert "La source ne nomme pas les signataires" in done.stdout


def test_turtle_report_is_a_shacl_validation_report():
    done = sdsf("validate", "--format", "turtle")
    graph = Graph().parse(data=done.stdout, format="turtle")
    assert len(list(graph.subjects(None, SH.ValidationResult))) > 0


def test_conforming_data_exits_0(tmp_path):
    done = sdsf("validate", "--data", str(data_dir_with(tmp_path, conforming_scheme())))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 violation(s), 0 warning(s)" in done.stdout


def test_a_violation_exits_1_and_the_build_refuses_to_write(tmp_path):
    broken = conforming_scheme().replace("sdsf:endYear 2026", "sdsf:endYear 2020")
    data = data_dir_with(tmp_path, broken)
    done = sdsf("validate", "--data", str(data))
    assert done.returncode == 1
    assert "VIOLATION" in done.stdout and "https://w3id.org/sdsf/id/test/scheme" in done.stdout
    build = tmp_path / "build"
    done = sdsf("build", "--data", str(data), "--build-dir", str(build))
    assert done.returncode == 1
    assert "build refused" in done.stderr
    assert not build.exists()


def test_an_observation_whose_end_year_precedes_its_start_year_is_named(tmp_path):
    reversed_period = conforming_scheme() + (
        "\nex:obs-reversed a sdsf:Observation ; sdsf:indicator ex:indicator ; sdsf:value 373 ;"
        " sdsf:unit \"places\"@fr ; sdsf:startYear 2016 ; sdsf:endYear 1990 .\n")
    done = sdsf("validate", "--data", str(data_dir_with(tmp_path, reversed_period)), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    findings = [(f["severity"], f["focus"], f["path"], f["shape"].rsplit("#", 1)[1])
                for f in json.loads(done.stdout)["findings"] if f["severity"] == "Violation"]
    assert findings == [("Violation", "https://w3id.org/sdsf/id/test/obs-reversed",
                         "https://w3id.org/sdsf/def#startYear", "ObservationShape")]


def test_missing_reference_data_exits_2(tmp_path):
    done = sdsf("validate", "--data", str(tmp_path))
    assert done.returncode == 2 and "reference" in done.stderr
