"""Answers kept in memory, per server process, for as long as the built graph they come from is served.

The graph changes only with a new build (a new artifact version, in every key), so an answer computed once is
the answer for every later identical request: the endpoint keeps its serialised responses by their ETag (which
covers the version, the engine, the query, the dataset, the format and the row cap), the pages their named
queries' results by query and parameters, and their whole responses (:func:`init_pages`) by path and a digest
of host, query string and Accept (a key never holds the raw request: 1 MB of junk in a query string makes a key
of the same size as any other). Least recently used entries go first past ``result_cache_size`` MB, counting
each entry's key, its value and (in the application's cache) the memory Python spends on an entry;
0 turns the cache off. Failures (time limit, bad query, store unreachable) are never kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, Response, current_app, g, request

from sdsf_graph.settings import Settings

KEY = "sdsf_result_cache"
#: Bytes Python holds for one entry beyond its key's and value's contents (measured with tracemalloc: the
#: OrderedDict node, the tuples, the str and bytes headers, the size's int — about 400 with a page key).
ENTRY_OVERHEAD = 512


def key_size(key: Hashable) -> int:
    """The bytes a key's contents take: its strings' lengths (tuples summed), any other value by its repr."""
    if isinstance(key, str | bytes):
        return len(key)
    if isinstance(key, tuple):
        return sum(key_size(part) for part in key)
    return len(repr(key))


class ResultCache:
    """An LRU of values by key, bounded by ``max_bytes``: each entry counts ``key_size(key)``, the size its
    caller gives for the value, and ``entry_overhead``. An entry over a quarter of ``max_bytes`` is not kept."""

    def __init__(self, max_bytes: int, entry_overhead: int = 0):
        self.max_bytes, self.size, self.entry_overhead = max_bytes, 0, entry_overhead
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        size += key_size(key) + self.entry_overhead
        if size > self.max_bytes // 4:  # one huge answer (or key) must not empty the cache
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._entries[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size -= dropped


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[KEY] = ResultCache(int(settings.result_cache_size * 2**20), ENTRY_OVERHEAD)


def current() -> ResultCache:
    cache: ResultCache = current_app.extensions[KEY]
    return cache


#: Paths whose responses are not kept whole: the endpoint and the API keep their own answers, downloads and
#: static files are files.
NOT_KEPT = ("/sparql", "/api/", "/downloads", "/static/")


def _page_key(version: str) -> tuple[str, ...]:
    """("page", version, digest of what the client sends, path): the host, query string and Accept, of any
    length, make a 64-character digest; the path of a page that answers 200 is one of the site's own."""
    sent = repr((request.host, request.query_string, request.headers.get("Accept", "")))
    return ("page", version, hashlib.sha256(sent.encode("utf-8", "surrogatepass")).hexdigest(), request.path)


def _page_size(body: bytes, headers: list[tuple[str, str]]) -> int:
    return len(body) + sum(len(name) + len(value) for name, value in headers) + 8


def init_pages(app: Flask, version: Callable[[], str]) -> None:
    """Keep the pages' whole 200 responses to GET (HTML and their twins); registered after the rate limiter."""

    def kept(path: str) -> bool:  # a conditional request goes to the view, which answers 304 itself
        return request.method == "GET" and not path.startswith(NOT_KEPT) and "If-None-Match" not in request.headers

    @app.before_request
    def _from_cache() -> Response | None:
        if not kept(request.path):
            return None
        hit = current().get(_page_key(version()))
        if hit is None:
            return None
        body, status, headers = hit
        g.sdsf_page_from_cache = True  # not put back by _into_cache
        return Response(body, status=status, headers=headers)

    @app.after_request
    def _into_cache(response: Response) -> Response:
        if (kept(request.path) and response.status_code == 200 and not response.direct_passthrough
                and not g.get("sdsf_page_from_cache")):
            body = response.get_data()
            headers = list(response.headers.items())
            current().put(_page_key(version()), (body, response.status_code, headers), _page_size(body, headers))
        return response
