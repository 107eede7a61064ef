"""Throughput under concurrent clients: mixed canned requests against a real ``sdsf serve``, for a fixed time.

    python benchmarks/load.py --build DIR [--engine oxigraph] [--clients 8] [--seconds 30] [--mix queries|pages|all|ask]
                              [--workers 2] [--threads 4] [--query-workers 2] [--json FILE]

``--clients`` client processes (each with its own persistent connection, so that the clients do not share one
interpreter) send requests drawn at random (fixed seed per client) from the canned set of benchmarks/harness.py,
back to back, for ``--seconds`` after a short warm-up. Mixes: ``queries`` (default) is what the pages ask the
endpoint — the shared queries the pages run, narrowed as the pages narrow them — and the similar-action search;
``pages`` is the pages themselves (home map, comparison, a scheme, an action: each runs several queries and
renders HTML); ``all`` is every canned request, national listings of thousands of rows included; ``ask`` is
one trivial query (``ASK``), the server's own ceiling. Printed: requests per second, latency p50 / p95 / p99 /
max, and every non-200 answer by status (zero is the goal). The server runs with its production defaults except the rate
limit (off: one address sends everything) and the limits given on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

import memory
from harness import Client, Request, Server, canned_requests, machine, percentile, start_sdsf, stop

#: Shared queries whose national listing a page never asks for (the pages ask them narrowed, or not at all).
NATIONAL_LISTINGS = {"acronym-actions", "actions-by-theme", "class-counts", "governance-bodies", "legal-basis",
                     "scheme-indicators", "scheme-summary", "signatories", "themes-per-scheme", "threads-per-scheme",
                     "departements-without-scheme", "schemes-in-force"}


def mix(requests: list[Request], kind: str, engine: str) -> list[Request]:
    usable = [r for r in requests if engine in r.engines]
    if kind == "all":
        return usable
    if kind == "pages":
        return [r for r in usable if r.name.startswith("page:")]
    if kind == "ask":
        return [Request("ask", "sparql", "ASK { ?s ?p ?o }")]
    # "queries": what the pages ask the endpoint (narrowed as they narrow it) and the similar-action search
    return [r for r in usable if not r.name.startswith("page:")
            and (r.name.split(" [")[0] not in NATIONAL_LISTINGS or " [" in r.name)]


def client_run(args: tuple[Server, list[Request], int, float, float]) -> dict:
    server, requests, seed, warmup, seconds = args
    chooser = random.Random(seed)
    client = Client(server, timeout=60)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    begin = time.perf_counter()
    while time.perf_counter() - begin < warmup:
        client.send(chooser.choice(requests))
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        status, elapsed, _ = client.send(chooser.choice(requests))
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append(elapsed)
    client.close()
    return {"latencies": latencies, "statuses": statuses, "elapsed": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, type=Path)
    parser.add_argument("--engine", default="oxigraph")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--mix", choices=("queries", "pages", "all", "ask"), default="queries")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--query-workers", type=int, default=2)
    parser.add_argument("--remote-endpoint", default="")
    parser.add_argument("--result-cache", type=int, default=64, metavar="MB",
                        help="the server's result_cache_size (0: every request runs its query)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    requests = mix(canned_requests(args.build), args.mix, args.engine)
    settings: dict[str, object] = {"rate_limit": 0, "workers": args.workers, "threads": args.threads,
                                   "query_workers": args.query_workers, "result_cache_size": args.result_cache}
    if args.remote_endpoint:
        settings["remote_endpoint"] = args.remote_endpoint
    log = Path("/tmp") / f"sdsf-load-{args.engine}.log"
    server = start_sdsf(args.build, args.engine, log, **settings)
    try:
        address = dataclasses.replace(server, process=None)  # what a client process needs (picklable)
        jobs = [(address, requests, seed, args.warmup, args.seconds) for seed in range(args.clients)]
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            pending = pool.map_async(client_run, jobs)
            peak = 0
            while not pending.ready():  # the server's whole process tree (gunicorn, workers, query processes)
                peak = max(peak, memory.sample(server.process.pid)[0] if server.process else 0)
                pending.wait(0.5)
            runs = pending.get()
    finally:
        stop(server)
    latencies = [t for r in runs for t in r["latencies"]]
    statuses: dict[int, int] = {}
    for r in runs:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    elapsed = max(r["elapsed"] for r in runs)
    errors = {s: n for s, n in statuses.items() if s != 200}
    figures = {
        "machine": machine(), "build": str(args.build), "engine": args.engine, "clients": args.clients,
        "mix": args.mix, "requests_in_mix": len(requests), "server": settings, "seconds": round(elapsed, 1),
        "requests": len(latencies), "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
        "errors": errors, "server_peak_pss_mb": round(peak / 1024)}
    print(f"Machine: {figures['machine']}")
    print(f"{args.engine}, {args.clients} clients, mix '{args.mix}' ({len(requests)} distinct requests), "
          f"{elapsed:.0f} s: {len(latencies)} requests, **{figures['per_second']} requests/s**; latency p50 "
          f"{figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} "
          f"ms; errors: {errors or 'none'}; server process tree peak PSS {figures['server_peak_pss_mb']} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
