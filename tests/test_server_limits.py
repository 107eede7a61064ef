"""The server's per-client limits over real HTTP (issue 13): fair use of the query workers, slow or lying clients,
clients behind a trusted proxy.

Real ``sdsf serve`` servers (gunicorn, 2 worker processes) on 127.0.0.1, started as tests/test_endpoint_live.py
starts them; two clients are told apart by their address: Linux answers every 127.x.y.z on the loopback, so a
client socket bound to 127.0.0.2 is another client than one bound to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest

from sdsf_graph.errors import SettingsError
from sdsf_graph.settings import load_settings
from web.fairness import ClientPlaces, WorkerShare
from web.ratelimit import client_address, trusted_networks

from .test_endpoint_live import LiveServer, start_server, stop_server

ME, OTHER = "127.0.0.1", "127.0.0.2"
READY = "127.0.0.99"  # the client that checks a new server answers (its requests count for no test's limits)
TIME_LIMIT = 3
READ_TIMEOUT = 2
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SMALL = ("PREFIX igeo: <http://rdf.insee.fr/def/geo#> "
         "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a igeo:Departement }")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


def request(server: LiveServer, path: str, source: str = ME, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 60) -> Answer:
    port = int(server.root.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text,
                      time.monotonic() - started)
    finally:
        connection.close()


def query(server: LiveServer, text: str, source: str = ME, **headers: str) -> Answer:
    return request(server, "/sparql?" + urlencode({"query": text}), source, headers=headers)


def raw(server: LiveServer, source: str = OTHER) -> socket.socket:
    port = int(server.root.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed it."""
    started, data = time.monotonic(), b""
    sock.settimeout(timeout)
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data, time.monotonic() - started


@pytest.fixture(scope="module")
def started(built_settings, tmp_path_factory):
    running: dict[str, LiveServer] = {}
    folder = tmp_path_factory.mktemp("limits")

    def get(name: str, **settings) -> LiveServer:
        if name not in running:
            running[name] = start_server(built_settings.build_path, "oxigraph", folder / f"{name}.log", **settings)
            deadline = time.monotonic() + 60  # listening: now wait until a worker answers
            while query(running[name], "ASK {}", READY).status != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
        return running[name]

    yield get
    for server in running.values():
        stop_server(server)


@pytest.fixture
def server(started) -> LiveServer:
    """Default-like settings (2 processes × 4 threads × 2 query workers, max_client_queries 2), a short time
    limit and read timeout; the rate limit high enough to stay out of the way."""
    return started("default", query_time_limit=TIME_LIMIT, request_read_timeout=READ_TIMEOUT, rate_limit=10000,
                   threads=4, query_workers=2)


# ---- 1. fairness ------------------------------------------------------------------------------------------


def test_one_clients_slow_queries_do_not_hold_up_another_client(server):
    window = 2.5 * TIME_LIMIT
    slow: list[Answer] = []

    def slow_client() -> None:  # 20 at once, each sent again (after a pause) when refused, for the window
        end = time.monotonic() + window
        while time.monotonic() < end:
            answer = query(server, SLOW, OTHER)
            slow.append(answer)
            if answer.status == 429:
                time.sleep(0.5)

    threads = [threading.Thread(target=slow_client) for _ in range(20)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    small: list[Answer] = []
    while any(thread.is_alive() for thread in threads):
        small.append(query(server, SMALL, ME))
        time.sleep(0.1)
    for thread in threads:
        thread.join()

    assert len(small) >= 20
    assert {a.status for a in small} == {200}
    assert max(a.seconds for a in small) < 2.0, sorted(round(a.seconds, 2) for a in small)[-5:]
    statuses = [a.status for a in slow]
    assert set(statuses) <= {429, 503}, statuses
    assert statuses.count(429) >= 18
    for answer in slow:
        if answer.status == 429:
            assert int(answer.headers["retry-after"]) >= 1
            assert "at most 2 queries at a time per client" in answer.body
        else:  # the queries that ran: stopped at the time limit, not refused for want of a worker
            assert f"time limit of {TIME_LIMIT} s" in answer.body, answer.body
    assert statuses.count(503) >= 2  # the slow client's queries did run meanwhile
    after = query(server, "ASK {}", OTHER)  # its places were given back
    assert after.status == 200


def test_the_worker_share_keeps_a_worker_for_a_client_with_none_running():
    share = WorkerShare(capacity=2, wait_limit=10)
    order: list[str] = []
    first_running, release_first = threading.Event(), threading.Event()

    def run(client: str, name: str, hold: threading.Event | None = None,
            running: threading.Event | None = None) -> None:
        with share.slot(client):
            order.append(name)
            if running:
                running.set()
            if hold:
                hold.wait(10)

    a1 = threading.Thread(target=run, args=("a", "a1", release_first, first_running))
    a1.start()
    assert first_running.wait(5)
    a2 = threading.Thread(target=run, args=("a", "a2"))  # would take the last worker: waits
    a2.start()
    time.sleep(0.3)
    assert order == ["a1"]
    b1 = threading.Thread(target=run, args=("b", "b1"))  # a client with none running: goes at once
    b1.start()
    b1.join(5)
    assert order == ["a1", "b1"]
    release_first.set()
    a1.join(5)
    a2.join(5)
    assert order == ["a1", "b1", "a2"]


def test_client_places_are_shared_with_forked_processes_and_taken_back_from_dead_ones():
    places = ClientPlaces(limit=2, size=8, stale_after=60)
    assert places.take("x")[0] is not None
    pid = os.fork()
    if pid == 0:  # the child takes x's second place and dies holding it
        os._exit(0 if places.take("x")[0] is not None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent's place and the dead child's: x is at its limit, unless the dead one is taken back
    index, _ = places.take("x")
    assert index is not None
    assert places.take("x") == (None, pytest.approx(0, abs=1))  # two places held by this live process
    assert places.take("y")[0] is not None  # another client is not concerned


# ---- 2. slow or lying clients -----------------------------------------------------------------------------


def post_head(length: int, path: str = "/sparql") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_a_body_that_does_not_arrive_is_answered_408_and_the_connection_closed(server):
    with raw(server) as sock:
        sock.sendall(post_head(1000) + b"ASK {} #12")
        data, seconds = read_until_closed(sock, 30)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert b"connection: close" in data.lower()
    assert READ_TIMEOUT - 0.5 < seconds < READ_TIMEOUT + 1.5


def test_a_body_longer_than_accepted_is_refused_before_it_is_read(server):
    with raw(server) as sock:
        sock.sendall(post_head(1_000_000) + b"ASK {} #12")
        data, seconds = read_until_closed(sock, 30)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert seconds < 1.0


def test_a_request_head_that_does_not_arrive_is_answered_408(server):
    with raw(server) as sock:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")  # no blank line: headers unfinished
        data, seconds = read_until_closed(sock, 30)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert READ_TIMEOUT - 0.5 < seconds < READ_TIMEOUT + 1.5


def test_stalled_and_silent_connections_do_not_stop_another_client(server):
    stalled = []
    for index in range(48):  # 16 lying about a long body, 16 about a short one, 16 that never say anything
        sock = raw(server)
        if index < 16:
            sock.sendall(post_head(1_000_000) + b"ASK {} #12")
        elif index < 32:
            sock.sendall(post_head(1000) + b"ASK {} #12")
        stalled.append(sock)
    try:
        answers = []
        end = time.monotonic() + READ_TIMEOUT + 2
        while time.monotonic() < end:
            answers.append(query(server, SMALL, ME))
            time.sleep(0.1)
        assert {a.status for a in answers} == {200}
        assert max(a.seconds for a in answers) < 2.0, sorted(round(a.seconds, 2) for a in answers)[-5:]
        for sock in stalled[:32]:  # each answered (413, 408, or 429: this client has 2 queries in progress)
            data, _ = read_until_closed(sock, 10)
            assert data[:12] in (b"HTTP/1.1 413", b"HTTP/1.1 408", b"HTTP/1.1 429"), data[:100]
    finally:
        for sock in stalled:
            sock.close()


def test_a_20_mb_request_line_is_refused_without_being_read(server):
    sock = raw(server)
    sent: list[object] = []

    def send() -> None:
        try:
            sock.sendall(b"GET /sparql?query=" + b"a" * (20 * 2**20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            sent.append("all of it")
        except OSError as exc:
            sent.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    data, seconds = read_until_closed(sock, 60)
    sender.join(30)
    sock.close()
    assert data.startswith(b"HTTP/1.1 414"), data[:200]
    assert seconds < 2.0
    assert isinstance(sent[0], OSError), "the server read the whole 20 MB line"


def test_the_longest_query_still_arrives_in_a_get(server):
    longest = "ASK {} #" + "é" * ((65536 - 8) // 2)  # 65,536 bytes of UTF-8: 196,608 once percent-encoded
    assert len(longest.encode("utf-8")) == 65536
    answer = request(server, "/sparql?query=" + quote(longest), headers={"Accept": "application/sparql-results+json"})
    assert answer.status == 200 and '"boolean": true' in answer.body
    answer = request(server, "/sparql?query=" + quote(longest + "x"))
    assert answer.status == 413 and "the limit is 65536" in answer.body


def test_header_fields_are_bounded(server):
    many = {f"X-Field-{n}": "1" for n in range(60)}
    assert request(server, "/sparql?query=ASK%7B%7D", headers=many).status == 431
    assert request(server, "/sparql?query=ASK%7B%7D", headers={"X-Long": "a" * 9000}).status == 431
    assert request(server, "/sparql?query=ASK%7B%7D", headers={"X-Field": "a" * 8000}).status == 200


def test_a_normal_post_keeps_its_connection(server):
    port = int(server.root.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(2):
            connection.request("POST", "/sparql", body=urlencode({"query": "ASK {}"}),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            assert response.status == 200 and response.getheader("Connection") != "close"
            response.read()
        local = connection.sock.getsockname()
        connection.request("GET", "/sparql?query=ASK%7B%7D")
        response = connection.getresponse()
        response.read()
        assert response.status == 200 and connection.sock.getsockname() == local  # the same connection
    finally:
        connection.close()


# ---- 3. proxies -------------------------------------------------------------------------------------------


def test_a_forged_x_forwarded_for_does_not_escape_the_rate_limit(started):
    direct = started("direct", rate_limit=3, threads=2, query_workers=1)
    statuses = [request(direct, "/sparql?query=ASK%7B%7D", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status
                for n in range(6)]
    assert statuses == [200] * 3 + [429] * 3


def test_behind_a_trusted_proxy_each_forwarded_client_is_limited_on_its_own(started):
    proxied = started("proxied", rate_limit=3, threads=4, query_workers=2, trusted_proxies="127.0.0.1",
                      query_time_limit=TIME_LIMIT)

    def ask(forwarded: str, source: str = ME) -> int:
        return request(proxied, "/sparql?query=ASK%7B%7D", source, headers={"X-Forwarded-For": forwarded}).status

    assert [ask("198.51.100.1") for _ in range(4)] == [200, 200, 200, 429]
    assert ask("198.51.100.2") == 200  # another client behind the proxy
    assert ask("203.0.113.7, 198.51.100.1") == 429  # the right-most address the proxy did not write is the client
    assert ask("198.51.100.2, 127.0.0.1") == 200  # trusted proxies in the chain are skipped
    # from a peer that is not a trusted proxy, X-Forwarded-For is ignored: 127.0.0.2 is the client
    assert [ask(f"192.0.2.{n}", OTHER) for n in range(4)] == [200, 200, 200, 429]


def test_the_per_client_query_limit_follows_the_forwarded_client(started):
    proxied = started("proxied-fair", rate_limit=10000, threads=4, query_workers=2, trusted_proxies="127.0.0.0/8",
                      query_time_limit=TIME_LIMIT)
    answers: list[Answer] = []
    running = [threading.Thread(target=lambda: answers.append(
        query(proxied, SLOW, ME, **{"X-Forwarded-For": "198.51.100.9"}))) for _ in range(2)]
    for thread in running:
        thread.start()
    time.sleep(0.5)
    third = query(proxied, SMALL, ME, **{"X-Forwarded-For": "198.51.100.9"})
    other = query(proxied, SMALL, ME, **{"X-Forwarded-For": "198.51.100.10"})
    for thread in running:
        thread.join()
    assert third.status == 429 and "2 queries at a time" in third.body
    assert other.status == 200 and other.seconds < 2.0


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("192.0.2.1", "198.51.100.1", "", "192.0.2.1"),  # nothing trusted: the peer
    ("192.0.2.1", "198.51.100.1", "10.0.0.0/8", "192.0.2.1"),  # the peer is not a trusted proxy
    ("10.0.0.5", "198.51.100.1", "10.0.0.0/8", "198.51.100.1"),
    ("10.0.0.5", "203.0.113.1, 198.51.100.1, 10.0.0.7", "10.0.0.0/8", "198.51.100.1"),
    ("10.0.0.5", "10.0.0.9, 10.0.0.7", "10.0.0.0/8", "10.0.0.9"),  # only proxies: the farthest
    ("10.0.0.5", "", "10.0.0.0/8", "10.0.0.5"),
    ("10.0.0.5", "not an address", "10.0.0.0/8", "10.0.0.5"),
    ("10.0.0.5", "[2001:db8::1]:4711", "10.0.0.0/8", "2001:db8::/64"),
    ("10.0.0.5", "198.51.100.1:4711", "10.0.0.0/8", "198.51.100.1"),
    ("2001:db8:0:1::5", "", "", "2001:db8:0:1::/64"),  # IPv6 clients count per /64
    ("::ffff:192.0.2.1", "", "", "192.0.2.1"),
])
def test_client_address(peer, forwarded, trusted, client):
    environ = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(environ, trusted_networks(trusted)) == client


def test_client_settings_are_validated():
    settings = load_settings({"trusted_proxies": "10.0.0.5, 192.168.0.0/24"}, environ={})
    assert trusted_networks(settings.trusted_proxies) == (ipaddress.ip_network("10.0.0.5"),
                                                          ipaddress.ip_network("192.168.0.0/24"))
    for bad in ({"trusted_proxies": "10.0.0.5, proxy.example"}, {"max_client_queries": "-1"},
                {"request_read_timeout": "0"}):
        with pytest.raises(SettingsError):
            load_settings(bad, environ={})
