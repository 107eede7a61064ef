"""Runs the application under gunicorn (never Flask's development server): ``sdsf serve``.

gthread workers (``workers`` processes × ``threads`` threads) share one preloaded application, hence one rate
limiter; each worker starts its own pool of query processes once forked.

Limits on what a client sends, before the application sees it:

* the request line: a GET may carry a query of ``max_query_length`` bytes, percent-encoded (3 bytes each at
  worst) with the other parameters, so the bound is ``3 × max_query_length + 8 KB``, past which gunicorn answers
  414 without reading further. gunicorn caps ``limit_request_line`` at 8190 bytes; :class:`_Request` applies
  the configured bound instead (gunicorn's Python parser, which reads the line once; the bound keeps its
  rescans of the growing line short);
* the headers: at most ``limit_request_fields`` fields of ``limit_request_field_size`` bytes each (431);
* time: :class:`GuardedThreadWorker` keeps a new connection in its poller, not in a thread, until the client
  sends something (closed after 7 s of silence, as gunicorn does), and wraps it in
  :class:`web.requestguard.DeadlineSocket`: a request must then arrive whole within ``request_read_timeout``
  seconds (408), and the connection is closed without lingering on a client that neither sends nor closes.
"""

from __future__ import annotations

import errno
import math
import selectors
import time
from functools import partial
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, TConn, ThreadWorker

from sdsf_graph.settings import Settings

from . import create_app
from .pool import KEY as POOL_KEY
from .requestguard import AFTER, APP, DeadlineSocket
from .sparql import SETTINGS_KEY

HEADER_FIELDS = 50  # a browser sends about 15, proxies add a few
HEADER_FIELD_SIZE = 8190  # gunicorn's default (and its largest)
KEEPALIVE = 2  # gunicorn's default: seconds a connection may stay idle between two requests
#: Seconds a new connection may stay silent before it is closed: what gunicorn allows (a thread waits 5 s, then the
#: poller keepalive seconds), without the thread.
IDLE_BEFORE_REQUEST = DEFAULT_WORKER_DATA_TIMEOUT + KEEPALIVE


def request_line_limit(settings: Settings) -> int:
    """The longest request line: a GET with the longest query, percent-encoded, and its other parameters."""
    return 3 * settings.max_query_length + 8192


class _Request(Request):
    def read_line(self, unreader: Any, buf: bytearray, limit: int = 0) -> Any:
        # gunicorn lowers limit_request_line to 8190 when it is larger; the configured bound is the one meant.
        return super().read_line(unreader, buf, self.cfg.limit_request_line)


class _RequestParser(RequestParser):
    mesg_class = _Request


class GuardedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, whose connections are :class:`DeadlineSocket` (a deadline for each request)
    read by :class:`_RequestParser` (the request line bounded as configured), and wait in the poller for their
    first bytes. ``accept`` and ``handle_request`` are gunicorn 27's, with those changes."""

    def accept(self, listener: Any) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        settings: Settings = self.wsgi.config[SETTINGS_KEY]
        sock = DeadlineSocket(client, settings.request_read_timeout)
        conn = TConn(self.cfg, sock, address, listener.getsockname())
        if not self.cfg.is_ssl and not negotiation.prior_knowledge_allowed(self.cfg, address):
            conn.parser = _RequestParser(self.cfg, sock, address)  # what TConn.init would make, but ours
        # To the poller until the client sends something (gunicorn would have a thread wait for it, 5 s, and
        # idle connections would hold every thread): as gunicorn does with a connection deferred from a thread.
        conn.timeout = time.monotonic() + IDLE_BEFORE_REQUEST
        self.pending_conns.append(conn)
        self.poller.register(sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def handle_request(self, req: Any, conn: Any) -> bool:
        sock = conn.sock
        if not isinstance(sock, DeadlineSocket):
            return bool(super().handle_request(req, conn))
        sock.phase, sock.request = APP, req
        try:
            keep_alive = super().handle_request(req, conn)
        finally:
            sock.phase, sock.request = AFTER, None
        return bool(keep_alive) and not sock.close_after_response


# gunicorn logs the worker class by this name ("Using worker: …"): what it is, gthread, and which.
GuardedThreadWorker.__name__ = "gthread (web.server.GuardedThreadWorker)"


def _start_pool(worker: Any) -> None:
    worker.wsgi.extensions[POOL_KEY].start()


def _stop_pool(server: Any, worker: Any) -> None:
    worker.wsgi.extensions[POOL_KEY].close()


class Server(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # control_socket_disable exists from gunicorn 25.1 only
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": GuardedThreadWorker,
        "threads": settings.threads,
        "timeout": math.ceil(settings.query_time_limit) + 30,  # a worker is never blocked longer than a query
        "graceful_timeout": 10,
        "keepalive": KEEPALIVE,
        "limit_request_line": request_line_limit(settings),
        "limit_request_fields": HEADER_FIELDS,
        "limit_request_field_size": HEADER_FIELD_SIZE,
        "http_parser": "python",  # gunicorn_h1c, if installed, would cap the request line at 8190 bytes
        "preload_app": True,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "sdsf-serve",
        "post_worker_init": _start_pool,
        "worker_exit": _stop_pool,
        "control_socket_disable": True,  # one shared ~/.gunicorn/gunicorn.ctl would clash between servers
    }


def serve(settings: Settings) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM)."""
    Server(create_app(settings), gunicorn_options(settings)).run()
