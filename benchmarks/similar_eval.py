"""Quality of the similar-action search on a labelled query set (default: ../shared/eval/similar-dev.tsv).

Prints recall@5 (share of queries with an expected answer in the top 5) and MRR@10 (mean reciprocal rank of
the first expected answer in the top 10), then the p50/p95 time of one in-process query (over ``--repeat``
passes of the query set) and the memory of this process with the index loaded. ``--build-dir`` points at another
build (a synthetic one: its quality figures mean nothing, its times do).

    python benchmarks/similar_eval.py [--tsv PATH] [--build-dir DIR] [--repeat N] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sdsf_graph.search import load_index  # noqa: E402
from sdsf_graph.settings import load_settings  # noqa: E402
from sdsf_graph.textnorm import fold  # noqa: E402


def read_queries(path: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t"))
    queries = []
    for dep, text, expected in rows[1:]:
        pairs = [tuple(item.split("|", 1)) for item in expected.split(";") if "|" in item]
        queries.append((dep, text, [(code, fold(words)) for code, words in pairs]))
    return queries


def first_hit(results: list[dict], expected: list[tuple[str, str]]) -> int | None:
    for rank, result in enumerate(results, 1):
        label = fold(result["label"])
        if any(result["departement"]["code"] == code and words in label for code, words in expected):
            return rank
    return None


def evaluate(index, queries, show_misses: bool = False, repeat: int = 1) -> dict:
    hits5, reciprocal, times = 0, [], []
    for _ in range(repeat - 1):  # timing only
        for dep, text, _expected in queries:
            start = time.perf_counter()
            index.similar(text=text, limit=10, exclude_departement=dep)
            times.append((time.perf_counter() - start) * 1000)
    for dep, text, expected in queries:
        start = time.perf_counter()
        results = index.similar(text=text, limit=10, exclude_departement=dep)["results"]
        times.append((time.perf_counter() - start) * 1000)
        rank = first_hit(results, expected)
        hits5 += rank is not None and rank <= 5
        reciprocal.append(1 / rank if rank else 0.0)
        if show_misses and (rank is None or rank > 5):
            print(f"MISS ({rank}) [{dep}] {text}")
            for r in results[:5]:
                print(f"      {r['departement']['code']} {r['score']:.3f} {r['label'][:90]}")
    times.sort()
    return {
        "queries": len(queries),
        "recall@5": hits5 / len(queries),
        "mrr@10": sum(reciprocal) / len(queries),
        "p50_ms": statistics.median(times),
        "p95_ms": times[max(0, int(round(0.95 * len(times))) - 1)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tsv", default=str(ROOT.parent / "shared" / "eval" / "similar-dev.tsv"))
    parser.add_argument("--build-dir", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    settings = load_settings({"build_dir": args.build_dir})
    start = time.perf_counter()
    index = load_index(settings.build_path)
    loaded = (time.perf_counter() - start) * 1000
    figures = evaluate(index, read_queries(Path(args.tsv)), args.show_misses, max(1, args.repeat))
    print(f"elements indexed: {len(index.elements)}; queries: {figures['queries']}; index loaded in {loaded:.0f} ms")
    print(f"recall@5 = {figures['recall@5']:.3f}   MRR@10 = {figures['mrr@10']:.3f}")
    print(f"query time in-process: p50 {figures['p50_ms']:.2f} ms, p95 {figures['p95_ms']:.2f} ms")
    status = Path("/proc/self/status")
    if status.is_file():  # Linux: this process's memory, index loaded and queried
        memory = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        print(f"process memory: RSS {memory['VmRSS'].strip()}, peak {memory['VmHWM'].strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
