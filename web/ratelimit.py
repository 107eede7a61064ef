"""Per-client rate limit (setting ``rate_limit``, requests per minute): past it, 429 with ``Retry-After``.

A token bucket per client address (capacity ``rate_limit``, refilled at ``rate_limit`` per minute) kept in
shared memory created with the application: gunicorn forks its workers from the preloaded application, so
every worker process of one server counts against the same buckets. Clients are hashed into a fixed table; two
clients sharing a slot reset each other's bucket, which errs on the side of letting requests through.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import multiprocessing
import time
from typing import Any

from flask import Flask, Response, request

from sdsf_graph.settings import Settings

from .errors import text_response

SLOTS = 4096


class RateLimiter:
    def __init__(self, per_minute: int):
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0  # tokens per second
        context = multiprocessing.get_context("fork")
        self._keys: Any = context.RawArray(ctypes.c_uint64, SLOTS)
        self._tokens: Any = context.RawArray(ctypes.c_double, SLOTS)
        self._stamps: Any = context.RawArray(ctypes.c_double, SLOTS)
        self._lock = context.Lock()

    def wait(self, client: str) -> float:
        """0 when the client may go on (and one token is spent), else the seconds until it may."""
        key = int.from_bytes(hashlib.blake2b(client.encode("utf-8"), digest_size=8).digest(), "big") or 1
        slot = key % SLOTS
        now = time.monotonic()
        with self._lock:
            if self._keys[slot] != key:
                self._keys[slot], tokens = key, self.capacity
            else:
                tokens = min(self.capacity, self._tokens[slot] + (now - self._stamps[slot]) * self.refill)
            allowed = tokens >= 1.0
            self._tokens[slot] = tokens - 1.0 if allowed else tokens
            self._stamps[slot] = now
        return 0.0 if allowed else (1.0 - tokens) / self.refill


def init_app(app: Flask, settings: Settings) -> None:
    if settings.rate_limit <= 0:
        return
    limiter = RateLimiter(settings.rate_limit)
    app.extensions["sdsf_rate_limiter"] = limiter

    @app.before_request
    def _limit() -> Response | None:
        if request.endpoint == "static":
            return None
        seconds = limiter.wait(request.remote_addr or "unknown")
        if seconds > 0:
            return text_response(429, f"too many requests: this endpoint answers {settings.rate_limit} requests "
                                      f"per minute per client; retry in {math.ceil(seconds)} s",
                                 {"Retry-After": str(math.ceil(seconds))})
        return None
