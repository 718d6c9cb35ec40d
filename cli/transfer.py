"""`upl import`, `upl export` and `upl opendata`: the office's files in and out (transfer/)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transfer.importer import Report


def _engine() -> Any:
    from cli import _database_url, create_engine

    return create_engine(_database_url(), pool_size=2)


def _operator(staff: bool = True) -> Any:
    """Who the audit log names for a command-line run, with staff visibility (or anonymous)."""
    from db.enums import Role
    from resolvers.viewer import ANONYMOUS, Viewer

    if not staff:
        return ANONYMOUS
    return Viewer(role=Role.ADMIN, username=f"command line ({getpass.getuser()})")


def print_report(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, soft_wrap=True)
    console.print(
        f"{report.sheet}: {report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    if report.problems:
        table = Table("row", "column", "code", "problem", title=f"{len(report.problems)} problem(s)")
        for problem in report.problems:
            table.add_row(str(problem.row), problem.column or "", problem.code, problem.message)
        console.print(table)
    if report.dry_run:
        console.print("dry run: nothing was written")
    elif report.problems and not report.committed:
        console.print("nothing was written (fix the rows above, or use --partial to write the valid rows)")


def _progress(total: int) -> tuple[Any, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not sys.stderr.isatty(),
        transient=True,
    )
    task = progress.add_task("rows", total=total)
    return progress, lambda done: progress.update(task, completed=done) if done % 100 == 0 or done == total else None


def cmd_import(args: argparse.Namespace) -> None:
    from transfer import formats, industries, sheets
    from transfer.importer import run_import

    if args.template:
        sheet = sheets.by_name(args.template)
        if sheet is None or not sheet.importable:
            sys.exit(f"upl import: no template for {args.template!r} (types: {', '.join(sheets.IMPORTABLE)})")
        sys.stdout.buffer.write(formats.template(sheet, set(sheets.required_keys(sheet))))
        return
    if args.type is None or args.file is None:
        sys.exit("upl import: name a TYPE and a FILE (or --template TYPE)")
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        sys.exit(f"upl import: cannot read {args.file}: {exc.strerror}")

    async def run() -> int:
        from resolvers.base import DataContext

        engine = _engine()
        try:
            if args.type == "industries":
                counts = await industries.import_industries(engine, data, args.file, dry_run=args.dry_run)
                print(industries.describe(counts, args.dry_run))
                return 0
            sheet = sheets.by_name(args.type)
            assert sheet is not None
            table = formats.read_table(data, args.file)
            progress, advance = _progress(len(table.rows))
            ctx = DataContext(engine=engine, viewer=_operator(), write_engine=engine)
            with progress:
                report = await run_import(
                    engine, ctx, sheet, table, dry_run=args.dry_run, partial=args.partial, progress=advance
                )
            print_report(report)
            return 1 if report.problems else 0
        except (formats.Unreadable, industries.IndustryFileError) as exc:
            print(f"upl import: {exc}", file=sys.stderr)
            return 2
        finally:
            await engine.dispose()

    with _database_errors("import"):
        code = asyncio.run(run())
    sys.exit(code)


def cmd_export(args: argparse.Namespace) -> None:
    from resolvers.base import DataContext
    from resolvers.errors import UserInputError
    from transfer import filters, sheets
    from transfer.exporter import export_file

    sheet = sheets.by_name(args.type)
    assert sheet is not None
    if args.format == "geojson" and not sheet.geo:
        sys.exit(f"upl export: {args.type} have no coordinates (GeoJSON: companies, spaces)")
    params = dict(item.split("=", 1) for item in args.filter or [] if "=" in item)

    async def run() -> None:
        engine = _engine()
        try:
            conditions = filters.conditions_for(sheet.name, params)
            ctx = DataContext(engine=engine, viewer=_operator(args.staff))
            chunks = export_file(engine, ctx, sheet, args.format, conditions, german=args.german)
            first = await anext(chunks)  # the query has run: the file is created only now
            with _output(args.output) as out:
                out.write(first)
                async for chunk in chunks:
                    out.write(chunk)
        finally:
            await engine.dispose()

    with _database_errors("export"):
        try:
            asyncio.run(run())
        except UserInputError as exc:
            sys.exit(f"upl export: {exc}")


def cmd_opendata(args: argparse.Namespace) -> None:
    from transfer import opendata

    async def run() -> None:
        engine = _engine()
        try:
            written = await opendata.publish(engine, Path(args.directory), args.base_url)
        finally:
            await engine.dispose()
        for item in written:
            print(f"{item.path}: {item.rows} rows")
        print(f"{Path(args.directory) / 'datapackage.json'}, {Path(args.directory) / 'dcat.jsonld'}")

    with _database_errors("opendata"):
        asyncio.run(run())


@contextlib.contextmanager
def _database_errors(command: str) -> Iterator[None]:
    """A database that cannot be reached or used ends the command with one line, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except (DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        sys.exit(f"upl {command}: the database cannot be used: {reason}")


def _output(path: str | None) -> Any:
    """The file to write (created now), or stdout."""
    return open(path, "wb") if path else contextlib.nullcontext(sys.stdout.buffer)


def add_parsers(commands: Any) -> None:
    from transfer import formats, sheets

    importing = commands.add_parser(
        "import",
        help="import companies, networks, memberships, spaces, projects, events or industries from a file",
        description="Rows are checked like the mutations and matched by externalId or slug; a file with problems "
        "writes nothing (unless --partial). CSV (UTF-8, or German Excel's Windows-1252 with semicolons), XLSX, "
        "JSON lines.",
    )
    importing.add_argument("type", nargs="?", choices=[*sheets.IMPORTABLE, "industries"])
    importing.add_argument("file", nargs="?")
    importing.add_argument("--dry-run", action="store_true", help="report every row's problems, write nothing")
    importing.add_argument("--partial", action="store_true", help="write the valid rows, report the others")
    importing.add_argument("--template", metavar="TYPE", help="write an empty XLSX with the columns to stdout")
    importing.set_defaults(func=cmd_import)

    exporting = commands.add_parser(
        "export", help="export a type as CSV, XLSX, JSON lines or GeoJSON (public data unless --staff)"
    )
    exporting.add_argument("type", choices=list(sheets.SHEETS))
    exporting.add_argument("--format", choices=formats.FORMATS, default="csv")
    exporting.add_argument("--output", "-o", help="the file to write (default: stdout)")
    exporting.add_argument(
        "--filter", action="append", metavar="NAME=VALUE", help="a list filter, e.g. ortsteil=KARLSHORST"
    )
    exporting.add_argument("--staff", action="store_true", help="as staff see it: unpublished rows, every contact")
    exporting.add_argument("--german", action="store_true", help="German column names")
    exporting.set_defaults(func=cmd_export)

    opendata = commands.add_parser("opendata", help="the open-data package (CSV, datapackage.json, DCAT-AP.de)")
    opendata_commands = opendata.add_subparsers(dest="opendata_command", required=True)
    publish = opendata_commands.add_parser("publish", help="write the package into DIR")
    publish.add_argument("directory", metavar="DIR")
    publish.add_argument("--base-url", help="where the files will be downloadable (for the DCAT distributions)")
    opendata.set_defaults(func=cmd_opendata)
