"""Counts per class and per scheme, from the shared queries ``class-counts`` and ``scheme-summary``."""

from __future__ import annotations

from .namespaces import PREFIXES
from .query import named_queries, run_query
from .store import Engine

PLAN_LEVELS = ("Orientation", "Axis", "Objective", "Action", "SubAction")


def short(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def graph_stats(engine: Engine) -> dict:
    queries = named_queries()
    classes = run_query(engine, queries["class-counts"])
    per_class = {short(str(r["class"])): int(r["count"]) for r in classes.rows}
    summary = run_query(engine, queries["scheme-summary"])
    schemes: dict[str, dict] = {}
    for row in summary.rows:
        entry = schemes.setdefault(str(row["scheme"]), {
            "label": str(row["schemeLabel"]), "departement": str(row["code"]),
            "start": int(row["start"]), "end": int(row["end"]), **{lvl: 0 for lvl in PLAN_LEVELS},
        })
        kind = short(str(row.get("type", ""))).removeprefix("sdsf:")
        if kind in PLAN_LEVELS:
            entry[kind] = int(row["count"])
    return {"classes": per_class, "schemes": schemes}


def format_stats(stats: dict) -> str:
    lines = ["Resources per class:"]
    lines += [f"  {count:6d}  {cls}" for cls, count in stats["classes"].items()]
    lines.append("")
    lines.append("Schemes (plan elements per level):")
    header = f"  {'scheme':<32} {'dép.':<5} {'period':<10} " + " ".join(f"{lvl:>11}" for lvl in PLAN_LEVELS)
    lines.append(header)
    for entry in stats["schemes"].values():
        period = f"{entry['start']}-{entry['end']}"
        counts = " ".join(f"{entry[lvl]:>11}" for lvl in PLAN_LEVELS)
        lines.append(f"  {entry['label'][:32]:<32} {entry['departement']:<5} {period:<10} {counts}")
    return "\n".join(lines)
