"""Fidelity: every plan line of every seed is held by the graph as a label, verbatim.

The plan lines are extracted from the seed texts in ``../shared/seeds/``: within each seed's plan regions,
every line (or only bullets, for regions whose headings are not plan elements), stripped of layout only
(bullets, numbering, bold legend markers, coloured dots, final list punctuation — but not the period of « etc. »,
which belongs to the abbreviation). A line counts as held when it is, character for character, an ``rdfs:label``,
``skos:prefLabel`` or ``skos:altLabel`` in the data file made from that seed. The few lines deliberately not held
as such are listed below with the reason; so are the lines of a plan region that are not plan levels (held
verbatim as a ``skos:scopeNote`` of their section, and as no plan element's label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDFS, SKOS

from sdsf_graph.namespaces import SDSF

from .conftest import ROOT, SEEDS

MIN_HELD = 0.97


@dataclass(frozen=True)
class Region:
    start: str  # first line of the region starts with this text (the line itself is included)
    end: str | None  # the region stops before the first line starting with this text
    bullets_only: bool = False
    #: with ``bullets_only``: also count the line that heads a list of bullets
    list_headings: bool = False


REGIONS: dict[str, list[Region]] = {
    # Drôme 2020-2024: threads, legend, the plan; then the 2016-2019 results (bullets only: their headings
    # are recorded as sections, not as plan elements).
    "004_95163d5869a3a958.txt": [
        Region("- Égalité des chances et investissement social", "PARENTALITÉ", bullets_only=True),
        Region("PARENTALITÉ", "UN SCHÉMA DRÔMOIS STRUCTURANT"),
        Region("Développement de l'offre", None, bullets_only=True),
    ],
    # Haute-Marne 2020-2026: transversal values, then the 9 orientations and their axes.
    "000_bcc05ade7cf4d4e3.txt": [
        Region("Le développement des services aux familles", "## LA GOUVERNANCE"),
        Region("### Petite enfance", None),
    ],
    # Haut-Rhin 2017-2019: the two orientations and their six axes.
    "001_4704c7a140b1442f.txt": [
        Region("- Orientations stratégiques transversales", "La mise en œuvre est"),
    ],
    # Hauts-de-Seine 2022-2026: the summary plan and the detailed thematic pages (bullets and the headings
    # of bullet lists; page furniture such as "2022" or the theme names of the pages is not a plan line).
    "002_9218f5d0388b8aff.txt": [
        Region("Accès aux services", "La gouvernance", bullets_only=True, list_headings=True),
    ],
    # Landes 2016-2018: five numbered axes and their actions.
    "003_79e3799fe27a74c7.txt": [
        Region("1- Développer une offre globale", "Téléchargez"),
    ],
}

#: Plan lines deliberately not held verbatim, with the reason (each must really be missing).
LEFT_OUT: dict[str, dict[str, str]] = {
    "004_95163d5869a3a958.txt": {
        "Égalité des chances Égalité fille-garçon":
            "one bullet holding two items with different markers (C and P): held as two actions, "
            "« Égalité des chances » and « Égalité fille-garçon »",
    },
}

#: Lines of a plan region that are not plan levels: held verbatim as an skos:scopeNote, never as a label.
NOT_PLAN_LEVELS: dict[str, dict[str, str]] = {
    "004_95163d5869a3a958.txt": {line: "a purpose line (« Pour … ») of the section « DÉVELOPPEMENT D' ACTIONS "
                                 "TRANSVERSALES », printed as a bullet with nothing under it: not an objective"
                                 for line in (
        "Pour contribuer à la veille, l'émergence de nouveaux projets, d'expérimentations",
        "Pour faire le lien avec les autres schémas départementaux (solidarités, insertion, hébergement et logement, "
        "santé...)",
        "et la stratégie nationale de prévention et de lutte contre la pauvreté",
        "Pour renforcer les passerelles prévention - protection",
    )},
}

BULLET = re.compile(r"^\s*(?:[-•✓]\s*)+")


def normalise(line: str) -> str:
    text = line.strip()
    text = re.sub(r"^\*\*Axe \d+\*\*\s*:\s*", "", text)
    text = BULLET.sub("", text)
    text = re.sub(r"^#+\s*", "", text)
    text = re.sub(r"^\d+-\s*", "", text)
    text = re.sub(r"\*\*[A-Z](?: [A-Z])*\*\*", "", text)
    text = text.replace("●", "")
    text = re.sub(r"\s+", " ", text).strip()
    if re.search(r"\betc\.$", text):  # the period of the abbreviation, not list punctuation
        return text
    return re.sub(r"(?<!\.)\s*[,;:.]$", "", text).strip()


def is_placeholder(text: str) -> bool:
    return not text.strip(". ")


def plan_lines(seed: str) -> list[str]:
    lines = (SEEDS / seed).read_text(encoding="utf-8").splitlines()
    found: list[str] = []
    for region in REGIONS[seed]:
        starts = [i for i, line in enumerate(lines) if line.strip().startswith(region.start)]
        assert starts, f"{seed}: region start {region.start!r} not found"
        index = starts[0]
        while index < len(lines):
            raw = lines[index]
            if region.end and index > starts[0] and raw.strip().startswith(region.end):
                break
            index += 1
            if not raw.strip():
                continue
            if region.bullets_only and not BULLET.match(raw) and not (
                    region.list_headings and _heads_a_list(lines, index)):
                continue
            text = normalise(raw)
            if text and not is_placeholder(text):
                found.append(text)
    return found


def _heads_a_list(lines: list[str], after: int) -> bool:
    """True if the next non-blank line after ``after`` is a bullet (the line heads a list)."""
    for line in lines[after:]:
        if line.strip():
            return bool(BULLET.match(line))
    return False


def data_file_for(seed: str) -> Graph:
    for path in sorted((ROOT / "data" / "schemes").glob("*.ttl")):
        graph = Graph().parse(path)
        if any(str(name) == seed for name in graph.objects(None, SDSF.fileName)):
            return graph
    raise AssertionError(f"no data file is made from the seed {seed}")


def labels(graph: Graph, props=(RDFS.label, SKOS.prefLabel, SKOS.altLabel)) -> set[str]:
    held = set()
    for prop in props:
        for value in graph.objects(None, prop):
            if isinstance(value, Literal):
                held.add(re.sub(r"\s+", " ", str(value)).strip())
    return held


@pytest.mark.parametrize("seed", sorted(REGIONS))
def test_every_plan_line_is_held(seed):
    lines = plan_lines(seed)
    assert len(lines) >= 5, f"{seed}: extraction found too few plan lines"
    graph = data_file_for(seed)
    held = labels(graph)
    left_out = LEFT_OUT.get(seed, {})
    not_plan = NOT_PLAN_LEVELS.get(seed, {})
    assert set(not_plan) <= set(lines), f"{seed}: a NOT_PLAN_LEVELS line is not in the plan regions"
    assert not set(not_plan) & held, f"{seed}: a line that is not a plan level is held as a label"
    notes = labels(graph, (SKOS.scopeNote,))
    assert set(not_plan) <= notes, f"{seed}: a line that is not a plan level is not held as a scope note"
    lines = [line for line in lines if line not in not_plan]
    missing = [line for line in lines if line not in held]
    unexplained = [line for line in missing if line not in left_out]
    assert not unexplained, f"{seed}: plan lines not held:\n" + "\n".join(unexplained)
    assert set(left_out) <= set(missing), f"{seed}: a LEFT_OUT line is held after all: update the list"
    assert 1 - len(missing) / len(lines) >= MIN_HELD


def test_normalise_strips_layout_only():
    assert normalise("- Égalité des chances **C** Égalité fille-garçon **P**") == \
        "Égalité des chances Égalité fille-garçon"
    assert normalise("- Prise en compte du développement durable ● à tous les niveaux") == \
        "Prise en compte du développement durable à tous les niveaux"
    assert normalise("**Axe 2** : Favoriser l'accès à la santé") == "Favoriser l'accès à la santé"
    assert normalise("  • 3- Améliorer le maillage départemental en matière de soutien aux parents :") == \
        "Améliorer le maillage départemental en matière de soutien aux parents"
    assert normalise("- + 373 places en crèches") == "+ 373 places en crèches"
    assert normalise("- Dynamique du Reap : formations, soirées ciné-débat...") == \
        "Dynamique du Reap : formations, soirées ciné-débat..."
    assert is_placeholder(normalise("- ✓ ..."))
    assert normalise("- ✓ Rendez-vous des droits dans les FJT, équipements d'animation de la vie sociale, etc.") == \
        "Rendez-vous des droits dans les FJT, équipements d'animation de la vie sociale, etc."
    assert normalise("- Piloter et évaluer les politiques ;") == "Piloter et évaluer les politiques"
