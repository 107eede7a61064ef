"""Absolute URLs of this site, for the answers that need them (``/downloads/void.ttl``, the SPARQL service
description, the query editor): never the request's ``Host`` in an answer a shared cache may keep.

With the ``public_url`` setting (the site's root as the public reaches it), absolute URLs are built on it and
the request's Host plays no part. Without it, they are built on the request's own root (right for a server
reached directly, ``http://127.0.0.1:8000/``), and the answer that holds one is marked for the client alone:
``Cache-Control: private`` and ``Vary: Host`` (:func:`init_app`), so no shared cache hands a Host sent by one
client to another.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, request, url_for

#: ``g`` flag: this answer holds a URL made from the request's Host.
HOST_BOUND = "sdsf_host_bound"


def _public_url() -> str:
    return str(current_app.config["SDSF_SETTINGS"].public_url)


def root() -> str:
    """The site's root URL, ending with ``/``: ``public_url``, else the request's (the answer is then private)."""
    configured = _public_url()
    if configured:
        return configured.rstrip("/") + "/"
    g.setdefault(HOST_BOUND, True)
    return request.url_root


def absolute(endpoint: str, **values: Any) -> str:
    """The absolute URL of a view (``url_for(..., _external=True)``, on the public root)."""
    path = url_for(endpoint, **values)[len(request.script_root):]
    return root() + path.lstrip("/")


def rebased(url: str) -> str:
    """A URL built from the request (``request.base_url``) moved to the public root."""
    here = request.url_root
    return root() + url[len(here):] if url.startswith(here) else url


def _private_when_host_bound(response: Response) -> Response:
    if g.get(HOST_BOUND):
        response.cache_control.public = False
        response.cache_control.private = True
        response.vary.add("Host")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_private_when_host_bound)
