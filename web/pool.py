"""A pool of persistent query worker processes per server process, with a hard time limit.

Each query is sent to an idle worker (:mod:`sdsf_graph.query_worker`); if no answer comes within ``query_time_limit``
seconds, the worker is killed, a replacement is started in the background and the request is answered 503.
The other workers keep answering meanwhile. The pool starts lazily in the process that uses it (after
gunicorn forks its workers) and forgets a parent's workers after a fork. With ``engine = remote`` there are no
query processes: :class:`RemotePool` sends each query to the store from the request's thread (the gate still reads
queries in processes of its own).

Workers run sandboxed (no network, a memory bound, answers bounded in bytes: see :mod:`sdsf_graph.query_worker`).
A worker that goes past its memory limit is replaced and the request answered 503 saying so, whether the worker
reported a MemoryError or died of a failed allocation (a Rust allocation failure aborts the process; the pool
reads the workers' standard error, passed on to its own, for the allocator's last words). A worker that dies
during a job for any other reason is replaced and the answer says it died (and how). A worker that refuses to
start (no seccomp on this machine) is logged as an error; when no worker is left or starting, requests get 503
at once instead of waiting.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import IO, Any

from flask import Flask, current_app

from sdsf_graph.errors import QueryError
from sdsf_graph.gate import CheckedQuery, GateJob
from sdsf_graph.query_worker import GATE, QueryJob, SerialisedResult, answer, memory_message, setting_default
from sdsf_graph.remote import RemoteError
from sdsf_graph.settings import Settings
from sdsf_graph.store import QueryResult, open_engine

from .errors import HTTPError

KEY = "sdsf_pool"
STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store
#: What a worker writes to standard error when an allocation fails: Rust's default allocation error handler, just
#: before it aborts the process; a Python traceback's last line (pyo3 may then abort on the null object it got).
ALLOCATION_FAILED = re.compile(rb"^(memory allocation of \d+ bytes failed|MemoryError\b)")
log = logging.getLogger("sdsf.pool")


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    allocation_failed: bool = False  # its standard error said an allocation failed (it may be dying of it)
    stderr_closed: threading.Event = field(default_factory=threading.Event)


def _pass_on_stderr(worker: _Worker, stream: IO[bytes]) -> None:
    """Copy the worker's standard error to ours (the server's log), noting an allocation failure."""
    try:
        with stream:
            for line in stream:
                if ALLOCATION_FAILED.match(line):
                    worker.allocation_failed = True
                with contextlib.suppress(OSError):
                    os.write(2, line)
    finally:
        worker.stderr_closed.set()


class QueryPool:
    def __init__(self, engine: str, build_dir: str, size: int, time_limit: float,
                 memory_limit: int | None = None, max_answer_bytes: int | None = None):
        """``memory_limit`` (MB per query, 0: none) and ``max_answer_bytes`` default to the settings' defaults."""
        self.engine, self.build_dir, self.size, self.time_limit = engine, build_dir, size, time_limit
        self.memory_limit: int = setting_default("query_memory_limit") if memory_limit is None else memory_limit
        self.max_answer_bytes: int = (setting_default("max_answer_bytes") if max_answer_bytes is None
                                      else max_answer_bytes)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._starting = 0  # workers being started
        self._failure: str | None = None  # why the last worker that failed to start did
        self._closed = False

    def start(self) -> None:
        """Start the workers in this process (idempotent; after a fork, the parent's are not ours)."""
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid, self._idle, self._workers, self._closed = os.getpid(), queue.Queue(), set(), False
            self._starting, self._failure = 0, None
        for _ in range(self.size):
            self._start_one()

    def _start_one(self) -> None:
        with self._lock:
            self._starting += 1
        threading.Thread(target=self._spawn, name="sdsf-query-worker-start", daemon=True).start()

    def _spawn(self) -> None:
        try:
            self._spawn_one()
        finally:
            with self._lock:
                self._starting -= 1

    def _spawn_one(self) -> None:
        """A fresh interpreter running the query worker, talking over a socket pair."""
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        if self.memory_limit:  # a Rust backtrace taken when memory is exhausted can hang instead of aborting
            env["RUST_BACKTRACE"] = "0"
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "sdsf_graph.query_worker", str(theirs.fileno()), self.engine, self.build_dir,
                 str(self.memory_limit), str(self.max_answer_bytes)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        conn = Connection(ours.detach())
        worker = _Worker(process, conn)
        assert process.stderr is not None
        threading.Thread(target=_pass_on_stderr, args=(worker, process.stderr), name="sdsf-query-worker-stderr",
                         daemon=True).start()
        status, detail = ("failed", f"did not start within {STARTUP_TIMEOUT:g} s")
        try:
            if conn.poll(STARTUP_TIMEOUT):
                status, detail = conn.recv()
        except (EOFError, OSError):
            status, detail = ("failed", "exited while starting")
        if status != "ready":
            if not self._closed:
                log.error("query worker %s: %s", process.pid, detail)
                self._failure = str(detail)
            self._kill(worker)
            return
        with self._lock:
            if self._closed:
                self._kill(worker)
                return
            self._workers.add(worker)
            self._failure = None
        self._idle.put(worker)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process.poll() is None:
            worker.process.kill()
        try:
            worker.process.wait(5)
        except subprocess.TimeoutExpired:
            log.error("query worker %s did not stop when killed", worker.process.pid)
        worker.conn.close()

    def _replace(self, worker: _Worker, why: str) -> None:
        log.warning("query worker %s %s; starting a replacement", worker.process.pid, why)
        with self._lock:
            self._workers.discard(worker)
        self._kill(worker)
        if not self._closed:
            self._start_one()

    def _take(self) -> _Worker:
        """An idle worker; HTTPError 503 when none comes in time, at once when none is left or starting."""
        deadline = time.monotonic() + self.time_limit + STARTUP_TIMEOUT / 4
        while True:
            try:
                return self._idle.get(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            except queue.Empty:
                pass
            with self._lock:
                none_left = not self._workers and not self._starting and self._failure is not None
            if none_left:
                raise HTTPError(503, "no query process could start on this server (its log says why)",
                                {"Retry-After": "30"})
            if time.monotonic() >= deadline:
                raise HTTPError(503, "every query worker is busy: retry in a moment", {"Retry-After": "2"})

    def _out_of_memory(self) -> HTTPError:
        return HTTPError(503, memory_message(self.memory_limit), {"Retry-After": "1"})

    def _died(self, worker: _Worker) -> HTTPError:
        """The worker died while running a job: replace it, and say why as far as can be told."""
        try:
            code: int | None = worker.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        worker.stderr_closed.wait(2)  # the allocator's message, if any, has been read
        if worker.allocation_failed:
            self._replace(worker, f"died of a failed allocation (memory limit {self.memory_limit} MB) while "
                                  "running a query")
            return self._out_of_memory()
        if code is None:
            how = "its connection broke"
        elif code < 0:
            try:
                how = f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit status {code}"
        self._replace(worker, f"died while running a query ({how})")
        return HTTPError(503, f"the query worker died while running this query ({how}): retry in a moment",
                         {"Retry-After": "1"})

    def check(self, job: GateJob) -> CheckedQuery:
        """The gate's verdict on a query, read in a worker (parsing a long query takes seconds of CPU: there it is
        bounded by the time limit, as a query is); raises QueryRefused, or HTTPError 503 as :meth:`run`."""
        checked: CheckedQuery = self._exchange(job)
        return checked

    def run(self, job: QueryJob) -> QueryResult | SerialisedResult:
        """Run a query in a worker; raises HTTPError 503 past the time limit or the memory limit (or when the
        worker dies during the query), QueryError on a bad query."""
        result: QueryResult | SerialisedResult = self._exchange(job)
        return result

    def _exchange(self, job: QueryJob | GateJob) -> Any:
        self.start()
        worker = self._take()
        try:
            worker.conn.send(job)
            if not worker.conn.poll(self.time_limit):
                if worker.allocation_failed:  # out of memory, and stuck dying of it
                    self._replace(worker, f"ran out of memory (limit {self.memory_limit} MB) and hung")
                    raise self._out_of_memory()
                self._replace(worker, f"killed: its query ran past the {self.time_limit:g} s time limit")
                raise HTTPError(503, f"query stopped: it ran longer than the time limit of {self.time_limit:g} s "
                                     "(narrow it down, add a LIMIT, or avoid unbounded joins)", {"Retry-After": "1"})
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            raise self._died(worker) from None
        if status == "memory":  # a MemoryError in the worker: its heap may be in any state, replace it
            self._replace(worker, f"ran out of memory (limit {self.memory_limit} MB) while running a query")
            raise self._out_of_memory()
        self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "refused":
            raise payload
        if status == "error":
            raise QueryError(payload)
        raise HTTPError(500, payload)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            self._kill(worker)


class RemotePool:
    """The pool's interface for the remote engine: no query processes (they have no network, and the query
    runs in the store); each query is sent from the request's thread, within the time limit
    (:class:`sdsf_graph.remote.RemoteEngine`), after the same gate."""

    def __init__(self, settings: Settings):
        self.engine = open_engine(settings)
        self.time_limit = settings.query_time_limit
        self.max_answer_bytes: int = settings.max_answer_bytes
        # The gate reads the queries in processes of its own, bounded as query processes are (they open no store)
        self.gate = QueryPool(GATE, str(settings.build_path), settings.query_workers, settings.query_time_limit,
                              settings.query_memory_limit, settings.max_answer_bytes)

    def start(self) -> None:
        """Start the gate's processes (the same calls as :class:`QueryPool`)."""
        self.gate.start()

    def check(self, job: GateJob) -> CheckedQuery:
        """The gate's verdict, read in one of the gate's processes (see :meth:`QueryPool.check`)."""
        return self.gate.check(job)

    def run(self, job: QueryJob) -> QueryResult | SerialisedResult:
        """Run a query on the store; HTTPError 503 past the time limit or when cut by the store's, 502 when the
        store fails or cannot be reached; QueryError on a bad query."""
        try:
            return answer(job, self.engine.query(job.text, job.bindings, dataset=job.dataset,
                                                 max_rows=job.max_rows, base_iri=job.base_iri),
                          self.max_answer_bytes)
        except RemoteError as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
            raise HTTPError(exc.status, str(exc), headers) from None

    def close(self) -> None:
        self.gate.close()


def init_app(app: Flask, settings: Settings) -> None:
    if settings.engine == "remote":
        app.extensions[KEY] = RemotePool(settings)
        return
    app.extensions[KEY] = QueryPool(settings.engine, str(settings.build_path), settings.query_workers,
                                    settings.query_time_limit, settings.query_memory_limit,
                                    settings.max_answer_bytes)


def current() -> QueryPool | RemotePool:
    pool: QueryPool | RemotePool = current_app.extensions[KEY]
    return pool
