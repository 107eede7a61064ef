"""Fair use of the query workers between clients (setting ``max_client_queries``).

Two rules, so that one client's slow queries cannot make everyone else wait:

* **In-flight limit, shared by the server's processes.** A ``/sparql`` request carrying a query holds one of its
  client's ``max_client_queries`` places from the moment it arrives (before a POST's body is read) until it is
  answered; past the limit the answer is 429 with ``Retry-After`` at once, never a place in a queue. The places
  are a table in shared memory created with the application, as the rate limiter's buckets are
  (:mod:`web.ratelimit`): gunicorn forks its workers from the preloaded application, so all of them count in
  the same table. A place held by a process that died (killed at gunicorn's timeout) or for longer than any
  request can last is taken back when it is in the way.
* **A query worker kept free, in each process.** Each process runs ``RESERVE`` query process more than
  ``query_workers``, and a client with a query already running in this process may not take the last idle one:
  it waits (at most the time limit) until another is idle. So a client with nothing running always finds a
  worker free, unless every worker runs the query of a different client, while a client alone may still run
  ``query_workers`` queries side by side (a long one and short ones, say); when several wait, the one with the
  fewest queries running goes first.

The client is :func:`web.ratelimit.current_client` (the peer, or X-Forwarded-For from a trusted proxy).
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, request

from sdsf_graph.settings import Settings

from . import pool
from .errors import HTTPError, text_response
from .ratelimit import current_client

KEY = "sdsf_fairness"
RESERVE = 1  # query processes per server process kept for the clients with none running there
#: A place older than this many seconds beyond the time limit belongs to no live request (gunicorn's own
#: timeout, set in web/server.py, is the time limit + 30 s).
STALE_MARGIN = 60.0


def _key(client: str) -> int:
    return int.from_bytes(hashlib.blake2b(client.encode("utf-8"), digest_size=8).digest(), "big") or 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ClientPlaces:
    """The queries in progress per client, for all the processes forked from the one that made it."""

    def __init__(self, limit: int, size: int, stale_after: float):
        self.limit, self.size, self.stale_after = limit, size, stale_after
        context = multiprocessing.get_context("fork")
        self._keys: Any = context.RawArray(ctypes.c_uint64, size)
        self._pids: Any = context.RawArray(ctypes.c_int64, size)  # 0: a free entry
        self._since: Any = context.RawArray(ctypes.c_double, size)  # time.monotonic(): the same in every process
        self._lock = context.Lock()

    def take(self, client: str) -> tuple[int | None, float]:
        """(an entry to give back, 0) when the client may go on; (None, seconds until one of its queries must
        have ended) when it has ``limit`` in progress. Entry -1: the table is full (never with its size set
        to every request thread of the server), the request goes on uncounted."""
        key, now, pid = _key(client), time.monotonic(), os.getpid()
        with self._lock:
            free, mine = -1, []
            for index in range(self.size):
                if self._pids[index] == 0:
                    if free < 0:
                        free = index
                elif self._keys[index] == key:
                    mine.append(index)
            if len(mine) >= self.limit:
                for index in mine:  # taken back if its request cannot be running any more
                    if now - self._since[index] > self.stale_after or not _alive(int(self._pids[index])):
                        self._pids[index] = 0
                        free = index if free < 0 else min(free, index)
                mine = [index for index in mine if self._pids[index] != 0]
            if len(mine) >= self.limit:
                oldest = min(self._since[index] for index in mine)
                return None, max(0.0, oldest + self.stale_after - STALE_MARGIN - now)
            if free < 0:
                return -1, 0.0
            self._keys[free], self._pids[free], self._since[free] = key, pid, now
            return free, 0.0

    def give_back(self, index: int) -> None:
        if index >= 0:
            with self._lock:
                self._pids[index] = 0


@dataclass
class _Waiting:
    client: str
    ticket: int


@dataclass
class WorkerShare:
    """This process's query workers, shared between its clients (see the module's second rule)."""

    capacity: int
    wait_limit: float
    _running: dict[str, int] = field(default_factory=dict)
    _waiting: list[_Waiting] = field(default_factory=list)
    _total: int = 0
    _tickets: int = 0
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def _eligible(self, waiting: _Waiting) -> bool:
        free = self.capacity - self._total
        return free > 1 or (free == 1 and not self._running.get(waiting.client))

    def _next(self) -> _Waiting | None:
        eligible = [w for w in self._waiting if self._eligible(w)]
        return min(eligible, key=lambda w: (self._running.get(w.client, 0), w.ticket)) if eligible else None

    @contextmanager
    def slot(self, client: str) -> Iterator[None]:
        with self._condition:
            self._tickets += 1
            me = _Waiting(client, self._tickets)
            self._waiting.append(me)
            deadline = time.monotonic() + self.wait_limit
            try:
                while self._next() is not me:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        if self._running.get(client):
                            raise HTTPError(429, "too many queries at once: one of yours is still running on this "
                                                 "server process; retry when it has finished",
                                            {"Retry-After": "2"})
                        raise HTTPError(503, "every query worker is busy: retry in a moment", {"Retry-After": "2"})
                    self._condition.wait(remaining)
            finally:
                self._waiting.remove(me)
                self._condition.notify_all()  # the next in line may be someone else now
            self._running[client] = self._running.get(client, 0) + 1
            self._total += 1
        try:
            yield
        finally:
            with self._condition:
                self._total -= 1
                self._running[client] -= 1
                if not self._running[client]:
                    del self._running[client]
                self._condition.notify_all()


class Fairness:
    def __init__(self, places: ClientPlaces, capacity: int, wait_limit: float):
        self.places, self.capacity, self.wait_limit = places, capacity, wait_limit
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._share: WorkerShare | None = None

    def share(self) -> WorkerShare:
        """This process's share (made after gunicorn forked it: the parent's would count other processes)."""
        with self._lock:
            if self._share is None or self._pid != os.getpid():
                self._pid, self._share = os.getpid(), WorkerShare(self.capacity, self.wait_limit)
            return self._share


def _asks_a_query() -> bool:
    if request.endpoint != "sparql.endpoint":
        return False
    return request.method == "POST" or (request.method == "GET" and "query" in request.args)


@contextmanager
def query_slot() -> Iterator[None]:
    """Around the run of a /sparql query: one of this process's query workers, shared fairly between clients."""
    fairness: Fairness | None = current_app.extensions.get(KEY)
    if fairness is None:
        yield
        return
    with fairness.share().slot(current_client()):
        yield


def init_app(app: Flask, settings: Settings) -> None:
    if settings.max_client_queries <= 0:
        return
    threads = settings.workers * settings.threads
    places = ClientPlaces(settings.max_client_queries, max(64, 2 * threads),
                          settings.query_time_limit + STALE_MARGIN)
    # With the remote engine the store runs the queries: the request threads are what a client could take.
    capacity = settings.threads
    query_pool = app.extensions.get(pool.KEY)
    if isinstance(query_pool, pool.QueryPool):  # made by pool.init_app, not started yet (after gunicorn's fork)
        query_pool.size = settings.query_workers + RESERVE
        capacity = query_pool.size
    fairness = app.extensions[KEY] = Fairness(places, capacity, settings.query_time_limit + 5.0)

    @app.before_request
    def _take_a_place() -> Response | None:
        if not _asks_a_query():
            return None
        index, seconds = fairness.places.take(current_client())
        if index is None:
            retry = max(1, math.ceil(seconds))
            response = text_response(429, f"too many queries at once: this endpoint runs at most "
                                          f"{settings.max_client_queries} queries at a time per client, and yours "
                                          f"are still running; retry in {retry} s",
                                     {"Retry-After": str(retry)})
            return response
        g.sdsf_query_place = index
        return None

    @app.teardown_request
    def _give_it_back(exc: BaseException | None) -> None:
        index = g.pop("sdsf_query_place", None)
        if index is not None:
            fairness.places.give_back(index)
