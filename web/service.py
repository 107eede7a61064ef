"""The SPARQL 1.1 Service Description of the endpoint (what a GET without a query returns to RDF clients).

Its URLs (``sd:endpoint``, the VoID dataset) are on the ``public_url`` setting; without it, on the request's
root, and the answer is then cached privately (web/public.py).
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD
from werkzeug.routing import BuildError

from sdsf_graph.settings import Settings

from .artifact import Artifact
from .negotiation import GRAPH, TABULAR
from .public import absolute, rebased

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")


def _void_dataset() -> URIRef | BNode:
    try:
        return URIRef(absolute("downloads.void") + "#dataset")
    except BuildError:
        return BNode()


def describe(endpoint: str, artifact: Artifact, settings: Settings) -> Graph:
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    service = BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(rebased(endpoint))))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for fmt in TABULAR + GRAPH:
        graph.add((service, SD.resultFormat, URIRef(fmt.iri)))
    graph.add((service, DCTERMS.title, Literal("SDSF Graph — SPARQL endpoint", lang="en")))
    graph.add((service, RDFS.comment, Literal(
        "Read-only SPARQL 1.1 Query endpoint: no SPARQL Update, no SERVICE, FROM / FROM NAMED and the protocol's "
        f"graph parameters limited to the graphs listed here. Limits: queries up to {settings.max_query_length} "
        f"bytes and {settings.max_query_depth} levels of nesting, {settings.query_time_limit:g} s of run time, "
        f"{settings.max_rows} result rows, {settings.rate_limit or 'unlimited'} requests per minute per client.",
        lang="en")))
    dataset = _void_dataset()  # the dataset /downloads/void.ttl describes (VoID + DCAT), when that page is served
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    if isinstance(dataset, URIRef):
        graph.add((dataset, RDF.type, VOID.Dataset))
        graph.add((dataset, RDFS.seeAlso, URIRef(str(dataset).split("#")[0])))
    default = BNode()  # the union of the named graphs
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for name, triples in sorted(artifact.graphs.items()):
        named, described = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, Literal(triples, datatype=XSD.integer)))
    return graph
