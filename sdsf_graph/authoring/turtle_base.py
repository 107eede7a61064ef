"""What the Turtle writers share: the stable prefix set, the IRI namespaces and the writer's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS

from ..namespaces import DEFAULT_BASE, SDSF
from .values import blank, org_id, period, texts
from .vocab import Vocab, slugify
from .yamlsrc import Draft, Path_

ID = DEFAULT_BASE + "id/"
PREFIXES = {
    "rdfs": str(RDFS), "xsd": str(XSD), "skos": str(SKOS), "dcterms": str(DCTERMS), "org": str(ORG),
    "sdsf": str(SDSF), "dep": ID + "departement/", "theme": ID + "theme/", "inst": ID + "institution-type/",
    "role": ID + "role/", "legal": ID + "legal-text/", "scheme": ID + "scheme/", "doc": ID + "document/",
    "orga": ID + "organisation/", "thread": ID + "thread/", "marker": ID + "marker/", "body": ID + "governance-body/",
    "membership": ID + "membership/", "commplan": ID + "communication-plan/", "orientation": ID + "orientation/",
    "axis": ID + "axis/", "objective": ID + "objective/", "action": ID + "action/", "subaction": ID + "subaction/",
    "assessment": ID + "assessment/", "result": ID + "result/", "indicator": ID + "indicator/",
    "observation": ID + "observation/",
}
NS = {name: Namespace(iri) for name, iri in PREFIXES.items()}
FRENCH_LANGUAGE = URIRef("http://id.loc.gov/vocabulary/iso639-1/fr")
SHORT_NAMES = {"etat": "État", "conseil-departemental": "Conseil départemental", "caf": "Caf", "msa": "MSA",
               "udaf": "Udaf", "education-nationale": "Éducation nationale"}


def fr(text: Any) -> Literal:
    return Literal(str(text).strip(), lang="fr")


def org_iri(code: str, org: dict, vocab: Vocab) -> URIRef:
    return NS["orga"][f"{code}-{org_id(org, vocab)}"]


@dataclass
class Generated:
    text: str
    scheme: URIRef
    locations: dict[str, Path_] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class Writer:
    def __init__(self, draft: Draft, vocab: Vocab, reused: set[URIRef]):
        self.draft, self.vocab, self.reused = draft, vocab, reused
        data = draft.data
        self.code = str(data["departement"]).strip()
        self.start, self.end = period(data["periode"]) or (0, 0)
        self.key = f"{self.code}-{self.start}-{self.end}"
        self.dep_name = vocab.departements[self.code]
        self.blocks: list[tuple[str | None, Graph]] = []
        self.locations: dict[str, Path_] = {}
        self.counts: dict[str, int] = {}

    def block(self, subject: URIRef, path: Path_, heading: str | None = None) -> Graph:
        graph = Graph()
        self.blocks.append((heading, graph))
        self.locations[str(subject)] = path
        return graph

    def scheme_part(self, g: Graph, scheme: URIRef, link: URIRef, s: URIRef, path: Path_, heading: str | None,
                    cls: URIRef, label: Any) -> Graph:
        """The block of ``s``, a part of ``scheme`` linked from it (in ``g``) by ``link``, typed and labelled."""
        g.add((scheme, link, s))
        block = self.block(s, path, heading)
        block.add((s, RDF.type, cls))
        block.add((s, RDFS.label, fr(label)))
        return block

    def add_text(self, g: Graph, s: URIRef, prop: URIRef, block: dict, key: str) -> None:
        """``block[key]``, where filled in, as the French value of ``prop``."""
        if not blank(block.get(key)):
            g.add((s, prop, fr(block[key])))

    def add_texts(self, g: Graph, s: URIRef, prop: URIRef, block: dict, key: str) -> None:
        """Each text of ``block[key]`` (one or a list) as a French value of ``prop``."""
        for text in texts(block.get(key)):
            g.add((s, prop, fr(text)))

    def notes(self, g: Graph, s: URIRef, block: dict) -> None:
        self.add_texts(g, s, SKOS.note, block, "notes")
        self.add_texts(g, s, SKOS.editorialNote, block, "remarques")

    def theme(self, value: str) -> URIRef:
        return NS["theme"][self.vocab.lookup("theme", value) or slugify(value)]


