"""What a draft may refer to: themes, institution types, roles, glossary, départements, legal texts.

Read from ``ontology/thesaurus.ttl`` and the reference data, so a draft never needs an IRI: a theme is written
``parentalite`` or ``Parentalité``, an institution type ``caf`` or ``Caisse d'allocations familiales``.
Also the two recognisers the outline uses: themes suggested by the rules of ``data/README.md`` and
institutions named in a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from ..enrich import GlossaryMatcher
from ..namespaces import ELI, IGEO, INST, RDF, RDFS, ROLE, SDSF, SKOS, THEME


def fold1(char: str) -> str:
    """One character, lower case, accent removed, apostrophe unified: positions are kept (len 1)."""
    if char in "’‘":
        return "'"
    base = unicodedata.normalize("NFKD", char)[:1] or char
    low = base.lower()
    return low if len(low) == 1 else base


def fold(text: str) -> str:
    return "".join(fold1(c) for c in text)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).replace("œ", "oe")).strip("-")


#: data/README.md, rule 2: the explicit words that add a theme (matched on folded text, from a word start).
WORD_RULES: tuple[tuple[str, str], ...] = (
    (r"handicap", "handicap"), (r"numerique|medias?\b", "numerique"), (r"acces aux droits", "acces-aux-droits"),
    (r"developpement durable|eco-", "developpement-durable"),
    (r"insertion professionnelle", "insertion-professionnelle"),
    (r"metiers?\b|emploi des professionnels|formation des professionnels|animateurs?\b", "metiers"),
    (r"violences?\b|protection|radicalisation|harcelement|prostitution", "prevention-protection"),
    (r"separation|mediation familiale|espaces?[ -](?:de )?rencontres?|liens familiaux", "mediation-familiale"),
    (r"loisirs?\b|vacances|sejours?\b", "loisirs-vacances"),
    (r"information des familles|communication", "information-des-familles"),
    (r"logement|habitat", "logement"), (r"sante\b", "sante"), (r"benevoles?\b|associations?\b", "vie-associative"),
    (r"egalite des chances|precarite|pauvrete|inegalites?\b", "egalite-des-chances"),
    (r"itineran", "itinerance"),
    (r"coordination|coordonne|pilotage|partenariat|partenaires?\b|reseaux?\b|comites?\b|commissions?\b",
     "partenariat"),
    (r"parents?\b", "parentalite"), (r"jeunes\b(?! enfants)", "jeunesse"),
    (r"creches?\b|accueil du jeune enfant|jeunes enfants|assistant(?:e)?s? maternel(?:le)?s?", "petite-enfance"),
    (r"centres sociaux|espaces? de vie sociale", "animation-vie-sociale"),
)
#: Rule 2 words written as acronyms or a capitalised word: matched as written.
CASED_RULES: tuple[tuple[str, str], ...] = (
    (r"\bNet\b", "numerique"), (r"\bAVIP\b", "insertion-professionnelle"), (r"\bALSH\b", "loisirs-vacances"),
    (r"\bCTG\b", "partenariat"),
)


def _fr(graph: Graph, node: URIRef, prop: URIRef) -> list[str]:
    return [str(o) for o in graph.objects(node, prop) if isinstance(o, Literal) and o.language in ("fr", None)]


@dataclass
class Vocab:
    themes: dict[str, str] = field(default_factory=dict)  # slug -> French label
    institution_types: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    departements: dict[str, str] = field(default_factory=dict)  # INSEE code -> name
    legal_texts: set[str] = field(default_factory=set)
    _names: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> folded label -> slug
    _theme_labels: list[tuple[str, str]] = field(default_factory=list)  # (folded label, slug)
    _inst_patterns: list[tuple[re.Pattern, str, bool]] = field(default_factory=list)  # (pattern, slug, cased)
    _glossary: GlossaryMatcher | None = None
    _entry_themes: dict[URIRef, set[str]] = field(default_factory=dict)

    def lookup(self, kind: str, value: str) -> str | None:
        """The slug of a theme / institution type / role written by its slug or one of its labels."""
        table = {"theme": self.themes, "institution": self.institution_types, "role": self.roles}[kind]
        text = value.strip()
        if text in table:
            return text
        return self._names.get(kind, {}).get(fold(text).strip(" :"))

    def section_themes(self, heading: str) -> set[str]:
        """Rule 1: a heading that *is* a theme's name (« PARENTALITÉ », « Enfance Jeunesse »)."""
        found = self.lookup("theme", re.sub(r"^[#*\s]+|[*:\s]+$", "", heading))
        return {found} if found else set()

    def word_themes(self, label: str) -> dict[str, list[str]]:
        """Rules 2 and 3 and the thesaurus labels: the themes a label's own words add, with the words."""
        folded = fold(label)
        found: dict[str, list[str]] = {}
        spans: list[tuple[int, int, str, str]] = []
        for text, slug in self._theme_labels:
            for m in re.finditer(r"(?<!\w)" + re.escape(text) + r"(?!\w)", folded):
                spans.append((m.start(), m.end(), slug, label[m.start():m.end()]))
        for start, end, slug, words in spans:  # « enfance » inside « petite enfance » does not count
            inside = any(s <= start and end <= e and (e - s) > (end - start) for s, e, _, _ in spans)
            if not (inside and " " not in words):
                found.setdefault(slug, []).append(words)
        for pattern, slug in WORD_RULES:
            for m in re.finditer(r"(?<!\w)(?:" + pattern + ")", folded):
                found.setdefault(slug, []).append(label[m.start():m.end()])
        for pattern, slug in CASED_RULES:
            for m in re.finditer(pattern, label):
                found.setdefault(slug, []).append(m.group(0))
        if self._glossary is not None:
            for entry in self._glossary.matches(label):
                for slug in self._entry_themes.get(entry, ()):
                    found.setdefault(slug, []).append(str(entry).rsplit("/", 1)[1].upper())
        return {slug: sorted(set(words)) for slug, words in found.items() if slug in self.themes}

    def institutions(self, text: str) -> list[tuple[str, str]]:
        """The institutions named in ``text``: (type slug, words as written), longest names first."""
        folded = fold(text)
        hits: list[tuple[int, int, str]] = []
        for pattern, slug, cased in self._inst_patterns:
            for m in pattern.finditer(text if cased else folded):
                if not any(s <= m.start() and m.end() <= e for s, e, _ in hits):
                    hits.append((m.start(), m.end(), slug))
        return [(slug, text[s:e]) for s, e, slug in sorted(hits)]


def _label_variants(graph: Graph, node: URIRef) -> list[str]:
    labels = _fr(graph, node, SKOS.prefLabel) + _fr(graph, node, SKOS.altLabel) + _fr(graph, node, RDFS.label)
    out = []
    for label in labels:
        out.append(label)
        bare = re.sub(r"\s*\(.*\)\s*$", "", label)  # « État (préfecture) » is also « État »
        if bare and bare != label:
            out.append(bare)
    return out


@cache
def _load(project: str, data: str) -> Vocab:
    graph = Graph()
    graph.parse(Path(project) / "ontology" / "thesaurus.ttl", format="turtle")
    for path in sorted((Path(data) / "reference").glob("*.ttl")):
        graph.parse(path, format="turtle")
    vocab = Vocab(_glossary=GlossaryMatcher(graph))
    kinds = (("theme", SDSF.Theme, THEME, vocab.themes), ("institution", SDSF.InstitutionType, INST,
             vocab.institution_types), ("role", URIRef("http://www.w3.org/ns/org#Role"), ROLE, vocab.roles))
    for kind, cls, ns, table in kinds:
        names = vocab._names.setdefault(kind, {})
        for node in sorted(s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef)):
            if not str(node).startswith(str(ns)):
                continue
            slug = str(node)[len(str(ns)):]
            table[slug] = (_fr(graph, node, SKOS.prefLabel) or [slug])[0]
            for label in _label_variants(graph, node):
                names.setdefault(fold(label).strip(), slug)
                if kind == "theme" and len(label) > 3:
                    vocab._theme_labels.append((fold(label), slug))
    acronyms: dict[str, set[str]] = {}
    for entry in (e for e in graph.subjects(RDF.type, SDSF.GlossaryEntry) if isinstance(e, URIRef)):
        related = {str(o) for o in graph.objects(entry, SKOS.related)}
        vocab._entry_themes[entry] = {r[len(str(THEME)):] for r in related if r.startswith(str(THEME))}
        for inst in (r[len(str(INST)):] for r in related if r.startswith(str(INST))):
            for word in _fr(graph, entry, SKOS.altLabel) + [str(n) for n in graph.objects(entry, SKOS.notation)]:
                if " " not in word:
                    acronyms.setdefault(word, set()).add(inst)
    patterns: list[tuple[str, re.Pattern, str, bool]] = []
    for label, slug in vocab._names["institution"].items():
        if len(label) > 3 and label not in ("autre", "justice", "association", "commune"):
            patterns.append((label, re.compile(r"(?<!\w)" + re.escape(label) + r"s?(?!\w)"), slug, False))
    for word, insts in acronyms.items():
        if len(insts) == 1:
            patterns.append((word, re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)"), next(iter(insts)), True))
    vocab._inst_patterns = [(p, slug, cased) for _, p, slug, cased in sorted(patterns, key=lambda t: -len(t[0]))]
    for dep in graph.subjects(RDF.type, IGEO.Departement):
        code = graph.value(dep, IGEO.codeINSEE)
        if code is not None and isinstance(dep, URIRef):
            vocab.departements[str(code)] = (_fr(graph, dep, SKOS.prefLabel) or _fr(graph, dep, RDFS.label))[0]
    vocab.legal_texts = {str(s).rsplit("/", 1)[1] for s in graph.subjects(RDF.type, ELI.LegalResource)}
    return vocab


def load_vocab(project: Path, data: Path) -> Vocab:
    return _load(str(project.resolve()), str(data.resolve()))
