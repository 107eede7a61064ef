"""The ontology's diagram, drawn on the server as inline SVG: the main classes and the object properties
between them (each edge labelled with the properties' French labels), subclass links dashed.

Classes and edges come from the ontology; only where each main class sits is fixed here (a grid with the
scheme in the middle). A class without a place is left out of the figure (the tables list every term).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import RDFS

from .vocabulary import Vocabulary

#: Grid places (column, row) of the main classes, by prefixed name: the scheme in the middle, its neighbours
#: around it, the farther ones a knight's move away so that no line crosses a box.
PLACES = {
    "sdsf:InstitutionType": (1, 0), "igeo:Region": (2, 0),
    "sdsf:TransversalThread": (0, 1), "org:Organization": (1, 1), "igeo:Departement": (2, 1),
    "sdsf:SourceDocument": (3, 1), "eli:LegalResource": (4, 1),
    "sdsf:GovernanceBody": (1, 2), "sdsf:Scheme": (2, 2), "sdsf:Assessment": (3, 2),
    "sdsf:CommunicationPlan": (0, 3), "sdsf:Theme": (1, 3), "sdsf:PlanElement": (2, 3), "sdsf:Result": (4, 3),
    "sdsf:Marker": (1, 4), "sdsf:GlossaryEntry": (2, 4), "sdsf:Indicator": (3, 4), "sdsf:Observation": (4, 4),
}
COLUMN, ROW, MARGIN = 290, 125, 20
BOX_WIDTH, BOX_HEIGHT = 180, 62


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    lines: tuple[str, ...]  # the French label, on one or two lines
    qname: str
    href: str | None

    @property
    def cx(self) -> float:
        return self.x + BOX_WIDTH / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_HEIGHT / 2


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    dashed: bool = False
    lines: tuple[str, ...] = ()  # the label, wrapped to fit between two boxes side by side
    lx: float = 0  # where the label sits
    ly: float = 0
    anchor: str = "middle"


@dataclass(frozen=True)
class Loop:
    """A property from a class to itself: a small arc at the box's lower right corner, named in the caption."""
    x: float
    y: float
    label: str
    source: str


def _border(box: Box, toward: Box) -> tuple[float, float]:
    """Where the line from ``box``'s centre toward ``toward``'s centre leaves ``box``."""
    dx, dy = toward.cx - box.cx, toward.cy - box.cy
    if dx == 0 and dy == 0:
        return box.cx, box.cy
    scale = min(BOX_WIDTH / 2 / abs(dx) if dx else float("inf"), BOX_HEIGHT / 2 / abs(dy) if dy else float("inf"))
    return box.cx + dx * scale, box.cy + dy * scale


def _edge(a: Box, b: Box, label: str, dashed: bool = False, beside: bool = False) -> Edge:
    (x1, y1), (x2, y2) = _border(a, b), _border(b, a)
    columns, rows = round(abs(b.cx - a.cx) / COLUMN), round(abs(b.cy - a.cy) / ROW)
    # A long (knight's move) edge has its label near its far end, off the middle of the gaps where the short
    # vertical edges put theirs; a horizontal edge's label is wrapped to fit the gap between the two boxes.
    # (a knight's move mostly down crosses a row between two boxes: its label is wrapped there too, and put
    # below the middle, under the label of the horizontal edge that may share that gap).
    share = 0.65 if columns == 2 and rows == 1 else 0.5
    lines = tuple(textwrap.wrap(label, 14)) if rows == 0 or (rows == 2 and columns == 1) else (label,)
    lift = 4 + 15 * (len(lines) - 1) if rows == 0 else (-18 if rows == 2 else 4)
    lx, ly, anchor = x1 + (x2 - x1) * share, y1 + (y2 - y1) * share - lift, "middle"
    if beside and columns == 0:  # a subclass link runs beside a property's edge, each label on its own side
        shift = 14 if dashed else 0
        x1, x2 = x1 + shift, x2 + shift
        lx, ly, anchor = lx + shift + (6 if dashed else -6), ly + 8, "start" if dashed else "end"
    return Edge(x1, y1, x2, y2, label, dashed, lines, lx, ly, anchor)


def _box(column: int, row: int, label: str, qname: str, href: str | None) -> Box:
    lines = textwrap.wrap(label, 21)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), 21, placeholder="…")]
    return Box(MARGIN + column * COLUMN, MARGIN + row * ROW, tuple(lines), qname, href)


def diagram(vocabulary: Vocabulary) -> dict:
    boxes = {doc.ref.iri: _box(*PLACES[doc.ref.qname], doc.ref.label, doc.ref.qname, doc.ref.href)
             for doc in vocabulary.classes() if doc.ref.qname in PLACES}
    labels: dict[tuple[str, str], list[str]] = {}
    for prop in vocabulary.properties():
        for domain in prop.domain:
            for target in prop.range:
                if domain.iri in boxes and target.iri in boxes and prop.kind == "propriété d'objet":
                    labels.setdefault((domain.iri, target.iri), []).append(prop.ref.label)
    subclass = {(iri, str(parent)) for iri in boxes for parent in vocabulary.graph.objects(URIRef(iri), RDFS.subClassOf)
                if str(parent) in boxes and str(parent) != iri}
    edges: list[Edge] = []
    loops: list[Loop] = []
    for (source, end), names in sorted(labels.items()):
        text = " / ".join(sorted(set(names)))
        a = boxes[source]
        if source == end:
            loops.append(Loop(a.x + BOX_WIDTH, a.y + BOX_HEIGHT, text, vocabulary.label(URIRef(source))))
        else:
            edges.append(_edge(a, boxes[end], text, beside=(source, end) in subclass))
    for child, parent in sorted(subclass):
        beside = (child, parent) in labels
        edges.append(_edge(boxes[child], boxes[parent], "sous-classe de", dashed=True, beside=beside))
    columns = 1 + max((c for c, _ in PLACES.values()), default=0)
    rows = 1 + max((r for _, r in PLACES.values()), default=0)
    return {"boxes": list(boxes.values()), "edges": edges, "loops": loops, "box_width": BOX_WIDTH,
            "box_height": BOX_HEIGHT, "width": 2 * MARGIN + (columns - 1) * COLUMN + BOX_WIDTH,
            "height": 2 * MARGIN + (rows - 1) * ROW + BOX_HEIGHT}
