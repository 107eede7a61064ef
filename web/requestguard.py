"""Slow or lying clients (setting ``request_read_timeout``): a request must arrive whole within its time.

gunicorn's gthread worker waits for a connection's first bytes without holding a thread, but then reads the
request line, the headers and the body in a thread with no time limit: a client that promises a body and stalls
holds that thread for as long as it likes. :class:`DeadlineSocket` (each connection of the server's worker, see
web/server.py) gives every request ``request_read_timeout`` seconds from the moment a thread starts reading it:

* the request line or the headers late: the client gets 408 and the connection is closed (by the worker);
* the body late, while the application reads it: :class:`RequestReadTimeout`, answered 408 here, and closed.

Here too, in the application: a body longer than the server accepts (``MAX_CONTENT_LENGTH``) is refused 413
before a byte of it is read, and a connection whose body was left unread is closed after the answer instead of
being drained (a lying client would hold the thread while it drains).
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from typing import Any

from flask import Flask, Response, current_app, request

from sdsf_graph.settings import Settings

from .errors import text_response

HEAD, APP, AFTER = "head", "app", "after"


class RequestReadTimeout(Exception):
    """The client did not send the request's body within ``request_read_timeout``. Not an OSError: werkzeug
    would take that for a client gone away (400)."""


def _timeout_response(seconds: float) -> bytes:
    body = (f"request timeout: the request did not arrive whole within {seconds:g} s\n").encode()
    return (b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class DeadlineSocket(socket.socket):
    """A server-side connection whose reads stop at the request's deadline.

    The worker makes the socket blocking when a thread starts on a request: that starts the deadline
    (``read_timeout`` seconds); making it non-blocking (back to the worker's poller, between requests) clears it.
    ``phase`` is set by the worker: HEAD while gunicorn parses the request, APP while the application runs,
    AFTER once it has answered. After ``shutdown`` (the worker closing the connection) reads never wait: the
    worker's main loop lingers there otherwise, for a client that neither sends nor closes."""

    def __init__(self, sock: socket.socket, read_timeout: float):
        super().__init__(sock.family, sock.type, sock.proto, fileno=sock.detach())
        self.read_timeout = read_timeout
        self.phase = HEAD
        self.close_after_response = False
        self.request: Any = None  # gunicorn's request being answered (set by the worker)
        self._deadline: float | None = None
        self._closing = False

    def close_after(self) -> None:
        """Close the connection once the current answer is sent (which then says ``Connection: close``)."""
        self.close_after_response = True
        if self.request is not None:
            self.request.force_close()

    def setblocking(self, flag: bool) -> None:
        super().setblocking(flag)
        if flag:
            self._deadline = time.monotonic() + self.read_timeout
            self.phase, self.close_after_response, self.request = HEAD, False, None
        else:
            self._deadline = None

    def shutdown(self, how: int) -> None:
        self._closing = True
        super().shutdown(how)

    def _wait(self, seconds: float) -> bool:
        poller = select.poll()
        poller.register(self.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(max(0, int(seconds * 1000))))

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self._closing:  # what has arrived only (no reset of the connection for unread bytes), no waiting
            prior = self.gettimeout()
            super().settimeout(0.0)  # with a timeout, Python would wait for data before reading
            try:
                return super().recv(bufsize, flags)
            except (BlockingIOError, InterruptedError):
                return b""
            finally:
                super().settimeout(prior)
        if self._deadline is None:
            return super().recv(bufsize, flags)
        remaining = self._deadline - time.monotonic()
        own = self.gettimeout()  # gunicorn sets one of its own when it drains a body
        if own is not None and own < remaining:
            return super().recv(bufsize, flags)
        if remaining > 0 and self._wait(remaining):
            return super().recv(bufsize, flags)
        return self._late()

    def _late(self) -> bytes:
        self.close_after()
        if self.phase == HEAD:  # gunicorn has not read a request yet: answer it, then end of input
            with contextlib.suppress(OSError):
                super().send(_timeout_response(self.read_timeout), socket.MSG_DONTWAIT)
            return b""
        if self.phase == APP:
            raise RequestReadTimeout(f"the request body did not arrive within {self.read_timeout:g} s")
        raise TimeoutError("timed out")


def _connection() -> DeadlineSocket | None:
    sock = request.environ.get("gunicorn.socket")
    return sock if isinstance(sock, DeadlineSocket) else None


def _body_left_unread() -> bool:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not request.content_length and not chunked:
        return False
    stream: Any = request.__dict__.get("stream")  # werkzeug's cached property: absent when nothing read it
    if stream is None:
        return True
    if request.content_length:  # under gunicorn the stream's limit is MAX_CONTENT_LENGTH: count what was read
        try:
            return bool(stream.tell() < request.content_length)
        except (AttributeError, OSError, ValueError):
            return True
    return not getattr(stream, "is_exhausted", False)


def init_app(app: Flask, settings: Settings) -> None:
    seconds = settings.request_read_timeout

    @app.before_request
    def _refuse_long_bodies() -> Response | None:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        length = request.content_length
        if limit is not None and length is not None and length > limit:
            return text_response(413, f"the request body is {length} bytes long; this server accepts at most "
                                      f"{limit} bytes")
        return None

    def _late(exc: RequestReadTimeout) -> Response:
        return text_response(408, f"request timeout: the request body did not arrive within {seconds:g} s")

    app.register_error_handler(RequestReadTimeout, _late)

    @app.after_request
    def _close_when_body_left(response: Response) -> Response:
        connection = _connection()
        if connection is not None and _body_left_unread():
            connection.close_after()
        return response
