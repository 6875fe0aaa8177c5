"""The ``r2pkg`` command line: thin click commands that forward to the library.

Exit codes: 0 success (or conforms), 1 the data does not conform, 2 an error (bad input, syntax,
unknown query...), 3 a query timed out. They come from the exception classes in :mod:`r2pkg.errors`.
"""
from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import BadOutput, R2pkgError

FORMAT_CHOICES = ["json", "xml", "csv", "tsv", "table", "turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"]


def _fail(message: str, exit_code: int = 2) -> None:
    """Print ``r2pkg: error: <message>`` on stderr and exit (2 unless told otherwise)."""
    if exit_code == 2:  # a user error is one line; a validation report (exit 1) keeps its lines
        message = " ".join(message.split())
    click.echo(f"r2pkg: error: {message}", err=True)
    sys.exit(exit_code)


def _errors(fn):
    """Map domain exceptions (and the OS errors of files the user named) to one line on stderr and
    their exit code; never a traceback for a user error."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except R2pkgError as e:
            _fail(e.message, e.exit_code)
        except OSError as e:
            if e.errno == errno.EPIPE:  # `r2pkg query ... | head`
                sys.exit(0)
            where = f"{e.filename}: " if e.filename else ""
            _fail(f"{where}{e.strerror or e}")

    return wrapper


_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2


class _Group(click.Group):
    """click's usage errors in r2pkg's one-line form: ``r2pkg: error: <what>; see '<cmd> --help'``."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as e:  # `r2pkg` alone: its help, not an error
            click.echo(e.ctx.get_help() if e.ctx is not None else self.get_help(click.Context(self)))
            sys.exit(0)
        except click.UsageError as e:
            hint = f"; see '{e.ctx.command_path} --help'" if e.ctx is not None else ""
            _fail(e.format_message().rstrip(".") + hint)
        except click.ClickException as e:
            _fail(e.format_message())
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _write_target(output: Path | None) -> None:
    """Fail before any work if ``output`` cannot be created."""
    if output is None:
        return
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise BadOutput(f"cannot write {output}: folder {parent} does not exist; create it first "
                        f"(mkdir -p {parent}) or choose another -o")
    if output.is_dir():
        raise BadOutput(f"cannot write {output}: it is a folder; give a file name, e.g. -o {output}/out")
    if not os.access(parent, os.W_OK):
        raise BadOutput(f"cannot write {output}: folder {parent} is not writable; choose another -o")


def _note(message: str) -> None:
    click.echo(f"r2pkg: {message}", err=True)


def _terminal_width() -> int | None:
    """Columns of the terminal the table goes to ($COLUMNS wins); None when stdout is not one."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else None
    except (OSError, ValueError, AttributeError):
        return None


def _res(ctx: click.Context):
    from .paths import resources

    return resources(ctx.obj.get("home"), ctx.obj.get("build_dir"))


@click.group(name="r2pkg", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="r2pkg")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="R2PKG_HOME",
              help="Folder holding ontology/, shapes/, data/, queries/ (default: the packaged copies, "
                   "or the source checkout).")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), envvar="R2PKG_BUILD_DIR",
              help="Where build artefacts are written and read (default: a per-checkout folder "
                   "under ~/.cache/r2pkg).")
@click.pass_context
def main(ctx: click.Context, home: Path | None, build_dir: Path | None) -> None:
    """r2pkg: the UN General Assembly's R2P debates as a validated knowledge graph.

    Typical use: `r2pkg build`, then `r2pkg query cq01`, or `r2pkg serve` for the SPARQL endpoint.
    Errors print one line, `r2pkg: error: ...`, and exit 2.

    Example:

    \b
      r2pkg build && r2pkg query cq05
    """
    ctx.ensure_object(dict)
    ctx.obj.update(home=home, build_dir=build_dir)


STORE_MODE = click.option(
    "--store-mode", type=click.Choice(["memory", "disk"]), default="memory", show_default=True,
    envvar="R2PKG_STORE_MODE",
    help="memory: each server process loads the build into memory (fastest queries); disk: the build's "
         "read-only on-disk store, which query workers share through the page cache (least memory).")


@main.command()
@click.option("--no-consistency", is_flag=True, help="Skip the OWL RL consistency check (faster).")
@STORE_MODE
@click.pass_context
@_errors
def build(ctx: click.Context, no_consistency: bool, store_mode: str) -> None:
    """Parse ontology and data into named graphs, validate (SHACL, passages, OWL RL), and
    publish a build artefact atomically. A failed build leaves the previous one in place.

    Example:

    \b
      r2pkg build --no-consistency
    """
    from .build import build as do_build

    res = _res(ctx)
    b = do_build(res, consistency=not no_consistency, disk_store=store_mode == "disk")
    m = b.manifest
    v = m["validation"]
    click.echo(f"built {b.build_id}: {m['triples']} triples in {len(m['graphs'])} graphs "
               f"({v['Warning']} warnings, {v['Info']} infos) in {m['duration_s']} s")
    click.echo(f"artefact: {b.path}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "turtle"]), default="text", show_default=True,
              help="Report format.")
@click.option("--no-consistency", is_flag=True, help="Skip the OWL RL consistency check.")
@click.pass_context
@_errors
def validate(ctx: click.Context, fmt: str, no_consistency: bool) -> None:
    """Validate the data against the SHACL shapes without building.

    Exit status: 0 conforms, 1 does not conform, 2 error (e.g. a syntax error).

    Example:

    \b
      r2pkg validate --format turtle > report.ttl
    """
    from .build import check

    result = check(_res(ctx), consistency=not no_consistency)
    if fmt == "turtle":
        click.echo(result.report.serialize(format="turtle"))
    else:
        click.echo(result.text())
    sys.exit(0 if result.conforms else 1)


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format; 'table' is for terminals (SELECT/ASK), graphs default to turtle.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a named-query parameter (repeatable); values are bound as RDF terms.")
@click.pass_context
@_errors
def query(ctx: click.Context, query: str, fmt: str, params: tuple[str, ...]) -> None:
    """Run QUERY against the built dataset: a file (any existing path), or the name of a query in
    queries/ (a unique prefix such as `cq05` is enough). Builds first if there is no build, and
    rebuilds if ontology/, shapes/ or data/ changed since.

    The table fits the terminal (cut values end with …); the other formats give full values.

    Example:

    \b
      r2pkg query cq05
      r2pkg query my.rq --format csv > rows.csv
      r2pkg query cq14 --param subject=https://w3id.org/r2pkg/id/state/CHL
    """
    from . import named, store
    from .errors import BadParameter, DataError
    from .query import run, table

    res = _res(ctx)
    values = {}
    for p in params:
        if "=" not in p:
            raise BadParameter(f"--param takes NAME=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        values[k.strip()] = v
    path = Path(query)
    if path.exists():
        if path.is_dir():
            raise DataError(f"{query} is a folder; give a query file or a query name")
        nq = named.parse_header(path.stem, path, named.read_query_file(path))
    elif path.suffix == ".rq" or os.sep in query:
        raise DataError(f"no such file: {query}; give an existing .rq file or a named query "
                        f"(r2pkg query with a name from queries/)")
    else:
        nq = named.get(res.queries, query)
    ds = store.load(_current(res))
    from .search import INDEX_FILE
    from .search.functions import functions

    result = run(ds.store, nq.text, substitutions=nq.bindings(values),
                 custom_functions=functions(ds.build.path / INDEX_FILE))
    if fmt == "table":
        if result.kind == "results":
            click.echo(table(result, width=_terminal_width()))
            return
        fmt = "turtle"
    data = result.serialize(fmt)
    sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
    sys.stdout.flush()


def _current(res):
    """The current build, (re)built first if there is none or ontology/, shapes/, data/ changed."""
    from .build import ensure_build

    return ensure_build(res, rebuild_stale=True, on_rebuild=_note)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
@_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Triples per named graph and instances per class in the built dataset.

    Example:

    \b
      r2pkg stats --json
    """
    import json

    from . import store
    from .stats import compute

    s = compute(store.load(_current(_res(ctx))))
    if as_json:
        click.echo(json.dumps(s, indent=2))
        return
    click.echo(f"build {s['build_id']}: {s['triples']} triples")
    click.echo("\ntriples per graph:")
    for g, n in s["graphs"].items():
        click.echo(f"  {n:7d}  {g}")
    click.echo("\ninstances per class:")
    for c, n in s["classes"].items():
        click.echo(f"  {n:7d}  {c}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=int,
              help="Server processes (each holds the dataset in memory, in the memory store mode).")
@click.option("--threads", default=8, show_default=True, type=int,
              help="Threads per process for pages and exports (queries that cannot block run on the event loop).")
@click.option("--query-workers", default=2, show_default=True, type=int,
              help="Query worker processes per server process (queries run there, with a hard timeout).")
@click.option("--timeout", "query_timeout", default=5.0, show_default=True, type=float,
              help="Wall-clock seconds per query before it is stopped (503).")
@click.option("--server", "server_name", type=click.Choice(["granian", "granian-wsgi", "gunicorn"]),
              default="granian", show_default=True,
              help="granian (RSGI, measured fastest here; see bench/README.md), granian-wsgi or gunicorn (WSGI).")
@click.option("--store", "store_url", default=None, metavar="URL",
              help="Serve a remote SPARQL query endpoint (Oxigraph, Fuseki, GraphDB, Virtuoso) instead of "
                   "the embedded store, e.g. http://127.0.0.1:7878/query.")
@click.option("--store-kind", type=click.Choice(["sparql", "virtuoso"]), default=None, envvar="R2PKG_STORE_KIND",
              help="The remote store's kind (default: detected from its Server header).")
@STORE_MODE
@click.pass_context
@_errors
def serve(ctx: click.Context, host: str, port: int, workers: int, threads: int, query_workers: int,
          query_timeout: float, server_name: str, store_url: str | None, store_kind: str | None,
          store_mode: str) -> None:
    """Start the SPARQL endpoint and UI on a production WSGI server (granian by default).

    Loads the published build, building first if there is none or if ontology/, shapes/ or data/
    changed since. With --store, queries go to a remote SPARQL endpoint and no build is loaded.
    Refuses to start if the port is in use (exit 2).

    Example:

    \b
      r2pkg serve --port 8080
      r2pkg serve --store http://127.0.0.1:7878/query
      r2pkg serve --store http://127.0.0.1:8890/sparql
    """
    from .ports import ensure_port_free
    from .server import base_url, exec_serve

    res = _res(ctx)
    ensure_port_free(host, port)  # granian binds with SO_REUSEPORT: a second server would share the port
    if store_url:
        from .remote import connect

        rd = connect(store_url, kind=store_kind)  # fail early, with a clear message, if the store is unreachable
        what = f"remote store {store_url}, {len(rd)} triples in {len(rd.named)} graphs"
    else:
        b = _current(res)  # build (once) before forking server processes
        if store_mode == "disk":  # and its on-disk store, once, rather than in each server process
            from .diskstore import ensure

            ensure(b.path, b.dataset_path)
        what = f"build {b.build_id}, {b.manifest['triples']} triples, {store_mode} store"

    base = base_url(host, port)
    click.echo(f"r2pkg {__version__}: {what}")
    click.echo(f"  SPARQL endpoint: {base}/sparql")
    click.echo(f"  query UI:        {base}/sparql (in a browser)")
    click.echo(f"  named queries:   {base}/api/queries")
    click.echo(f"  health:          {base}/healthz")
    exec_serve(host, port, workers=workers, threads=threads, server=server_name,
               app_config={"HOME": str(res.root), "BUILD_DIR": str(res.build_dir), "STORE": store_url,
                           "STORE_KIND": store_kind, "STORE_MODE": store_mode,
                           "QUERY_WORKERS": query_workers, "QUERY_TIMEOUT": query_timeout})


@main.command()
@click.option("--to", "gsp_url", required=True, metavar="URL",
              help="SPARQL 1.1 Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store.")
@click.option("--user", envvar="R2PKG_STORE_USER", default=None,
              help="User name, if the endpoint asks for HTTP Digest or Basic credentials (Virtuoso's "
                   "/sparql-graph-crud-auth does).")
@click.option("--password", envvar="R2PKG_STORE_PASSWORD", default=None,
              help="Password for --user (better from R2PKG_STORE_PASSWORD than on the command line).")
@click.option("--store-kind", type=click.Choice(["sparql", "virtuoso"]), default=None, envvar="R2PKG_STORE_KIND",
              help="The store's kind (default: virtuoso for a /sparql-graph-crud URL, else sparql).")
@click.pass_context
@_errors
def publish(ctx: click.Context, gsp_url: str, user: str | None, password: str | None,
            store_kind: str | None) -> None:
    """Load the built dataset, graph by graph (HTTP PUT, which replaces each graph), into a triple
    store's Graph Store Protocol endpoint. Running it twice leaves the same store.

    Example:

    \b
      r2pkg publish --to http://127.0.0.1:7878/store
      r2pkg publish --to http://127.0.0.1:8890/sparql-graph-crud-auth --user dba  (password: R2PKG_STORE_PASSWORD)
    """
    from .remote import check_url, publish as do_publish

    check_url(gsp_url, "http://127.0.0.1:7878/store")
    b = _current(_res(ctx))
    report = do_publish(b.dataset_path, gsp_url, kind=store_kind, user=user, password=password)
    click.echo(f"published build {b.build_id}: {report.triples} triples in {len(report.graphs)} graphs to {gsp_url}")


@main.command()
@click.argument("view")
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "cytoscape", "dot", "csv"]),
              default="graphml", show_default=True, help="Export format.")
@click.option("--table", type=click.Choice(["nodes", "edges"]), default="nodes", show_default=True,
              help="With --format csv: the nodes table or the edges table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@click.pass_context
@_errors
def export(ctx: click.Context, view: str, fmt: str, table: str, output: Path | None) -> None:
    """Export a graph VIEW (support, delegation, membership, full) for Gephi, Cytoscape or Graphviz.

    Each view is the SPARQL query queries/views/VIEW.rq; node ids are the IRIs.

    Example:

    \b
      r2pkg export support --format gexf -o support.gexf
      r2pkg export delegation --format csv --table edges > edges.csv
    """
    from . import store
    from .export import check_table, export_view, get_view, graph_format

    get_view(view)
    graph_format(fmt)
    check_table(table)
    _write_target(output)
    res = _res(ctx)
    data = export_view(res, view, fmt, table=table, dataset=store.load(_current(res)))
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.argument("exact")
@click.option("--source", default="000_8ce56a32bf916fdd", show_default=True, help="Source id in data/sources/.")
@click.option("--occurrence", type=int, default=None, help="Which occurrence, if the text repeats.")
@click.pass_context
@_errors
def passage(ctx: click.Context, exact: str, source: str, occurrence: int | None) -> None:
    """Find EXACT in a stored source and print the passage node (Turtle) to paste into data/.

    Quote marks (straight or curly) and whitespace runs need not match the source's; the span
    printed is the source's own text, and stderr shows it when it differs from EXACT.

    Example:

    \b
      r2pkg passage "Seventeen states have participated"
    """
    from .provenance import locate, source_text, span_turtle

    res = _res(ctx)
    text = source_text(res.sources, source)
    wanted = exact.replace("\\n", "\n")
    span = locate(text, wanted, source, occurrence)
    if span.exact != wanted:  # found ignoring quote styles or whitespace: say what it matched
        _note(f"matched {span.start}-{span.end}, the source's own text: {span.exact!r}")
    click.echo(span_turtle(span), nl=False)


if __name__ == "__main__":  # python -m r2pkg.cli
    main()
