"""pyshacl, faster: a shape's constraint parameters are looked up in a set instead of a list.

On every evaluation of a shape, pyshacl (0.2x-0.40) finds its constraint components by testing each of the
shape's predicates against a *list* of about 40 parameter IRIs (``p in search_parameters`` in
``pyshacl.shape.Shape.validate``): on the national graph, millions of IRI comparisons, about a third of the
validation's time. :func:`install` gives pyshacl the same parameters, in the same order, in a list that answers
``in`` from a set: the same constraints run, with the same results. Without the module attribute it relies
on (another pyshacl), nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ParameterList(list):
    """A list whose membership test is a set lookup (its items are hashable IRIs)."""

    def __init__(self, items: Iterable[Any] = ()):
        super().__init__(items)
        self._members = set(self)

    def __contains__(self, item: object) -> bool:
        try:
            return item in self._members
        except TypeError:  # unhashable: as a list would
            return list.__contains__(self, item)

    def copy(self) -> ParameterList:
        return ParameterList(self)

    def append(self, item: Any) -> None:
        super().append(item)
        self._members.add(item)


def install() -> bool:
    """Give pyshacl the set-backed parameter list; False when this pyshacl does not look parameters up so."""
    try:
        import pyshacl.shape as shape
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
    except ImportError:
        return False
    if not hasattr(shape, "module") or not isinstance(ALL_CONSTRAINT_PARAMETERS, list):
        return False
    current = getattr(shape, "CONSTRAINT_PARAMS", None)
    if current is None or not isinstance(current[0], ParameterList):
        shape.CONSTRAINT_PARAMS = (ParameterList(ALL_CONSTRAINT_PARAMETERS),  # type: ignore[attr-defined]
                                   CONSTRAINT_PARAMETERS_MAP)
    return True
