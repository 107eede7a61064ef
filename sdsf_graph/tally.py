"""Stage 2 (continued) — counts computed by the build, kept in the derived graph.

National questions ("which themes does each scheme cover, with how many actions?") would otherwise recount
every theme link of every plan element at each query: about 155,000 links at national scale, seconds on any
engine. The build counts them once, per scheme, from the same statements the queries would read:

* on each scheme whose plan the graph holds: ``sdsf:elementCount``, ``sdsf:actionCount``, ``sdsf:subActionCount``;
* one ``sdsf:ThemeProfile`` per scheme and theme that the plan uses or the source declares covered
  (``sdsf:coversField``), with the same three counts for the theme and ``sdsf:fieldDeclared``.

A scheme whose plan the graph does not hold (a predecessor known only by its assessment) gets no count: the
graph does not know it, and 0 would say it had no action.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from rdflib import Graph, Literal, URIRef

from .namespaces import RDF, SDSF

COUNTED = {SDSF.Action: SDSF.actionCount, SDSF.SubAction: SDSF.subActionCount}
PROFILE_PATH = "/id/theme-profile/"


def profile_iri(scheme: URIRef, theme: URIRef) -> URIRef:
    """``…/id/theme-profile/<scheme>--<theme>`` beside ``…/id/scheme/<scheme>`` (any base; one path segment)."""
    theme_key = str(theme).rstrip("/").rsplit("/", 1)[-1]
    if "/id/scheme/" in scheme:
        return URIRef(str(scheme).replace("/id/scheme/", PROFILE_PATH, 1) + "--" + theme_key)
    return URIRef(f"{scheme}--theme-profile--{theme_key}")


def _counts(target: Graph, node: URIRef, counts: Counter) -> None:
    target.add((node, SDSF.elementCount, Literal(counts["element"])))
    for kind, predicate in COUNTED.items():
        target.add((node, predicate, Literal(counts[kind])))


def tally(graph: Graph, in_scheme: dict[URIRef, URIRef], derived: Graph) -> None:
    """Add the counts of ``graph``'s schemes to ``derived``; ``in_scheme`` maps each plan element to its scheme."""
    per_scheme: dict[URIRef, Counter] = defaultdict(Counter)
    per_theme: dict[tuple[URIRef, URIRef], Counter] = defaultdict(Counter)
    for element, scheme in in_scheme.items():
        kinds = ["element"] + [k for k in COUNTED if (element, RDF.type, k) in graph]
        per_scheme[scheme].update(kinds)
        for theme in set(graph.objects(element, SDSF.theme)):
            if isinstance(theme, URIRef) and (theme, RDF.type, SDSF.Theme) in graph:  # others are reported
                per_theme[(scheme, theme)].update(kinds)
    for scheme, counts in per_scheme.items():
        _counts(derived, scheme, counts)
    declared = {(s, t) for s, t in graph.subject_objects(SDSF.coversField)
                if isinstance(s, URIRef) and isinstance(t, URIRef) and (s, RDF.type, SDSF.Scheme) in graph
                and (t, RDF.type, SDSF.Theme) in graph}
    for scheme, theme in sorted(set(per_theme) | declared):
        profile = profile_iri(scheme, theme)
        derived.add((profile, RDF.type, SDSF.ThemeProfile))
        derived.add((profile, SDSF.profileOf, scheme))
        derived.add((profile, SDSF.profileTheme, theme))
        derived.add((profile, SDSF.fieldDeclared, Literal((scheme, theme) in declared)))
        _counts(derived, profile, per_theme[(scheme, theme)])
