"""Themes follow one written rule (data/README.md, « Themes »), the same in every file.

Each scheme file is parsed on its own; the rule (``sdsf_graph.themes``, the code the importer uses) recomputes
every plan element's themes from its verbatim label, the headings it appears under and its parent, and the
themes the file states must be exactly those.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from sdsf_graph.authoring.vocab import load_vocab
from sdsf_graph.enrich import plan_elements
from sdsf_graph.themes import ThemeRule, differences, label_of, load_rule

from .conftest import ROOT

SCHEMES = sorted((ROOT / "data" / "schemes").glob("*.ttl"))


@pytest.fixture(scope="module")
def rule() -> ThemeRule:
    return load_rule(ROOT)


@pytest.mark.parametrize("path", SCHEMES, ids=[p.name for p in SCHEMES])
def test_every_plan_element_has_the_themes_the_rule_gives(path: Path, rule: ThemeRule):
    graph = Graph().parse(path)
    assert plan_elements(graph)
    found = differences(graph, rule)
    lines = [f"{str(e).split('/id/')[1]} « {label_of(graph, e)} »: the rule gives {', '.join(given)}; the file "
             f"states {', '.join(stated) or '—'}" for e, given, stated in found]
    assert not found, f"{len(found)} plan elements differ from the rule in {path.name}:\n" + "\n".join(lines)


def test_the_importer_uses_the_same_rule(rule: ThemeRule):
    assert load_vocab(ROOT, ROOT / "data").rule is rule


def test_the_rule_reads_words_not_associations(rule: ThemeRule):
    # rule 3 applies to services and facilities, not to the scheme, its global agreements or institutions
    assert rule.words("déployer le SDSF sur les territoires") == {}
    assert set(rule.words("Appel à projet «commun CAF / CD / CNAV /CPAM")) == set()
    assert set(rule.words("Expérimentations dans le cadre des CTG")) == {"partenariat"}  # rule 2, « CTG »
    assert set(rule.words("Rendez-vous des droits dans les FJT, MECS")) == {"jeunesse", "logement",
                                                                           "prevention-protection"}
    # the same words give the same theme in every file
    assert set(rule.words("Accès aux services")) == set(rule.words("Veiller à l’accès aux services des familles"))
    # a phrase inside a longer phrase of another theme does not count
    assert set(rule.words("Améliorer l'attractivité des métiers de la petite enfance")) == {"metiers"}
    assert set(rule.words("dans le champ de l'enfance et la jeunesse")) == {"enfance-jeunesse"}


def test_what_children_take(rule: ThemeRule):
    section = rule.element("DÉVELOPPEMENT D' ACTIONS TRANSVERSALES")
    assert section.themes == ["partenariat"] and section.default
    objective = rule.element("Favoriser l'inclusion des personnes en situation de handicap à tout âge", section)
    assert objective.themes == ["handicap"]  # the default of rule 4 is not passed on
    assert rule.element("Droit au répit", objective).themes == ["handicap"]
    assert rule.element("Formation des professionnels", objective).themes == ["handicap", "metiers"]
    # a label joining two topics with « et »: a child with words of its own keeps only the parent's base
    action = rule.element("Renforcer le maillage territorial en matière d'offre d'accueil du jeune enfant et le "
                          "soutien aux acteurs associatifs", None, ["Petite enfance"])
    assert action.joins and action.themes == ["petite-enfance", "vie-associative"]
    assert rule.element("Régulation de l'installation des micro-crèches", action).themes == ["petite-enfance"]
    assert rule.element("Appel à projet", action).themes == ["petite-enfance", "vie-associative"]
    # a thematic section of the source replaces what is above it
    axis = rule.element("Accès aux services")
    assert axis.themes == ["acces-aux-droits"]
    assert rule.element("Déployer le pacte de coopération", axis, ["Animation de la vie sociale"]).themes == \
        ["animation-vie-sociale"]
