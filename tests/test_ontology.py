"""The ontology parses, and every term is labelled in French and English, commented, and typed."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from sdsf_graph.namespaces import OWL, RDF, RDFS, SDSF

from .conftest import ROOT

ONTOLOGY = ROOT / "ontology" / "sdsf.ttl"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


def own_terms(g: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {s for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(str(SDSF))}


def test_header(ontology):
    header = URIRef("https://w3id.org/sdsf/def")
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(header, OWL.versionIRI) is not None
    assert ontology.value(header, URIRef("http://purl.org/dc/terms/license")) is not None
    langs = {d.language for d in ontology.objects(header, URIRef("http://purl.org/dc/terms/description"))}
    assert {"fr", "en"} <= langs


def test_the_model_covers_the_field(ontology):
    terms = own_terms(ontology)
    for name in ("Scheme", "SourceDocument", "PlanElement", "Axis", "Objective", "Action", "SubAction",
                 "Marker", "TransversalThread", "Theme", "InstitutionType", "GlossaryEntry", "GovernanceBody",
                 "FamilyServicesCommittee", "Indicator", "Observation", "Result", "Assessment",
                 "signatory", "partner", "legalBasis", "predecessor", "successor", "coversField", "startYear",
                 "endYear", "signatureDate", "parent", "order", "theme", "marker", "colouredDotCount",
                 "sourceSection", "chair", "memberCount", "meetingFrequency"):
        assert SDSF[name] in terms, name


def test_every_term_has_french_and_english_labels_and_a_comment(ontology):
    terms = own_terms(ontology) | {s for s in ontology.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)}
    assert len(terms) > 60
    for term in terms:
        labels = {lbl.language for lbl in ontology.objects(term, RDFS.label)}
        comments = {c.language for c in ontology.objects(term, RDFS.comment)}
        assert {"fr", "en"} <= labels, f"{term} lacks a French or English label"
        assert {"fr", "en"} <= comments, f"{term} lacks a French or English comment"


def test_every_property_has_a_range(ontology):
    props = [t for t in own_terms(ontology) if (t, RDF.type, OWL.Class) not in ontology]
    for prop in props:
        assert ontology.value(prop, RDFS.range) is not None, f"{prop} has no rdfs:range"


def test_classes_reuse_the_standards(ontology):
    assert (SDSF.GovernanceBody, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Organization")) in ontology
    assert (SDSF.Theme, RDFS.subClassOf, URIRef("http://www.w3.org/2004/02/skos/core#Concept")) in ontology
    assert (SDSF.Scheme, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in ontology


def test_every_property_has_a_domain(ontology):
    props = [t for t in own_terms(ontology) if (t, RDF.type, OWL.Class) not in ontology]
    for prop in props:
        assert ontology.value(prop, RDFS.domain) is not None, f"{prop} has no rdfs:domain"


def test_readme_documents_every_term(ontology):
    readme = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8")
    for term in own_terms(ontology):
        assert f"`sdsf:{str(term).split('#')[1]}`" in readme, f"{term} is missing from ontology/README.md"
