"""The ``browse`` blueprint: every resource of the graph dereferences at its own path.

    /id/<type>/<slug>            HTML for browsers; Turtle, JSON-LD or N-Triples by Accept
    /id/<type>/<slug>.ttl|.jsonld|.nt   the same description in that format

The ``base_iri`` setting maps the IRI ``<base>id/<type>/<slug>`` to this path. The RDF twins carry the concise
description (outgoing triples, incoming links, labels of the linked resources); the page shows it with
French labels, plus what each kind of resource needs (see ``browse_views``). Unknown IRI: 404; nothing
acceptable: 406.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request, url_for
from rdflib import URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from sdsf_graph.store import QueryResult
from sdsf_graph.textnorm import fold

from . import artifact, named, vocabulary
from .browse_views import CONTEXTS, kind_of, sdsf
from .describe import Description, Value, describe
from .errors import HTTPError
from .layout import Twin, render_page
from .links import SEGMENT, resource_iri
from .negotiation import GRAPH, Format, negotiate, offered

bp = Blueprint("browse", __name__)

HTML = Format("text/html", ("html",), lambda result: "", ("application/xhtml+xml",))
#: media type → serialiser, in order of preference (HTML first: a client that says nothing gets the page).
FORMATS: tuple[Format, ...] = (HTML, *(f for f in GRAPH if f.rdflib_format in ("turtle", "json-ld", "nt")))
SUFFIXES = {".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt", ".html": "html"}
TWINS = ((".ttl", "Turtle"), (".jsonld", "JSON-LD"), (".nt", "N-Triples"))
NOTES = (SKOS.definition, SKOS.scopeNote, SKOS.note, SKOS.historyNote)
FIRST = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.notation)


def _split(slug: str) -> tuple[str, tuple[str, ...]]:
    for suffix, name in SUFFIXES.items():
        if slug.endswith(suffix) and len(slug) > len(suffix):
            return slug[: -len(suffix)], (name,)
    return slug, ()


def _etag(path: str, fmt: Format) -> str:
    key = f"{artifact.current().version}\n{named.base_iri()}\n{path}\n{fmt.media_type}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _cacheable(response: Response, tag: str) -> Response:
    response.set_etag(tag, weak=True)
    max_age = named.settings().cache_max_age
    response.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
    response.vary.add("Accept")
    return response


@bp.route("/id/<kind>/<slug>")
def resource(kind: str, slug: str) -> Response:
    slug, requested = _split(slug)
    if not (SEGMENT.match(kind) and SEGMENT.match(slug)):
        raise HTTPError(404, f"no resource /id/{kind}/{slug} in this graph")
    fmt = negotiate(FORMATS, request.headers.get("Accept"), requested)
    if fmt is None:
        raise HTTPError(406, f"a resource is offered as {offered(FORMATS)}; or add .ttl, .jsonld or .nt to its path")
    tag = _etag(f"{kind}/{slug}", fmt)
    if request.if_none_match.contains_weak(tag):
        return _cacheable(Response(status=304), tag)
    iri = resource_iri(kind, slug)
    description = describe(iri)
    if not description.exists:
        if fmt is HTML:
            return render_page("resource_missing.html", title="Ressource inconnue", status=404, iri=iri)
        raise HTTPError(404, f"no resource <{iri}> in this graph")
    if fmt is not HTML:
        triples = list(description.graph())
        body = fmt.serialise(QueryResult("graph", triples=triples))  # type: ignore[arg-type]
        return _cacheable(Response(body, content_type=fmt.content_type), tag)
    return _cacheable(_page(description, kind, slug), tag)


def _rows(side: dict[URIRef, list[Value]]) -> list[tuple[object, list[Value]]]:
    vocab = vocabulary.current()

    def key(predicate: URIRef) -> tuple[int, str]:
        return (FIRST.index(predicate) if predicate in FIRST else len(FIRST), fold(vocab.label(predicate)))

    return [(vocab.ref(p), side[p]) for p in sorted(side, key=key)]


def _page(description: Description, kind: str, slug: str) -> Response:
    vocab = vocabulary.current()
    page_kind = kind_of(description)
    extra = CONTEXTS[page_kind](description) if page_kind else {}
    path = url_for("browse.resource", kind=kind, slug=slug)
    twins = [Twin(path + suffix, next(f.media_type for f in FORMATS if f.names[0] == SUFFIXES[suffix]), label)
             for suffix, label in TWINS]
    types = [vocab.ref(t) for t in description.types]
    specific = [t for t in types if t.qname.startswith("sdsf:")] or types
    notation = description.literals(SKOS.notation)
    title = description.label
    if notation and notation[0].casefold() != title.casefold():
        title = f"{notation[0]} — {title}"
    return render_page(
        "resource.html", title=title, twins=twins, d=description, kind=page_kind, types=types,
        kind_label=specific[0].label if specific else "Ressource",
        notes=[(vocab.label(p), description.literals(p, only=True)) for p in NOTES], sdsf=sdsf,
        editorial=description.literals(SKOS.editorialNote, only=True),
        source={"documents": description.values(sdsf("sourceDocument")),
                "sections": description.literals(sdsf("sourceSection")),
                "derived": description.values(PROV.wasDerivedFrom)},
        markers=description.values(sdsf("marker")), dots=description.literals(sdsf("colouredDotCount")),
        outgoing=_rows(description.outgoing), incoming=_rows(description.incoming), **extra)
