"""No dangling IRIs; every plan element traced to its scheme, source document and section."""

from __future__ import annotations

import hashlib

from rdflib import Literal, URIRef

from sdsf_graph.enrich import plan_elements
from sdsf_graph.namespaces import DEFAULT_BASE, EXTERNAL_NAMESPACES, OWL, PROV, RDF, SDSF

from .conftest import SEEDS


def is_external(iri: str) -> bool:
    return iri.startswith(EXTERNAL_NAMESPACES)


def test_no_dangling_iris(union):
    defined = {s for s in union.subjects(RDF.type, None)}
    problems = []
    for s, p, o in union:
        if p == OWL.versionIRI:
            continue
        for term in (s, o):
            if isinstance(term, URIRef) and not is_external(str(term)) and term not in defined:
                problems.append(f"{term} (used with {p}) is not defined")
        if not is_external(str(p)) and (p, RDF.type, None) not in union:
            problems.append(f"predicate {p} is not declared in the ontology")
    assert not problems, "\n".join(sorted(set(problems))[:30])


def test_only_allowed_external_namespaces(union):
    for s, p, o in union:
        for term in (s, p, o):
            if isinstance(term, URIRef):
                assert str(term).startswith(DEFAULT_BASE) or is_external(str(term)), term


def test_every_plan_element_is_traced(union):
    elements = plan_elements(union)
    assert len(elements) > 50
    for element in elements:
        scheme = union.value(element, SDSF.inScheme)
        assert (scheme, RDF.type, SDSF.Scheme) in union, f"{element} is attached to no scheme"
        document = union.value(element, PROV.wasDerivedFrom)
        assert (document, RDF.type, SDSF.SourceDocument) in union, f"{element} has no source document"
        assert isinstance(union.value(element, SDSF.sourceSection), Literal), f"{element} has no section"
        assert union.value(element, SDSF.order) is not None, f"{element} has no order"


def test_every_action_has_a_theme(union):
    for action in union.subjects(RDF.type, SDSF.Action):
        assert union.value(action, SDSF.theme) is not None, f"{action} has no theme"


def test_source_documents_match_the_seed_files(union):
    documents = set(union.subjects(RDF.type, SDSF.SourceDocument))
    assert documents
    for document in documents:
        name = str(union.value(document, SDSF.fileName))
        path = SEEDS / name
        assert path.is_file(), f"{document}: {name} is not in ../shared/seeds"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert str(union.value(document, SDSF.sha256)) == digest, f"{document}: the seed file has changed"


def test_every_scheme_has_a_source_document_and_a_departement(union):
    for scheme in union.subjects(RDF.type, SDSF.Scheme):
        assert union.value(scheme, SDSF.sourceDocument) is not None, scheme
        assert union.value(scheme, SDSF.departement) is not None, scheme
        assert int(union.value(scheme, SDSF.startYear)) <= int(union.value(scheme, SDSF.endYear))


def test_sameas_only_points_outside(union):
    for _s, o in union.subject_objects(OWL.sameAs):
        assert is_external(str(o)), o
