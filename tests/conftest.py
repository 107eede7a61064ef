from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from sdsf_graph.build import build_graph, compile_dataset
from sdsf_graph.settings import load_settings
from sdsf_graph.store import open_engine

from .virtuoso_fixture import virtuoso  # noqa: F401  (the session's Virtuoso, for the remote engine)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory):
    """The real project data, built once into a temporary artifact folder."""
    settings = load_settings({"build_dir": str(tmp_path_factory.mktemp("artifact") / "build")}, environ={})
    build_graph(settings)
    return settings


@pytest.fixture(scope="session")
def compiled():
    return compile_dataset(load_settings(environ={}))


@pytest.fixture(scope="session")
def union(compiled) -> Graph:
    return compiled.union()


@pytest.fixture(scope="session", params=["oxigraph", "rdflib"])
def engine(request, built_settings):
    return open_engine(built_settings, request.param)


@pytest.fixture(scope="module")
def app(built_settings):
    """The web application on the real built graph (default engine, no rate limit)."""
    from web import create_app

    application = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0})
    yield application
    application.extensions["sdsf_pool"].close()


@pytest.fixture
def client(app):
    return app.test_client()
