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
a run whose rows were all answered exits 0, or 3 when some output rows are error rows; a run
stopped by a fatal error (bad credentials, expired binding, TLS failure) exits with status 1
after writing an error row for every input row (`runtime.job` decides these). A reader that
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
from typing import IO, Any

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: The reader closed standard output (`| head`): 128 + SIGPIPE, as a shell reports a program
#: the closed pipe killed (see `runtime.stdout_guard`).
EXIT_CLOSED_OUTPUT = 141


RUN_EPILOG = """\
correlation:
  Every output row starts with original_lhub_id, the id of its input row: the row's lhub_id
  (the platform sets it on every row), else its position: 1-based, the line number in JSONL,
  the record's number after the header in CSV; blank lines count, so a blank line never shifts
  the ids after it. --id-column NAME takes the id from the column NAME instead. --carry
  alert_id,user writes input.alert_id and input.user into each output row of that input row.

exit status:
  0    every input row was answered and no output row is an error row
  3    the run finished, and some output rows are error rows (has_error true)
  1    the run stopped on a fatal error (bad credentials, expired binding, TLS failure);
       every row not processed got an error row saying so
  2    a usage, connection file, path or resume journal problem, before any call
  130  interrupted (Ctrl-C); with an output file (or --journal) continue with --resume
  141  the reader closed standard output (| head): the run stops quietly; with
       --journal FILE it can continue with --resume

Output files and journals are created 0600; --output refuses a symbolic link.
"""


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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=RUN_EPILOG,
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
        "--id-column",
        metavar="NAME",
        help="the input column whose value goes into original_lhub_id (default: lhub_id when a "
        "row has it, else the row's position: 1-based, blank lines counted); a row without a "
        "value in NAME gets an error row correlated by its position",
    )
    run.add_argument(
        "--carry",
        action="append",
        default=[],
        metavar="COL[,COL...]",
        help="copy these input columns into every output row of their input row, as input.COL "
        "(never mixed up with the action's own columns); repeatable",
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
    from datetime import UTC, datetime
    from pathlib import Path

    from mimecast_soar.runtime import (
        batch_window,
        count_rows,
        load_connection,
        make_progress,
    )
    from mimecast_soar.runtime.correlation import Correlation, parse_carry, parse_id_column
    from mimecast_soar.runtime.job import Job, run_job
    from mimecast_soar.runtime.resolve import check_settings
    from mimecast_soar.runtime.settings_check import check_run_settings
    from mimecast_soar.runtime.tables import table_source

    spec = _find_action(args.action)
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    settings = _parse_settings(args.set, spec)
    check_settings(spec, settings)
    correlation = Correlation(parse_id_column(args.id_column), parse_carry(args.carry))
    connection = load_connection(args.connection, label=args.label, env=os.environ)
    _warn_tls(connection)
    window = batch_window(args.batch_start, args.batch_end, env=os.environ, now=datetime.now(UTC))
    from_stdin = args.input == "-"
    rows = _input_rows(args.input, args.input_format)
    source, table_format = (
        (None, args.input_format or "jsonl")
        if from_stdin
        else table_source(args.input, args.input_format)
    )
    # Settings that are the same for every row: checked once, before any call (exit 2).
    rows = check_run_settings(
        spec, settings, iter(rows), connection=connection, table_format=table_format
    )
    job = Job(
        spec,
        connection,
        settings,
        window,
        output=args.output,
        fmt=args.format,
        concurrency=args.concurrency,
        correlation=correlation,
        resume=args.resume,
        journal=Path(args.journal) if args.journal else None,
        csv_raw=args.csv_raw,
        input_source=source,
        files_dir=_files_dir(args.files_dir, args.output),
        catch_interrupt=True,
    )
    outcome = run_job(
        job,
        rows,
        say=_say,
        progress=make_progress(sys.stderr, rows_to=sys.stdout if args.output == "-" else None),
        count_rows=None if from_stdin else lambda: count_rows(args.input),
    )
    for line in outcome.report(spec.name):
        _say(line)
    return outcome.exit_status()


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
