"""The ``pages`` blueprint: the home page, a national overview — key figures, the map of départements coloured by
a chosen measure, the schemes — and its JSON twin (``/index.json`` or ``/?format=json``, the same figures).

The measure, year and theme are chosen with a plain GET form and the map is coloured here, on the server (CSS
classes, no inline style), so it works without JavaScript; ``static/js/map.js`` only adds niceties.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request, url_for

from . import artifact, named
from .errors import HTTPError, shown
from .francemap import france_map
from .layout import Twin, render_page
from .pagekit import iri_path, json_response, local_name, number_arg, safe_url, wants_json

bp = Blueprint("pages", __name__)

MEASURES = {
    "schemes": "A au moins un schéma dans le graphe",
    "in-force": "Schéma en vigueur l'année choisie",
    "theme": "Schéma couvrant le thème choisi",
    "actions": "Nombre d'actions",
}
DEFAULT_THEME = "parentalite"
YEARS = (1990, 2100)
#: actions measure: (lowest count, class) from the top; the legend reads them in order.
ACTION_BINS = ((100, 9), (50, 8), (25, 6), (10, 4), (1, 2), (0, 0))


@dataclass(frozen=True)
class Choice:
    measure: str
    year: int
    theme: str  # a theme's local name (parentalite)


def _default_year(schemes: list[dict]) -> int:
    first = min((s["start"] for s in schemes), default=YEARS[0])
    last = max((s["end"] for s in schemes), default=YEARS[1])
    return min(max(datetime.date.today().year, first), last)


def _choice(themes: dict[str, dict[str, Any]], schemes: list[dict]) -> Choice:
    """The measure, year and theme asked for; HTTPError 400 with a message for anything else."""
    args = request.args
    measure = args.get("measure", "schemes")
    if measure not in MEASURES:
        raise HTTPError(400, f"mesure inconnue : {shown(measure)} (au choix : {', '.join(MEASURES)})")
    year = number_arg("year", *YEARS, default=_default_year(schemes), label="année")
    theme = args.get("theme", DEFAULT_THEME)
    if theme not in themes:
        raise HTTPError(400, f"thème inconnu : {shown(theme)} (voir la liste des thèmes du thésaurus)")
    return Choice(measure, year, theme)


def _class_and_value(measure: str, row: dict) -> tuple[str, str]:
    if not row["schemes"]:
        return "m-none", "aucun schéma"
    if measure == "schemes":
        return "m-yes", f"{row['schemes']} schéma{'s' if row['schemes'] > 1 else ''}"
    if measure == "in-force":
        return ("m-yes", "en vigueur") if row["inForce"] else ("m-partial", "pas en vigueur")
    if measure == "theme":
        return ("m-yes", "couvre le thème") if row["coversTheme"] else ("m-partial", "ne couvre pas le thème")
    level = next(level for low, level in ACTION_BINS if row["actions"] >= low)
    return f"heat-{level}", f"{row['actions']} action{'s' if row['actions'] > 1 else ''}"


def _legend(choice: Choice, theme_label: str) -> list[dict]:
    if choice.measure == "actions":
        entries, high = [], None
        for low, level in ACTION_BINS:
            label = f"{low} et plus" if high is None else (f"{low}" if high - 1 == low else f"{low} à {high - 1}")
            entries.append({"cls": f"heat-{level}", "label": label})
            high = low
        return entries + [{"cls": "m-none", "label": "aucun schéma dans le graphe"}]
    yes = {"schemes": "au moins un schéma", "in-force": f"schéma en vigueur en {choice.year}",
           "theme": f"schéma couvrant « {theme_label} »"}[choice.measure]
    partial = {"in-force": f"schéma(s), aucun en vigueur en {choice.year}",
               "theme": "schéma(s) ne couvrant pas ce thème"}.get(choice.measure)
    entries = [{"cls": "m-yes", "label": yes}]
    if partial:
        entries.append({"cls": "m-partial", "label": partial})
    return entries + [{"cls": "m-none", "label": "aucun schéma dans le graphe"}]


def _int(row: dict, key: str) -> int:
    return int(row[key]) if key in row else 0


def overview() -> dict:
    """Everything the home page shows, as plain values (the page and its JSON twin)."""
    themes: dict[str, dict[str, Any]] = {local_name(str(r["theme"])): {"iri": str(r["theme"]), "label": str(r["label"]),
                                                "href": iri_path(str(r["theme"])), "schemes": _int(r, "schemes")}
              for r in named.rows("themes-list")}
    schemes = [{"iri": str(r["scheme"]), "href": iri_path(str(r["scheme"])), "label": str(r["schemeLabel"]),
                "code": str(r["code"]), "departement": str(r["departementLabel"]), "start": int(r["start"]),
                "end": int(r["end"]), "actions": _int(r, "actions")} for r in named.rows("scheme-timeline")]
    choice = _choice(themes, schemes)
    theme = themes[choice.theme]
    departements = []
    for r in named.rows("departement-map", year=str(choice.year), theme=theme["iri"]):
        row = {"code": str(r["code"]), "label": str(r["label"]), "iri": str(r["departement"]),
               "href": iri_path(str(r["departement"])), "schemes": _int(r, "schemes"),
               "inForce": bool(_int(r, "inForceInYear")), "coversTheme": bool(_int(r, "coversTheme")),
               "actions": _int(r, "actions")}
        row["class"], row["value"] = _class_and_value(choice.measure, row)
        departements.append(row)
    counts = {k: int(v) for k, v in named.rows("overview-counts")[0].items()}
    return {"data_version": artifact.current().version, "measure": choice.measure,
            "measure_label": MEASURES[choice.measure], "year": choice.year,
            "theme": {"name": choice.theme, **theme}, "counts": counts,
            "legend": _legend(choice, theme["label"]), "departements": departements, "schemes": schemes,
            "themes": [{"name": k, **v} for k, v in themes.items()]}


def _twin_query() -> dict[str, Any]:
    return {k: v for k, v in request.args.items() if k in ("measure", "year", "theme")}


def _years(data: dict) -> list[int]:
    """The years offered: around the schemes' periods, and the one shown."""
    first = min((s["start"] for s in data["schemes"]), default=data["year"])
    last = max((s["end"] for s in data["schemes"]), default=data["year"])
    return sorted(set(range(first - 2, last + 3)) | {data["year"]})


def _page(data: dict) -> Response:
    by_code = {d["code"]: d for d in data["departements"]}
    twins = [Twin(url_for("pages.home_json", **_twin_query()), "application/json", "JSON")]
    explore = [(safe_url(endpoint), label) for endpoint, label in (
        ("compare.compare", "Comparer les départements, les thèmes et les signataires"),
        ("sparql.endpoint", "Interroger le graphe en SPARQL"),
        ("similar.page", "Chercher des actions similaires dans d'autres départements"),
        ("ontology.page", "Lire l'ontologie et le thésaurus"),
        ("downloads.page", "Télécharger le graphe entier"))]
    return render_page("home.html", title="Carte et synthèse", twins=twins, data=data, by_code=by_code,
                       france=france_map(), measures=MEASURES, years=_years(data),
                       explore=[(href, label) for href, label in explore if href])


@bp.route("/")
def home() -> Response:
    data = overview()
    return json_response(data) if wants_json() else _page(data)


@bp.route("/index.json")
def home_json() -> Response:
    return json_response(overview())
