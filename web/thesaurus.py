"""The SKOS thesaurus as the pages read it: concept schemes (themes, institution types, glossary of acronyms,
roles) and their concepts with labels, definitions and links (broader, narrower, related, replaced by…).

Read once per process from the store (the named graph of ``ontology/thesaurus.ttl``, through the query pool).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import DCTERMS, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.term import Node

from sdsf_graph.textnorm import fold

from . import named
from .links import href, local_parts

KEY = "sdsf_thesaurus"
SCHEME_ORDER = ("themes", "institution-types", "glossary", "roles")
LINKS = (("broader", SKOS.broader, "générique"), ("narrower", SKOS.narrower, "spécifique"),
         ("related", SKOS.related, "associé"), ("replaced_by", DCTERMS.isReplacedBy, "remplacé par"),
         ("replaces", DCTERMS.replaces, "remplace"))


@dataclass(frozen=True)
class ConceptRef:
    iri: str
    label: str
    anchor: str


@dataclass
class Concept:
    ref: ConceptRef
    href: str | None
    notation: str
    labels: dict[str, str]
    alt_labels: list[str]
    definition: str
    notes: list[str]
    links: dict[str, list[ConceptRef]] = field(default_factory=dict)


@dataclass
class ConceptScheme:
    ref: ConceptRef
    href: str | None
    description: str
    concepts: list[Concept]


def anchor(iri: str) -> str:
    parts = local_parts(iri)
    return f"{parts[0]}-{parts[1]}" if parts else iri.rsplit("/", 1)[-1]


class Thesaurus:
    def __init__(self, graph: Graph):
        self.graph = graph

    def _text(self, term: Node, predicate: URIRef, lang: str = "fr") -> str:
        found = [o for o in self.graph.objects(term, predicate) if isinstance(o, Literal)]
        for literal in found:
            if literal.language == lang:
                return str(literal)
        return str(found[0]) if found and lang == "fr" and not found[0].language else ""

    def ref(self, term: Node) -> ConceptRef:
        notation = self._text(term, SKOS.notation)
        label = self._text(term, SKOS.prefLabel) or str(term)
        shown = f"{notation} — {label}" if notation and notation.upper() != label.upper() and \
            (term, RDF.type, URIRef(named.base_iri() + "def#GlossaryEntry")) in self.graph else label
        return ConceptRef(str(term), shown, anchor(str(term)))

    def concept(self, term: Node) -> Concept:
        concept = Concept(
            self.ref(term), href(term), self._text(term, SKOS.notation),
            {lang: self._text(term, SKOS.prefLabel, lang) for lang in ("fr", "en") if
             self._text(term, SKOS.prefLabel, lang)},
            sorted(str(a) for a in self.graph.objects(term, SKOS.altLabel)),
            self._text(term, SKOS.definition),
            [n for n in (self._text(term, SKOS.historyNote), self._text(term, SKOS.scopeNote)) if n])
        for name, predicate, _ in LINKS:
            targets = [t for t in self.graph.objects(term, predicate) if isinstance(t, URIRef)]
            concept.links[name] = sorted((self.ref(t) for t in targets), key=lambda r: fold(r.label))
        return concept

    def schemes(self) -> list[ConceptScheme]:
        found = []
        for scheme in self.graph.subjects(RDF.type, SKOS.ConceptScheme):
            members = set(self.graph.subjects(SKOS.inScheme, scheme)) | set(self.graph.objects(scheme,
                                                                                             SKOS.hasTopConcept))
            concepts = sorted((self.concept(c) for c in members),
                              key=lambda c: (fold(c.notation), fold(c.ref.label)))
            found.append(ConceptScheme(self.ref(scheme), href(scheme),
                                       self._text(scheme, DCTERMS.description), concepts))
        slug = {s.ref.iri: s.ref.iri.rsplit("/", 1)[-1] for s in found}
        return sorted(found, key=lambda s: (SCHEME_ORDER.index(slug[s.ref.iri]) if slug[s.ref.iri] in SCHEME_ORDER
                                            else len(SCHEME_ORDER), slug[s.ref.iri]))

    def themes(self) -> list[ConceptRef]:
        themes = self.graph.subjects(RDF.type, URIRef(named.base_iri() + "def#Theme"))
        return sorted((self.ref(t) for t in themes), key=lambda r: fold(r.label))


def current() -> Thesaurus:
    """The thesaurus of this application, read from the store on first use."""
    return named.loaded_once(KEY, lambda: Thesaurus(named.source_graph("ontology/thesaurus")))
