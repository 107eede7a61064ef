"""What a draft may refer to: themes, institution types, roles, glossary, départements, legal texts.

Read from ``ontology/thesaurus.ttl`` and the reference data, so a draft never needs an IRI: a theme is written
``parentalite`` or ``Parentalité``, an institution type ``caf`` or ``Caisse d'allocations familiales``.
Also the two recognisers the outline uses: the themes of the rule of data/README.md (``sdsf_graph.themes``,
the same code the tests check the data with) and institutions named in a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from ..namespaces import ELI, IGEO, INST, RDF, RDFS, ROLE, SDSF, SKOS, THEME
from ..themes import ThemeRule, fold, fold1, load_rule

__all__ = ["Vocab", "fold", "fold1", "load_vocab", "slugify"]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).replace("œ", "oe")).strip("-")


def _fr(graph: Graph, node: URIRef, prop: URIRef) -> list[str]:
    return [str(o) for o in graph.objects(node, prop) if isinstance(o, Literal) and o.language in ("fr", None)]


@dataclass
class Vocab:
    themes: dict[str, str] = field(default_factory=dict)  # slug -> French label
    institution_types: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    departements: dict[str, str] = field(default_factory=dict)  # INSEE code -> name
    legal_texts: set[str] = field(default_factory=set)
    rule: ThemeRule = field(default_factory=ThemeRule)  # the theme rule of data/README.md
    _names: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> folded label -> slug
    _inst_patterns: list[tuple[re.Pattern, str, bool]] = field(default_factory=list)  # (pattern, slug, cased)

    def lookup(self, kind: str, value: str) -> str | None:
        """The slug of a theme / institution type / role written by its slug or one of its labels."""
        table = {"theme": self.themes, "institution": self.institution_types, "role": self.roles}[kind]
        text = value.strip()
        if text in table:
            return text
        return self._names.get(kind, {}).get(fold(text).strip(" :"))

    def section_themes(self, heading: str) -> set[str]:
        """Rule 1: a heading that *is* a theme's name (« PARENTALITÉ », « Enfance Jeunesse »)."""
        return set(self.rule.section(heading))

    def word_themes(self, label: str) -> dict[str, list[str]]:
        """Rules 2 and 3: the themes a label's own words give, with the words."""
        return self.rule.words(label)

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
    vocab = Vocab(rule=load_rule(Path(project)))
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
    acronyms: dict[str, set[str]] = {}
    for entry in (e for e in graph.subjects(RDF.type, SDSF.GlossaryEntry) if isinstance(e, URIRef)):
        related = {str(o) for o in graph.objects(entry, SKOS.related)}
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
