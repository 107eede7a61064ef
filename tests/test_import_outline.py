"""`sdsf import outline`: a scheme's text becomes a draft to review, tested on the five seeds themselves.

The recovery test compares the draft's labels with the ``rdfs:label`` of the plan elements (orientations,
axes, objectives, actions, sub-actions) of the curated data file made from the same seed, and reports the
measured ratio.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDFS

from sdsf_graph.authoring import importer
from sdsf_graph.authoring.draftgen import make_draft
from sdsf_graph.authoring.vocab import load_vocab
from sdsf_graph.authoring.yamlsrc import parse_draft
from sdsf_graph.cli import main
from sdsf_graph.enrich import plan_elements

from .conftest import ROOT, SEEDS

MIN_RECOVERY = 0.90
SEED_SCHEMES = {  # seed -> (département, period, curated file)
    "000_bcc05ade7cf4d4e3.txt": ("52", (2020, 2026), "52-haute-marne-2020-2026.ttl"),
    "001_4704c7a140b1442f.txt": ("68", (2017, 2019), "68-haut-rhin-2017-2019.ttl"),
    "002_9218f5d0388b8aff.txt": ("92", (2022, 2026), "92-hauts-de-seine-2022-2026.ttl"),
    "003_79e3799fe27a74c7.txt": ("40", (2016, 2018), "40-landes-2016-2018.ttl"),
    "004_95163d5869a3a958.txt": ("26", (2020, 2024), "26-drome-2020-2024.ttl"),
}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def vocab():
    return load_vocab(ROOT, ROOT / "data")


def outline(seed: str, vocab, out: Path | None = None) -> dict:
    code, years, _ = SEED_SCHEMES[seed]
    out = out or ROOT / "drafts" / "draft.yaml"
    text = make_draft((SEEDS / seed).read_text(encoding="utf-8"), SEEDS / seed, out, code, years, vocab)
    return parse_draft(text, out).data


def draft_labels(items) -> list[str]:
    return [label for item in items or [] for label in (norm(item["libelle"]), *draft_labels(item.get("elements")))]


# --- 3. recovery of the curated plan, one test per seed ----------------------------------------------------

@pytest.mark.parametrize("seed", sorted(SEED_SCHEMES))
def test_outline_recovers_the_curated_plan_lines(seed, vocab, record_property, capsys):
    draft = outline(seed, vocab)
    found = set(draft_labels(draft["plan"]))
    curated = Graph().parse(ROOT / "data" / "schemes" / SEED_SCHEMES[seed][2])
    labels = [norm(str(curated.value(e, RDFS.label))) for e in plan_elements(curated)]
    missing = [label for label in labels if label not in found]
    ratio = 1 - len(missing) / len(labels)
    record_property("recovery", f"{ratio:.3f}")
    with capsys.disabled():
        print(f"\n  outline recovery {seed} ({SEED_SCHEMES[seed][2]}): {len(labels) - len(missing)}/{len(labels)} "
              f"plan lines = {ratio:.1%}", end="")
    assert ratio >= MIN_RECOVERY, f"{ratio:.1%}; missing: {missing}"


# --- 3. what the draft holds -------------------------------------------------------------------------------

def test_outline_keeps_the_hierarchy_and_layout_data(vocab):
    hm = outline("000_bcc05ade7cf4d4e3.txt", vocab)
    assert [e["libelle"] for e in hm["plan"]][:3] == ["Petite enfance", "Enfance Jeunesse", "Parentalité"]
    first = hm["plan"][0]
    assert first["niveau"] == "orientation" and first["section"] == "9 orientations stratégiques"
    assert first["elements"][0] == {**first["elements"][0], "niveau": "axe", "notation": "Axe 1",
                                    "libelle": "Adapter l'offre d'accueil en réduisant les inégalités territoriales"}
    assert [t["libelle"] for t in hm["fils_conducteurs"]][0] == "Le développement des services aux familles"
    assert hm["fils_conducteurs"][0]["valeur"] == "oui"
    drome = outline("004_95163d5869a3a958.txt", vocab)
    enfance = next(e for e in drome["plan"] if e["libelle"] == "ENFANCE")
    actions = {a["libelle"]: a for o in enfance["elements"] for a in o.get("elements", [])}
    assert actions["Égalité des chances"]["marqueurs"] == ["C"]
    assert actions["Égalité fille-garçon"]["marqueurs"] == ["P"]
    assert "a_verifier" in actions["Égalité fille-garçon"]  # a split bullet is a point to review
    parent = next(e for e in drome["plan"] if e["libelle"] == "PARENTALITÉ")["elements"][1]["elements"][0]
    assert parent["libelle"] == "Répét parental et familial" and parent["pastilles"] == "3"  # verbatim, typo kept
    assert {m["signe"] for m in drome["marqueurs"]} == {"C", "N", "P"}
    assert drome["bilan"]["schema"] == "2016-2019" and drome["bilan"]["resultats"][0]["libelle"] == \
        "+ 373 places en crèches"
    assert drome["a_classer"][0]["lignes"][0] == "Impact crise sanitaire"  # the legend, lost in the text


def test_outline_recognises_signatories_from_the_thesaurus(vocab):
    drome = outline("004_95163d5869a3a958.txt", vocab)
    assert [s["type"] for s in drome["signataires"]] == ["etat", "conseil-departemental", "caf",
                                                         "education-nationale", "msa", "udaf"]
    assert drome["mention_signataires"].startswith("6 signataires : État, Conseil départemental, Caf")
    landes = outline("003_79e3799fe27a74c7.txt", vocab)
    assert [s["tel_que_dans_la_source"] for s in landes["signataires"]][-2:] == \
        [["Mutuelle sociale agricole"], ["Union départementale des associations familiales"]]
    haut_rhin = outline("001_4704c7a140b1442f.txt", vocab)
    assert {s["type"] for s in haut_rhin["signataires"]} == {"etat", "caf", "conseil-departemental", "msa"}
    assert outline("000_bcc05ade7cf4d4e3.txt", vocab)["signataires"] == []  # « l'ensemble des signataires »
    assert outline("002_9218f5d0388b8aff.txt", vocab)["signataires"] == []
    assert all("a_verifier" in s for s in drome["signataires"])
    cdsf = next(b for b in drome["gouvernance"] if b["type"] == "cdsf")
    assert cdsf["presidence"] == "etat"  # « présidée par le Préfet »


def test_outline_suggests_themes_by_the_rules_of_the_data(vocab):
    def themes(draft, label):
        stack = list(draft["plan"])
        while stack:
            element = stack.pop()
            if element["libelle"] == label:
                return element["themes"]
            stack += element.get("elements", [])
        raise AssertionError(label)

    drome = outline("004_95163d5869a3a958.txt", vocab)
    # rule 1, the section « PARENTALITÉ », then rule 2, « information des familles » (as the curated file)
    assert themes(drome, "Informations aux familles") == ["parentalite", "information-des-familles"]
    assert "developpement-durable" in themes(drome, "Éco-parentalité")  # rule 2: « éco- »
    assert "partenariat" in themes(drome, "Structuration de réseaux territoriaux (Conventions territoriales globales)")
    hm = outline("000_bcc05ade7cf4d4e3.txt", vocab)
    axis = ("Accompagner les parcours éducatifs des jeunes via l'accès aux structures ALSH, aux loisirs, aux vacances, "
            "à la présence éducative numérique")
    assert set(themes(hm, axis)) == {"enfance-jeunesse", "jeunesse", "loisirs-vacances", "enfance", "numerique"}
    landes = outline("003_79e3799fe27a74c7.txt", vocab)
    assert "numerique" in themes(landes, "informer sur la citoyenneté et le bon usage du Net")  # « Net »
    # « accès aux services » gives acces-aux-droits, in the Landes as in the Hauts-de-Seine (data/README.md, « Themes »)
    assert themes(landes, "Veiller à l’accès aux services des familles") == ["acces-aux-droits"]
    haut_rhin = outline("001_4704c7a140b1442f.txt", vocab)
    assert themes(haut_rhin, "Orientations techniques") == ["partenariat"]  # rule 4


def test_every_uncertain_point_is_marked_and_blocks_the_import(vocab):
    draft = outline("002_9218f5d0388b8aff.txt", vocab)
    assert any("niveaux" in text for text in draft["a_verifier"])
    near = [e for e in draft["plan"] if "a_verifier" in e and any("proche de" in t for t in e["a_verifier"])]
    assert near, "a heading worded differently from the summary plan is marked"
    text = make_draft((SEEDS / "003_79e3799fe27a74c7.txt").read_text(encoding="utf-8"),
                      SEEDS / "003_79e3799fe27a74c7.txt", ROOT / "x.yaml", "40", (2016, 2018), vocab)
    assert text.count("À VÉRIFIER") >= 5 and "# " in text.splitlines()[0]


# --- 3 and 5. the command, and the round trip: outline -> review -> import -> no violation ------------------

def strip_review(text: str) -> str:
    """What a reviewer does once every point is checked: delete the « a_verifier » and « a_classer » entries."""
    out, skip = [], None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if skip is not None and line.strip() and indent > skip:
            continue
        skip = None
        if re.match(r"\s*(a_verifier|a_classer):", line):
            skip = indent
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def test_outline_then_import_round_trip_validates(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    draft = tmp_path / "drafts" / "landes.yaml"
    seed = SEEDS / "003_79e3799fe27a74c7.txt"
    assert main(["import", "outline", str(seed), "--departement", "40", "--period", "2016-2018",
                 "--out", str(draft)]) == 0
    assert "À VÉRIFIER" in capsys.readouterr().out
    assert main(["import", "scheme", str(draft), "--data", str(data), "--replace"]) == 1  # not reviewed yet
    assert "a_verifier" in capsys.readouterr().err
    draft.write_text(strip_review(draft.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["import", "scheme", str(draft), "--data", str(data), "--replace"]) == 0
    out = capsys.readouterr().out
    assert "0 violation" in out
    assert (data / "schemes" / "40-landes-2016-2018.ttl").read_text(encoding="utf-8").count("a sdsf:Action") == 20


@pytest.mark.parametrize("args,message", [
    (["--departement", "20", "--period", "2020-2024"], "code de département inconnu « 20 »"),
    (["--departement", "26", "--period", "2024"], "période invalide"),
    (["--departement", "26", "--period", "2024-2020"], "période invalide"),
])
def test_outline_refuses_bad_options(tmp_path, capsys, args, message):
    out = tmp_path / "d.yaml"
    assert main(["import", "outline", str(SEEDS / "004_95163d5869a3a958.txt"), *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_outline_never_overwrites_a_draft_and_writes_atomically(tmp_path, capsys, monkeypatch):
    out = tmp_path / "d.yaml"
    out.write_text("relu à la main\n", encoding="utf-8")
    args = ["import", "outline", str(SEEDS / "004_95163d5869a3a958.txt"), "--departement", "26",
            "--period", "2020-2024", "--out", str(out)]
    assert main(args) == 2 and "existe déjà" in capsys.readouterr().err
    monkeypatch.setattr(importer.os, "replace", lambda *_: (_ for _ in ()).throw(OSError("disque plein")))
    with pytest.raises(OSError):
        main([*args, "--force"])
    assert out.read_text(encoding="utf-8") == "relu à la main\n"
    assert [p.name for p in tmp_path.iterdir()] == ["d.yaml"]
    pdf = tmp_path / "schema.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert main(["import", "outline", str(pdf), "--departement", "26", "--period", "2020-2024",
                 "--out", str(tmp_path / "p.yaml")]) == 2
    assert "extrayez-en d'abord le texte" in capsys.readouterr().err


def test_outline_reads_markdown_written_by_staff(tmp_path, vocab):
    text = ("# Schéma départemental des services aux familles du Cantal\n\n## Les signataires\n\n"
            "Le schéma est signé par le Préfet, la Caf du Cantal et le Conseil départemental.\n\n"
            "## Les axes du plan d'action\n\n### Axe 1 : Petite enfance\n\n- Développer l'offre\n"
            "  - Former les professionnels\n\n### Axe 2 : Parentalité\n\n1. Accompagner les parents\n")
    draft = parse_draft(make_draft(text, tmp_path / "cantal.md", tmp_path / "d.yaml", "15", (2024, 2028), vocab),
                        tmp_path / "d.yaml").data
    assert [(e["niveau"], e["notation"], e["libelle"]) for e in draft["plan"]] == \
        [("axe", "Axe 1", "Petite enfance"), ("axe", "Axe 2", "Parentalité")]
    assert draft["plan"][0]["elements"][0]["elements"][0]["libelle"] == "Former les professionnels"
    assert {s["type"] for s in draft["signataires"]} == {"etat", "caf", "conseil-departemental"}
    assert draft["titre"] == "Schéma départemental des services aux familles du Cantal"
