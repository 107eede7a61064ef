"""The ``sdsf`` command: build, validate, stats, similar, query, serve.

Exit codes: 0 success; 1 the data does not conform (validation); 2 the command could not run
(bad input, syntax error in a source, missing artifact…).
"""

from __future__ import annotations

import argparse
import json
import sys

from .authoring.cli import register as register_import
from .build import STORE, build_graph, compile_dataset, read_manifest, validate_dataset
from .errors import SDSFError, ValidationFailed
from .query import FORMATTERS, named_queries, resolve_query, run_query
from .search import load_index
from .settings import ENGINES, Settings, load_settings
from .stats import format_stats, graph_stats
from .store import open_engine
from .validate import FORMATS as REPORT_FORMATS

EXIT_OK, EXIT_NONCONFORMING, EXIT_ERROR = 0, 1, 2


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings({
        "data_dir": getattr(args, "data", None),
        "build_dir": getattr(args, "build_dir", None),
        "base_iri": getattr(args, "base_iri", None),
        "engine": getattr(args, "engine", None),
        "remote_endpoint": getattr(args, "remote_endpoint", None),
    })


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        manifest = build_graph(settings)
    except ValidationFailed as failed:
        print(str(failed), file=sys.stderr)
        print("sdsf: build refused: the data has SHACL violations; nothing was written.", file=sys.stderr)
        return EXIT_NONCONFORMING
    checks = manifest["validation"]
    print(f"built {manifest['quads']} quads in {len(manifest['graphs'])} graphs "
          f"(version {manifest['version']}) into {settings.build_path}; "
          f"validation: {checks['violations']} violations, {checks['warnings']} warnings, {checks['infos']} infos")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    report = validate_dataset(compile_dataset(settings), settings)
    print(REPORT_FORMATS[args.format](report))
    return EXIT_OK if report.conforms else EXIT_NONCONFORMING


def cmd_stats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    stats = graph_stats(open_engine(settings))
    print(json.dumps(stats, indent=2, ensure_ascii=False) if args.json else format_stats(stats))
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.list:
        for name, q in named_queries().items():
            defaults = " ".join(f"{p.name}={p.default}" if p.default is not None else f"{p.name}=(optionnel)"
                                for p in q.params)
            print(f"{name:<30} {q.title}" + (f"  [{defaults}]" if defaults else ""))
        return EXIT_OK
    if not args.query:
        raise SDSFError("give a query: a name (see --list), a .rq file or the query text")
    params: dict[str, str] = {}
    for item in args.param or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise SDSFError(f"--param takes NAME=VALUE, not {item!r}")
        params[key] = value
    query = resolve_query(args.query)
    result = run_query(open_engine(settings), query, params, settings.base_iri)
    if result.kind == "graph" and args.format != "table":
        raise SDSFError("CONSTRUCT and DESCRIBE results print only as --format table (N-Triples lines)")
    print(FORMATTERS[args.format](result))
    return EXIT_OK


def cmd_similar(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index = load_index(settings.build_path)
    answer = index.similar(text=args.text, limit=args.limit, exclude_departement=args.exclude_departement,
                           theme=args.theme)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return EXIT_OK
    for rank, r in enumerate(answer["results"], 1):
        print(f"{rank:2d}. {r['score']:.3f}  [{r['departement']['code']} {r['departement']['label']}] "
              f"{r['label']}")
        print(f"      {r['type']} — {r['scheme']['label']} — {r['iri']}")
        if r["why"]["terms"]:
            print(f"      mots : {', '.join(r['why']['terms'])}")
    if not answer["results"]:
        print("aucun élément semblable")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings({"data_dir": args.data, "build_dir": args.build_dir, "base_iri": args.base_iri,
                              "engine": args.engine, "remote_endpoint": args.remote_endpoint, "host": args.host,
                              "port": args.port, "workers": args.workers})
    if read_manifest(settings) is None or not (settings.build_path / STORE).is_dir():
        print(f"sdsf: no built graph in {settings.build_path}: building it first", file=sys.stderr)
        code = cmd_build(args)
        if code != EXIT_OK:
            return code
    from web.server import serve  # imported here: only this command needs Flask and gunicorn

    serve(settings)
    return EXIT_OK


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=list(ENGINES), help="query engine (default: oxigraph)")
    parser.add_argument("--remote-endpoint", metavar="URL",
                        help="the SPARQL store holding the built graph, for --engine remote")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sdsf", description="SDSF Graph: build, check and query the graph.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR", help="scheme and reference data folder (default: data/)")
    common.add_argument("--build-dir", metavar="DIR", help="artifact folder (default: build/)")
    common.add_argument("--base-iri", metavar="IRI", help="public base of the graph's IRIs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", parents=[common], help="compile the sources into the serving artifact")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", parents=[common],
                       help="check the sources against the SHACL shapes (exit 0 conforms, 1 violations or warnings)")
    p.add_argument("--format", choices=sorted(REPORT_FORMATS), default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("stats", parents=[common], help="counts per class and per scheme")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--engine", choices=["oxigraph", "rdflib"])
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("similar", parents=[common], help="find similar plan elements in other départements")
    p.add_argument("text", help="the text of an action, in French")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--exclude-departement", metavar="CODE", help="leave out this département's schemes")
    p.add_argument("--theme", metavar="IRI", help="only elements of this theme")
    p.add_argument("--json", action="store_true", help="print the same JSON as /api/similar")
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("query", parents=[common], help="run a named query, a .rq file or a query text")
    p.add_argument("query", nargs="?", help="query name, FILE.rq or 'SELECT …'")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="table")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="value of a query parameter")
    add_engine_arguments(p)
    p.add_argument("--list", action="store_true", help="list the named queries")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("serve", parents=[common],
                       help="serve the SPARQL endpoint and the pages with gunicorn (builds the graph if missing)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8000)")
    p.add_argument("--workers", type=int, metavar="N", help="server worker processes (default 2)")
    add_engine_arguments(p)
    p.set_defaults(func=cmd_serve)

    register_import(sub)  # sdsf import scheme | outline | template
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SDSFError as exc:
        print(f"sdsf: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sdsf: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into a command that stopped reading (`| head`)
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
