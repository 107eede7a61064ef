"""The ``sdsf`` command as a person runs it: real processes, real files, exit codes 0 / 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT


def sdsf(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sdsf_graph.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    build = tmp_path_factory.mktemp("cli") / "build"
    done = sdsf("build", "--build-dir", str(build))
    assert done.returncode == 0, done.stderr
    return build


def test_build_writes_nquads_store_and_manifest(artifact):
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert (artifact / "sdsf.nq").stat().st_size > 0
    assert (artifact / "store").is_dir()
    assert "https://w3id.org/sdsf/graph/data/schemes/26-drome-2020-2024" in manifest["graphs"]
    assert "https://w3id.org/sdsf/graph/derived" in manifest["graphs"]
    assert manifest["quads"] == sum(manifest["graphs"].values())


def test_stats(artifact):
    done = sdsf("stats", "--build-dir", str(artifact), "--json")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["classes"]["igeo:Departement"] == 101
    drome = stats["schemes"]["https://w3id.org/sdsf/id/scheme/26-2020-2024"]
    assert drome["Axis"] == 6 and drome["Action"] > 70


def test_query_by_name_with_a_parameter(artifact):
    done = sdsf("query", "schemes-in-force", "--param", "year=2018", "--format", "json",
                "--build-dir", str(artifact))
    assert done.returncode == 0, done.stderr
    schemes = {b["scheme"]["value"] for b in json.loads(done.stdout)["results"]["bindings"]}
    assert "https://w3id.org/sdsf/id/scheme/26-2016-2019" in schemes


def test_query_text_and_csv_and_file(artifact, tmp_path):
    done = sdsf("query", "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://rdf.insee.fr/def/geo#Departement> }",
                "--format", "csv", "--build-dir", str(artifact))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "101"]
    rq = tmp_path / "ask.rq"
    rq.write_text("ASK { ?s a <https://w3id.org/sdsf/def#Scheme> }")
    done = sdsf("query", str(rq), "--build-dir", str(artifact), "--engine", "rdflib")
    assert done.returncode == 0 and done.stdout.strip() == "true"


def test_query_list(artifact):
    done = sdsf("query", "--list")
    assert done.returncode == 0
    assert "schemes-in-force" in done.stdout and "year=2024" in done.stdout


@pytest.mark.parametrize("args,message", [
    (["query", "SELECT ?s WHERE { ?s ?p "], "syntax error"),
    (["query", "no-such-query.rq"], "no such query file"),
    (["query", "schemes-in-force", "--param", "year=soon"], "not an integer"),
    (["query", "schemes-in-force", "--param", "colour=red"], "no parameter colour"),
])
def test_bad_queries_exit_2_with_a_message(artifact, args, message):
    done = sdsf(*args, "--build-dir", str(artifact))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_artifact_exits_2(tmp_path):
    done = sdsf("stats", "--build-dir", str(tmp_path / "nothing"))
    assert done.returncode == 2 and "sdsf build" in done.stderr


def test_turtle_error_names_file_and_line_and_keeps_the_old_artifact(artifact, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    broken = data / "schemes" / "26-drome-2020-2024.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines.insert(59, 'scheme:broken a sdsf:Scheme ; rdfs:label "unterminated .')
    broken.write_text("\n".join(lines), encoding="utf-8")
    before = (artifact / "manifest.json").read_text()
    done = sdsf("build", "--data", str(data), "--build-dir", str(artifact))
    assert done.returncode == 2
    assert f"{broken}:60" in done.stderr
    assert "Traceback" not in done.stderr
    assert (artifact / "manifest.json").read_text() == before


def test_base_iri_is_a_setting(tmp_path):
    build = tmp_path / "build"
    done = sdsf("build", "--build-dir", str(build), "--base-iri", "https://example.org/sdsf/")
    assert done.returncode == 0, done.stderr
    nquads = (build / "sdsf.nq").read_text()
    assert "<https://example.org/sdsf/id/scheme/26-2020-2024>" in nquads
    assert "w3id.org/sdsf/" not in nquads
    done = sdsf("query", "schemes-in-force", "--param", "year=2020", "--format", "csv",
                "--build-dir", str(build), "--base-iri", "https://example.org/sdsf/")
    assert done.returncode == 0, done.stderr
    assert "https://example.org/sdsf/id/scheme/26-2020-2024" in done.stdout
