"""Write a draft as YAML people can read, review and diff: block style, comments, one value per line.

PyYAML's ``dump`` writes no comments, so the few shapes a draft has are written by hand: mappings, lists of
mappings, short lists of identifiers on one line (``[parentalite, handicap]``) and texts always in double
quotes (JSON escaping is valid YAML), so that no label is ever read back as a number or a yes/no.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass
class Comment:
    """A value written with a comment at the end of its line (``None``: no comment)."""

    value: Any
    comment: str | None = None


PLAIN = re.compile(r"^[a-z][a-z0-9-]*$")


def _scalar(value: Any) -> str:
    text = str(value)
    return text if PLAIN.fullmatch(text) and text not in ("yes", "no", "on", "off", "null", "true", "false") \
        else json.dumps(text, ensure_ascii=False)


def _inline(value: Any) -> str | None:
    """The one-line form of ``value``, or None when it needs a block."""
    if isinstance(value, dict):
        return "{}" if not value else None
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, str) and PLAIN.fullmatch(v) for v in value):
            return "[" + ", ".join(value) + "]"
        return None
    return _scalar(value)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            comment = ""
            if isinstance(item, Comment):
                comment = f"  # {item.comment}" if item.comment else ""
                item = item.value
            one = _inline(item)
            if one is not None:
                out.append(f"{pad}{key}: {one}{comment}")
            else:
                out.append(f"{pad}{key}:{comment}")
                out += _lines(item, indent + 2)
    elif isinstance(value, list):
        for item in value:
            one = _inline(item)
            if one is not None:
                out.append(f"{pad}- {one}")
                continue
            block = _lines(item, indent + 2)
            out.append(f"{pad}- {block[0].lstrip()}")
            out += block[1:]
    return out


def dump(data: dict[str, Any], header: list[str]) -> str:
    return "\n".join([*(f"# {line}" for line in header), *_lines(data, 0)]) + "\n"
