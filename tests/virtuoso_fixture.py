"""One Virtuoso per test session, loaded once with the real built graph (scripts/virtuoso/virtuoso.sh).

``virtuoso`` (session fixture, made available by conftest.py) starts an instance on free loopback ports, loads
the session's built graph, and stops it at the end. Other graphs (the W3C protocol suite's) are added next to
it with :meth:`Virtuoso.add`; queries through the remote engine only ever see the graphs of their own manifest.

Runs when ``virtuoso-t`` is installed; when it is not, CI (``CI=true``) or ``SDSF_VIRTUOSO_INSTALL=1`` installs
it with ``bash scripts/virtuoso/virtuoso.sh install`` (root, apt-get); anywhere else the tests that need it are
skipped. ``engine_settings`` gives the settings that point an application at an engine, Virtuoso for 'remote'.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "virtuoso" / "virtuoso.sh"
MAX_ROWS = 3000  # above every competency answer on the real graph, below its 8,000 triples
MAX_SECONDS = 10  # the store's own time limit; the remote engine's (query_time_limit) is shorter in the tests
ENGINES = ["oxigraph", "rdflib", "remote"]
#: The query another change is rewriting (issue 8): Virtuoso 7.2.5 could not parse its ``EXISTS {…} || EXISTS {…}``
#: (SQ074), and its rewrite is not yet the same with its parameters in a VALUES block as bound by pyoxigraph. Its
#: tests run, as expected failures until it is done (XPASS then).
#: Shared queries whose answer on Virtuoso 7.2.5 is known to differ (none since departement-map.rq was rewritten
#: without EXISTS {…} || EXISTS {…}, which it cannot parse, and with BOUND before comparing optional years).
BEING_REWRITTEN: dict[str, str] = {}


def virtuoso_available() -> bool:
    if shutil.which("virtuoso-t") and shutil.which("isql-vt"):
        return True
    if os.environ.get("CI") == "true" or os.environ.get("SDSF_VIRTUOSO_INSTALL") == "1":
        subprocess.run(["bash", str(SCRIPT), "install"], check=True, timeout=900)
        return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Virtuoso:
    url: str
    graphs: list[str]  # the built graph's named graphs (its manifest)
    folder: Path
    env: dict[str, str]

    def script(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def add(self, nquads: Path) -> None:
        """Load more quads next to the built graph (once per file content)."""
        self.script("add", str(self.folder), str(nquads))

    def client(self, query: str, timeout_ms: int | None = None) -> SPARQLWrapper:
        """A SPARQLWrapper client sending the built graphs as the dataset (as the remote engine does)."""
        client = SPARQLWrapper(self.url)
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setQuery(query)
        for graph in self.graphs:
            client.addDefaultGraph(graph)
            client.addNamedGraph(graph)
        if timeout_ms is not None:
            client.addParameter("timeout", str(timeout_ms))  # an "anytime" query: partial rows after it
        return client

    def select(self, query: str, timeout_ms: int | None = None) -> tuple[list[dict], dict[str, str]]:
        response = self.client(query, timeout_ms).query()
        headers = {k.lower(): v for k, v in response.response.headers.items()}
        return response.convert()["results"]["bindings"], headers  # type: ignore[index]


@pytest.fixture(scope="session")
def virtuoso(built_settings, tmp_path_factory):
    if not virtuoso_available():
        pytest.skip("virtuoso-t is not installed (bash scripts/virtuoso/virtuoso.sh install, as root)")
    folder = tmp_path_factory.mktemp("virtuoso") / "instance"
    http = free_port()
    env = {**os.environ, "VIRTUOSO_HTTP_PORT": str(http), "VIRTUOSO_ISQL_PORT": str(free_port()),
           "VIRTUOSO_MAX_ROWS": str(MAX_ROWS), "VIRTUOSO_MAX_SECONDS": str(MAX_SECONDS),
           "VIRTUOSO_MAX_COST": "600", "VIRTUOSO_BUFFERS": "10000"}
    manifest = json.loads((built_settings.build_path / "manifest.json").read_text(encoding="utf-8"))
    instance = Virtuoso(f"http://127.0.0.1:{http}/sparql", sorted(manifest["graphs"]), folder, env)
    try:
        instance.script("start", str(folder))
        instance.script("load", str(folder), str(built_settings.build_path / "sdsf.nq"))
        yield instance
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], env=env, capture_output=True, timeout=60)


def engine_settings(request: pytest.FixtureRequest, engine: str) -> dict[str, str]:
    """The settings naming ``engine``; for 'remote', the session's Virtuoso (started on first use)."""
    if engine != "remote":
        return {"engine": engine}
    return {"engine": "remote", "remote_endpoint": request.getfixturevalue("virtuoso").url}
