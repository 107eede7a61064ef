"""The ``downloads`` blueprint: the whole graph as files, and the dataset's VoID/DCAT description.

- ``/downloads/sdsf.nq``: N-Quads, the artifact's own ``build/sdsf.nq`` (one named graph per source file);
- ``/downloads/sdsf.ttl`` and ``/downloads/sdsf.jsonld``: the union of the graphs (each triple once) as Turtle
  and JSON-LD, made with pyoxigraph once per data version and kept in memory (about 0.1 s for the whole graph);
- ``/downloads/void.ttl``: ``void:Dataset`` + ``dcat:Dataset`` (title, description, licence, triples, SPARQL
  endpoint, data version, one ``dcat:distribution`` per file with its media type and size).

The SPARQL service description names the same dataset (``sd:defaultDataset``, see web/service.py). Absolute
URLs are on the ``public_url`` setting (web/public.py); without it, on the request's root, and void.ttl is then
cached privately (``Vary: Host``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, VOID, XSD

from sdsf_graph.build import NQUADS, read_manifest
from sdsf_graph.namespaces import PREFIXES

from . import artifact, named
from .errors import shown
from .layout import Twin, render_page
from .pagekit import json_response, wants_json
from .public import absolute

bp = Blueprint("downloads", __name__)
KEY = "sdsf_downloads"
IANA = Namespace("https://www.iana.org/assignments/media-types/")
TITLE = "SDSF Graph — schémas départementaux des services aux familles"
DESCRIPTION = ("Graphe de connaissances des schémas départementaux des services aux familles (SDSF) : périodes, "
               "signataires, fils conducteurs, gouvernance, plans d'action et thèmes, tirés des documents sources, "
               "avec l'ontologie SDSF, son thésaurus et les départements.")
DCAT3_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3: not in rdflib's closed DCAT 2 namespace
LICENCE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Dump:
    name: str
    label: str
    media_type: str
    format_iri: str


DUMPS = (
    Dump("sdsf.ttl", "Turtle (union des graphes)", "text/turtle", "http://www.w3.org/ns/formats/Turtle"),
    Dump("sdsf.nq", "N-Quads (un graphe nommé par fichier source)", "application/n-quads",
         "http://www.w3.org/ns/formats/N-Quads"),
    Dump("sdsf.jsonld", "JSON-LD (union des graphes)", "application/ld+json", "http://www.w3.org/ns/formats/JSON-LD"),
)


@dataclass(frozen=True)
class Serialised:
    version: str
    triples: int
    files: dict[str, bytes]  # the generated dumps, by file name


_lock = threading.Lock()


def serialised() -> Serialised:
    """The union as Turtle and JSON-LD for the served data version, made on first use and kept."""
    version = artifact.current().version
    cached: Serialised | None = current_app.extensions.get(KEY)
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        cached = current_app.extensions.get(KEY)
        if cached is None or cached.version != version:
            path = named.settings().build_path / NQUADS
            quads = ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
            triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
            prefixes = {name: named.rebase(iri) for name, iri in PREFIXES.items()}
            files = {"sdsf.ttl": ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b"",
                     "sdsf.jsonld": ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b""}
            cached = Serialised(version, len(triples), files)
            current_app.extensions[KEY] = cached
    return cached


def sizes() -> dict[str, int]:
    made = serialised()
    nquads = named.settings().build_path / NQUADS
    return {**{name: len(data) for name, data in made.files.items()}, "sdsf.nq": nquads.stat().st_size}


def _url(name: str) -> str:
    return absolute("downloads.file", name=name)


def void_graph() -> Graph:
    made, size = serialised(), sizes()
    manifest = read_manifest(named.settings()) or {}
    void_url = absolute("downloads.void")
    dataset = URIRef(void_url + "#dataset")
    graph = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS)):
        graph.bind(prefix, ns)
    graph.add((URIRef(void_url), RDF.type, VOID.DatasetDescription))
    graph.add((URIRef(void_url), DCTERMS.title, Literal("Description VoID et DCAT de SDSF Graph", lang="fr")))
    graph.add((URIRef(void_url), FOAF.primaryTopic, dataset))
    for kind in (VOID.Dataset, DCAT.Dataset):
        graph.add((dataset, RDF.type, kind))
    graph.add((dataset, DCTERMS.title, Literal(TITLE, lang="fr")))
    graph.add((dataset, DCTERMS.description, Literal(DESCRIPTION, lang="fr")))
    graph.add((dataset, DCTERMS.license, URIRef(LICENCE)))
    graph.add((dataset, DCTERMS.language, URIRef("http://id.loc.gov/vocabulary/iso639-1/fr")))
    graph.add((dataset, VOID.triples, Literal(made.triples, datatype=XSD.integer)))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(absolute("sparql.endpoint"))))
    graph.add((dataset, VOID.uriSpace, Literal(named.base_iri() + "id/")))
    graph.add((dataset, VOID.vocabulary, URIRef(named.base_iri() + "def#")))
    graph.add((dataset, DCAT3_VERSION, Literal(made.version)))
    graph.add((dataset, OWL.versionInfo, Literal(made.version)))
    if manifest.get("built_at"):
        graph.add((dataset, DCTERMS.modified, Literal(manifest["built_at"], datatype=XSD.dateTime)))
    graph.add((dataset, DCAT.landingPage, URIRef(absolute("pages.home"))))
    for dump in DUMPS:
        distribution = URIRef(_url(dump.name))
        graph.add((dataset, VOID.dataDump, distribution))
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(dump.label, lang="fr")))
        graph.add((distribution, DCAT.downloadURL, distribution))
        graph.add((distribution, DCAT.accessURL, distribution))
        graph.add((distribution, DCAT.mediaType, IANA[dump.media_type]))
        graph.add((distribution, DCTERMS.format, URIRef(dump.format_iri)))
        graph.add((distribution, DCAT.byteSize, Literal(size[dump.name], datatype=XSD.nonNegativeInteger)))
        graph.add((distribution, DCTERMS.license, URIRef(LICENCE)))
    service = BNode()
    graph.add((dataset, DCAT.distribution, service))
    graph.add((service, RDF.type, DCAT.Distribution))
    graph.add((service, DCTERMS.title, Literal("Point d'accès SPARQL 1.1", lang="fr")))
    graph.add((service, DCAT.accessURL, URIRef(absolute("sparql.endpoint"))))
    return graph


def _cached(response: Response) -> Response:
    response.set_etag(artifact.current().version, weak=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.make_conditional(request)
    return response


def listing() -> list[dict]:
    size = sizes()
    return [{"name": d.name, "label": d.label, "media_type": d.media_type, "bytes": size[d.name],
             "url": url_for("downloads.file", name=d.name)} for d in DUMPS]


@bp.route("/downloads")
def page() -> Response:
    files = listing()
    if wants_json():
        return json_response({"data_version": artifact.current().version, "triples": serialised().triples,
                              "files": files, "void": url_for("downloads.void")})
    twins = [Twin(url_for("downloads.void"), "text/turtle", "VoID / DCAT (Turtle)"),
             Twin(url_for("downloads.page", format="json"), "application/json", "JSON")]
    return render_page("downloads.html", title="Téléchargements", twins=twins, files=files,
                       version=artifact.current().version, triples=serialised().triples, licence=LICENCE)


@bp.route("/downloads/void.ttl")
def void() -> Response:
    text = void_graph().serialize(format="turtle")
    return _cached(Response(text, content_type="text/turtle; charset=utf-8"))


@bp.route("/downloads/<name>")
def file(name: str) -> Response:
    dumps = {d.name: d for d in DUMPS}
    if name not in dumps:
        return Response(f"pas de fichier {shown(name)} ; fichiers : {', '.join(dumps)}\n", status=404,
                        content_type="text/plain; charset=utf-8")
    dump = dumps[name]
    data = (named.settings().build_path / NQUADS).read_bytes() if name == "sdsf.nq" else serialised().files[name]
    response = Response(data, content_type=f"{dump.media_type}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _cached(response)
