"""Answers kept in memory, per server process, for as long as the built graph they come from is served.

The graph changes only with a new build (a new artifact version, in every key), so an answer computed once is
the answer for every later identical request: the endpoint keeps its serialised responses by their ETag (which
covers the version, the engine, the query, the dataset, the format and the row cap), the pages their named
queries' results by query and parameters, and their whole responses (:func:`init_pages`) by host, path, query
string and Accept. Least recently used entries go first past ``result_cache_size`` MB;
0 turns the cache off. Failures (time limit, bad query, store unreachable) are never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, Response, current_app, g, request

from sdsf_graph.settings import Settings

KEY = "sdsf_result_cache"


class ResultCache:
    def __init__(self, max_bytes: int):
        self.max_bytes, self.size = max_bytes, 0
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
        if size > self.max_bytes // 4:  # one huge answer must not empty the cache
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
    app.extensions[KEY] = ResultCache(int(settings.result_cache_size * 2**20))


def current() -> ResultCache:
    cache: ResultCache = current_app.extensions[KEY]
    return cache


#: Paths whose responses are not kept whole: the endpoint and the API keep their own answers, downloads and
#: static files are files.
NOT_KEPT = ("/sparql", "/api/", "/downloads", "/static/")


def _page_key(version: str) -> tuple[str, ...]:
    return ("page", version, request.host, request.full_path, request.headers.get("Accept", ""))


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
            current().put(_page_key(version()), (body, response.status_code, list(response.headers.items())),
                          len(body) + 500)
        return response
