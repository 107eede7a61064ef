"""The authoring format (1), its template and its documentation (4): one spec, kept in step with what staff read."""

from __future__ import annotations

from pathlib import Path

from sdsf_graph.authoring.check import check_draft
from sdsf_graph.authoring.cli import template_text
from sdsf_graph.authoring.spec import FIELDS
from sdsf_graph.authoring.vocab import load_vocab
from sdsf_graph.authoring.yamlsrc import parse_draft
from sdsf_graph.cli import main

from .conftest import ROOT

DOCS = ROOT / "docs"


def kinds_in(value, kind: str, found: dict[str, set[str]]) -> None:
    """Collect, for each block kind of the spec, the fields the template writes."""
    if not isinstance(value, dict):
        return
    found.setdefault(kind, set()).update(value)
    for key, item in value.items():
        field_kind = FIELDS[kind].get(key, ("", False))[0]
        sub = field_kind.split(":", 1)[1] if ":" in field_kind else None
        if sub and field_kind.startswith("map:"):
            kinds_in(item, sub, found)
        elif sub:
            for entry in item or []:
                kinds_in(entry, sub, found)


def test_the_template_shows_every_field_of_the_format_and_no_other():
    template = parse_draft(template_text(), Path("brouillon-schema.yaml")).data
    found: dict[str, set[str]] = {}
    kinds_in(template, "draft", found)
    for kind, spec in FIELDS.items():
        assert found.get(kind) == set(spec), f"{kind}: template {sorted(found.get(kind, []))} != spec {sorted(spec)}"


def test_the_empty_template_only_asks_for_values():
    draft = parse_draft(template_text(), Path("brouillon-schema.yaml"))
    problems = check_draft(draft, load_vocab(ROOT, ROOT / "data"))
    assert problems
    allowed = ("champ obligatoire manquant", "bloc vide", "section de la source manquante", "à classer")
    assert all(any(word in p.message for word in allowed) for p in problems), [p.message for p in problems]
    assert problems[0].line == next(i for i, line in enumerate(template_text().splitlines(), 1)
                                    if line.startswith("departement:"))


def test_sdsf_import_template_prints_it(capsys, tmp_path):
    assert main(["import", "template"]) == 0
    assert capsys.readouterr().out == template_text()
    out = tmp_path / "b.yaml"
    assert main(["import", "template", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == template_text()
    assert main(["import", "template", "--out", str(out)]) == 2  # never overwrites a draft


def test_the_format_choice_is_explained():
    text = (DOCS / "format-brouillon.md").read_text(encoding="utf-8")
    assert "Why YAML, and not a spreadsheet" in text
    for word in ("spreadsheet", "verbatim", "git", "a_verifier", "sdsf import outline"):
        assert word in text, word
    for kind, spec in FIELDS.items():
        if kind not in ("draft", "a_classer"):
            assert all(f"`{key}`" in text for key in spec if key not in ("notes", "remarques", "a_verifier")
                       and spec[key][1]), kind


def test_the_french_guide_walks_from_the_pdf_to_the_commit():
    text = (DOCS / "ajouter-un-schema.md").read_text(encoding="utf-8")
    steps = [line for line in text.splitlines() if line.startswith("## Étape")]
    expected = ["Extraire le texte du PDF", "sdsf import outline", "Relire le brouillon",
                "Compléter signataires, partenaires et gouvernance", "sdsf import scheme", "Valider et enregistrer"]
    assert len(steps) == len(expected) and all(word in step for word, step in zip(expected, steps, strict=True))
    for section in ("### Lire le rapport", "## Remplacer un schéma", "--replace", "sdsf validate", "git commit",
                    "pdftotext"):
        assert section in text, section
    for word in ("Verbatim", "Rien d'inventé", "a_verifier", "chevauchement", "data/README.md"):
        assert word in text, word
    assert "README" in (ROOT / "README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ajouter-un-schema.md" in readme and "sdsf import scheme" in readme
