"""The SKOS thesaurus: themes, institution types, roles and the glossary of acronyms."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from sdsf_graph.namespaces import ACRONYM, INST, RDF, RDFS, SDSF, SKOS, THEME

from .conftest import ROOT


@pytest.fixture(scope="module")
def thesaurus() -> Graph:
    return Graph().parse(ROOT / "ontology" / "thesaurus.ttl")


def test_every_concept_is_labelled_in_french_and_english(thesaurus):
    concepts = set(thesaurus.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 100
    for c in concepts:
        assert {lbl.language for lbl in thesaurus.objects(c, SKOS.prefLabel)} >= {"fr", "en"}, c
        assert {lbl.language for lbl in thesaurus.objects(c, RDFS.label)} >= {"fr", "en"}, c
        assert thesaurus.value(c, SKOS.inScheme) is not None, c


def test_themes_of_the_field(thesaurus):
    themes = set(thesaurus.subjects(RDF.type, SDSF.Theme))
    for slug in ("petite-enfance", "enfance", "jeunesse", "parentalite", "animation-vie-sociale",
                 "acces-aux-droits", "handicap", "logement", "sante", "numerique", "itinerance"):
        assert THEME[slug] in themes, slug
        assert {d.language for d in thesaurus.objects(THEME[slug], SKOS.definition)} >= {"fr", "en"}


def test_institution_types_include_local_caf_equivalents(thesaurus):
    types = set(thesaurus.subjects(RDF.type, SDSF.InstitutionType))
    for slug in ("etat", "conseil-departemental", "caf", "ccss", "cssm", "msa", "udaf",
                 "education-nationale", "justice", "association-maires"):
        assert INST[slug] in types, slug


def test_glossary_has_at_least_50_acronyms_with_expansions(thesaurus):
    entries = set(thesaurus.subjects(RDF.type, SDSF.GlossaryEntry))
    assert len(entries) >= 50
    notations = {str(thesaurus.value(e, SKOS.notation)) for e in entries}
    for acronym in ("EAJE", "LAEP", "RAM", "RPE", "MAM", "ALSH", "AVS", "CSC", "EVS", "CTG", "CEJ", "REAAP",
                    "CLAS", "AVIP", "PSU", "PEDT", "FJT", "MECS", "CDSF", "CAF", "CNAF", "MSA", "UDAF", "DSDEN",
                    "SDJES", "DRIEETS", "PMI", "MDPH", "ARS", "PJJ", "CCAS", "CPAM"):
        assert acronym in notations, acronym


def test_ram_is_replaced_by_rpe(thesaurus):
    assert (ACRONYM.ram, DCTERMS.isReplacedBy, ACRONYM.rpe) in thesaurus
    assert str(thesaurus.value(ACRONYM.rpe, SKOS.prefLabel)).lower().startswith("relais petite enfance")
    ram_labels = {str(x).lower() for x in thesaurus.objects(ACRONYM.ram, SKOS.prefLabel)}
    assert "relais assistants maternels" in ram_labels


def test_concept_schemes(thesaurus):
    schemes = set(thesaurus.subjects(RDF.type, SKOS.ConceptScheme))
    base = "https://w3id.org/sdsf/id/thesaurus/"
    assert {URIRef(base + n) for n in ("themes", "institution-types", "glossary", "roles")} <= schemes
