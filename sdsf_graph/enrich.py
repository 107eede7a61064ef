"""Stage 2 — derived statements, computed from the sources and kept in their own named graph.

* ``sdsf:inScheme`` on every plan element, following ``sdsf:parent`` up to a top-level element;
* ``prov:wasDerivedFrom`` from every plan element to its scheme's source document;
* ``sdsf:mentions`` from a plan element to the glossary entries whose acronym or expansion its label uses;
* counts per scheme and per scheme and theme (:mod:`sdsf_graph.tally`).
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import Graph, Literal, URIRef

from .namespaces import PROV, RDF, RDFS, SDSF, SKOS
from .tally import tally

PLAN_CLASSES = (SDSF.Orientation, SDSF.Axis, SDSF.Objective, SDSF.Action, SDSF.SubAction, SDSF.PlanElement)


def fold(text: str) -> str:
    """Lower case without accents, apostrophes unified: the key used to compare French labels."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def plan_elements(graph: Graph) -> set[URIRef]:
    found: set[URIRef] = set()
    for cls in PLAN_CLASSES:
        found.update(s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef))
    return found


def scheme_of(graph: Graph, element: URIRef) -> URIRef | None:
    seen: set[URIRef] = set()
    node: URIRef | None = element
    while node is not None and node not in seen:
        seen.add(node)
        scheme = graph.value(node, SDSF.inScheme)
        if isinstance(scheme, URIRef):
            return scheme
        parent = graph.value(node, SDSF.parent)
        node = parent if isinstance(parent, URIRef) else None
    return None


class GlossaryMatcher:
    """Finds the glossary entries an element's label uses: an acronym as a word, or its expansion."""

    def __init__(self, graph: Graph):
        self.acronyms: dict[str, set[URIRef]] = {}
        self.expansions: list[tuple[str, URIRef]] = []
        for entry in graph.subjects(RDF.type, SDSF.GlossaryEntry):
            if not isinstance(entry, URIRef):
                continue
            for notation in graph.objects(entry, SKOS.notation):
                self.acronyms.setdefault(str(notation).upper(), set()).add(entry)
            for label in graph.objects(entry, SKOS.altLabel):
                text = str(label)
                if " " not in text and len(text) >= 2 and text[:1].isupper():
                    self.acronyms.setdefault(text.upper(), set()).add(entry)
                elif " " in text:
                    self.expansions.append((fold(text), entry))
            for label in graph.objects(entry, SKOS.prefLabel):
                if getattr(label, "language", None) == "fr" and " " in str(label):
                    self.expansions.append((fold(str(label)), entry))
        self._patterns = [(expansion, re.compile(r"(?<!\w)" + re.escape(expansion) + r"(?!\w)"), entry)
                          for expansion, entry in self.expansions]

    def matches(self, label: str) -> set[URIRef]:
        found: set[URIRef] = set()
        for word in re.findall(r"[\w-]+", label):
            # An acronym counts when written in capitals or capitalised (« Ram », « Reap »), never when
            # written as an ordinary lower-case word.
            if word.islower():
                continue
            found.update(self.acronyms.get(word.upper(), ()))
        folded = fold(label)
        for expansion, pattern, entry in self._patterns:
            # The plain substring test is a cheap filter: only a label that contains the expansion can match
            # it as whole words.
            if expansion in folded and pattern.search(folded):
                found.add(entry)
        return found


def derive(graph: Graph) -> Graph:
    """The derived statements for ``graph`` (the union of every source graph)."""
    derived = Graph()
    matcher = GlossaryMatcher(graph)
    mentioned: dict[str, set[URIRef]] = {}  # labels recur across schemes: match each text once
    in_scheme: dict[URIRef, URIRef] = {}
    for element in plan_elements(graph):
        scheme = scheme_of(graph, element)
        if scheme is not None:
            in_scheme[element] = scheme
            derived.add((element, SDSF.inScheme, scheme))
            for document in graph.objects(scheme, SDSF.sourceDocument):
                derived.add((element, PROV.wasDerivedFrom, document))
        for label in graph.objects(element, RDFS.label):
            if isinstance(label, Literal):
                text = str(label)
                if text not in mentioned:
                    mentioned[text] = matcher.matches(text)
                for entry in mentioned[text]:
                    derived.add((element, SDSF.mentions, entry))
    tally(graph, in_scheme, derived)
    return derived
