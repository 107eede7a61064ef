"""Where an IRI of the graph is read on this site: the ``base_iri`` setting maps IRIs to local paths.

``<base>id/<type>/<slug>`` → ``/id/<type>/<slug>`` (its resource page); ``<base>def`` and ``<base>def#Term``
→ the ontology page (``/ontology#Term``). Any other ``http(s)`` IRI is linked as it is; anything else (a
``javascript:`` IRI, a blank node) is never made a link.
"""

from __future__ import annotations

import re

from flask import Flask, url_for

from .named import base_iri

#: The path segments of a resource IRI: its type and its slug (what `sdsf build` and the data README allow).
SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")


def resource_iri(kind: str, slug: str) -> str:
    return f"{base_iri()}id/{kind}/{slug}"


def local_parts(iri: str) -> tuple[str, str] | None:
    """(type, slug) of a resource IRI of this graph, else None."""
    prefix = base_iri() + "id/"
    if not iri.startswith(prefix):
        return None
    kind, _, slug = iri[len(prefix):].partition("/")
    if SEGMENT.match(kind) and SEGMENT.match(slug):
        return kind, slug
    return None


def term_fragment(iri: str) -> str | None:
    """The fragment of a vocabulary term (``<base>def#Scheme`` → ``Scheme``); "" for the ontology itself."""
    vocabulary = base_iri() + "def"
    if iri == vocabulary:
        return ""
    if iri.startswith(vocabulary + "#"):
        return iri[len(vocabulary) + 1:]
    return None


def href(iri: object) -> str | None:
    """The link to follow for an IRI, or None when it must not be a link."""
    text = str(iri)
    parts = local_parts(text)
    if parts is not None:
        return url_for("browse.resource", kind=parts[0], slug=parts[1])
    fragment = term_fragment(text)
    if fragment is not None:
        return url_for("ontology.page") + (f"#{fragment}" if fragment else "")
    if text.startswith(("https://", "http://")) and not any(c in text for c in ' <>"{}|\\^`'):
        return text
    return None


def init_app(app: Flask) -> None:
    app.add_template_global(href, "href")
