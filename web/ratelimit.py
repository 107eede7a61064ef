"""Per-client rate limit (setting ``rate_limit``, requests per minute): past it, 429 with ``Retry-After``.

A token bucket per client address (capacity ``rate_limit``, refilled at ``rate_limit`` per minute) kept in
shared memory created with the application: gunicorn forks its workers from the preloaded application, so
every worker process of one server counts against the same buckets. Clients are hashed into a fixed table; two
clients sharing a slot reset each other's bucket, which errs on the side of letting requests through.

The client is :func:`client_address` (shared with the per-client query limit of :mod:`web.fairness`): the
connection's peer, or, when that peer is one of ``trusted_proxies``, the right-most address of
``X-Forwarded-For`` that is not itself a trusted proxy. IPv6 clients are counted per /64 (one subscriber's
network: a single host can take any address in it).
"""

from __future__ import annotations

import ctypes
import hashlib
import ipaddress
import math
import multiprocessing
import time
from typing import Any

from flask import Flask, Response, current_app, request

from sdsf_graph.settings import Settings, trusted_networks

from .errors import text_response

SLOTS = 4096
TRUSTED_KEY = "sdsf_trusted_proxies"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port, as some proxies write it
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _key(address: Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(environ: dict[str, Any], trusted: tuple[Network, ...]) -> str:
    """Who is asking: the peer's address, or the right-most X-Forwarded-For address not itself a trusted proxy
    when the peer is a trusted proxy (each proxy appends the address it was reached from; only the right-most
    entries, written by proxies we trust, can be believed). IPv6 addresses are given as their /64."""
    peer_text = str(environ.get("REMOTE_ADDR") or "")
    peer = _address(peer_text)
    if peer is None:
        return peer_text or "unknown"
    if not trusted or not any(peer in network for network in trusted):
        return _key(peer)
    hops = [hop for value in (environ.get("HTTP_X_FORWARDED_FOR") or "").split(",") if (hop := value.strip())]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: a trusted proxy would not write it, so stop at what we know
            break
        client = address
        if not any(address in network for network in trusted):
            break
    return _key(client)


def current_client() -> str:
    """The client of the current request (:func:`client_address` with the application's trusted proxies)."""
    return client_address(request.environ, current_app.extensions.get(TRUSTED_KEY, ()))


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
    app.extensions[TRUSTED_KEY] = trusted_networks(settings.trusted_proxies)
    if settings.rate_limit <= 0:
        return
    limiter = RateLimiter(settings.rate_limit)
    app.extensions["sdsf_rate_limiter"] = limiter

    @app.before_request
    def _limit() -> Response | None:
        if request.endpoint == "static":
            return None
        seconds = limiter.wait(current_client())
        if seconds > 0:
            return text_response(429, f"too many requests: this endpoint answers {settings.rate_limit} requests "
                                      f"per minute per client; retry in {math.ceil(seconds)} s",
                                 {"Retry-After": str(math.ceil(seconds))})
        return None
