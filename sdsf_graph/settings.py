"""Settings, declared once with their defaults and help (documented in docs/settings.md).

Each setting can be overridden by an environment variable ``SDSF_<NAME>`` (upper case), and by the
command-line flags that name it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SettingsError
from .namespaces import DEFAULT_BASE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("base_iri", DEFAULT_BASE,
            "Public base of every IRI of the graph; a deployment may serve its own (must end with '/')."),
    Setting("public_url", "",
            "Public URL of the site's root (e.g. https://sdsf.example.org/), used for the absolute links of "
            "/downloads/void.ttl, the service description and the query editor; empty: taken from the request's Host, "
            "and those answers are then cached privately (Vary: Host), never by shared caches."),
    Setting("project_dir", str(PROJECT_ROOT),
            "Folder holding ontology/, shapes/ and data/ (the sources of the graph)."),
    Setting("data_dir", "",
            "Folder of the scheme and reference data; empty means <project_dir>/data."),
    Setting("build_dir", "",
            "Folder where `sdsf build` writes the serving artifact; empty means <project_dir>/build."),
    Setting("engine", "oxigraph",
            "Query engine: 'oxigraph' (fast, default), 'rdflib' (reference) or 'remote' (the SPARQL store at "
            "remote_endpoint)."),
    Setting("remote_endpoint", "",
            "URL of the SPARQL 1.1 store holding the built graph, queried when engine is 'remote' "
            "(e.g. http://127.0.0.1:8890/sparql for scripts/virtuoso)."),
    Setting("host", "127.0.0.1", "Address the server listens on."),
    Setting("port", 8000, "Port the server listens on.", int),
    Setting("workers", 2, "Number of server worker processes.", int),
    Setting("threads", 4, "Request threads per server worker process (gunicorn gthread workers).", int),
    Setting("query_workers", 2,
            "Query processes per server worker process (plus one kept for clients with no query running, see "
            "max_client_queries); queries, and the gate's reading of them, run there, never in the web process "
            "(the remote engine runs its queries in the store and keeps as many processes for the gate only).", int),
    Setting("query_time_limit", 10.0,
            "Seconds a query may run; past it its process is killed and replaced (remote engine: the store is asked to "
            "stop and the exchange is abandoned), and the answer is 503.", float),
    Setting("max_query_length", 65536, "Longest query accepted, in bytes of UTF-8; a longer one gets 413.", int),
    Setting("max_query_depth", 32, "Deepest nesting of {}, () and [] accepted in a query; a deeper one gets 400.", int),
    Setting("max_query_terms", 1000,
            "Most keywords and operators in one group, expression or list of a query (1,000 BIND, MINUS or '+' "
            "side by side); more gets 400 (the engines' parsers are recursive: pyoxigraph's query process dies "
            "near 4,000).", int),
    Setting("max_rows", 10000,
            "Most rows (or triples) in one answer; a cut answer carries the header X-Result-Truncated: true.", int),
    Setting("query_memory_limit", 1024,
            "Megabytes of memory one query may take in its query process, on top of what the opened store holds "
            "(the process's data segment, RLIMIT_DATA); past it the query is refused with 503 and the process "
            "replaced. 0: no limit.", int),
    Setting("max_answer_bytes", 16777216,
            "Most bytes in one serialised answer of /sparql; a longer one is cut at a row (or triple) boundary "
            "and carries X-Result-Truncated: true and X-Result-Limit-Bytes.", int),
    Setting("rate_limit", 120,
            "Requests per minute per client address (bursts of as many); past it, 429 with Retry-After. 0: no limit.",
            int),
    Setting("max_client_queries", 2,
            "Queries one client address may have in progress at once, across all server processes; past it, 429 "
            "with Retry-After at once (never queued). Each server process also runs one query process more than "
            "query_workers, kept for the clients with none running there. 0: no limit.", int),
    Setting("trusted_proxies", "",
            "Addresses or CIDR networks (comma-separated) of the reverse proxies whose X-Forwarded-For is "
            "believed: the client is then its right-most address that is not itself a trusted proxy. Empty: "
            "X-Forwarded-For is ignored, the client is the connection's peer."),
    Setting("request_read_timeout", 10.0,
            "Seconds a client has to send a whole request (line, headers and body) once it has started; past it, "
            "408 and the connection is closed.", float),
    Setting("result_cache_size", 64,
            "Megabytes of answers each server process keeps in memory for the built graph it serves (the same "
            "request is then answered without running its query again); 0: no cache.", int),
    Setting("cache_max_age", 300, "Seconds clients and proxies may reuse an answer (Cache-Control max-age).", int),
)

#: Settings that must be positive (the others of type int may be 0).
_POSITIVE = ("threads", "query_workers", "query_time_limit", "max_query_length", "max_query_depth", "max_query_terms",
             "max_rows",
             "max_answer_bytes", "request_read_timeout")

_BY_NAME = {s.name: s for s in SETTINGS}
ENGINES = ("oxigraph", "rdflib", "remote")


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    @property
    def project_path(self) -> Path:
        return Path(self.values["project_dir"])

    @property
    def data_path(self) -> Path:
        return Path(self.values["data_dir"]) if self.values["data_dir"] else self.project_path / "data"

    @property
    def build_path(self) -> Path:
        return Path(self.values["build_dir"]) if self.values["build_dir"] else self.project_path / "build"


def _convert(setting: Setting, raw: Any) -> Any:
    if raw is None:
        return setting.default
    try:
        return setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {setting.name!r}: {raw!r} is not a valid {setting.type.__name__}") from exc


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then ``SDSF_*`` environment variables, then explicit overrides (None means unset)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        values[s.name] = _convert(s, env.get("SDSF_" + s.name.upper()))
    for name, raw in (overrides or {}).items():
        if name not in _BY_NAME:
            raise SettingsError(f"unknown setting {name!r}")
        if raw is not None:
            values[name] = _convert(_BY_NAME[name], raw)
    if not str(values["base_iri"]).endswith("/"):
        raise SettingsError(f"setting 'base_iri' must end with '/': {values['base_iri']!r}")
    if values["public_url"] and not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", str(values["public_url"])):
        raise SettingsError(f"setting 'public_url' must be an http(s) URL without query or fragment, not "
                            f"{values['public_url']!r}")
    if values["engine"] not in ENGINES:
        raise SettingsError(f"setting 'engine' must be 'oxigraph', 'rdflib' or 'remote', not {values['engine']!r}")
    if values["engine"] == "remote" and not values["remote_endpoint"]:
        raise SettingsError("setting 'engine' is 'remote' but 'remote_endpoint' is empty: give the store's URL "
                            "(--remote-endpoint or SDSF_REMOTE_ENDPOINT)")
    if values["remote_endpoint"] and not str(values["remote_endpoint"]).startswith(("http://", "https://")):
        raise SettingsError(f"setting 'remote_endpoint' must be an http(s) URL, not {values['remote_endpoint']!r}")
    for name in _POSITIVE + ("rate_limit", "cache_max_age", "result_cache_size",
                             "query_memory_limit", "max_client_queries"):
        if values[name] < 0 or (name in _POSITIVE and values[name] == 0):
            raise SettingsError(f"setting {name!r} must be {'positive' if name in _POSITIVE else '0 or more'}, "
                                f"not {values[name]!r}")
    _check_memory_for_answers(values["query_memory_limit"], values["max_answer_bytes"])
    _check_client_settings(values)
    return Settings(values)


#: A query process serialising an answer of max_answer_bytes holds several copies of it at once (the engine's
#: value, its Python string, the serialised body, its pickle): query_memory_limit must leave room for them
#: (measured: a 16 MiB value needs 112 MB with pyoxigraph, 96 MB with rdflib).
ANSWER_COPIES = 10


def _check_memory_for_answers(memory_mb: int, answer_bytes: int) -> None:
    if memory_mb > 0 and memory_mb * 2**20 < ANSWER_COPIES * answer_bytes:
        raise SettingsError(f"setting 'query_memory_limit' ({memory_mb} MB) leaves no room for an answer of "
                            f"max_answer_bytes ({answer_bytes} bytes): give it at least "
                            f"{-(-ANSWER_COPIES * answer_bytes // 2**20)} MB, or 0 (no limit)")


def _check_client_settings(values: dict[str, Any]) -> None:
    """trusted_proxies (max_client_queries and request_read_timeout are checked with the others)."""
    for item in str(values["trusted_proxies"]).replace(",", " ").split():
        try:
            trusted_networks(item)
        except ValueError:
            raise SettingsError(f"setting 'trusted_proxies': {item!r} is not an IP address or CIDR network") from None


def trusted_networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of the ``trusted_proxies`` setting (addresses or CIDR, separated by commas or spaces)."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in setting.replace(",", " ").split())
