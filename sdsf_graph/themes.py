"""The theme rule (data/README.md, « Themes »): every plan element's themes, computed from its own words.

One rule, in one place. ``sdsf import outline`` writes the themes it gives into a draft (with the reason for
each), ``sdsf import scheme`` refuses a draft whose themes differ from it, and ``tests/test_themes.py``
recomputes every plan element of ``data/schemes/`` and expects no difference.

An element's themes are its **base** (rule 1: the thematic section it is detailed in; otherwise what it takes
from its parent) plus the themes its **own words** give (rule 2: the words of ``WORD_RULES`` and
``CASED_RULES`` and the labels of the themes in the thesaurus; rule 3: the glossary's acronyms); when that is
nothing, ``partenariat`` (rule 4), which is not passed on. A child takes all its parent's themes, except a
child whose own words give a theme under a parent whose label joins two topics with « et »: it takes only
the parent's base. The inputs are the verbatim label, the headings it appears under that are not plan
elements (``sdsf:thematicSection``; ``sdsf:sourceSection`` when it is not the parent's label) and the parent.
It reads only the thesaurus and imports only ``enrich`` and ``namespaces`` (stage 2); ``authoring`` and the
tests import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from .enrich import GlossaryMatcher, plan_elements
from .namespaces import RDF, RDFS, SDSF, SKOS, THEME

#: The theme of rule 4 (nothing recognised), never passed on to children.
DEFAULT = "partenariat"

#: Rule 2: the explicit words that add a theme, matched on the folded label (lower case, no accents) from the
#: start of a word. Each line of data/README.md « Themes » is one entry here.
WORD_RULES: tuple[tuple[str, str], ...] = (
    (r"handicap", "handicap"),
    (r"numerique|medias?\b", "numerique"),
    (r"acces aux droits|acces aux services", "acces-aux-droits"),
    (r"developpement durable|eco-", "developpement-durable"),
    (r"insertion professionnelle", "insertion-professionnelle"),
    (r"metiers?\b|emploi des professionnels|formations? (?:a destination )?des professionnels|"
     r"former (?:et accompagner )?les professionnels|animateurs?\b", "metiers"),
    (r"violences?\b|protection|radicalisation|harcelement|prostitution", "prevention-protection"),
    # « séparation » of parents, not the child's first separation in childcare (« séparation mère-enfant »)
    (r"separation(?! mere-enfant)|mediation familiale|espaces?[ -](?:de )?rencontres?|liens familiaux",
     "mediation-familiale"),
    (r"loisirs?\b|vacances|sejours?\b", "loisirs-vacances"),
    # « communication », unless addressed to someone other than the families (« à destination des élus »)
    (r"information des familles|informations?\b|informer\b|faire connaitre|"
     r"communication\b(?! a destination des (?!familles))", "information-des-familles"),
    (r"logement|habitat", "logement"),
    (r"sante\b", "sante"),
    (r"benevol|associations\b|associati(?:f|ve)s?\b", "vie-associative"),
    (r"egalite des chances|precarite|pauvrete|inegalites?\b", "egalite-des-chances"),
    (r"itineran", "itinerance"),
    (r"coordination|coordonne|pilotage|piloter|partenariat|partenaria(?:l|le|les|ux)\b|partenaires?\b|"
     r"reseaux?\b|comites?\b|commissions?\b|en lien avec|faire le lien|conventions? territoriales? globales?",
     "partenariat"),
    (r"parents?\b", "parentalite"),
    # « jeunes » the noun, not the adjective (« jeunes enfants », « jeunes parents ») nor children of primary
    # school age (« jeunes de 6 à 11 ans »)
    (r"jeunes\b(?! enfants\b| parents\b| de \d+ a (?:\d|1[01]) ans\b)", "jeunesse"),
    (r"creches?\b|garderies?\b|accueil du jeune enfant|jeunes enfants|assistant(?:e)?s? maternel(?:le)?s?",
     "petite-enfance"),
    (r"centres sociaux|espaces? de vie sociale", "animation-vie-sociale"),
    (r"en dehors de l'ecole|extra-?scolaire|periscolaire", "enfance"),
    (r"enfance et (?:la |de la )?jeunesse|enfance[- ]jeunesse", "enfance-jeunesse"),
)
#: Rule 2 words written as acronyms or a capitalised word: matched as written.
CASED_RULES: tuple[tuple[str, str], ...] = (
    (r"\bNet\b", "numerique"), (r"\bAVIP\b", "insertion-professionnelle"), (r"\bALSH\b", "loisirs-vacances"),
    (r"\bCTG\b", "partenariat"),
)
#: Rule 3 does not apply to the scheme itself and to the agreements that span every field: they say in which
#: frame a line acts, not what it is about (« CTG » still gives ``partenariat`` by rule 2).
FRAMEWORK_ENTRIES = frozenset({"sdsf", "ctg", "cej"})


def fold1(char: str) -> str:
    """One character, lower case, accent removed, apostrophe unified: positions are kept (len 1)."""
    if char in "’‘":
        return "'"
    base = unicodedata.normalize("NFKD", char)[:1] or char
    low = base.lower()
    return low if len(low) == 1 else base


def fold(text: str) -> str:
    return "".join(fold1(c) for c in text)


def _slug(node: object) -> str:
    return str(node)[len(str(THEME)):]


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    theme: str
    words: str


@dataclass
class Themes:
    """The rule's answer for one element: its themes (in order) and why."""

    themes: list[str]
    reasons: dict[str, str]  # theme -> « section « … » », « hérité », « mots « … » », « règle 4 … »
    base: list[str]  # rule 1 or inherited
    own: dict[str, list[str]]  # rules 2 and 3: theme -> the words, as written
    joins: bool = False  # the label joins two topics with « et »
    default: bool = False  # rule 4

    @property
    def passed(self) -> list[str]:
        """What a child takes: every theme, but the default of rule 4."""
        return [] if self.default else self.themes


@dataclass
class ThemeRule:
    labels: list[tuple[str, str]] = field(default_factory=list)  # (folded label, theme), longest first
    names: dict[str, str] = field(default_factory=dict)  # folded label -> theme (rule 1)
    acronyms: dict[str, list[str]] = field(default_factory=dict)  # ACRONYM -> themes (rule 3)

    @classmethod
    def from_graph(cls, graph: Graph) -> ThemeRule:
        """The rule for the thesaurus held in ``graph`` (themes, institution types, glossary)."""
        rule = cls()
        nodes = (s for s in graph.subjects(RDF.type, SDSF.Theme) if isinstance(s, URIRef))
        for theme in sorted(t for t in nodes if str(t).startswith(str(THEME))):
            for prop in (SKOS.prefLabel, SKOS.altLabel, RDFS.label):
                for label in graph.objects(theme, prop):
                    if isinstance(label, Literal) and label.language in ("fr", None):
                        rule.names.setdefault(fold(str(label)).strip(), _slug(theme))
                        if len(str(label)) > 3:
                            rule.labels.append((fold(str(label)), _slug(theme)))
        rule.labels = sorted(set(rule.labels), key=lambda t: (-len(t[0]), t))
        institutions = {str(label).upper() for kind in graph.subjects(RDF.type, SDSF.InstitutionType)
                        for prop in (SKOS.prefLabel, SKOS.altLabel) for label in graph.objects(kind, prop)}
        matcher = GlossaryMatcher(graph)
        for acronym, entries in sorted(matcher.acronyms.items()):
            themes: set[str] = set()
            for entry in entries:
                keys = {str(n).upper() for n in graph.objects(entry, SKOS.notation)}
                if str(entry).rsplit("/", 1)[1] in FRAMEWORK_ENTRIES or keys & institutions:
                    continue  # an institution (Caf, CPAM…) or the frame (SDSF, CTG…): who acts, not what about
                themes |= {_slug(o) for o in graph.objects(entry, SKOS.related) if str(o).startswith(str(THEME))}
            if themes:
                rule.acronyms[acronym] = sorted(themes)
        return rule

    # --- rules 1 to 3 ----------------------------------------------------------------------------------------

    def section(self, heading: str) -> list[str]:
        """Rule 1: the theme of a heading that *is* a theme's name (« PARENTALITÉ », « Enfance et Jeunesse »)."""
        found = self.names.get(fold(re.sub(r"^[#*\s]+|[*:\s]+$", "", heading)).strip())
        return [found] if found else []

    def matches(self, label: str) -> list[Match]:
        """Rules 2 and 3: every match in ``label``, in reading order; a phrase inside a longer phrase of another
        theme does not count (« petite enfance » in « métiers de la petite enfance »)."""
        folded = fold(label)
        spans: list[Match] = []
        for text, theme in self.labels:
            spans += [Match(m.start(), m.end(), theme, label[m.start():m.end()])
                      for m in re.finditer(r"(?<!\w)" + re.escape(text) + r"(?!\w)", folded)]
        for pattern, theme in WORD_RULES:
            spans += [Match(m.start(), m.end(), theme, label[m.start():m.end()])
                      for m in re.finditer(r"(?<!\w)(?:" + pattern + ")", folded)]
        for pattern, theme in CASED_RULES:
            spans += [Match(m.start(), m.end(), theme, m.group(0)) for m in re.finditer(pattern, label)]
        for m in re.finditer(r"[\w-]+", label):  # an acronym as written: capitals or capitalised (« Avip »)
            if not m.group(0).islower():
                spans += [Match(m.start(), m.end(), theme, m.group(0))
                          for theme in self.acronyms.get(m.group(0).upper(), ())]
        kept = [s for s in spans if not any(o.theme != s.theme and o.start <= s.start and s.end <= o.end
                                            and o.end - o.start > s.end - s.start for o in spans)]
        return sorted(kept, key=lambda s: (s.start, -s.end, s.theme))

    def words(self, label: str) -> dict[str, list[str]]:
        """The themes ``label``'s own words give, in reading order, each with the words as written."""
        found: dict[str, list[str]] = {}
        for m in self.matches(label):
            if m.words not in found.setdefault(m.theme, []):
                found[m.theme].append(m.words)
        return found

    def joins(self, label: str) -> bool:
        """Whether ``label`` joins two topics with « et »: the parts it separates (an « et » inside a matched
        phrase does not separate) each give a theme the other does not."""
        matches = self.matches(label)
        cuts = [m.start() for m in re.finditer(r"(?<!\w)et(?!\w)", fold(label))
                if not any(s.start < m.start() < s.end for s in matches)]
        bounds = [0, *cuts, len(label) + 1]
        parts = [{s.theme for s in matches if bounds[i] <= s.start < bounds[i + 1]} for i in range(len(bounds) - 1)]
        parts = [p for p in parts if p]
        return any(a - b and b - a for a in parts for b in parts)

    # --- one element, a plan ---------------------------------------------------------------------------------

    def element(self, label: str, parent: Themes | None = None, sections: Iterable[str] = ()) -> Themes:
        """The themes of the element labelled ``label`` under ``parent`` (the rule's answer for its parent, or
        None at the top level), ``sections`` being the headings it appears under that are not plan elements."""
        own = self.words(label)
        reasons: dict[str, str] = {}
        for heading in sections:
            for theme in self.section(heading):
                reasons.setdefault(theme, f"section « {heading.strip()} »")
        if not reasons and parent is not None:  # rule 1 replaces what is above; otherwise inherit
            taken = parent.base if own and parent.joins else parent.passed
            reasons = {theme: "hérité" for theme in taken}
        base = list(reasons)
        for theme, words in own.items():
            reasons.setdefault(theme, "mots « " + " », « ".join(words[:3]) + " »")
        default = not reasons
        if default:
            reasons[DEFAULT] = "règle 4, aucun thème reconnu"
        return Themes(list(reasons), reasons, base, own, self.joins(label), default)

    def plan(self, graph: Graph) -> dict[URIRef, Themes]:
        """The rule's answer for every plan element of ``graph``, from its label, sections and parent."""
        answers: dict[URIRef, Themes] = {}

        def answer(node: URIRef, seen: tuple[URIRef, ...] = ()) -> Themes:
            if node not in answers:
                parent = graph.value(node, SDSF.parent)
                above = answer(parent, (*seen, node)) if isinstance(parent, URIRef) and parent not in seen else None
                parent_labels = {str(o) for o in graph.objects(parent, RDFS.label)} if parent is not None else set()
                sections = sorted(str(o) for o in graph.objects(node, SDSF.thematicSection))
                sections += sorted(str(o) for o in graph.objects(node, SDSF.sourceSection)
                                   if str(o) not in parent_labels)
                answers[node] = self.element(label_of(graph, node), above, sections)
            return answers[node]

        for element in sorted(plan_elements(graph)):
            answer(element)
        return answers


def label_of(graph: Graph, node: URIRef) -> str:
    """The element's French label (the verbatim line), or any label."""
    labels = [o for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)]
    french = [str(o) for o in labels if o.language == "fr"]
    return (french or [str(o) for o in labels] or [""])[0]


def differences(graph: Graph, rule: ThemeRule) -> list[tuple[URIRef, list[str], list[str]]]:
    """(element, themes the rule gives, themes the data states) for every plan element where they differ."""
    out = []
    for element, answer in sorted(rule.plan(graph).items()):
        stated = sorted(_slug(o) for o in graph.objects(element, SDSF.theme))
        if sorted(answer.themes) != stated:
            out.append((element, sorted(answer.themes), stated))
    return out


@cache
def _load(thesaurus: str) -> ThemeRule:
    return ThemeRule.from_graph(Graph().parse(thesaurus, format="turtle"))


def load_rule(project: Path) -> ThemeRule:
    """The rule for ``project``'s thesaurus (``ontology/thesaurus.ttl``), read once."""
    return _load(str((project / "ontology" / "thesaurus.ttl").resolve()))
