"""The built artifact the server answers from: its data version and the graphs it holds (build/manifest.json)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import Flask, current_app

from sdsf_graph.build import NQUADS, STORE, read_manifest
from sdsf_graph.errors import ArtifactMissing
from sdsf_graph.settings import Settings

KEY = "sdsf_artifact"


@dataclass(frozen=True)
class Artifact:
    version: str
    graphs: dict[str, int]  # graph IRI -> number of triples
    quads: int

    @cached_property
    def graph_names(self) -> tuple[str, ...]:
        """The graph IRIs, sorted (what the gate's jobs carry)."""
        return tuple(sorted(self.graphs))

    @classmethod
    def read(cls, settings: Settings) -> Artifact:
        build = settings.build_path
        manifest = read_manifest(settings)
        if manifest is None or not (build / STORE).is_dir() or not (build / NQUADS).is_file():
            raise ArtifactMissing(f"no built graph in {build}: run `sdsf build` first")
        graphs = {str(k): int(v) for k, v in manifest.get("graphs", {}).items()}
        return cls(str(manifest["version"]), graphs, int(manifest.get("quads", sum(graphs.values()))))


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[KEY] = Artifact.read(settings)


def current() -> Artifact:
    artifact: Artifact = current_app.extensions[KEY]
    return artifact
