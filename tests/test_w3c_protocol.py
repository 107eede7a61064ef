"""The W3C SPARQL 1.1 Protocol test suite, replayed against ``/sparql`` on every engine (remote: Virtuoso).

The manifest (``../shared/w3c/sparql11-protocol/manifest.ttl``) is read with rdflib; each ht:Request is sent
as written, its ``/sparql/`` path rewritten to our endpoint, to an application answering from a test-only
artifact holding the suite's graphs (data1.nt … data3.nt, named with the IRIs the manifest gives them).
Every query test and every negative test must pass as the manifest says. The update tests are answered with
the endpoint's documented refusal (403, "read-only"), and their follow-up queries show nothing changed.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection
from rdflib.term import Node

from sdsf_graph.gate import READ_ONLY
from web import create_app
from web.negotiation import GRAPH, TABULAR

from .conftest import ROOT
from .virtuoso_fixture import ENGINES, engine_settings

SUITE = ROOT.parent / "shared" / "w3c" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

pytestmark = pytest.mark.skipif(not (SUITE / "manifest.ttl").is_file(),
                                reason=f"the W3C protocol suite is not at {SUITE}")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # accepted status classes: 2, 3, 4, 5
    boolean: bool | None
    form: str | None  # "boolean", "tabular", "RDF"

    @property
    def is_update(self) -> bool:
        content_type = dict((k.lower(), v) for k, v in self.headers).get("content-type", "")
        text = self.path + "&" + (self.body or b"").decode("utf-8", errors="replace")
        return content_type.startswith("application/sparql-update") or "update=" in text


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    requests: tuple[Request, ...]
    graphs: tuple[tuple[Path, str], ...]  # (file, graph IRI)


def _items(manifest: Graph, head: Node | None) -> list[Node]:
    return list(Collection(manifest, head)) if head is not None else []


def _request(manifest: Graph, node: Node) -> Request:
    headers = tuple((str(manifest.value(h, HT.fieldName)), str(manifest.value(h, HT.fieldValue)))
                    for h in _items(manifest, manifest.value(node, HT.headers)))
    body = manifest.value(node, HT.body)
    data = None
    if body is not None:
        encoding = str(manifest.value(body, CNT.characterEncoding) or "UTF-8")
        data = str(manifest.value(body, CNT.chars)).encode(encoding)
    response = manifest.value(node, HT.resp)
    codes = manifest.objects(response, MF.expectedStatus)  # hts:StatusCode2xx …
    statuses = frozenset(int(str(code).rsplit("StatusCode", 1)[1][0]) for code in codes)
    boolean = manifest.value(response, MF.expectedBoolean)
    form = manifest.value(response, MF.expectedFormat)
    path = str(manifest.value(node, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
    return Request(str(manifest.value(node, HT.methodName)), path, headers, data, statuses,
                   None if boolean is None else boolean.toPython(), None if form is None else str(form))


def load_suite() -> list[ProtocolTest]:
    if not (SUITE / "manifest.ttl").is_file():
        return []
    manifest = Graph().parse(SUITE / "manifest.ttl", format="turtle")
    top = next(manifest.subjects(RDF.type, MF.Manifest))
    tests = []
    for test in _items(manifest, manifest.value(top, MF.entries)):
        action = manifest.value(test, MF.action)
        requests = tuple(_request(manifest, r) for r in _items(manifest, manifest.value(action, HT.requests)))
        graphs = tuple(sorted((Path(str(manifest.value(d, UT.graph)).removeprefix("file://")),
                               str(manifest.value(d, RDFS.label))) for d in manifest.objects(test, UT.graphData)))
        tests.append(ProtocolTest(str(test).rsplit("#", 1)[1], requests, graphs))
    return tests


TESTS = load_suite()


def write_artifact(folder: Path, graphs: set[tuple[Path, str]]) -> Path:
    """A test-only artifact (N-Quads, pyoxigraph store, manifest) holding the suite's graphs."""
    folder.mkdir(parents=True)
    quads: list[str] = []
    counts: dict[str, int] = {}
    for path, iri in sorted(graphs):
        lines = [line.rstrip().removesuffix(".").rstrip() for line in path.read_text().splitlines() if line.strip()]
        quads += [f"{line} <{iri}> ." for line in lines]
        counts[iri] = len(lines)
    (folder / "sdsf.nq").write_text("\n".join(quads) + "\n", encoding="utf-8")
    store = ox.Store(str(folder / "store"))
    store.bulk_load(path=str(folder / "sdsf.nq"), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    manifest = {"version": "w3c-protocol-suite", "quads": len(quads), "graphs": counts}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def suite_artifact(tmp_path_factory) -> Path:
    graphs = {g for test in TESTS for g in test.graphs}
    assert len(graphs) == 3, graphs
    return write_artifact(tmp_path_factory.mktemp("w3c") / "build", graphs)


@pytest.fixture(scope="module", params=ENGINES)
def client(request, suite_artifact):
    settings = engine_settings(request, request.param)
    if request.param == "remote":  # the suite's graphs, next to the built graph in the session's Virtuoso
        request.getfixturevalue("virtuoso").add(suite_artifact / "sdsf.nq")
    app = create_app({"build_dir": str(suite_artifact), **settings, "rate_limit": 0, "query_time_limit": 30})
    yield app.test_client()
    app.extensions["sdsf_pool"].close()


def boolean_of(media_type: str, body: bytes) -> bool:
    if media_type == "application/sparql-results+json":
        return bool(json.loads(body)["boolean"])
    assert media_type == "application/sparql-results+xml", media_type
    element = ET.fromstring(body).find(SRX + "boolean")
    assert element is not None
    return element.text == "true"


def check_format(form: str, media_type: str, body: bytes) -> None:
    """The answer is of the expected kind and parses as what its Content-Type says."""
    if form == "boolean":
        boolean_of(media_type, body)
    elif form == "tabular":
        assert media_type in {f.media_type for f in TABULAR}, media_type
        if media_type.endswith("json"):
            assert "results" in json.loads(body)
        elif media_type.endswith("xml"):
            assert ET.fromstring(body).find(SRX + "results") is not None
        else:
            assert list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter="\t" if "tab" in media_type else ","))
    else:
        formats = {f.media_type: f.rdflib_format for f in GRAPH}
        assert media_type in formats, media_type
        Graph().parse(data=body, format=formats[media_type])


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(client, test: ProtocolTest):
    refused_update = False
    for req in test.requests:
        response = client.open(req.path, method=req.method, data=req.body, headers=list(req.headers))
        body, media_type = response.get_data(), response.mimetype
        assert b"Traceback" not in body
        if req.is_update and 2 in req.statuses:  # an update the suite expects to succeed: we refuse, and say so
            assert response.status_code == 403, body
            assert READ_ONLY.encode() in body
            refused_update = True
            continue
        assert response.status_code // 100 in req.statuses, (response.status_code, body)
        if req.form:
            check_format(req.form, media_type, body)
        if req.boolean is not None:
            # after a refused update, the query that checks its effect shows the store unchanged
            assert boolean_of(media_type, body) is (False if refused_update else req.boolean), body


def test_the_whole_suite_is_replayed():
    names = {t.name for t in TESTS}
    assert len(TESTS) == 34
    assert {"query_post_form", "query_dataset_full", "query_multiple_dataset", "bad_query_non_utf8",
            "update_post_direct", "bad_update_dataset_conflict"} <= names
