"""`importRun`: the command line's `upl import`, for staff in the explorer or any GraphQL client
that speaks the GraphQL multipart request specification (the file is an `Upload` variable).

The run is transfer/importer.py's: the same checks, matching and all-or-nothing transaction;
the payload is its report, row by row.
"""

from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from schema.core.context import InfoT
from schema.core.editing import UserError
from schema.core.permissions import STAFF_ONLY
from transfer import formats, sheets
from transfer.importer import Report, run_import


@strawberry.enum(description="What a file to import holds (each names only rows of the earlier ones).")
class ImportType(Enum):
    COMPANIES = strawberry.enum_value("companies", description="Companies and other organisations.")
    PROJECTS = strawberry.enum_value("projects", description="Funded projects, with programmes and partners.")
    NETWORKS = strawberry.enum_value("networks", description="Networks, with the projects they take part in.")
    MEMBERSHIPS = strawberry.enum_value("memberships", description="Companies' memberships in networks.")
    SPACES = strawberry.enum_value("spaces", description="Commercial space offers and requests.")
    EVENTS = strawberry.enum_value("events", description="Events.")


@strawberry.input(description="A file to import and how.")
class ImportRunInput:
    type: ImportType = strawberry.field(description="What the file holds.")
    file: Upload = strawberry.field(
        description="CSV (UTF-8, or German Excel's Windows-1252 with semicolons), XLSX or JSON lines; "
        "`upl import --template TYPE` writes the columns."
    )
    dry_run: bool = strawberry.field(default=False, description="Check every row and write nothing.")
    partial: bool = strawberry.field(
        default=False, description="Write the valid rows and report the others (default: all or nothing)."
    )


@strawberry.type(description="A problem of one row (row 1 is the header; JSON lines count from 1).")
class ImportProblem:
    row: int = strawberry.field(description="The row as a spreadsheet numbers it.")
    column: str | None = strawberry.field(description="The column, as the file names it (null: the whole row).")
    code: str = strawberry.field(description="Stable code: REQUIRED, NOT_FOUND, INVALID_POSTAL_CODE, ...")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="What an import did, or would do.")
class ImportReport:
    type: str = strawberry.field(description="What the file held.")
    rows: int = strawberry.field(description="Rows read (blank lines are not counted).")
    created: int = strawberry.field(description="Rows that became new objects.")
    updated: int = strawberry.field(description="Rows that changed an object found by externalId or slug.")
    unchanged: int = strawberry.field(description="Rows that matched an object already as the file has it.")
    committed: bool = strawberry.field(description="Whether anything was written.")
    dry_run: bool = strawberry.field(description="True: nothing was written, by request.")
    problems: list[ImportProblem] = strawberry.field(description="Every problem, row by row.")

    @staticmethod
    def of(report: Report) -> "ImportReport":
        return ImportReport(
            type=report.sheet,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            committed=report.committed,
            dry_run=report.dry_run,
            problems=[
                ImportProblem(row=p.row, column=p.column, code=p.code, message=p.message) for p in report.problems
            ],
        )


@strawberry.type(description="The result of `importRun`: the report, or why the file could not be read.")
class ImportRunPayload:
    report: ImportReport | None = strawberry.field(description="Null when the file could not be read at all.")
    user_errors: list[UserError] = strawberry.field(description="Why the file could not be read.")


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Import a file of companies, networks, memberships, spaces, projects or events (staff): rows "
        "are checked like the mutations and matched by externalId or slug; a file with problems writes nothing "
        "unless `partial`. Send the file with the GraphQL multipart request specification.",
        directives=STAFF_ONLY,
    )
    async def import_run(self, info: InfoT, input: ImportRunInput) -> ImportRunPayload:
        upload = input.file
        data = getattr(upload, "data", None)
        if not isinstance(data, bytes):
            error = UserError(field=["input", "file"], message="Send the file as a multipart upload.", code="INVALID")
            return ImportRunPayload(report=None, user_errors=[error])
        sheet = sheets.SHEETS[str(input.type.value)]
        try:
            table = formats.read_table(data, getattr(upload, "filename", ""))
        except formats.Unreadable as exc:
            error = UserError(field=["input", "file"], message=str(exc), code="UNREADABLE_FILE")
            return ImportRunPayload(report=None, user_errors=[error])
        ctx = info.context
        assert ctx.write_engine is not None
        report = await run_import(ctx.write_engine, ctx, sheet, table, dry_run=input.dry_run, partial=input.partial)
        return ImportRunPayload(report=ImportReport.of(report), user_errors=[])
