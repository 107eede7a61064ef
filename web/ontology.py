"""The ``ontology`` blueprint: the ontology's documentation and the thesaurus browser.

    /ontology              classes, properties, diagram (each term anchored: /ontology#Scheme)
    /ontology.ttl          the ontology file itself (ontology/sdsf.ttl)
    /def                   the vocabulary's IRI: browsers go to /ontology (a /def#Scheme link lands on the
                           anchor), RDF clients get the Turtle
    /ontology/thesaurus    concept schemes and concepts; /ontology/thesaurus.ttl the thesaurus file
"""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from sdsf_graph.namespaces import DEFAULT_BASE

from . import named, thesaurus, vocabulary
from .diagram import diagram
from .errors import HTTPError
from .layout import Twin, render_page
from .negotiation import Format, negotiate, offered

bp = Blueprint("ontology", __name__)
TURTLE = "text/turtle"
#: What /def offers: the documentation page, or the ontology in Turtle.
DEF_FORMATS = (Format("text/html", ("html",), lambda result: "", ("application/xhtml+xml",)),
               Format(TURTLE, ("ttl", "turtle"), lambda result: "", ("application/x-turtle", "text/n3")))


def _file(name: str) -> Response:
    """One of the files of ontology/, its IRIs moved to this deployment's base."""
    text = (named.settings().project_path / "ontology" / name).read_text(encoding="utf-8")
    base = named.base_iri()
    if base != DEFAULT_BASE:
        text = text.replace("<" + DEFAULT_BASE, "<" + base).replace('"' + DEFAULT_BASE, '"' + base)
    response = Response(text, content_type=f"{TURTLE}; charset=utf-8")
    response.headers["Cache-Control"] = f"public, max-age={named.settings().cache_max_age}"
    response.vary.add("Accept")
    return response


@bp.route("/ontology")
def page() -> Response:
    vocab = vocabulary.current()
    classes, properties = vocab.classes(), vocab.properties()
    twins = [Twin(url_for("ontology.turtle"), TURTLE, "Turtle (le fichier de l'ontologie)")]
    return render_page("ontology.html", title="Ontologie SDSF", twins=twins, ontology=vocab.ontology(),
                       classes=classes, properties=properties, figure=diagram(vocab),
                       namespace=named.base_iri() + "def#")


@bp.route("/ontology.ttl")
def turtle() -> Response:
    return _file("sdsf.ttl")


@bp.route("/def")
def vocabulary_iri() -> Response:
    fmt = negotiate(DEF_FORMATS, request.headers.get("Accept"))
    if fmt is None:
        raise HTTPError(406, f"the vocabulary is offered as {offered(DEF_FORMATS)}")
    if fmt.media_type == TURTLE:
        return _file("sdsf.ttl")
    response = Response(status=303, headers={"Location": url_for("ontology.page")})
    response.vary.add("Accept")
    return response


@bp.route("/ontology/thesaurus")
def thesaurus_page() -> Response:
    schemes = thesaurus.current().schemes()
    twins = [Twin(url_for("ontology.thesaurus_turtle"), TURTLE, "Turtle (le fichier du thésaurus)")]
    return render_page("thesaurus.html", title="Thésaurus SDSF", twins=twins, schemes=schemes,
                       links=thesaurus.LINKS)


@bp.route("/ontology/thesaurus.ttl")
def thesaurus_turtle() -> Response:
    return _file("thesaurus.ttl")
