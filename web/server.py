"""Runs the application under gunicorn (never Flask's development server): ``sdsf serve``.

gthread workers (``workers`` processes × ``threads`` threads) share one preloaded application, hence one rate
limiter; each worker starts its own pool of query processes once forked. A GET may carry a query up to
``max_query_length`` bytes, so the request line is not limited by gunicorn (the application answers 413).
"""

from __future__ import annotations

import math
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from sdsf_graph.settings import Settings

from . import create_app
from .pool import KEY as POOL_KEY


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
        "worker_class": "gthread",
        "threads": settings.threads,
        "timeout": math.ceil(settings.query_time_limit) + 30,  # a worker is never blocked longer than a query
        "graceful_timeout": 10,
        "limit_request_line": 0,
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
