"""What the home, comparison and download pages share: links to resource pages, tables that render as HTML and
download as CSV from the same rows, heat classes, and the choice between a page and its JSON twin.

A :class:`Table` is built once per request from query results; the template draws it (``th``/``caption``, every
cell escaped by Jinja) and ``to_csv`` writes the very same rows, so a downloaded table is what the page shows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request, url_for
from werkzeug.routing import BuildError

from .errors import HTTPError, shown
from .named import base_iri
from .negotiation import best_media_type

HEAT_LEVELS = 10  # CSS classes .heat-0 … .heat-9 (no inline style: the pages' CSP has no 'unsafe-inline')


def iri_path(iri: str) -> str:
    """The page of a resource of the graph on this site: its IRI's path (``/id/departement/26``)."""
    base = base_iri()
    return "/" + iri.removeprefix(base) if iri.startswith(base) else iri


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def heat(value: int, top: int) -> str:
    """The heat class of a count on a scale up to ``top``: heat-0 for nothing, heat-1 … heat-9 above."""
    if value <= 0 or top <= 0:
        return "heat-0"
    return f"heat-{max(1, min(HEAT_LEVELS - 1, round((HEAT_LEVELS - 1) * value / top)))}"


def safe_url(endpoint: str, **values: Any) -> str | None:
    """The URL of a view, or None while its blueprint is not registered."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    cls: str = ""          # CSS classes (heat-N, num…)
    items: tuple[Cell, ...] = ()  # a list of linked values in one cell (CSV: joined with " ; ")

    @property
    def csv_text(self) -> str:
        return " ; ".join(item.text for item in self.items) if self.items else self.text


@dataclass
class Table:
    name: str              # /compare/<name>.csv
    caption: str
    columns: list[Cell]
    rows: list[list[Cell]] = field(default_factory=list)
    row_headers: int = 1   # leading cells of each row drawn as <th scope="row">

    def records(self) -> list[list[str]]:
        return [[c.csv_text for c in self.columns]] + [[c.csv_text for c in row] for row in self.rows]

    def as_json(self) -> dict:
        header, *body = self.records()
        return {"name": self.name, "caption": self.caption, "columns": header, "rows": body}


def csv_response(table: Table) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table.records())
    response = Response(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{table.name}.csv"'
    return response


def json_response(payload: dict, status: int = 200) -> Response:
    # <, > and & escaped: the JSON stays inert even if a browser were to sniff it as HTML.
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    response = Response(text, status=status, content_type="application/json; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


#: What a page can answer, by media type: the page itself or its JSON twin.
PAGE_FORMATS = {"text/html": "html", "application/json": "json"}


def wants_json() -> bool:
    """``?format=json``, or an Accept header preferring JSON to HTML (read as the endpoint reads it)."""
    if "format" in request.args:
        wanted = request.args["format"]
        if wanted not in PAGE_FORMATS.values():
            raise HTTPError(400, f"format={shown(wanted, 20, quoted=False)} : cette page existe en format=html ou "
                                 "format=json")
        return wanted == "json"
    return PAGE_FORMATS[best_media_type(list(PAGE_FORMATS), request.headers.get("Accept")) or "text/html"] == "json"


def whole_number(raw: str, name: str, low: int, high: int, label: str | None = None) -> int:
    """A number parameter of a page or of the API: ASCII digits only (no sign, space, ``_`` or other script's
    digits such as ``²`` or ``٣``, which ``str.isdigit`` or ``int`` would take), from ``low`` to ``high``; else
    HTTPError 400 with a message in French and English. ``label`` names the parameter in French (``année``)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(high)) and low <= int(raw) <= high:
        return int(raw)
    raise HTTPError(400, f"{label or name} invalide : {shown(raw)} (un nombre entier de {low} à {high}) — "
                         f"{name} must be a whole number between {low} and {high}")


def number_arg(name: str, low: int, high: int, default: int, label: str | None = None) -> int:
    """The request's ``name`` parameter read by :func:`whole_number`; absent or empty: ``default``."""
    raw = request.args.get(name, "")
    return whole_number(raw, name, low, high, label) if raw else default
