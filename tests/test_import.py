"""`sdsf import scheme`: a draft becomes data/schemes/<code>-<name>-<start>-<end>.ttl, or nothing at all.

Every import runs on a copy of data/ in a temporary folder; the real data/ is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from sdsf_graph.authoring import importer
from sdsf_graph.cli import main
from sdsf_graph.enrich import plan_elements
from sdsf_graph.namespaces import SDSF
from sdsf_graph.validate import Report

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "authoring"
ID = "https://w3id.org/sdsf/id/"

MINIMAL = """\
departement: "01"
periode: 2021-2025
document_source:
  fichier: exemple.txt
  sha256: "0000000000000000000000000000000000000000000000000000000000000000"
plan_section: "Plan d'action"
plan:
  - niveau: axe
    libelle: "Petite enfance"
    themes: [petite-enfance]
    elements:
      - niveau: action
        libelle: "Développer l'accueil"
        themes: [petite-enfance]
"""


@pytest.fixture
def data(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    return copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["import", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def write_draft(tmp_path: Path, text: str, name: str = "brouillon.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def plan_of(graph: Graph) -> dict:
    return {e: (graph.value(e, RDF.type), str(graph.value(e, RDFS.label)), int(graph.value(e, SDSF.order)),
                graph.value(e, SDSF.parent), graph.value(e, SDSF.inScheme), frozenset(graph.objects(e, SDSF.theme)),
                str(graph.value(e, SDSF.sourceSection))) for e in plan_elements(graph)}


# --- 2. a draft becomes a Turtle file next to the others, and the whole graph is validated --------------------

def test_round_trip_of_a_real_scheme_gives_the_curated_plan(data, capsys):
    """The reviewed draft of Landes 2016-2018 replaces its file: same IRIs, labels, ranks, parents, themes."""
    code, out, err = run(capsys, "scheme", str(FIXTURES / "landes-2016-2018.yaml"), "--data", str(data), "--replace")
    assert code == 0, err
    assert "0 violation" in out and "remplace" in out
    written = Graph().parse(data / "schemes" / "40-landes-2016-2018.ttl")
    curated = Graph().parse(ROOT / "data" / "schemes" / "40-landes-2016-2018.ttl")
    assert plan_of(written) == plan_of(curated)
    orgs = set(curated.subjects(RDF.type, URIRef("http://www.w3.org/ns/org#Organization")))
    assert orgs == set(written.subjects(RDF.type, URIRef("http://www.w3.org/ns/org#Organization")))
    scheme = URIRef(ID + "scheme/40-2016-2018")
    for prop in (SDSF.signatory, SDSF.legalBasis, SDSF.signatoriesStated, SDSF.sourceDocument, SDSF.startYear):
        assert set(written.objects(scheme, prop)) == set(curated.objects(scheme, prop)), prop
    document = URIRef(ID + "document/40-2016-2018")
    assert written.value(document, SDSF.sha256) == curated.value(document, SDSF.sha256)


def test_a_new_scheme_is_written_into_data_schemes_following_the_data_rules(data, capsys, tmp_path):
    draft = write_draft(tmp_path, MINIMAL)
    code, out, err = run(capsys, "scheme", str(draft), "--data", str(data))
    assert code == 0, err
    target = data / "schemes" / "01-ain-2021-2025.ttl"
    assert f"écrit {target}" in out
    text = target.read_text(encoding="utf-8")
    assert "@prefix axis: <https://w3id.org/sdsf/id/axis/> ." in text
    graph = Graph().parse(target)
    scheme, axis = URIRef(ID + "scheme/01-2021-2025"), URIRef(ID + "axis/01-2021-2025-1")
    action = URIRef(ID + "action/01-2021-2025-1-1")
    assert graph.value(scheme, SDSF.signatoriesStated) == Literal(False)  # no signatory given: not stated
    assert (scheme, RDFS.label, Literal("SDSF Ain 2021-2025", lang="fr")) in graph
    assert graph.value(axis, SDSF.inScheme) == scheme and graph.value(axis, SDSF.order) == Literal(1)
    assert graph.value(action, SDSF.parent) == axis and graph.value(action, SDSF.inScheme) is None
    assert graph.value(action, SDSF.sourceSection) == Literal("Petite enfance", lang="fr")
    assert graph.value(axis, SDSF.sourceSection) == Literal("Plan d'action", lang="fr")
    assert graph.value(action, SDSF.theme) == URIRef(ID + "theme/petite-enfance")
    assert graph.value(URIRef(ID + "document/01-2021-2025"), SDSF.fileName) == Literal("exemple.txt")
    # the warning (no signatory named) is reported, pointing at the draft, and does not block
    assert "AVERTISSEMENT" in out and "signataires" in out


def test_a_thematic_section_is_written_and_gives_its_theme(data, capsys, tmp_path):
    """« section_thematique » (a page where the source details the element) becomes sdsf:thematicSection; the
    theme rule gives its theme in place of the parent's, and the import checks the draft against the rule."""
    text = MINIMAL.replace('        themes: [petite-enfance]\n',
                           '        section_thematique: "Parentalité"\n        themes: [parentalite]\n')
    code, out, err = run(capsys, "scheme", str(write_draft(tmp_path, text)), "--data", str(data))
    assert code == 0, err
    graph = Graph().parse(data / "schemes" / "01-ain-2021-2025.ttl")
    action = URIRef(ID + "action/01-2021-2025-1-1")
    assert graph.value(action, SDSF.thematicSection) == Literal("Parentalité", lang="fr")
    assert set(graph.objects(action, SDSF.theme)) == {URIRef(ID + "theme/parentalite")}


def test_every_part_of_the_format_is_imported_and_validates(data, capsys):
    code, out, err = run(capsys, "scheme", str(FIXTURES / "exemple-complet.yaml"), "--data", str(data))
    assert code == 0, err
    assert "0 violation, 0 avertissement" in out
    graph = Graph().parse(data / "schemes" / "01-ain-2021-2025.ttl")
    for cls in (SDSF.Scheme, SDSF.SourceDocument, SDSF.TransversalThread, SDSF.TransversalValue, SDSF.Marker,
                SDSF.FamilyServicesCommittee, SDSF.ThematicCommittee, SDSF.Orientation, SDSF.Axis, SDSF.Objective,
                SDSF.Action, SDSF.SubAction, SDSF.Indicator, SDSF.Observation, SDSF.Assessment, SDSF.Result,
                SDSF.CommunicationPlan, URIRef("http://www.w3.org/ns/org#Membership")):
        assert next(graph.subjects(RDF.type, cls), None) is not None, cls
    subaction = URIRef(ID + "subaction/01-2021-2025-1-1-1-1-1")
    assert graph.value(subaction, SKOS.altLabel) == Literal("Appel à projet", lang="fr")
    assert graph.value(URIRef(ID + "organisation/01-cnav"), SDSF.departement) is None


@pytest.mark.parametrize("change,fragment,message", [
    (('"01"', '"20"'), 'departement: "20"', "code de département inconnu « 20 »"),
    (('"01"', '"1"'), 'departement: "1"', "vouliez-vous dire « 01 »"),
    (("[petite-enfance]\n    elements", "[petite-enfanse]\n    elements"), "[petite-enfanse]",
     "thème inconnu « petite-enfanse » ; vouliez-vous dire « petite-enfance »"),
    (('        libelle: "Développer l\'accueil"\n', ""), "      - niveau: action",
     "champ obligatoire manquant : « libelle »"),
    (("  fichier: exemple.txt\n", ""), "document_source:", "champ obligatoire manquant : « fichier »"),
    (("        themes: [petite-enfance]\n", ""), "      - niveau: action", "action sans thème"),
    (("        themes: [petite-enfance]\n", "        themes: [petite-enfance, handicap]\n"),
     "themes: [petite-enfance, handicap]", "thèmes différents de ceux de la règle de data/README.md (« Themes »)"),
    (("    themes: [petite-enfance]\n    elements", "    themse: [petite-enfance]\n    elements"), "themse:",
     "champ inconnu « themse » ; vouliez-vous dire « themes » ?"),
    (("    libelle: \"Petite enfance\"\n", "    libelle: \"Petite enfance\"\n    a_verifier: \"À VÉRIFIER : x\"\n"),
     "a_verifier:", "point encore à vérifier"),
    (("periode: 2021-2025", "periode: 2025-2021"), "periode:", "période incohérente"),
    (("  - niveau: axe", "  - niveau: chapitre"), "niveau: chapitre", "niveau inconnu « chapitre »"),
])
def test_each_problem_is_refused_with_its_line_and_field_in_french(data, capsys, tmp_path, change, fragment,
                                                                   message):
    text = MINIMAL.replace(*change)
    assert text != MINIMAL
    before = snapshot(data)
    code, out, err = run(capsys, "scheme", str(write_draft(tmp_path, text)), "--data", str(data))
    assert code == 1
    expected = f"brouillon.yaml:{line_of(text, fragment)}: ERREUR"
    assert any(expected in line and message in line for line in err.splitlines()), err
    assert "rien n'a été écrit" in err and "Traceback" not in err
    assert snapshot(data) == before  # 5. a refused import leaves data/ byte-identical


@pytest.mark.parametrize("periode,message,where", [
    ("2020-2024", "existe déjà : relancez avec --replace", "26-drome-2020-2024.ttl"),
    ("2016-2019", "doublon : le schéma 26 2016-2019 existe déjà", "26-drome-2020-2024.ttl"),
    ("2019-2021", "chevauchement : la période 2019-2021 recoupe celle de « SDSF Drôme 2016-2019 »", "2016-2019"),
    ("2024-2027", "chevauchement", "SDSF Drôme 2020-2024"),
])
def test_a_duplicate_or_overlapping_scheme_is_refused(data, capsys, tmp_path, periode, message, where):
    text = MINIMAL.replace('"01"', '"26"').replace("2021-2025", periode)
    before = snapshot(data)
    code, _, err = run(capsys, "scheme", str(write_draft(tmp_path, text)), "--data", str(data))
    assert code == 1
    assert f"brouillon.yaml:{line_of(text, 'periode:')}: ERREUR [periode]" in err
    assert message in err and where in err, err
    assert snapshot(data) == before


def test_replacing_a_file_that_holds_another_scheme_is_refused(data, capsys, tmp_path):
    """Drôme's file also describes its 2016-2019 scheme: replacing it from a 2020-2024 draft would delete that."""
    text = MINIMAL.replace('"01"', '"26"').replace("2021-2025", "2020-2024")
    before = snapshot(data)
    code, _, err = run(capsys, "scheme", str(write_draft(tmp_path, text)), "--data", str(data), "--replace")
    assert code == 1
    assert "décrit aussi « SDSF Drôme 2016-2019 » (2016-2019)" in err
    assert snapshot(data) == before


def test_a_shacl_violation_points_at_the_draft_line_and_nothing_is_written(data, capsys, tmp_path):
    text = (FIXTURES / "exemple-complet.yaml").read_text(encoding="utf-8")
    text = text.replace('reunions_par_an: "2"', 'reunions_par_an: "0"')
    draft = write_draft(tmp_path, text)
    before = snapshot(data)
    code, _, err = run(capsys, "scheme", str(draft), "--data", str(data))
    assert code == 1
    line = line_of(text, 'reunions_par_an: "0"')
    assert f"brouillon.yaml:{line}: ERREUR [gouvernance › 1 › reunions_par_an] Le nombre de réunions par an" in err
    assert snapshot(data) == before


def test_a_yaml_syntax_error_exits_2_with_the_line(data, tmp_path):
    draft = write_draft(tmp_path, MINIMAL.replace("plan:\n", "plan: [\n"))
    done = subprocess.run([sys.executable, "-m", "sdsf_graph.cli", "import", "scheme", str(draft), "--data",
                           str(data)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"{draft}:" in done.stderr and "syntaxe YAML invalide" in done.stderr
    assert "Traceback" not in done.stderr


# --- 5. atomic: an interrupted or failing import leaves data/ exactly as it was ---------------------------------

def test_an_interrupted_import_leaves_data_unchanged(data, capsys, monkeypatch):
    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importer, "validate_dataset", interrupt)
    before = snapshot(data)
    code, _, err = run(capsys, "scheme", str(FIXTURES / "landes-2016-2018.yaml"), "--data", str(data), "--replace")
    assert code == 2 and "interrupted" in err
    assert snapshot(data) == before


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary_file(data, capsys, monkeypatch):
    def broken_replace(*_args, **_kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(importer.os, "replace", broken_replace)
    monkeypatch.setattr(importer, "_validate_staged", lambda *_args: Report())  # validation is tested above
    before = snapshot(data)
    with pytest.raises(OSError):
        main(["import", "scheme", str(FIXTURES / "landes-2016-2018.yaml"), "--data", str(data), "--replace"])
    assert snapshot(data) == before  # no « .40-landes-….tmp-* » left behind either


def test_write_atomically_replaces_in_one_step(tmp_path):
    target = tmp_path / "x.ttl"
    target.write_text("old", encoding="utf-8")
    importer.write_atomically(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.ttl"]
