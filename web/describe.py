"""The concise description of one resource: its outgoing triples, its incoming links, the labels of both ends.

Read with the named query ``resource-description`` (through the query pool); the same description gives the
HTML page and the Turtle / JSON-LD / N-Triples twins.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Identifier

from sdsf_graph.textnorm import fold

from . import named

LABEL_PREFERENCE = (RDFS.label, SKOS.prefLabel, DCTERMS.title)


def best_label(labels: dict[URIRef, list[Literal]], lang: str = "fr") -> str | None:
    """The French label (rdfs:label, skos:prefLabel, then dcterms:title), then one without language, then any."""
    for wanted in (lang, None, "en"):
        for predicate in LABEL_PREFERENCE:
            for literal in labels.get(predicate, ()):
                if literal.language == wanted:
                    return str(literal)
    for predicate in LABEL_PREFERENCE:
        if labels.get(predicate):
            return str(labels[predicate][0])
    notations = labels.get(SKOS.notation)
    return str(notations[0]) if notations else None


@dataclass(frozen=True)
class Value:
    term: Identifier
    label: str  # the French label of a linked resource, or the text of a literal

    @property
    def is_resource(self) -> bool:
        return isinstance(self.term, URIRef)

    @property
    def lang(self) -> str | None:
        return self.term.language if isinstance(self.term, Literal) else None


@dataclass
class Description:
    iri: URIRef
    outgoing: dict[URIRef, list[Value]] = field(default_factory=dict)
    incoming: dict[URIRef, list[Value]] = field(default_factory=dict)
    labels: dict[Identifier, dict[URIRef, list[Literal]]] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return bool(self.outgoing)

    def values(self, predicate: URIRef) -> list[Value]:
        return self.outgoing.get(predicate, [])

    def first(self, predicate: URIRef) -> Value | None:
        found = self.values(predicate)
        return found[0] if found else None

    def literals(self, predicate: URIRef, lang: str | None = "fr", only: bool = False) -> list[str]:
        """Literal values, those in ``lang`` (or without language) first; ``only`` those."""
        found = [v for v in self.values(predicate) if not v.is_resource and (not only or v.lang in (lang, None))]
        return [v.label for v in sorted(found, key=lambda v: (v.lang not in (lang, None), v.lang or ""))]

    def referrers(self, predicate: URIRef) -> list[Value]:
        return self.incoming.get(predicate, [])

    @property
    def types(self) -> list[URIRef]:
        return [v.term for v in self.values(RDF.type) if isinstance(v.term, URIRef)]

    @property
    def label(self) -> str:
        own = {p: [v.term for v in self.values(p) if isinstance(v.term, Literal)]
               for p in (*LABEL_PREFERENCE, SKOS.notation)}
        return best_label(own) or str(self.iri).rstrip("/").rsplit("/", 1)[-1]

    def graph(self) -> Graph:
        """Outgoing triples, incoming links, and the labels of the linked resources."""
        graph = Graph()
        for predicate, values in self.outgoing.items():
            for value in values:
                graph.add((self.iri, predicate, value.term))
        for predicate, values in self.incoming.items():
            for value in values:
                graph.add((value.term, predicate, self.iri))
        for term, labels in self.labels.items():
            for predicate, literals in labels.items():
                for literal in literals:
                    graph.add((term, predicate, literal))
        return graph


def describe(iri: str) -> Description:
    rows = named.rows("resource-description", resource=iri)
    labels: dict[Identifier, dict[URIRef, list[Literal]]] = defaultdict(lambda: defaultdict(list))
    links: dict[str, dict[URIRef, list[Identifier]]] = {"out": defaultdict(list), "in": defaultdict(list)}
    for row in rows:
        value, predicate = row["value"], row["property"]
        side = links[str(row["direction"])]
        if value not in side[predicate]:  # type: ignore[index]
            side[predicate].append(value)  # type: ignore[index]
        if "label" in row and isinstance(row["label"], Literal) and not isinstance(value, Literal):
            found = labels[value][row["labelProperty"]]  # type: ignore[index]
            if row["label"] not in found:
                found.append(row["label"])
    description = Description(URIRef(iri), labels={k: dict(v) for k, v in labels.items()})

    def as_values(side: dict[URIRef, list[Identifier]]) -> dict[URIRef, list[Value]]:
        out = {}
        for predicate, terms in side.items():
            values = [Value(t, best_label(labels.get(t, {})) or str(t)) for t in terms]
            out[predicate] = sorted(values, key=lambda v: (v.is_resource, v.lang not in ("fr", None), fold(v.label),
                                                           str(v.term)))
        return out

    description.outgoing, description.incoming = as_values(links["out"]), as_values(links["in"])
    return description
