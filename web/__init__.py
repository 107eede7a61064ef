"""The SDSF Graph web application: ``create_app`` builds it, one blueprint per area, one ``init_app`` per resource.

Blueprints: ``pages`` (the pages people read), ``sparql`` (the SPARQL 1.1 endpoint) and ``api`` (JSON for
programs: similar actions). Resources: the built
artifact, the query worker pool (with ``engine = remote``, the SPARQL store it sends queries to instead), the
rate limiter and the error handlers. ``sdsf serve`` runs it under gunicorn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from sdsf_graph.settings import Settings, load_settings

from . import (
    api,
    artifact,
    browse,
    compare,
    downloads,
    errors,
    fairness,
    headers,
    links,
    ontology,
    pages,
    pool,
    public,
    ratelimit,
    requestguard,
    result_cache,
    similar,
    sparql,
)


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """The application, answering from the built artifact (raises ArtifactMissing without one).

    ``config`` is a ready :class:`Settings`, or a mapping: lower-case keys are settings (``engine``,
    ``build_dir``, ``query_time_limit``… see docs/settings.md; the ``SDSF_*`` environment fills the others),
    upper-case keys go to Flask's own config.
    """
    if isinstance(config, Settings):
        settings, flask_config = config, {}
    else:
        given = dict(config or {})
        settings = load_settings({k: v for k, v in given.items() if not k.isupper()})
        flask_config = {k: v for k, v in given.items() if k.isupper()}
    app = Flask(__name__)
    app.config.update(flask_config)
    app.config[sparql.SETTINGS_KEY] = settings
    app.config["MAX_CONTENT_LENGTH"] = 3 * settings.max_query_length + 4096  # a form-encoded query, at worst
    errors.init_app(app)
    artifact.init_app(app, settings)
    pool.init_app(app, settings)
    result_cache.init_app(app, settings)
    ratelimit.init_app(app, settings)
    fairness.init_app(app, settings)  # after the rate limiter: a refused request takes no place
    requestguard.init_app(app, settings)
    headers.init_app(app)  # nosniff, CSP and CORS on every answer; a URL bounded like a body
    result_cache.init_pages(app, lambda: artifact.current().version)  # after the rate limiter: it still counts
    public.init_app(app)  # after the page cache: a Host-bound answer is marked private before it is kept
    app.register_blueprint(pages.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(compare.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(ontology.bp)
    app.register_blueprint(similar.bp)
    links.init_app(app)
    api.init_app(app, settings)
    return app


__all__ = ["create_app"]
