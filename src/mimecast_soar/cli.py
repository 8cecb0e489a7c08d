"""The command line: argument parsing and wiring only; heavy modules are imported lazily.

    mimecast-soar actions [ACTION] [--json | --markdown]
    mimecast-soar run ACTION --connection FILE --input PATH [--output PATH] [--format ...] ...
    mimecast-soar check-connection --connection FILE [--label NAME]
    mimecast-soar sim [--host H] [--port P] [--seed N] [--latency-ms MS] [--fault SPEC ...]
    mimecast-soar demo
    mimecast-soar devo bundle OUT_DIR [--python-version X.Y [--platform TAG]] [--no-wheels]
    mimecast-soar devo exec ACTION

Bad arguments, unreadable connection files, paths that cannot be read or written, a port in use
and a resume journal that cannot be trusted exit with status 2 and one clear line on stderr;
row errors are data (status 0); a run stopped by a fatal error (bad credentials, expired binding,
TLS failure) exits with status 1 after writing an error row for every input row. A reader that
closes standard output (`| head`) ends the run quietly with status 141 (128 + SIGPIPE) once the
journal holds what was handed over. No error prints a traceback: an unexpected one is one line
asking for a report (MIMECAST_SOAR_DEBUG=1 shows the traceback). Every line for standard error
goes through `_say`, which escapes control characters a server may have put in a message; a
connection with `verify_ssl = false` gets one warning line before its first call.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import IO, Any, cast

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: The reader closed standard output (`| head`): 128 + SIGPIPE, as a shell reports a program
#: the closed pipe killed (see `runtime.stdout_guard`).
EXIT_CLOSED_OUTPUT = 141


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit status 2."""


def _say(text: str) -> None:
    """Print one line on standard error, its control characters (server text) made visible."""
    from mimecast_soar.safetext import printable

    print(printable(text), file=sys.stderr)


def _warn_tls(connection: Any) -> None:
    """Print the warning line of a connection that does not verify TLS certificates."""
    if connection.tls_warning:
        _say(connection.tls_warning)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimecast-soar",
        description=(
            "Automate Mimecast from tables: the Devo SOAR actions, a runtime and a simulator."
        ),
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    actions = sub.add_parser(
        "actions",
        help="list the actions; with ACTION, its inputs and an example command",
        description="Without ACTION: one line per action. With ACTION: each input's label, id, "
        "kind, whether it is required, its default, allowed values and description, then an "
        "example `run` command.",
    )
    actions.add_argument(
        "action",
        nargs="?",
        metavar="ACTION",
        help="an action id or its Devo name, e.g. release_message or 'Release Message'",
    )
    actions.add_argument(
        "--json",
        action="store_true",
        help="print the manifest as JSON (with ACTION: that action only)",
    )
    actions.add_argument(
        "--markdown",
        action="store_true",
        help="print the whole reference as Markdown (docs/actions.md)",
    )

    run = sub.add_parser(
        "run",
        help="run an action over the rows of a table",
        description="Run ACTION once per input row; every input row gives at least one output "
        "row. `mimecast-soar actions ACTION` lists its inputs and shows an example.",
        epilog=(
            "Exit status: 0 done (row errors are data), 1 the run stopped on a fatal error, "
            "2 a usage, file or journal problem, 130 interrupted (Ctrl-C), 141 the reader "
            "closed standard output (| head): the run stops quietly; with --journal FILE it "
            "can continue with --resume. Output files and journals are created 0600; "
            "--output refuses a symbolic link."
        ),
    )
    run.add_argument("action", help="action id or Devo name (see `mimecast-soar actions`)")
    run.add_argument("--connection", required=True, help=_CONNECTION_HELP)
    run.add_argument("--label", help=_LABEL_HELP)
    run.add_argument(
        "--input",
        required=True,
        help="the input table: a .jsonl, .ndjson or .csv file, a part-file folder, or - for "
        "standard input",
    )
    run.add_argument(
        "--input-format",
        choices=("jsonl", "csv"),
        help="how to read --input: jsonl (one JSON object per line) or csv (a header line, "
        "then one row per line); default: by the file's extension, jsonl for standard input",
    )
    run.add_argument("--output", default="-", help="output file (default: standard output)")
    run.add_argument(
        "--format",
        choices=("jsonl", "csv", "devo"),
        default="jsonl",
        help="output rows as jsonl (one JSON object per line, the default), csv (a header of "
        "every column, nested values as JSON text) or devo (the platform's result lines)",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="INPUT_ID=VALUE",
        help="give one input by id (repeat for each input; each id once): a column name for a "
        "Column Name input, a template or text for a Jinja input, a value for a parameter",
    )
    run.add_argument("--batch-start", help="batch window start (default: 24 hours ago)")
    run.add_argument("--batch-end", help="batch window end (default: now)")
    run.add_argument("--concurrency", type=int, default=8, help="rows in flight (default 8)")
    run.add_argument(
        "--resume", action="store_true", help="continue a run into --output, skipping done rows"
    )
    run.add_argument(
        "--journal",
        metavar="FILE",
        help="keep the resume journal in FILE (default: OUTPUT.resume); with --output -, "
        "this is what lets a run cut short by a closed pipe continue with --resume",
    )
    run.add_argument(
        "--files-dir",
        metavar="DIR",
        help="where actions that download files (attachments, emails) write them, created 0600 "
        "(default: OUTPUT.files beside --output, ./mimecast-files for standard output)",
    )
    run.add_argument(
        "--csv-raw",
        action="store_true",
        help="write CSV cells as they are; by default a text cell starting with = + - @, tab "
        "or CR gets a ' prefix so a spreadsheet shows it instead of running it as a formula",
    )

    check = sub.add_parser("check-connection", help="test a connection with one signed call")
    check.add_argument("--connection", required=True, help=_CONNECTION_HELP)
    check.add_argument("--label", help=_LABEL_HELP)

    sim = sub.add_parser("sim", help="serve the Mimecast simulator")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port to listen on (default 8765; 0 picks a free one)",
    )
    sim.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed of the generated mailbox data: the same seed gives the same data "
        "(default 1)",
    )
    sim.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="delay added to every response, in milliseconds (default 0)",
    )
    sim.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="make matching requests fail on purpose (repeatable): KIND[:KEY=VALUE,...], e.g. "
        "'status:code=503,rate=0.2,path=/api/ttp/url/get-logs' or 'quota:limit=5,window_ms=1000'; "
        "kinds: quota, status, binding_expired, unauthorized, slow, drop_before, drop_after, "
        "malformed, truncated, fail",
    )
    sim.add_argument(
        "--write-connection",
        metavar="FILE",
        help="write a connection file (TOML) for this simulator once it listens",
    )
    sim.add_argument(
        "--held", type=int, metavar="N", help="held messages in the queue (default 60)"
    )
    sim.add_argument(
        "--ttp-url-logs", type=int, metavar="N", help="TTP URL log records (default 300)"
    )

    sub.add_parser("demo", help="run a short playbook against the bundled simulator")

    devo = sub.add_parser("devo", help="the Devo SOAR platform: bundle, native execution")
    devo_sub = devo.add_subparsers(dest="devo_command", metavar="DEVO_COMMAND")
    bundle = devo_sub.add_parser("bundle", help="write the integration folder for the platform")
    bundle.add_argument(
        "out_dir", metavar="OUT_DIR", help="folder to write mimecast.py, requirements and wheels to"
    )
    bundle.add_argument(
        "--no-wheels", action="store_true", help="skip building the wheels (module files only)"
    )
    bundle.add_argument(
        "--python-version",
        metavar="X.Y",
        help="fetch compiled wheels for the platform's Python (default: the Python running this)",
    )
    bundle.add_argument(
        "--platform",
        metavar="TAG",
        help="with --python-version: the platform's wheel tag, e.g. manylinux2014_x86_64",
    )
    devo_exec = devo_sub.add_parser(
        "exec", help="run an action from the platform's environment variables and files"
    )
    devo_exec.add_argument("action", help="action id or Devo name (see `mimecast-soar actions`)")
    return parser


_CONNECTION_HELP = (
    "connection file (TOML or JSON): credentials, region or base_url, reference values; one "
    "connection, or several under [connections.LABEL]"
)
_LABEL_HELP = (
    "which connection of the file to use (needed when it holds several; an error when no "
    "connection has this label)"
)


def _parse_settings(pairs: Sequence[str], spec: Any) -> dict[str, str | None]:
    """The `--set` pairs by input id: each id once, and one of `spec`'s inputs."""
    import difflib

    known = [item.id for item in spec.inputs]
    settings: dict[str, str | None] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set takes INPUT_ID=VALUE, got {pair!r}")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            listed = ", ".join(known) if known else "none"
            raise UsageError(
                f"--set {name}: {spec.name} has no input {name!r}{hint}; its inputs: {listed}"
            )
        if name in settings:
            raise UsageError(f"--set {name} is given twice: give each input once")
        settings[name] = value
    return settings


def _find_action(name: str) -> Any:
    """The action named `name`; a usage error with the closest name when there is none."""
    from mimecast_soar.actions import get_action

    try:
        return get_action(name)
    except KeyError as error:
        raise UsageError(str(error.args[0])) from None


def _cmd_actions(args: argparse.Namespace, out: IO[str]) -> int:
    from mimecast_soar.manifest import action_manifest, manifest, markdown

    if args.markdown:
        if args.action:
            raise UsageError("--markdown prints the whole reference: leave out ACTION")
        out.write(markdown())
        return EXIT_OK
    data = action_manifest(_find_action(args.action)) if args.action else manifest()
    if args.json:
        import json

        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    from mimecast_soar.clidisplay import print_action, print_actions

    if args.action:
        print_action(data, out)
    else:
        print_actions(data, out)
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import anyio

    from mimecast_soar.actions.spec import OutputShape, error_row
    from mimecast_soar.errors import ConfigurationError
    from mimecast_soar.runtime import (
        NullProgress,
        batch_window,
        count_rows,
        load_connection,
        make_progress,
        open_writer,
    )
    from mimecast_soar.runtime.journal import header as journal_header
    from mimecast_soar.runtime.journal import input_fingerprint
    from mimecast_soar.runtime.resolve import check_settings
    from mimecast_soar.runtime.resume import (
        UNKNOWN_AFTER_KILL,
        Journal,
        journal_path,
        open_output,
        skip_done_rows,
        take_in_flight,
    )
    from mimecast_soar.runtime.stdout_guard import GuardedOutput
    from mimecast_soar.runtime.tables import table_source
    from mimecast_soar.runtime.writers import RUN_FLUSH_INTERVAL_SECONDS

    spec = _find_action(args.action)
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    settings = _parse_settings(args.set, spec)
    check_settings(spec, settings)
    connection = load_connection(args.connection, label=args.label, env=os.environ)
    _warn_tls(connection)
    from datetime import UTC, datetime

    window = batch_window(args.batch_start, args.batch_end, env=os.environ, now=datetime.now(UTC))
    if args.resume and args.output == "-" and not args.journal:
        raise ConfigurationError("--resume needs --output FILE (or --journal FILE for stdout)")
    rows = _input_rows(args.input, args.input_format)
    source = None if args.input == "-" else table_source(args.input, args.input_format)[0]
    to_file = args.output != "-"
    journal_file = Path(args.journal) if args.journal else None
    if to_file and journal_file is None:
        journal_file = journal_path(Path(args.output))
    header_line = journal_header(
        action=spec.id, fmt=args.format, input_print=input_fingerprint(source), to_file=to_file
    )
    raw_stream, point = open_output(
        args.output,
        resume=args.resume,
        fmt=args.format,
        one_row_per_input=spec.output is not OutputShape.RECORDS,
        header_line=header_line,
        journal=journal_file,
    )
    guard = GuardedOutput(raw_stream)
    stream = cast(IO[str], guard)
    rows = iter(rows)
    skip_done_rows(rows, point.done_rows)
    in_flight = take_in_flight(rows, point.in_flight_rows if spec.mutating else 0)
    writer = open_writer(
        args.format,
        stream,
        flush_interval_seconds=RUN_FLUSH_INTERVAL_SECONDS,
        csv_raw=args.csv_raw,
    )
    progress: Any = make_progress(sys.stderr)
    # Counting reads the whole input before the first request: only for a live display.
    shows_total = not isinstance(progress, NullProgress)
    journal: Journal | None = None
    if journal_file is not None and args.format != "csv":
        journal = progress = Journal(
            progress,
            stream,
            journal_file,
            point,
            header_line=header_line,
            fresh=not args.resume,
            to_file=to_file,
            delivered=guard.delivered,
        )
    total = count_rows(args.input) if shows_total and args.input != "-" else None
    progress.start(None if total is None else max(0, total - point.done_rows))
    if in_flight:
        # Started by the killed run, maybe sent: never send them again.
        for row in in_flight:
            writer.write(row.lhub_id, error_row(UNKNOWN_AFTER_KILL))
            progress.advance(1, 1)
        _say(
            f"{len(in_flight)} row(s) were in flight when the previous run stopped: "
            "their outcome is unknown and they were not sent again (see their error rows)"
        )
    interrupted = stopped = False
    try:
        summary, interrupted = anyio.run(
            lambda: _run_until_interrupted(
                spec,
                rows,
                writer,
                output=guard,
                connection=connection,
                settings=settings,
                window=window,
                concurrency=args.concurrency,
                progress=progress,
                on_notice=_say,
                on_row_start=journal.row_started if journal and spec.mutating else None,
                files_dir=_files_dir(args.files_dir, args.output),
            )
        )
        stopped = summary.stopped or guard.broken
    finally:
        progress.close()
        writer.close()
        if raw_stream is not sys.stdout:
            raw_stream.close()
        else:
            guard.flush()
        if journal is not None:
            journal.finish(complete=not stopped and not guard.broken and sys.exc_info()[0] is None)
    if guard.broken:
        # The reader closed standard output (`| head`): stop quietly, as `cat` would.
        return EXIT_CLOSED_OUTPUT
    done = point.done_rows + summary.completed_rows
    if interrupted:
        _say(
            f"interrupted: {done} input rows done ({summary.output_rows} output rows written "
            f"now, {summary.interrupted_rows} marked as unknown outcome); "
            + ("continue with --resume" if journal is not None else "no output file to resume")
        )
        return EXIT_INTERRUPTED
    _say(
        f"{spec.name}: {summary.input_rows} input rows, {summary.output_rows} output rows, "
        f"{summary.error_rows} error rows"
        + (f", {point.done_rows} already done" if point.done_rows else "")
        + (f", {point.in_flight_rows} in flight before" if point.in_flight_rows else "")
    )
    if summary.fatal:
        _say(f"error: the run stopped: {summary.fatal}")
        return EXIT_FATAL
    return EXIT_OK


def _input_rows(source: str, fmt: str | None) -> Any:
    """The rows of `--input`: a file or folder (its format by extension unless `fmt` says), or
    standard input (`-`, JSONL unless `fmt` says csv)."""
    from mimecast_soar.runtime import read_table, read_table_stream

    if source != "-":
        return read_table(source, fmt=fmt)
    stdin: Any = sys.stdin
    if fmt == "csv" and hasattr(stdin, "reconfigure"):
        # csv needs the line ends as they are (a quoted cell may hold one); the BOM is skipped.
        stdin.reconfigure(newline="")
    return read_table_stream(stdin, fmt or "jsonl")


def _files_dir(given: str | None, output: str) -> Any:
    """`--files-dir`, else `OUTPUT.files` beside the output file, else ./mimecast-files."""
    from pathlib import Path

    if given:
        return Path(given)
    return Path("mimecast-files") if output == "-" else Path(f"{output}.files")


async def _run_until_interrupted(spec: Any, rows: Any, sink: Any, **options: Any) -> Any:
    """`run_to_sink`, stopped cleanly by SIGINT: (summary, interrupted).

    SIGINT starts no further row; rows in flight get the runner's grace period (0.5 s) to
    finish, then are cancelled, and the runner still writes what finished, marking state
    changes in flight as of unknown outcome (`TableRunner`).

    The event loop hears SIGINT only between tasks, and a template renders on the loop without
    yielding. So a Python-level handler, which runs between bytecodes even then, also sets
    `interrupt`, which the template's checks read; the loop still gets the signal (the wakeup fd
    is written before any Python handler runs) and sets `stop`.
    """
    import signal
    import threading

    import anyio

    from mimecast_soar.runtime.session import run_to_sink

    stop = anyio.Event()
    interrupt = threading.Event()

    async def watch_sigint() -> None:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            loop_handler = signal.getsignal(signal.SIGINT)

            def on_sigint(signum: int, frame: Any) -> None:
                interrupt.set()
                if callable(loop_handler):
                    loop_handler(signum, frame)

            signal.signal(signal.SIGINT, on_sigint)
            async for _ in signals:
                stop.set()

    output = options.pop("output", None)
    if output is not None:
        output.on_broken = stop.set  # a closed standard output stops the run like Ctrl-C
    error: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(watch_sigint)
        try:
            summary = await run_to_sink(spec, rows, sink, stop=stop, interrupt=interrupt, **options)
        except Exception as exc:  # raised as itself, not inside an exception group
            error = exc
        group.cancel_scope.cancel()
    if error is not None:
        raise error
    return summary, stop.is_set() and not (output is not None and output.broken)


def _cmd_check(args: argparse.Namespace, out: IO[str]) -> int:
    import anyio

    from mimecast_soar.runtime import load_connection
    from mimecast_soar.runtime.check import check_connection
    from mimecast_soar.safetext import printable

    connection = load_connection(args.connection, label=args.label, env=os.environ)
    _warn_tls(connection)
    ok, message = anyio.run(check_connection, connection)
    if ok:
        out.write(printable(message) + "\n")
        return EXIT_OK
    _say(f"error: {message}")
    return EXIT_FATAL


def require_extra(extra: str, *modules: str) -> None:
    """Raise `UsageError` naming the extra to install when one of `modules` is missing."""
    import importlib.util

    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"this command needs the {extra!r} extra ({', '.join(missing)} not installed): "
            f"pip install 'mimecast-soar[{extra}]'"
        )


def _cmd_sim(args: argparse.Namespace) -> int:
    require_extra("sim", "starlette", "uvicorn")
    from mimecast_soar.sim import SimConfig, parse_fault, serve

    try:
        faults = [parse_fault(spec) for spec in args.fault]
    except ValueError as error:
        raise UsageError(f"--fault: {error}") from None
    for flag, value in (("--held", args.held), ("--ttp-url-logs", args.ttp_url_logs)):
        if value is not None and value < 0:
            raise UsageError(f"{flag} must not be negative")
    config = SimConfig(seed=args.seed, latency_ms=args.latency_ms, faults=faults, campaigns=True)
    if args.held is not None:
        config.held_message_count = args.held
    if args.ttp_url_logs is not None:
        config.ttp_url_log_count = args.ttp_url_logs
    from mimecast_soar.sim.server import SimStartError

    try:
        serve(config, args.host, args.port, args.write_connection)
    except SimStartError as error:
        _say(f"error: {error}")
        return EXIT_USAGE
    return EXIT_OK


def _cmd_devo(args: argparse.Namespace, out: IO[str]) -> int:
    if args.devo_command == "bundle":
        from mimecast_soar.devo.bundle import TargetPython, write_bundle
        from mimecast_soar.runtime.files import describe_os_error

        if args.platform and not args.python_version:
            raise UsageError("--platform goes with --python-version")
        target = TargetPython(args.python_version, args.platform) if args.python_version else None
        try:
            result = write_bundle(args.out_dir, wheels=not args.no_wheels, target_python=target)
        except OSError as error:
            where = error.filename or args.out_dir
            shown = "" if str(where) == args.out_dir else f" ({where})"
            raise UsageError(
                f"cannot write the bundle into {args.out_dir}{shown}: {describe_os_error(error)}"
            ) from None
        out.write(
            f"wrote {result.module}"
            + (f" and {len(result.wheels)} wheels" if result.wheels else "")
            + "\n"
        )
        return EXIT_OK
    if args.devo_command == "exec":
        from mimecast_soar.devo.native import exec_action

        return exec_action(args.action, os.environ, sys.stderr)
    raise UsageError("devo takes a command: bundle OUT_DIR, or exec ACTION")


def _cmd_demo(out: IO[str]) -> int:
    require_extra("sim", "starlette", "uvicorn")
    require_extra("terminal", "rich")
    from mimecast_soar.demo import run_demo

    return run_demo(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mimecast-soar` console script."""
    # httpx imports its own command line (click, pygments, most of rich) when those happen to be
    # installed, as they are beside uvicorn and rich: about a fifth of our start-up, for nothing.
    # A None entry makes that optional import fail, so httpx keeps its stub instead.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    parser = _parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        if args.version:
            from mimecast_soar import __version__

            out.write(f"mimecast-soar {__version__}\n")
            return EXIT_OK
        command: Any = args.command
        if command == "actions":
            return _cmd_actions(args, out)
        if command == "run":
            return _cmd_run(args)
        if command == "check-connection":
            return _cmd_check(args, out)
        if command == "sim":
            return _cmd_sim(args)
        if command == "demo":
            return _cmd_demo(out)
        if command == "devo":
            return _cmd_devo(args, out)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        _say(f"error: {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        from mimecast_soar.errors import MimecastSoarError
        from mimecast_soar.runtime.stdout_guard import is_closed_pipe, silence_stdout

        if isinstance(error, MimecastSoarError):
            _say(f"error: {error.message}")
            return EXIT_USAGE if not error.fatal or _is_config(error) else EXIT_FATAL
        if is_closed_pipe(error):  # `mimecast-soar actions | head -n 1`
            silence_stdout(sys.stdout)
            return EXIT_CLOSED_OUTPUT
        return _unexpected(error)


#: Set to 1 to get the traceback of an unexpected error instead of its one-line summary.
DEBUG_VARIABLE = "MIMECAST_SOAR_DEBUG"


def _unexpected(error: Exception) -> int:
    """The last resort: one line and a plea, the traceback only when asked for."""
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    text = " ".join(str(error).split())[:300]
    where = f" ({error.filename})" if isinstance(error, OSError) and error.filename else ""
    _say(
        f"error: unexpected {type(error).__name__}{where}: {text or 'no detail'}; "
        f"please report this (set {DEBUG_VARIABLE}=1 for the traceback)"
    )
    return EXIT_FATAL


def _is_config(error: Exception) -> bool:
    from mimecast_soar.errors import ConfigurationError

    return isinstance(error, ConfigurationError)


if __name__ == "__main__":
    sys.exit(main())
