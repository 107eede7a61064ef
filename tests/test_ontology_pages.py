"""/ontology (documentation generated from the ontology, with its diagram), /def, and the thesaurus browser."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from web import create_app

from .conftest import ROOT
from .test_browse import BROWSER, parse_html

SDSF = "https://w3id.org/sdsf/def#"
ONTOLOGY = ROOT / "ontology" / "sdsf.ttl"


@pytest.fixture(scope="module")
def client(built_settings):
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0})
    yield app.test_client()
    app.extensions["sdsf_pool"].close()


@pytest.fixture(scope="module")
def page(client):
    response = client.get("/ontology", headers={"Accept": BROWSER})
    assert response.status_code == 200
    return parse_html(response.get_data(as_text=True))


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def test_every_class_and_property_has_its_anchor(page, ontology):
    anchors = {node.attrs["id"] for node in page.all("section", class_="term")}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in ontology.subjects(RDF.type, kind):
            if isinstance(term, URIRef) and str(term).startswith(SDSF):
                assert str(term)[len(SDSF):] in anchors, term
    assert {"Scheme", "PlanElement", "parent", "sourceSection", "igeo-Departement", "org-Organization"} <= anchors


def test_classes_show_labels_in_both_languages_comments_and_superclasses(page):
    scheme = page.one("section", id="Scheme").text()
    assert "Schéma départemental des services aux familles" in scheme
    assert "Departmental family services scheme" in scheme
    assert "Plan pluriannuel signé dans un département" in scheme and "Multi-year plan" in scheme
    action = page.one("section", id="Action")
    assert action.one("dd").text() == SDSF + "Action"
    assert "Élément du plan" in action.text() and action.one("a", href="/ontology#PlanElement")


def test_properties_show_domain_and_range_with_union_domains(page):
    departement = page.one("section", id="departement").text()
    assert "Schéma départemental des services aux familles ou Organisation" in departement
    assert "propriété d'objet" in departement and "Département" in departement
    order = page.one("section", id="order").text()
    assert "Élément du plan ou Fil conducteur transversal ou Marqueur ou Résultat" in order
    assert "xsd:integer" in order and "propriété de donnée" in order


def test_diagram_is_drawn_on_the_server(page):
    svg = page.one("figure", class_="diagram").one("svg")
    boxes = {a.attrs["href"]: a.text() for a in svg.all("a")}
    assert boxes["/ontology#Scheme"].startswith("Schéma départemental") and len(boxes) >= 15
    assert boxes["/ontology#PlanElement"] == "Élément du plan sdsf:PlanElement"
    edges = [text.text() for text in svg.all("text") if text.all("tspan")]
    assert {"élément parent", "dans le schéma", "thème", "sous-classe de"} & set(edges) == {
        "dans le schéma", "thème", "sous-classe de"}
    assert len(svg.all("line")) >= 20
    assert "schéma précédent / schéma suivant" in page.one("figure", class_="diagram").one("figcaption").text()


def test_ttl_twin_is_the_ontology_file(client, page):
    response = client.get("/ontology.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert response.get_data(as_text=True) == ONTOLOGY.read_text(encoding="utf-8")
    assert page.one("link", rel="alternate").attrs["href"] == "/ontology.ttl"


def test_vocabulary_iri_dereferences(client, ontology):
    redirected = client.get("/def", headers={"Accept": BROWSER})
    assert redirected.status_code == 303 and redirected.headers["Location"].endswith("/ontology")
    turtle = client.get("/def", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert Graph().parse(data=turtle.get_data(as_text=True), format="turtle").isomorphic(ontology)
    assert client.get("/def", headers={"Accept": "image/png"}).status_code == 406


@pytest.fixture(scope="module")
def thesaurus(client):
    response = client.get("/ontology/thesaurus", headers={"Accept": BROWSER})
    assert response.status_code == 200
    return parse_html(response.get_data(as_text=True))


def test_thesaurus_lists_its_concept_schemes(thesaurus):
    schemes = [s.one("h2").text() for s in thesaurus.all("section", class_="concept-scheme")]
    assert len(schemes) == 4 and schemes[0].startswith("Thématiques")
    ids = [s.attrs["id"] for s in thesaurus.all("section", class_="concept-scheme")]
    assert ids == ["thesaurus-themes", "thesaurus-institution-types", "thesaurus-glossary", "thesaurus-roles"]


def test_concepts_with_labels_definitions_and_links(thesaurus):
    parenting = thesaurus.one("tr", id="theme-parentalite")
    assert parenting.one("a").attrs["href"] == "/id/theme/parentalite"
    assert "Parenting support" in parenting.text() and "soutiennent les parents" in parenting.text()
    assert parenting.one("a", href="#theme-mediation-familiale").text() == "Médiation familiale"
    ram = thesaurus.one("tr", id="acronym-ram")
    assert ram.one("code").text() == "RAM" and "relais assistants maternels" in ram.text()
    replaced = [p for p in ram.all("p", class_="concept-links") if "remplacé par" in p.text()]
    assert replaced and replaced[0].one("a").attrs["href"] == "#acronym-rpe"
    assert "RPE — relais petite enfance" in replaced[0].text()
    rpe = thesaurus.one("tr", id="acronym-rpe")
    assert any("remplace" in p.text() and "RAM" in p.text() for p in rpe.all("p", class_="concept-links"))
    assert thesaurus.one("tr", id="role-president").one("a").attrs["href"] == "/id/role/president"


def test_thesaurus_ttl_twin(client):
    response = client.get("/ontology/thesaurus.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert (URIRef("https://w3id.org/sdsf/id/acronym/ram"), RDFS.label, None) in graph
