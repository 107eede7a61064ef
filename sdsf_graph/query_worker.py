"""The query worker process: opens the store once (read-only), then answers one query at a time over a socket.

Started by the endpoint's pool (:class:`web.pool.QueryPool`) as ``python -m sdsf_graph.query_worker FD ENGINE
BUILD_DIR [QUERY_MEMORY_LIMIT [MAX_ANSWER_BYTES]]`` (FD: its end of a socket pair; the two limits default to the
settings' defaults): a fresh interpreter that imports only what a worker needs. It ignores Ctrl-C (its server
stops it) and exits on its own when its server process is gone.

What a worker guarantees, layer by layer (each holds even when the gate of :mod:`sdsf_graph.gate` is bypassed):

- **The engine cannot fetch.** Once the store is open and before the first job, a seccomp filter
  (:func:`deny_network_syscalls`, libseccomp through ``pyseccomp``) makes the kernel refuse ``socket()`` for
  AF_INET, AF_INET6, AF_NETLINK and AF_PACKET (EACCES) and ``io_uring_setup`` (EPERM), for every thread and
  every library of the process: pyoxigraph's Rust SERVICE client included, which no Python hook sees. The
  socket pair to the server (AF_UNIX, already open) keeps working. The filter is checked (an AF_INET socket
  must be refused) before the worker says it is ready; a worker that cannot install it (no libseccomp.so.2,
  a kernel without seccomp) **refuses to start** and says why: the pool logs it as an error and answers 503
  rather than run queries with network access. A Python audit hook (:func:`_deny_network`) stays as a
  second line: it refuses Python-level connections and name look-ups before they reach the kernel.
  rdflib's loading of FROM graphs from the web is switched off when its engine opens
  (:class:`sdsf_graph.store.RdflibEngine`).
- **Memory per query.** With ``query_memory_limit`` > 0, the process's data segment (RLIMIT_DATA: the heap and
  private writable mappings, not the store's mapped files nor its reserved address space) is capped at what it
  holds once the store is open plus that many megabytes (:func:`limit_memory`). A query past it either raises
  MemoryError in Python (answered ``("memory", message)``, and the pool replaces the process) or makes a Rust
  allocation fail, which aborts the process (the pool sees it die during the job and says the query needed
  more memory than the limit).
- **Answers bounded in bytes.** An answer serialised here (the endpoint's jobs) is at most ``max_answer_bytes``
  bytes of UTF-8: it is cut at a row (or triple) boundary and marked ``truncated``, as the row cap marks it
  (:func:`answer`); the body stays a whole document of its format. An endpoint job whose answer comes back as
  rows (no acceptable format for its kind) is cut to as many rows as that many bytes of their terms' text.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import socket
import sys
import threading
import time
import traceback
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from sdsf_graph.errors import QueryError
from sdsf_graph.gate import GateJob, QueryRefused
from sdsf_graph.settings import SETTINGS, load_settings
from sdsf_graph.store import QueryDataset, QueryResult, open_engine

NETWORK_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"})
#: Socket families the kernel refuses to a worker: the internet (v4, v6), the kernel's routing/netlink
#: interface, raw packets. AF_UNIX stays (the worker's socket pair to its server is one).
BLOCKED_FAMILIES = (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET)
MB = 2**20


def setting_default(name: str) -> Any:
    """A setting's declared default (the worker's limits when its command line leaves them out)."""
    return next(s.default for s in SETTINGS if s.name == name)


class SandboxError(RuntimeError):
    """A layer of the worker's sandbox could not be put in place: the worker does not start."""


#: The engine name of a process that only runs the gate (the remote engine's pool: the store runs the queries).
GATE = "gate"


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
    truncated: bool  # cut by the row cap (max_rows) or by the byte bound (max_answer_bytes)


def answer(job: QueryJob, result: QueryResult, max_bytes: int | None = None) -> QueryResult | SerialisedResult:
    """The result as the job asks for it: serialised when it names a serialiser for this kind of answer.

    With ``max_bytes``, a serialised body is at most that many bytes of UTF-8 (cut at a row or triple boundary,
    ``truncated`` set; only the empty answer of a kind may be longer, if ``max_bytes`` is smaller than its
    head). A job with serialisers whose answer comes back as rows is cut to rows whose terms' text fits in
    ``max_bytes``; a job without serialisers (the pages' own queries, bounded by the data) is not cut.
    """
    serialise = (job.serialisers or {}).get("graph" if result.kind == "graph" else "table")
    if serialise is None:
        if max_bytes is None or job.serialisers is None:
            return result
        kept = _fitting_by_text(result, max_bytes)
        return result if kept == _count(result) else _prefix(result, kept)
    if max_bytes is None:
        return SerialisedResult(result.kind, serialise(result), result.truncated)
    return _serialise_within(result, serialise, max_bytes)


def _count(result: QueryResult) -> int:
    return len(result.triples) if result.kind == "graph" else len(result.rows)


def _prefix(result: QueryResult, count: int) -> QueryResult:
    """The first ``count`` rows (or triples) of the result, marked truncated."""
    if result.kind == "graph":
        return replace(result, triples=result.triples[:count], truncated=True)
    return replace(result, rows=result.rows[:count], truncated=True)


_PLAIN = (None, XSD.string, RDF.langString)


def _text_sizes(result: QueryResult) -> list[int]:
    """A lower bound of each row's (or triple's) bytes in any serialisation of its kind: the length of the text
    every format writes out in full (tables: IRIs and literals; graphs, whose IRIs may be abbreviated and typed
    literals rewritten: plain string literals)."""
    if result.kind == "graph":
        return [sum(len(t) for t in triple if isinstance(t, Literal) and t.datatype in _PLAIN)
                for triple in result.triples]
    return [sum(len(t) for t in row.values() if isinstance(t, URIRef | Literal)) for row in result.rows]


def _fitting_by_text(result: QueryResult, max_bytes: int) -> int:
    """How many leading rows (or triples) have at most ``max_bytes`` of text in all (see :func:`_text_sizes`)."""
    total = 0
    for i, size in enumerate(_text_sizes(result)):
        total += size
        if total > max_bytes:
            return i
    return _count(result)


def _byte_length(body: str) -> int:
    return len(body) if body.isascii() else len(body.encode("utf-8"))


def _serialise_within(result: QueryResult, serialise: Callable[[QueryResult], str],
                      max_bytes: int) -> SerialisedResult:
    """The longest prefix of the answer whose serialisation fits in ``max_bytes``.

    Rows past the point where their text alone exceeds the bound are never serialised (a single 64 MB value is
    not written out to be thrown away). Between the longest prefix known to fit and the shortest known not to,
    each probe is predicted by a model of the body's size (its head, plus each row's text, plus an overhead per
    row measured on the probe closest to the bound), so that a handful of serialisations, none much longer than
    the bound, find it; two probes in a row on the same side of the bound make the next one a bisection, so the
    search never takes more than about three times log2(rows) of them.
    """
    if result.kind == "ask":
        return SerialisedResult(result.kind, serialise(result), result.truncated)
    count = _count(result)
    text = [0]  # text[n]: the text of the first n rows, a lower bound of their serialisation's size
    for size in _text_sizes(result):
        text.append(text[-1] + size)
    bodies: dict[int, tuple[int, str]] = {}

    def size_of(n: int) -> int:
        if n not in bodies:
            body = serialise(result if n == count else _prefix(result, n))
            bodies[n] = (_byte_length(body), body)
        return bodies[n][0]

    # The fewest rows certainly too long by their text alone (count + 1: none is, as far as the text tells).
    over = bisect_right(text, max_bytes)
    if over > count:
        if size_of(count) <= max_bytes:
            return SerialisedResult(result.kind, bodies[count][1], result.truncated)
        over = count
    head = size_of(0)

    def predicted(low: int, high: int) -> int:
        """The most rows in (low, high) that the size model says fit."""
        measured = [n for n in bodies if n > 0]
        per_row = 0.0
        if measured:
            nearest = min(measured, key=lambda n: abs(bodies[n][0] - max_bytes))
            per_row = max(0.0, (bodies[nearest][0] - head - text[nearest]) / nearest)
        while high - low > 1:  # largest n with head + text[n] + per_row * n <= max_bytes
            middle = (low + high) // 2
            if head + text[middle] + per_row * middle <= max_bytes:
                low = middle
            else:
                high = middle
        return low

    fits, last_side, same_side = 0, None, 0
    while over - fits > 1:
        guess = (fits + over) // 2 if same_side >= 2 else predicted(fits, over)
        guess = min(max(guess, fits + 1), over - 1)
        side = size_of(guess) <= max_bytes
        same_side = 1 if side != last_side or same_side >= 2 else same_side + 1
        last_side = side
        if side:
            fits = guess
        else:
            over = guess
    return SerialisedResult(result.kind, bodies[fits][1], True)


def _deny_network(event: str, args: tuple[Any, ...]) -> None:
    if event in NETWORK_EVENTS:
        raise PermissionError(f"query workers make no network access ({event})")


def deny_network_syscalls(families: Sequence[int] = BLOCKED_FAMILIES) -> None:
    """Install the seccomp filter: ``socket()`` of these families fails with EACCES, ``io_uring_setup`` (whose
    requests bypass seccomp) with EPERM, everything else is allowed; for this process and all its threads, for
    good (a filter cannot be removed; libseccomp sets no_new_privs). Raises :class:`SandboxError` when the
    filter cannot be installed or does not hold."""
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError) as exc:  # pyseccomp raises RuntimeError without libseccomp
        raise SandboxError(f"seccomp is unavailable (pyseccomp needs libseccomp.so.2, Debian's libseccomp2): "
                           f"{exc}") from None
    try:
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        for family in families:  # the kernel reads the domain as a 32-bit int: compare those bits only
            rules.add_rule(pyseccomp.ERRNO(errno.EACCES), "socket",
                           pyseccomp.Arg(0, pyseccomp.MASKED_EQ, 0xFFFFFFFF, family))
        rules.add_rule(pyseccomp.ERRNO(errno.EPERM), "io_uring_setup")
        rules.load()
    except OSError as exc:
        raise SandboxError(f"the kernel refused the seccomp filter: {exc}") from None
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except PermissionError:
        return
    raise SandboxError("the seccomp filter is loaded but socket(AF_INET) still succeeds")


def _data_segment() -> int:
    """Bytes the process's data segment holds now, as RLIMIT_DATA counts them (VmData)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    raise SandboxError("no VmData in /proc/self/status: cannot bound the worker's memory")


def limit_memory(megabytes: int) -> int | None:
    """Cap the data segment (RLIMIT_DATA) at its present size plus ``megabytes`` (0: no cap); the cap in bytes.

    RLIMIT_DATA rather than RLIMIT_AS: the address space of a pyoxigraph worker is mostly reserved, not used
    (RocksDB's mapped files, thread stacks, malloc arenas: over 600 MB before any query), whereas the data
    segment (about 80 MB once the store is open) grows with what a query allocates.
    """
    if megabytes <= 0:
        return None
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = _data_segment() + megabytes * MB
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (OSError, ValueError) as exc:
        raise SandboxError(f"cannot set the memory limit (RLIMIT_DATA): {exc}") from None
    return cap


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def memory_message(megabytes: int) -> str:
    """What a client is told when a query went past the memory limit (0: no limit, the machine's memory)."""
    limit = f"the limit of {megabytes} MB" if megabytes > 0 else "its process could get"
    return f"query stopped: it needed more memory than {limit} (narrow it down, or avoid building very long values)"


def worker_main(conn: Connection, engine_name: str, build_dir: str, memory_limit: int | None = None,
                max_answer_bytes: int | None = None) -> None:
    """Serve queries on ``conn`` until its other end is closed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    sys.addaudithook(_deny_network)
    try:
        settings = load_settings({"build_dir": build_dir, "engine": "oxigraph" if engine_name == GATE else engine_name,
                                  "query_memory_limit": memory_limit, "max_answer_bytes": max_answer_bytes},
                                 environ={})
        engine = None if engine_name == GATE else open_engine(settings)  # a gate process only reads queries
        GateJob("ASK {}", (), 100, 4).run()  # warm up (rdflib builds its SPARQL grammar on first use)
        if engine is not None:
            engine.query("ASK {}")
    except Exception as exc:  # reported to the pool, which logs it
        conn.send(("failed", f"cannot open the {engine_name} engine on {build_dir}: {exc}"))
        return
    megabytes, max_bytes = settings.query_memory_limit, settings.max_answer_bytes
    try:
        deny_network_syscalls()
        limit_memory(megabytes)
    except SandboxError as exc:  # never serve without the sandbox
        print(f"sdsf query worker {os.getpid()}: NOT STARTING: {exc}", file=sys.stderr, flush=True)
        conn.send(("failed", f"refuses to start without its sandbox: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job: QueryJob | GateJob = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if isinstance(job, GateJob):  # the gate's verdict, within this process's time, memory and network bounds
                reply: tuple[str, Any] = ("ok", job.run())
            elif engine is None:
                reply = ("failed", "this process only checks queries")
            else:
                reply = ("ok", answer(job, engine.query(job.text, job.bindings, dataset=job.dataset,
                                                        max_rows=job.max_rows, base_iri=job.base_iri), max_bytes))
        except QueryRefused as exc:
            reply = ("refused", exc)
        except MemoryError:
            reply = ("memory", memory_message(megabytes))
        except QueryError as exc:
            # an engine may report a failed allocation as a query error (rdflib's engine wraps every exception)
            reply = ("memory", memory_message(megabytes)) if isinstance(exc.__context__, MemoryError) \
                else ("error", str(exc))
        except Exception:
            traceback.print_exc(file=sys.stderr)  # to the server log, never to the client
            reply = ("failed", "the engine failed on this query (the error is logged)")
        try:
            conn.send(reply)
        except MemoryError:  # the answer fit within the limit but its pickle did not
            conn.send(("memory", memory_message(megabytes)))


if __name__ == "__main__":
    # Run from the module itself, not from __main__: the answers it pickles (SerialisedResult) must name their
    # class as sdsf_graph.query_worker.SerialisedResult for the server to unpickle them.
    from sdsf_graph.query_worker import worker_main as main

    fd, engine_arg, build_arg, *limits = sys.argv[1:6]
    main(Connection(int(fd)), engine_arg, build_arg, *(int(value) for value in limits))
