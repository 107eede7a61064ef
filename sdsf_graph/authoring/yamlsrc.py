"""Read a draft (YAML) without losing where each value was written.

PyYAML's ``safe_load`` forgets line numbers, so the draft is *composed* (``yaml.compose``: every node keeps
its ``start_mark``) and converted by hand. Every scalar is kept as the text the person typed (``01`` stays
``"01"``, ``Non`` stays ``"Non"``: YAML 1.1's guesses never change a label or a code); the checks convert
the few numeric and yes/no fields themselves. Each value's line is recorded under its path, a tuple of keys
and list indexes (``("plan", 0, "elements", 2, "themes")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import DraftError

Path_ = tuple[str | int, ...]


@dataclass
class Draft:
    path: Path
    data: Any
    #: line (1-based) of every key and value, by path
    lines: dict[Path_, int] = field(default_factory=dict)
    #: paths whose mapping repeats a key (the second occurrence's line)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)

    def line(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def show_path(path: Path_) -> str:
    """A path as a person reads it: keys by name, list positions from 1 (``plan › 1 › elements › 3``)."""
    return " › ".join(str(k + 1) if isinstance(k, int) else k for k in path) or "(document)"


def _convert(node: yaml.Node, path: Path_, draft: Draft) -> Any:
    line = node.start_mark.line + 1
    draft.lines.setdefault(path, line)
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" and node.style is None:
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), draft) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            key_path = path + (key,)
            if key in result:
                draft.duplicates.append((key_path, key_node.start_mark.line + 1))
                continue
            draft.lines[key_path] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, key_path, draft)
            draft.lines[key_path] = key_node.start_mark.line + 1
        return result
    return None


def read_draft(path: Path) -> Draft:
    """Read the draft at ``path``; a YAML syntax error names the file and the line (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows editors) is not content
    except (OSError, UnicodeDecodeError) as exc:
        raise DraftError(str(path), f"lecture impossible : {exc}") from None
    return parse_draft(text, path)


def parse_draft(text: str, path: Path) -> Draft:
    draft = Draft(path=path, data=None)
    try:
        node = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DraftError(str(path), f"syntaxe YAML invalide : {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise DraftError(str(path), f"syntaxe YAML invalide : {exc}") from None
    draft.data = {} if node is None else _convert(node, (), draft)
    return draft
