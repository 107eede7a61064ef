"""A pool of persistent query worker processes per server process, with a hard time limit.

Each query is sent to an idle worker (:mod:`sdsf_graph.query_worker`); if no answer comes within ``query_time_limit``
seconds, the worker is killed, a replacement is started in the background and the request is answered 503.
The other workers keep answering meanwhile. The pool starts lazily in the process that uses it (after
gunicorn forks its workers) and forgets a parent's workers after a fork. With ``engine = remote`` there are no
worker processes: :class:`RemotePool` sends each query to the store from the request's thread.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection

from flask import Flask, current_app

from sdsf_graph.errors import QueryError
from sdsf_graph.query_worker import QueryJob, SerialisedResult, answer
from sdsf_graph.remote import RemoteError
from sdsf_graph.settings import Settings
from sdsf_graph.store import QueryResult, open_engine

from .errors import HTTPError

KEY = "sdsf_pool"
STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store
log = logging.getLogger("sdsf.pool")


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection


class QueryPool:
    def __init__(self, engine: str, build_dir: str, size: int, time_limit: float):
        self.engine, self.build_dir, self.size, self.time_limit = engine, build_dir, size, time_limit
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._closed = False

    def start(self) -> None:
        """Start the workers in this process (idempotent; after a fork, the parent's are not ours)."""
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid, self._idle, self._workers, self._closed = os.getpid(), queue.Queue(), set(), False
        for _ in range(self.size):
            self._start_one()

    def _start_one(self) -> None:
        threading.Thread(target=self._spawn, name="sdsf-query-worker-start", daemon=True).start()

    def _spawn(self) -> None:
        """A fresh interpreter running the query worker, talking over a socket pair."""
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "sdsf_graph.query_worker", str(theirs.fileno()), self.engine, self.build_dir],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        conn = Connection(ours.detach())
        status, detail = ("failed", f"did not start within {STARTUP_TIMEOUT:g} s")
        try:
            if conn.poll(STARTUP_TIMEOUT):
                status, detail = conn.recv()
        except (EOFError, OSError):
            status, detail = ("failed", "exited while starting")
        worker = _Worker(process, conn)
        if status != "ready":
            if not self._closed:
                log.error("query worker %s: %s", process.pid, detail)
            self._kill(worker)
            return
        with self._lock:
            if self._closed:
                self._kill(worker)
                return
            self._workers.add(worker)
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

    def run(self, job: QueryJob) -> QueryResult | SerialisedResult:
        """Run a query in a worker; raises HTTPError 503 past the time limit, QueryError on a bad query."""
        self.start()
        try:
            worker = self._idle.get(timeout=self.time_limit + STARTUP_TIMEOUT / 4)
        except queue.Empty:
            raise HTTPError(503, "every query worker is busy: retry in a moment", {"Retry-After": "2"}) from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(self.time_limit):
                self._replace(worker, f"killed: its query ran past the {self.time_limit:g} s time limit")
                raise HTTPError(503, f"query stopped: it ran longer than the time limit of {self.time_limit:g} s "
                                     "(narrow it down, add a LIMIT, or avoid unbounded joins)", {"Retry-After": "1"})
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker, "stopped unexpectedly")
            raise HTTPError(503, "the query worker stopped unexpectedly: retry in a moment",
                            {"Retry-After": "1"}) from None
        self._idle.put(worker)
        if status == "ok":
            result: QueryResult | SerialisedResult = payload
            return result
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
    """The pool's interface for the remote engine: no worker processes (they have no network, and the query
    runs in the store); each query is sent from the request's thread, within the time limit
    (:class:`sdsf_graph.remote.RemoteEngine`), after the same gate."""

    def __init__(self, settings: Settings):
        self.engine = open_engine(settings)
        self.time_limit = settings.query_time_limit

    def start(self) -> None:
        """Nothing to start (the same calls as :class:`QueryPool`)."""

    def run(self, job: QueryJob) -> QueryResult | SerialisedResult:
        """Run a query on the store; HTTPError 503 past the time limit or when cut by the store's, 502 when the
        store fails or cannot be reached; QueryError on a bad query."""
        try:
            return answer(job, self.engine.query(job.text, job.bindings, dataset=job.dataset,
                                                 max_rows=job.max_rows, base_iri=job.base_iri))
        except RemoteError as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
            raise HTTPError(exc.status, str(exc), headers) from None

    def close(self) -> None:
        """Nothing to stop."""


def init_app(app: Flask, settings: Settings) -> None:
    if settings.engine == "remote":
        app.extensions[KEY] = RemotePool(settings)
        return
    app.extensions[KEY] = QueryPool(settings.engine, str(settings.build_path), settings.query_workers,
                                    settings.query_time_limit)


def current() -> QueryPool | RemotePool:
    pool: QueryPool | RemotePool = current_app.extensions[KEY]
    return pool
