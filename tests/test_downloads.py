"""/downloads (in process): the whole graph as N-Quads (the artifact's file), Turtle and JSON-LD (the union, made
once per data version), the VoID/DCAT description, and its link from the SPARQL service description."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD

from web import downloads

from .test_endpoint import BROWSER

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DATASET = URIRef("http://localhost/downloads/void.ttl#dataset")
FILES = {"sdsf.ttl": "text/turtle", "sdsf.nq": "application/n-quads", "sdsf.jsonld": "application/ld+json"}


@pytest.fixture(scope="module")
def union_triples(built_settings) -> set:
    dataset = Dataset()
    dataset.parse(built_settings.build_path / "sdsf.nq", format="nquads")
    return {(s, p, o) for s, p, o, _ in dataset.quads() if not isinstance(s, BNode) and not isinstance(o, BNode)}


def without_bnodes(graph: Graph) -> set:
    return {(s, p, o) for s, p, o in graph if not isinstance(s, BNode) and not isinstance(o, BNode)}


def test_the_page_lists_the_files(client):
    response = client.get("/downloads", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    assert '<html lang="fr">' in html and html.count("<h1>") == 1 and "<caption>" in html
    for name, media_type in FILES.items():
        assert f'href="/downloads/{name}" type="{media_type}" download' in html
    assert 'href="/downloads/void.ttl"' in html and 'href="/sparql"' in html
    listing = client.get("/downloads?format=json").get_json()
    assert {f["name"]: f["media_type"] for f in listing["files"]} == FILES
    for f in listing["files"]:
        assert f"<td class=\"num\">{f['bytes']}</td>" in html


def test_nquads_is_the_artifacts_file(client, built_settings):
    response = client.get("/downloads/sdsf.nq")
    assert response.status_code == 200 and response.mimetype == "application/n-quads"
    assert response.data == (built_settings.build_path / "sdsf.nq").read_bytes()
    assert 'filename="sdsf.nq"' in response.headers["Content-Disposition"]


def test_turtle_and_json_ld_hold_the_union_of_the_graphs(client, union_triples, built_settings):
    quads = ox.parse(path=str(built_settings.build_path / "sdsf.nq"), format=ox.RdfFormat.N_QUADS)
    distinct = len({(q.subject, q.predicate, q.object) for q in quads})
    turtle = client.get("/downloads/sdsf.ttl")
    assert turtle.mimetype == "text/turtle" and turtle.text.startswith("@prefix")
    as_turtle = Graph().parse(data=turtle.text, format="turtle")
    jsonld = client.get("/downloads/sdsf.jsonld")
    assert jsonld.mimetype == "application/ld+json"
    as_jsonld = Graph().parse(data=jsonld.data, format="json-ld")
    assert len(as_turtle) == len(as_jsonld) == distinct
    assert without_bnodes(as_turtle) == without_bnodes(as_jsonld) == union_triples


def test_they_are_made_once_per_data_version(app, client, monkeypatch):
    client.get("/downloads/sdsf.ttl")
    made = app.extensions[downloads.KEY]
    calls = []
    monkeypatch.setattr(downloads.ox, "serialize", lambda *a, **k: calls.append(a) or b"")
    for path in ("/downloads/sdsf.ttl", "/downloads/sdsf.jsonld", "/downloads/void.ttl", "/downloads"):
        assert client.get(path).status_code == 200
    assert calls == [] and app.extensions[downloads.KEY] is made
    assert made.version == app.extensions["sdsf_artifact"].version


def test_void_and_dcat_describe_the_dataset_and_each_file(client, built_settings):
    manifest = json.loads((built_settings.build_path / "manifest.json").read_text())
    response = client.get("/downloads/void.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    void = Graph().parse(data=response.text, format="turtle")
    assert (DATASET, RDF.type, VOID.Dataset) in void and (DATASET, RDF.type, DCAT.Dataset) in void
    assert void.value(DATASET, DCTERMS.title) and void.value(DATASET, DCTERMS.description)
    assert void.value(DATASET, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")
    assert str(void.value(DATASET, URIRef(str(DCAT) + "version"))) == manifest["version"]
    ttl = client.get("/downloads/sdsf.ttl")
    assert void.value(DATASET, VOID.triples) == Literal(len(Graph().parse(data=ttl.text, format="turtle")),
                                                         datatype=XSD.integer)
    files = {str(d).rsplit("/", 1)[1]: d for d in void.objects(DATASET, VOID.dataDump)}
    assert set(files) == set(FILES)
    for name, distribution in files.items():
        assert (DATASET, DCAT.distribution, distribution) in void
        assert str(void.value(distribution, DCAT.mediaType)).endswith("/" + FILES[name])
        assert int(void.value(distribution, DCAT.byteSize)) == len(client.get(f"/downloads/{name}").data)
        assert void.value(distribution, DCAT.downloadURL) == distribution


def test_the_service_description_names_the_same_dataset(client):
    description = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).text, format="turtle")
    service = description.value(None, SD.endpoint, URIRef("http://localhost/sparql"))
    assert description.value(service, SD.defaultDataset) == DATASET
    assert (DATASET, RDF.type, VOID.Dataset) in description and (DATASET, RDF.type, SD.Dataset) in description
    assert len(list(description.objects(DATASET, SD.namedGraph))) >= 3  # the graphs are still listed


def test_downloads_are_cacheable_and_unknown_files_404(client):
    first = client.get("/downloads/sdsf.ttl")
    again = client.get("/downloads/sdsf.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    missing = client.get("/downloads/secret.txt")
    assert missing.status_code == 404 and "sdsf.ttl" in missing.text
