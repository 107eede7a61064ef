"""The query worker process: opens the store once (read-only), then answers one query at a time over a socket.

Started by the endpoint's pool (:class:`web.pool.QueryPool`) as ``python -m sdsf_graph.query_worker FD ENGINE
BUILD_DIR`` (FD: its end of a socket pair): a fresh interpreter that imports only what a worker needs.

It has no network access (an audit hook refuses every Python-level connection, a second line behind the gate),
ignores Ctrl-C (its server stops it) and exits on its own when its server process is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from rdflib.term import Identifier

from sdsf_graph.errors import QueryError
from sdsf_graph.settings import load_settings
from sdsf_graph.store import QueryDataset, QueryResult, open_engine

NETWORK_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"})


@dataclass(frozen=True)
class QueryJob:
    text: str
    dataset: QueryDataset | None
    max_rows: int
    base_iri: str  # resolves relative IRIs: the service-defined base is the graph's public base
    bindings: dict[str, Identifier] | None = None  # a named query's parameters, bound as RDF terms (pages)
    # The endpoint's chosen serialisers, by kind of answer ("table": SELECT/ASK, "graph"): the worker then sends
    # the serialised text, not the rows (pickling thousands of rdflib terms cost as much as the query itself).
    serialisers: dict[str, Callable[[QueryResult], str]] | None = None


@dataclass(frozen=True)
class SerialisedResult:
    kind: str  # "select" | "ask" | "graph"
    body: str
    truncated: bool


def answer(job: QueryJob, result: QueryResult) -> QueryResult | SerialisedResult:
    """The result as the job asks for it: serialised when it names a serialiser for this kind of answer."""
    serialise = (job.serialisers or {}).get("graph" if result.kind == "graph" else "table")
    if serialise is None:
        return result
    return SerialisedResult(result.kind, serialise(result), result.truncated)


def _deny_network(event: str, args: tuple[Any, ...]) -> None:
    if event in NETWORK_EVENTS:
        raise PermissionError(f"query workers make no network access ({event})")


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def worker_main(conn: Connection, engine_name: str, build_dir: str) -> None:
    """Serve queries on ``conn`` until its other end is closed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    sys.addaudithook(_deny_network)
    try:
        engine = open_engine(load_settings({"build_dir": build_dir, "engine": engine_name}, environ={}))
        engine.query("ASK {}")  # warm up (rdflib builds its SPARQL grammar on first use)
    except Exception as exc:  # reported to the pool, which logs it
        conn.send(("failed", f"cannot open the {engine_name} engine on {build_dir}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job: QueryJob = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", answer(job, engine.query(job.text, job.bindings, dataset=job.dataset,
                                                                   max_rows=job.max_rows, base_iri=job.base_iri)))
        except QueryError as exc:
            reply = ("error", str(exc))
        except Exception:
            traceback.print_exc(file=sys.stderr)  # to the server log, never to the client
            reply = ("failed", "the engine failed on this query (the error is logged)")
        conn.send(reply)


if __name__ == "__main__":
    # Run from the module itself, not from __main__: the answers it pickles (SerialisedResult) must name their
    # class as sdsf_graph.query_worker.SerialisedResult for the server to unpickle them.
    from sdsf_graph.query_worker import worker_main as main

    fd, engine_arg, build_arg = sys.argv[1:4]
    main(Connection(int(fd)), engine_arg, build_arg)
