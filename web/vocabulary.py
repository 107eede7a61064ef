"""The ontology as the pages read it: labels of classes and properties, and its documentation.

The ontology's triples are read once per process from the store (the named graph of ``ontology/sdsf.ttl``,
through the query pool), so they follow the ``base_iri`` setting. Reused terms the ontology does not declare
(``rdfs:label``, ``skos:*``, ``dcterms:*``…) get their French label from the table below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from sdsf_graph.namespaces import DEFAULT_BASE, PREFIXES

from . import named
from .links import href, term_fragment

KEY = "sdsf_vocabulary"

_EXTERNAL = {
    "rdf:type": "type", "rdfs:label": "libellé", "rdfs:comment": "commentaire", "rdfs:seeAlso": "voir aussi",
    "rdfs:subClassOf": "sous-classe de", "rdfs:isDefinedBy": "défini par",
    "skos:prefLabel": "libellé préféré", "skos:altLabel": "autre libellé", "skos:notation": "notation",
    "skos:definition": "définition", "skos:editorialNote": "note éditoriale", "skos:scopeNote": "note d'application",
    "skos:historyNote": "note historique", "skos:note": "note", "skos:broader": "concept générique",
    "skos:narrower": "concept spécifique", "skos:related": "concept associé", "skos:inScheme": "schéma de concepts",
    "skos:topConceptOf": "concept de tête de", "skos:hasTopConcept": "concept de tête",
    "skos:Concept": "Concept", "skos:ConceptScheme": "Schéma de concepts",
    "dcterms:title": "titre", "dcterms:description": "description", "dcterms:isReplacedBy": "remplacé par",
    "dcterms:replaces": "remplace", "dcterms:format": "format", "dcterms:language": "langue",
    "dcterms:source": "source", "dcterms:license": "licence", "dcterms:created": "date de création",
    "prov:wasDerivedFrom": "dérivé de", "prov:Entity": "Entité", "prov:wasRevisionOf": "révision de",
    "owl:sameAs": "même ressource que", "owl:Class": "Classe", "foaf:Document": "Document",
    "org:member": "membre", "org:organization": "instance", "org:role": "rôle",
    "eli:title": "titre", "eli:date_document": "date du document", "eli:id_local": "identifiant local",
    "eli:based_on": "fondé sur", "eli:changes": "modifie", "eli:date_publication": "date de publication",
    "dcterms:identifier": "identifiant",
}


@dataclass(frozen=True)
class Ref:
    iri: str
    label: str
    qname: str
    href: str | None


@dataclass
class TermDoc:
    ref: Ref
    anchor: str
    kind: str  # "classe", "propriété d'objet", "propriété de donnée"
    labels: dict[str, str] = field(default_factory=dict)  # lang → label
    comments: dict[str, str] = field(default_factory=dict)
    parents: list[Ref] = field(default_factory=list)  # superclasses or superproperties
    domain: list[Ref] = field(default_factory=list)  # alternatives of a union domain ("A ou B")
    range: list[Ref] = field(default_factory=list)


class Vocabulary:
    def __init__(self, graph: Graph, base: str):
        self.graph, self.base = graph, base
        self.prefixes = {p: (base + ns.removeprefix(DEFAULT_BASE) if ns.startswith(DEFAULT_BASE) else ns)
                         for p, ns in PREFIXES.items()}

    def qname(self, term: Node) -> str:
        text = str(term)
        for prefix, namespace in sorted(self.prefixes.items(), key=lambda item: -len(item[1])):
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return text

    def _literal(self, term: Node, predicate: URIRef, lang: str) -> str | None:
        found = [o for o in self.graph.objects(term, predicate) if isinstance(o, Literal)]
        for literal in found:
            if literal.language == lang:
                return str(literal)
        return None

    def label(self, term: Node, lang: str = "fr") -> str:
        own = self._literal(term, RDFS.label, lang) or (self._literal(term, RDFS.label, "fr") if lang != "fr" else None)
        if own:
            return own
        qname = self.qname(term)
        return _EXTERNAL.get(qname, qname) if lang == "fr" else qname

    def documented(self, term: Node) -> bool:
        return isinstance(term, URIRef) and (term, RDF.type, None) in self.graph

    def anchor(self, term: Node) -> str:
        fragment = term_fragment(str(term))
        return fragment if fragment else self.qname(term).replace(":", "-")

    def term_href(self, term: Node) -> str | None:
        """The ontology page's anchor for a term it documents, else where the IRI itself leads."""
        if self.documented(term):
            return url_for("ontology.page") + "#" + self.anchor(term)
        return href(term)

    def ref(self, term: Node) -> Ref:
        return Ref(str(term), self.label(term), self.qname(term), self.term_href(term))

    def _alternatives(self, node: Node) -> list[Ref]:
        union = self.graph.value(node, OWL.unionOf)
        if isinstance(node, BNode) and union is not None:
            return [self.ref(member) for member in Collection(self.graph, union)]
        return [self.ref(node)]

    def _doc(self, term: URIRef, kind: str, parent: URIRef) -> TermDoc:
        doc = TermDoc(self.ref(term), self.anchor(term), kind)
        for predicate, target in ((RDFS.label, doc.labels), (RDFS.comment, doc.comments)):
            for literal in self.graph.objects(term, predicate):
                if isinstance(literal, Literal):
                    target.setdefault(literal.language or "", str(literal))
        doc.parents = sorted((self.ref(p) for p in self.graph.objects(term, parent) if isinstance(p, URIRef)),
                             key=lambda r: r.qname)
        for node in self.graph.objects(term, RDFS.domain):
            doc.domain += self._alternatives(node)
        for node in self.graph.objects(term, RDFS.range):
            doc.range += self._alternatives(node)
        return doc

    def classes(self) -> list[TermDoc]:
        found = [c for c in set(self.graph.subjects(RDF.type, OWL.Class)) if isinstance(c, URIRef)]
        return sorted((self._doc(c, "classe", RDFS.subClassOf) for c in found), key=lambda d: d.ref.qname)

    def properties(self) -> list[TermDoc]:
        docs = []
        for kind, cls in (("propriété d'objet", OWL.ObjectProperty), ("propriété de donnée", OWL.DatatypeProperty)):
            docs += [self._doc(p, kind, RDFS.subPropertyOf) for p in set(self.graph.subjects(RDF.type, cls))
                     if isinstance(p, URIRef)]
        return sorted(docs, key=lambda d: d.ref.qname)

    def ontology(self) -> dict[str, str]:
        iri = URIRef(self.base + "def")
        values = {str(p): str(o) for p, o in self.graph.predicate_objects(iri)
                  if not isinstance(o, Literal) or o.language in (None, "fr")}
        return {"iri": str(iri), **values}


def current() -> Vocabulary:
    """The vocabulary of this application, read from the store on first use."""
    return named.loaded_once(KEY, lambda: Vocabulary(named.source_graph("ontology/sdsf"), named.base_iri()))
