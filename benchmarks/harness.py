"""What benchmarks/queries.py and benchmarks/load.py share: the real servers, the canned requests, the timing.

* :func:`start_sdsf` runs ``sdsf serve`` (gunicorn, the production server) on a loopback port and times how long
  the built artifact takes to answer its first query; :func:`start_virtuoso` runs the project's own Virtuoso
  (``scripts/virtuoso/virtuoso.sh``) and loads the same built graph.
* :func:`canned_requests` lists what the product's users send: every shared ``.rq`` query (the competency
  questions and the queries behind the pages) with its parameters written in, sent to ``/sparql`` as any
  SPARQL client would, plus the similar-action search (``/api/similar``) and the pages themselves.
  Parameters whose default value is not in the benchmarked graph (a real scheme's IRI, in a synthetic graph)
  are given a value from that graph.
* Requests go over persistent HTTP/1.1 connections (:class:`Client`), as a browser or SPARQLWrapper keeps them.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdflib import URIRef  # noqa: E402

from sdsf_graph.inline import inline_terms  # noqa: E402
from sdsf_graph.query import NamedQuery, named_queries, run_query  # noqa: E402
from sdsf_graph.remote import allow_dataset_headers  # noqa: E402
from sdsf_graph.settings import load_settings  # noqa: E402
from sdsf_graph.store import open_engine  # noqa: E402

VIRTUOSO = ROOT / "scripts" / "virtuoso" / "virtuoso.sh"
#: Shared queries that only ``sdsf build`` runs (to make the search index), never a page or a user.
BUILD_ONLY = {"search-elements", "search-glossary"}
SEARCH_TEXT = "accueil du jeune enfant en horaires atypiques"
JSON_RESULTS = "application/sparql-results+json"


@dataclass
class Request:
    name: str
    method: str  # "sparql" (POST form to /sparql) or "get" (a page or the search API)
    target: str  # the query text, or the path
    engines: tuple[str, ...] = ("oxigraph", "rdflib", "virtuoso", "remote")


@dataclass
class Server:
    name: str
    base: str  # http://127.0.0.1:PORT
    sparql_path: str = "/sparql"
    graphs: list[str] = field(default_factory=list)  # sent as default-graph-uri (Virtuoso: every graph it holds)
    process: subprocess.Popen | None = None
    started_in: float = 0.0  # seconds from launch to the first answer
    stop_args: list[str] | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Client:
    """One persistent connection; :meth:`send` returns (status, seconds, bytes received)."""

    def __init__(self, server: Server, timeout: float = 120.0):
        self.server = server
        allow_dataset_headers(len(server.graphs))  # Virtuoso echoes each of them as a response header
        parsed = urllib.parse.urlsplit(server.base)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)

    def send(self, request: Request) -> tuple[int, float, int]:
        if request.method == "sparql":
            fields = [("query", request.target)] + [("default-graph-uri", g) for g in self.server.graphs]
            body = urllib.parse.urlencode(fields).encode("utf-8")
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON_RESULTS}
            method, path = "POST", self.server.sparql_path
        else:
            body, headers, method, path = None, {"Accept": "text/html"}, "GET", request.target
            if path.startswith("/api/"):
                headers["Accept"] = "application/json"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 599, time.perf_counter() - start, 0
        return response.status, time.perf_counter() - start, len(data)

    def close(self) -> None:
        self.conn.close()


def _wait_for_answer(server: Server, launched: float, limit: float = 600.0) -> None:
    ask = Request("ask", "sparql", "ASK { ?s ?p ?o }")
    while time.perf_counter() - launched < limit:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        client = Client(server, timeout=5)
        status, _, _ = client.send(ask)
        client.close()
        if status == 200:
            server.started_in = time.perf_counter() - launched
            return
        time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not answer within {limit:g} s")


def start_sdsf(build: Path, engine: str, log: Path, **settings: object) -> Server:
    """``sdsf serve`` on ``build`` with ``engine``; returns once it answers a query (time in ``started_in``)."""
    port = free_port()
    env = {**os.environ, **{f"SDSF_{k.upper()}": str(v) for k, v in settings.items()}}
    command = [sys.executable, "-m", "sdsf_graph.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--engine", engine, "--build-dir", str(build)]
    launched = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(engine, f"http://127.0.0.1:{port}", process=process)
    try:
        _wait_for_answer(server, launched)
    except Exception:
        stop(server)
        raise
    return server


def start_virtuoso(build: Path, folder: Path, max_rows: int, max_seconds: int, buffers: int) -> Server:
    """The project's Virtuoso in ``folder``, loaded with ``build``'s graph; queried with its graphs as dataset."""
    http_port, isql_port = free_port(), free_port()
    env = {**os.environ, "VIRTUOSO_HTTP_PORT": str(http_port), "VIRTUOSO_ISQL_PORT": str(isql_port),
           "VIRTUOSO_MAX_ROWS": str(max_rows), "VIRTUOSO_MAX_SECONDS": str(max_seconds),
           "VIRTUOSO_MAX_COST": "0", "VIRTUOSO_BUFFERS": str(buffers)}
    for step in (["start", str(folder)], ["load", str(folder), str(build / "sdsf.nq")]):
        done = subprocess.run(["bash", str(VIRTUOSO), *step], env=env, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"virtuoso.sh {step[0]}: {done.stdout}{done.stderr}")
    instance = dict(line.split("=", 1) for line in (folder / "instance.env").read_text().split())
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    server = Server("virtuoso", f"http://127.0.0.1:{instance['HTTP_PORT']}", graphs=sorted(manifest["graphs"]),
                    stop_args=["stop", str(folder)])
    _wait_for_answer(server, time.perf_counter())
    return server


def stop(server: Server) -> None:
    if server.process is not None:
        server.process.terminate()
        try:
            server.process.wait(30)
        except subprocess.TimeoutExpired:
            server.process.kill()
    if server.stop_args:
        subprocess.run(["bash", str(VIRTUOSO), *server.stop_args], capture_output=True, timeout=120)


def sample_values(build: Path) -> dict[str, str]:
    """Values present in this graph for the parameters whose defaults name real (non-synthetic) resources."""
    engine = open_engine(load_settings({"build_dir": str(build)}, environ={}), "oxigraph")
    queries = named_queries()
    schemes = [r for r in run_query(engine, queries["scheme-timeline"]).rows if int(str(r["actions"])) > 0]
    scheme = max(schemes, key=lambda r: (int(str(r["actions"])), str(r["scheme"])))  # the largest plan
    action = engine.query("PREFIX sdsf: <https://w3id.org/sdsf/def#> SELECT ?a WHERE { ?a a sdsf:Action ; "
                          f"sdsf:inScheme {scheme['scheme'].n3()} }} ORDER BY ?a LIMIT 1").rows[0]["a"]
    return {"scheme": str(scheme["scheme"]), "resource": str(scheme["scheme"]), "action": str(action),
            "code": str(scheme["code"])}


def query_cases(build: Path, build_only: bool = False,
                samples: dict[str, str] | None = None) -> list[tuple[str, NamedQuery, dict[str, str]]]:
    """Every shared query with parameter values from ``build``'s graph: its national form, and narrowed by its
    optional parameters as the pages ask it (``name [param]``); the build's own queries when ``build_only``."""
    engine = open_engine(load_settings({"build_dir": str(build)}, environ={}), "oxigraph")
    samples = samples or sample_values(build)
    found: list[tuple[str, NamedQuery, dict[str, str]]] = []
    for name, query in named_queries().items():
        if name in BUILD_ONLY and not build_only:
            continue
        values: dict[str, str] = {}
        for param in query.params:
            if param.default is None:
                continue
            value = param.default
            iri = URIRef(value).n3()
            used = f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} UNION {{ GRAPH {iri} {{ ?s ?p ?o }} }} }}"
            if param.type == "iri" and not engine.query(used).boolean:
                value = samples[param.name]
            values[param.name] = value
        found.append((name, query, values))
        if any(p.default is None and p.name in samples for p in query.params):
            narrowed = {**values, **{p.name: samples[p.name] for p in query.params if p.default is None}}
            found.append((f"{name} [{', '.join(p.name for p in query.params if p.default is None)}]", query,
                          narrowed))
    return found


def canned_requests(build: Path) -> list[Request]:
    """Every shared query (national form, and narrowed as the pages ask it), the search, and the pages."""
    samples = sample_values(build)
    found = [Request(name, "sparql", inline_terms(query.text, query.bindings(values)))
             for name, query, values in query_cases(build, samples=samples)]
    ours = ("oxigraph", "rdflib", "remote")
    base = json.loads((build / "manifest.json").read_text(encoding="utf-8"))["base_iri"]
    scheme_path, action_path = ("/" + samples[k].removeprefix(base) for k in ("scheme", "action"))
    found += [
        Request("similar-action search (/api/similar)", "get",
                "/api/similar?" + urllib.parse.urlencode({"text": SEARCH_TEXT, "k": 10}), ours),
        Request("page: home map (/)", "get", "/", ours),
        Request("page: compare (/compare)", "get", "/compare", ours),
        Request("page: scheme (/id/scheme/…)", "get", scheme_path, ours),
        Request("page: action (/id/action/…)", "get", action_path, ours),
    ]
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def machine() -> str:
    import platform

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {memory:.0f} GB RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")
