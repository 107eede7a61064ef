"""The ``similar`` blueprint: ``/similar``, the similar-action search for people (its JSON twin: /api/similar).

A plain GET form (no JavaScript): a text, optionally a département to leave out and a theme. The results show
each plan element's label with the words it shares with the text marked (``<mark>``), its département, its
scheme and its score. The text is only ever compared with the search index, never put in a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for

from sdsf_graph.search import MAX_TEXT
from sdsf_graph.textnorm import WORD

from . import thesaurus
from .api import DEPARTEMENT_CODE, current_index
from .layout import Twin, render_page

bp = Blueprint("similar", __name__)
LIMIT = 20


@dataclass(frozen=True)
class Segment:
    text: str
    mark: bool


def highlight(label: str, terms: list[str]) -> list[Segment]:
    """The label cut into segments, the words found in ``terms`` (lower case) to be marked; text stays text."""
    wanted = {t.lower() for t in terms}
    segments: list[Segment] = []
    position = 0
    for match in WORD.finditer(label):
        if match.group().lower() in wanted:
            if match.start() > position:
                segments.append(Segment(label[position:match.start()], False))
            segments.append(Segment(match.group(), True))
            position = match.end()
    if position < len(label):
        segments.append(Segment(label[position:], False))
    return segments


def _choices() -> tuple[list[dict], list[dict]]:
    """Départements that have plan elements, and the themes, for the form's selects."""
    departements = current_index().departements()
    return ([{"code": c, "label": lbl} for c, lbl in departements],
            [{"iri": t.iri, "label": t.label} for t in thesaurus.current().themes()])


def _checked(text: str, exclude: str, theme: str, themes: list[dict]) -> str | None:
    """The French message for a person when the form's values cannot be searched, else None."""
    if not text.strip():
        return "Saisissez un texte à rechercher (par exemple « horaires atypiques »)."
    if len(text) > MAX_TEXT:
        return f"Le texte est trop long : {len(text)} caractères, pour {MAX_TEXT} au plus."
    if exclude and not DEPARTEMENT_CODE.match(exclude):
        return f"« {exclude} » n'est pas un code de département."
    if theme and theme not in {t["iri"] for t in themes}:
        return "Ce thème n'existe pas dans le thésaurus."
    return None


@bp.route("/similar")
def page() -> Response:
    departements, themes = _choices()
    args = request.args
    text, exclude, theme = args.get("text"), args.get("exclude_departement", ""), args.get("theme", "")
    form = {"text": text or "", "exclude_departement": exclude, "theme": theme}
    context: dict[str, Any] = {"form": form, "departements": departements, "themes": themes, "max_text": MAX_TEXT}
    if text is None:
        return render_page("similar.html", title="Actions similaires", results=None, **context)
    error = _checked(text, exclude, theme, themes)
    if error:
        return render_page("similar.html", title="Actions similaires", status=400, error=error, results=None,
                           **context)
    answer = current_index().similar(text=text, limit=LIMIT, exclude_departement=exclude or None,
                                     theme=theme or None)
    results = [{**r, "segments": highlight(r["label"], r["why"]["terms"])} for r in answer["results"]]
    query = {k: v for k, v in (("text", text), ("exclude_departement", exclude), ("theme", theme),
                               ("limit", str(LIMIT))) if v}
    twins = [Twin(url_for("api.similar") + "?" + urlencode(query), "application/json", "JSON")]
    theme_labels = {t["iri"]: t["label"] for t in themes}
    return render_page("similar.html", title=f"Actions similaires à « {_short(text)} »", twins=twins,
                       results=results, theme_labels=theme_labels, **context)


def _short(text: str, width: int = 60) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    return text if len(text) <= width else text[:width - 1] + "…"
