"""The values of a draft as the person typed them, and the ways through a draft's blocks.

Scalars arrive as text (see ``yamlsrc``): these helpers read a list, a yes/no, a period, a number, and walk
the organisations and the plan; ``check``, ``turtle`` and ``importer`` share them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from .spec import LEVEL_SYNONYMS, LEVELS
from .vocab import Vocab, slugify
from .yamlsrc import Path_

# --- values as the person typed them ---------------------------------------------------------------------

def texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


def ids(value: Any) -> list[str]:
    """A list of identifiers: a YAML list, or one text with commas (« parentalite, handicap »)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return texts(value)


def boolean(value: Any) -> bool | None:
    word = str(value).strip().lower() if value is not None else ""
    return True if word in ("oui", "vrai", "true", "yes") else False if word in ("non", "faux", "false", "no") else None


def period(value: Any) -> tuple[int, int] | None:
    m = re.fullmatch(r"\s*(\d{4})\s*[-–/]\s*(\d{4})\s*", str(value or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def number(value: Any) -> str | None:
    text = str(value or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    return text if re.fullmatch(r"[+-]?\d+(\.\d+)?", text) else None


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


KIND_CHECKS = {
    "text": (lambda v: isinstance(v, str), "un texte est attendu"),
    "texts": (lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)),
              "un texte ou une liste de textes est attendu"),
    "ids": (lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)),
            "une liste d'identifiants est attendue ([a, b] ou « a, b »)"),
    "int": (lambda v: isinstance(v, str) and v.strip().isdigit(), "un nombre entier est attendu"),
    "number": (lambda v: number(v) is not None, "un nombre est attendu (par exemple 373 ou 12,5)"),
    "bool": (lambda v: boolean(v) is not None, "oui ou non est attendu"),
    "year": (lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}", v.strip()) is not None,
             "une année sur quatre chiffres est attendue"),
    "period": (lambda v: period(v) is not None, "une période AAAA-AAAA est attendue (par exemple 2020-2024)"),
    "date": (lambda v: isinstance(v, str) and _is_date(v), "une date AAAA-MM-JJ est attendue"),
}


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def walk(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, path + (i,))


def organisations(data: dict) -> Iterator[tuple[Path_, dict]]:
    for key in ("signataires", "partenaires", "organisations"):
        for i, org in enumerate(data.get(key) or []):
            if isinstance(org, dict):
                yield (key, i), org


def org_id(org: dict, vocab: Vocab) -> str:
    return slugify(org.get("id") or vocab.lookup("institution", str(org.get("type") or "")) or "organisation")


def plan_elements(items: Any, path: Path_ = ("plan",)) -> Iterator[tuple[Path_, dict]]:
    for i, element in enumerate(items or []):
        if isinstance(element, dict):
            yield path + (i,), element
            yield from plan_elements(element.get("elements"), path + (i, "elements"))


def level(element: dict) -> str | None:
    word = slugify(str(element.get("niveau") or ""))
    word = LEVEL_SYNONYMS.get(word, word)
    return word if word in LEVELS else None
