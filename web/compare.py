"""The ``compare`` blueprint: départements side by side.

``/compare`` shows the départements × themes matrix (actions per theme, as a heatmap of CSS classes), who signs
where (institution types × départements), the timeline of scheme periods (server-drawn SVG, and its table) and,
with ``?dep=26&dep=92…`` (2 to 5 départements), a side-by-side view: schemes, threads, signatories, governance
and actions per theme. Every table downloads as CSV from the same rows (``/compare/<table>.csv``); the page's
JSON twin is ``/compare.json``. Wrong ``dep`` values get a clear message and status 400.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, request, url_for

from . import artifact, named
from .errors import shown
from .layout import Twin, render_page
from .pagekit import Cell, Table, csv_response, heat, iri_path, json_response, wants_json

bp = Blueprint("compare", __name__)

MIN_SIDE, MAX_SIDE = 2, 5
CODE = re.compile(r"[0-9]{2,3}|2[AB]")  # ASCII digits only, whole value (fullmatch)
KINDS = (("scheme", "Schémas"), ("thread", "Fils conducteurs"), ("signatory", "Signataires"),
         ("governance", "Gouvernance"))


class BadChoice(ValueError):
    """Départements asked for that cannot be compared (the message is for a person)."""


def _departements() -> dict[str, dict]:
    return {str(r["code"]): {"code": str(r["code"]), "label": str(r["label"]), "href": iri_path(str(r["departement"])),
                             "schemes": int(r["schemes"])} for r in named.rows("departement-map")}


def _chosen(known: dict[str, dict]) -> list[str]:
    codes = [c.strip().upper() for c in request.args.getlist("dep") if c.strip()]
    codes = list(dict.fromkeys(codes))  # the same département twice counts once
    if not codes:
        return []
    unknown = [c for c in codes if not CODE.fullmatch(c) or c not in known]
    if unknown:  # each shown cut short, at most MAX_SIDE of them: the message never echoes a long request
        listed = ", ".join(c if len(c) <= 12 else c[:11] + "…" for c in unknown[:MAX_SIDE])
        more = f" et {len(unknown) - MAX_SIDE} autres" if len(unknown) > MAX_SIDE else ""
        raise BadChoice(f"code de département inconnu : {listed}{more} (codes INSEE : 01, 2A, 26, 971…)")
    if not MIN_SIDE <= len(codes) <= MAX_SIDE:
        raise BadChoice(f"choisissez de {MIN_SIDE} à {MAX_SIDE} départements différents à comparer "
                        f"({len(codes)} demandé{'s' if len(codes) > 1 else ''})")
    return codes


def _dep_cell(dep: dict) -> Cell:
    return Cell(f"{dep['label']} ({dep['code']})", dep["href"])


def _heat_cell(count: int, top: int) -> Cell:
    return Cell(str(count), cls=f"num {heat(count, top)}")


def _heatmap(name: str, caption: str, corner: str, rows: dict[str, Cell], columns: dict[str, Cell],
             counts: dict[tuple[str, str], int]) -> Table:
    """``counts[row, column]`` (0 where none), each cell shaded by its share of the largest count."""
    top = max(counts.values(), default=0)
    table = Table(name, caption, [Cell(corner)] + list(columns.values()))
    for row, head in rows.items():
        table.rows.append([head] + [_heat_cell(counts.get((row, column), 0), top) for column in columns])
    return table


def _counts_by_departement(query: str, item: str, count: str) -> tuple[dict[tuple[str, str], int], dict[str, Cell]]:
    """A named query's ``count`` per (``item``, département code), and a cell per item, in the order of its label
    (the query's ``<item>Label``)."""
    counts: dict[tuple[str, str], int] = {}
    labels: dict[str, str] = {}
    for r in named.rows(query):
        counts[str(r[item]), str(r["code"])] = int(r[count])
        labels[str(r[item])] = str(r[item + "Label"])
    return counts, {i: Cell(labels[i], iri_path(i)) for i in sorted(labels, key=lambda i: labels[i])}


def _departement_cells(known: dict[str, dict], counts: dict[tuple[str, str], int]) -> dict[str, Cell]:
    return {code: _dep_cell(known[code]) for code in sorted({c for _, c in counts})}


def theme_matrix(known: dict[str, dict]) -> Table:
    by_theme, themes = _counts_by_departement("departement-theme-matrix", "theme", "actions")
    counts = {(code, theme): n for (theme, code), n in by_theme.items()}
    return _heatmap("departements-themes", "Actions et sous-actions par département (lignes) et par thème (colonnes)",
                    "Département", _departement_cells(known, by_theme), themes, counts)


def signatory_matrix(known: dict[str, dict]) -> Table:
    counts, types = _counts_by_departement("signatory-types-by-departement", "institutionType", "schemes")
    return _heatmap("signataires", "Nombre de schémas signés, par type d'institution (lignes) et par département "
                    "(colonnes)", "Type d'institution", types, _departement_cells(known, counts), counts)


def timeline(known: dict[str, dict]) -> tuple[Table, dict]:
    schemes = named.rows("scheme-timeline")
    table = Table("frise", "Les schémas et leur période", [Cell("Schéma"), Cell("Département"), Cell("Début"),
                  Cell("Fin"), Cell("Actions")])
    bars = []
    for r in schemes:
        start, end = int(r["start"]), int(r["end"])
        table.rows.append([Cell(str(r["schemeLabel"]), iri_path(str(r["scheme"]))),
                           _dep_cell(known[str(r["code"])]),
                           Cell(str(start), cls="num"), Cell(str(end), cls="num"),
                           Cell(str(int(r["actions"])), cls="num")])
        bars.append({"label": str(r["schemeLabel"]), "href": iri_path(str(r["scheme"])), "start": start, "end": end})
    return table, _timeline_svg(bars)


def _timeline_svg(bars: list[dict]) -> dict:
    """Geometry of the timeline: one bar per scheme from its first to the end of its last year."""
    if not bars:
        return {"bars": [], "ticks": [], "width": 0, "height": 0}
    first, last = min(b["start"] for b in bars), max(b["end"] for b in bars) + 1
    left, width, row_h, top = 230, 900, 26, 24
    per_year = (width - left - 24) / max(1, last - first)
    for i, bar in enumerate(bars):
        bar.update(x=round(left + (bar["start"] - first) * per_year, 1), y=top + i * row_h, h=row_h - 8,
                   w=round((bar["end"] + 1 - bar["start"]) * per_year, 1), text_y=top + i * row_h + 13)
    ticks = [{"year": y, "x": round(left + (y - first) * per_year, 1)} for y in range(first, last + 1)]
    return {"bars": bars, "ticks": ticks, "width": width, "height": top + len(bars) * row_h + 4, "left": left}


def side_by_side(codes: list[str], known: dict[str, dict]) -> Table:
    facts: dict[str, dict[str, list[Cell]]] = {c: defaultdict(list) for c in codes}
    themes: dict[str, str] = {}
    actions: dict[tuple[str, str], int] = defaultdict(int)
    for code in codes:
        for r in named.rows("departement-profile", code=code):
            kind, item, label = str(r["kind"]), str(r["item"]), str(r["itemLabel"])
            if kind == "theme":
                themes[item] = label
                actions[code, item] += int(r["count"])
            elif all(c.text != label for c in facts[code][kind]):
                facts[code][kind].append(Cell(label, iri_path(item)))
    table = Table("cote-a-cote", "Les départements choisis côte à côte",
                  [Cell("")] + [_dep_cell(known[c]) for c in codes])
    for kind, title in KINDS:
        table.rows.append([Cell(title)] + [Cell("—", items=tuple(facts[c][kind])) if facts[c][kind] else Cell("—")
                                            for c in codes])
    top = max(actions.values(), default=0)
    for theme in sorted(themes, key=lambda t: themes[t]):
        table.rows.append([Cell(f"Actions — {themes[theme]}", iri_path(theme))] + [
            _heat_cell(actions[c, theme], top) for c in codes])
    return table


def _tables(codes: list[str], known: dict[str, dict]) -> tuple[dict[str, Table], dict]:
    line, svg = timeline(known)
    tables = {t.name: t for t in (theme_matrix(known), signatory_matrix(known), line)}
    if codes:
        tables["cote-a-cote"] = side_by_side(codes, known)
    return tables, svg


def _page(known: dict[str, dict], codes: list[str], error: str | None) -> Response:
    tables, svg = _tables(codes, known)
    query: dict[str, Any] = {"dep": codes} if codes else {}
    twins = [Twin(url_for("compare.compare_json", **query), "application/json", "JSON")]
    twins += [Twin(url_for("compare.table_csv", table=name, **(query if name == "cote-a-cote" else {})),
                   "text/csv", f"CSV « {t.caption} »") for name, t in tables.items()]
    choices = [d for d in known.values() if d["schemes"]]
    return render_page("compare.html", title="Comparer les départements", twins=twins, tables=tables, svg=svg,
                       codes=codes, choices=choices, error=error, status=400 if error else 200,
                       csv_query=query, min_side=MIN_SIDE, max_side=MAX_SIDE)


@bp.route("/compare")
def compare() -> Response:
    known = _departements()
    try:
        codes, error = _chosen(known), None
    except BadChoice as exc:
        codes, error = [], str(exc)
    if wants_json():
        return _json(known, codes, error)
    return _page(known, codes, error)


def _json(known: dict[str, dict], codes: list[str], error: str | None) -> Response:
    if error:
        return json_response({"error": error}, 400)
    tables, _ = _tables(codes, known)
    return json_response({"data_version": artifact.current().version, "departements": codes,
                          "tables": [t.as_json() for t in tables.values()]})


@bp.route("/compare.json")
def compare_json() -> Response:
    known = _departements()
    try:
        codes = _chosen(known)
    except BadChoice as exc:
        return _json(known, [], str(exc))
    return _json(known, codes, None)


@bp.route("/compare/<table>.csv")
def table_csv(table: str) -> Response:
    known = _departements()
    if table == "cote-a-cote":
        try:
            codes = _chosen(known)
        except BadChoice as exc:
            return Response(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")
        if not codes:
            return Response(f"ajoutez de {MIN_SIDE} à {MAX_SIDE} paramètres dep=CODE (ex. ?dep=26&dep=92)\n",
                            status=400, content_type="text/plain; charset=utf-8")
        return csv_response(side_by_side(codes, known))
    builders = {"departements-themes": lambda: theme_matrix(known), "signataires": lambda: signatory_matrix(known),
                "frise": lambda: timeline(known)[0]}
    if table not in builders:
        abort(404, f"pas de tableau {shown(table)} : {', '.join([*builders, 'cote-a-cote'])}")
    return csv_response(builders[table]())
