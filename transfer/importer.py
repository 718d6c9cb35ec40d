"""Imports: a file of rows becomes creates and updates, checked like the mutations, in one
transaction.

* Every cell is read by its column's kind, every row checked by the type's `EditSpec` (the
  mutations' own checks); links name rows by slug or external key.
* Rows are matched by `externalId`, else by `slug`: a matched row becomes an update of the
  columns the file has (an unchanged row writes nothing), others are created. Importing the same
  file twice changes nothing the second time.
* One broken row does not hide the others' problems: every row is checked. A run with problems
  rolls everything back (`partial=True` commits the good rows, each in a SAVEPOINT); a dry run
  always does.
* Writes go through resolvers/editing.py, so each gets its audit entry and, through the
  tables' triggers, its change-feed entry, like any edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.statistics import analyze
from resolvers import editing
from resolvers.base import DataContext, Entity
from resolvers.editing import Changes, Invalid, Problem
from transfer.formats import Table
from transfer.sheets import Field, LinkSet, Sheet, header_map, normalised, required_keys
from transfer.values import BOOLEAN, Bad

MAX_EXTERNAL_ID = 100


@dataclass(frozen=True)
class RowProblem:
    """One problem of the file: the row as a person counts it (the header is row 1 in CSV and
    XLSX; JSON lines count from 1), the column as the file names it, a stable code."""

    row: int
    column: str | None
    code: str
    message: str


@dataclass
class Report:
    sheet: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False
    """Whether anything was written (a run with problems writes nothing unless partial)."""

    @property
    def failed_rows(self) -> int:
        return len({p.row for p in self.problems if p.row > 1})


class RowInvalid(Exception):
    def __init__(self, problems: Sequence[tuple[str | None, str, str]]) -> None:
        super().__init__("invalid row")
        self.problems = problems
        """(field key or None, code, message)"""


class Keys:
    """Slugs and external keys of one entity's rows, loaded once per import and kept current as
    rows are created."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self.by_slug: dict[str, int] = {}
        self.by_external: dict[str, int] = {}
        self.loaded = False

    async def load(self, connection: AsyncConnection) -> None:
        if self.loaded:
            return
        table = self.entity.table
        external = table.c.external_id if "external_id" in table.c else None
        columns = [table.c.id, table.c.slug, *([external] if external is not None else [])]
        for row in await connection.execute(select(*columns).where(table.c.deleted_at.is_(None))):
            self.by_slug[row.slug] = row.id
            if external is not None and row.external_id is not None:
                self.by_external[row.external_id] = row.id
        self.loaded = True

    def find(self, name: str) -> int | None:
        return self.by_external.get(name, self.by_slug.get(name))

    def add(self, row: Any) -> None:
        self.by_slug[row.slug] = row.id
        if getattr(row, "external_id", None) is not None:
            self.by_external[row.external_id] = row.id


class Importer:
    """One import run of one sheet (see the module docstring)."""

    def __init__(
        self,
        engine: AsyncEngine,
        ctx: DataContext,
        sheet: Sheet,
        *,
        dry_run: bool = False,
        partial: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.ctx = ctx
        self.sheet = sheet
        self.dry_run = dry_run
        self.partial = partial
        self.progress = progress
        self.keys: dict[str, Keys] = {}
        if ctx.known_references is None:
            ctx.known_references = set()  # each WZ class, company, ... checked once per run
        self.report = Report(sheet.name, dry_run=dry_run)
        self.headers: dict[str, str] = {}
        """Field key → the header the file uses for it."""

    def _keys(self, entity: Entity) -> Keys:
        return self.keys.setdefault(entity.name, Keys(entity))

    # --- the file as a whole --------------------------------------------------------------

    def _map_headers(self, table: Table) -> list[RowProblem]:
        known = header_map(self.sheet)
        problems = []
        for header in table.headers:
            found = known.get(normalised(header))
            if found is None:
                expected = ", ".join(f.key for f in self.sheet.fields)
                message = f'"{header}" is not a column of {self.sheet.name} (the columns are: {expected}).'
                problems.append(RowProblem(1, header, "UNKNOWN_COLUMN", message))
            elif found.key in self.headers:
                message = f'"{header}" and "{self.headers[found.key]}" are the same column.'
                problems.append(RowProblem(1, header, "DUPLICATE_COLUMN", message))
            else:
                self.headers[found.key] = header
        missing = [key for key in required_keys(self.sheet) if key not in self.headers]
        if self.sheet.edit is not None and not ({"externalId", "slug"} & set(self.headers)):
            missing.append("externalId or slug")
        for key in missing:
            problems.append(RowProblem(1, None, "MISSING_COLUMN", f"The file has no column {key}."))
        return problems

    async def run(self, table: Table) -> Report:
        report = self.report
        report.rows = len(table.rows)
        report.problems += self._map_headers(table)
        if report.problems:
            return report
        async with self.engine.connect() as connection:
            transaction = await connection.begin()
            # Plans made while a table was small (an import into an empty database) would be kept
            # for rows 6 to 100,000 by the prepared statements: each statement is planned anew.
            await connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            try:
                for done, (number, cells) in enumerate(table.rows, start=1):
                    if not await self._row(connection, number, cells, table):
                        break
                    if self.progress is not None:
                        self.progress(done)
                keep = not self.dry_run and (self.partial or not report.problems)
            except BaseException:
                await transaction.rollback()
                raise
            if keep:
                await transaction.commit()
            else:
                await transaction.rollback()
            report.committed = keep and bool(report.created or report.updated)
        if report.committed:
            await analyze(self.engine, self._written_tables())
        return report

    def _written_tables(self) -> list[str]:
        tables = {self.sheet.table.name, self.sheet.entity.table.name, "changes", "audit_log"}
        tables.update(f.links.table.name for f in self.sheet.fields if f.links is not None)
        return sorted(tables)

    # --- one row --------------------------------------------------------------------------

    def _column_of(self, key: str | None) -> str | None:
        if key is None:
            return None
        for f in self.sheet.fields:
            if key in (f.key, f.db_column):
                return self.headers.get(f.key, f.key)
        return self.headers.get(key, key)

    async def _row(self, connection: AsyncConnection, number: int, cells: dict[str, Any], table: Table) -> bool:
        """One row; False when the database itself refused it and the run cannot go on.

        A row the checks refuse has written nothing, so only a partial run, which keeps the good
        rows of a file, sets a SAVEPOINT per row (two statements saved per row elsewhere).
        """
        savepoint = await connection.begin_nested() if self.partial else None
        try:
            values = self._read(cells, table)
            outcome = await (self._entity_row if self.sheet.edit is not None else self._link_row)(connection, values)
        except (RowInvalid, Invalid) as exc:
            if savepoint is not None:
                await savepoint.rollback()
            if isinstance(exc, RowInvalid):
                problems = [RowProblem(number, self._column_of(key), code, text) for key, code, text in exc.problems]
            else:
                problems = [_from_problem(number, problem, self._column_of) for problem in exc.problems]
            self.report.problems += problems
            return True
        except IntegrityError as exc:
            if savepoint is not None:
                await savepoint.rollback()
            constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or "a data rule"
            self.report.problems.append(RowProblem(number, None, "INVALID", f"The row violates {constraint}."))
            if savepoint is None:
                message = "The database refused the row above, so the rows after it were not checked."
                self.report.problems.append(RowProblem(number, None, "IMPORT_STOPPED", message))
            return savepoint is not None
        if savepoint is not None:
            await savepoint.commit()
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        return True

    def _read(self, cells: dict[str, Any], table: Table) -> dict[str, Any]:
        """The row's values by field key (None for an empty cell); only the file's columns."""
        values: dict[str, Any] = {}
        problems: list[tuple[str | None, str, str]] = []
        for key, header in self.headers.items():
            raw = cells.get(header)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[key] = None
                continue
            try:
                values[key] = self.sheet.field(key).kind.parse(raw, table.reading)
            except Bad as bad:
                problems.append((key, bad.code, bad.message))
        if problems:
            raise RowInvalid(problems)
        return values

    async def _reference(self, connection: AsyncConnection, f: Field, name: Any) -> int | None:
        if name is None:
            return None
        assert f.reference is not None
        keys = self._keys(f.reference.entity)
        await keys.load(connection)
        found = keys.find(str(name))
        if found is None:
            kind = f.reference.entity.name.lower()
            raise RowInvalid([(f.key, "NOT_FOUND", f'No {kind} has the slug or external ID "{name}".')])
        return found

    async def _link_keys(self, connection: AsyncConnection, f: Field, names: tuple[str, ...]) -> set[Any]:
        link = f.links
        assert link is not None
        found: dict[str, Any]
        if link.other is not None:
            keys = self._keys(link.other)
            await keys.load(connection)
            found = {name: keys.find(name) for name in names}
        else:
            assert link.key_table is not None
            key_column = next(iter(link.key_table.primary_key.columns))
            known = set(await connection.scalars(select(key_column).where(key_column.in_(names))))
            found = {name: (name if name in known else None) for name in names}
        missing = [name for name, key in found.items() if key is None]
        if missing:
            listed = ", ".join(f'"{name}"' for name in missing)
            raise RowInvalid([(f.key, "NOT_FOUND", f"Not known: {listed}.")])
        return set(found.values())

    async def _entity_row(self, connection: AsyncConnection, values: dict[str, Any]) -> str:
        sheet, spec = self.sheet, self.sheet.edit
        assert spec is not None
        own = self._keys(sheet.entity)
        await own.load(connection)
        external, slug = values.get("externalId"), values.get("slug")
        if external is None and slug is None:
            raise RowInvalid(
                [("externalId", "MISSING_KEY", "Give an externalId or a slug: a second import finds the row by it.")]
            )
        if external is not None and len(external) > MAX_EXTERNAL_ID:
            raise RowInvalid([("externalId", "TOO_LONG", f"At most {MAX_EXTERNAL_ID} characters.")])
        pk = own.by_external.get(external) if external is not None else None
        if pk is None and slug is not None:
            pk = own.by_slug.get(slug)
        changes = Changes()
        links: list[tuple[Field, set[Any]]] = []
        for f in sheet.fields:
            if f.key not in values or f.key == "slug":
                continue
            value = values[f.key]
            if f.links is not None:
                links.append((f, await self._link_keys(connection, f, value or ())))
                continue
            if f.reference is not None:
                value = await self._reference(connection, f, value)
            if value is None and f.kind is BOOLEAN:
                continue  # an empty yes/no cell keeps the value (or the default): the columns are NOT NULL
            changes.set(f.db_column, value, ("input", f.key))
        if pk is None:
            row = await editing.insert_row(connection, self.ctx, spec, changes, slug)
            own.add(row)
            await self._set_links(connection, row.id, links, creating=True)
            return "created"
        before = await editing.locked(connection, spec, pk)
        wanted_slug = slug if slug is not None and slug != before.slug else None
        row = await editing.change_locked(connection, self.ctx, spec, before, changes, wanted_slug)
        own.add(row)
        linked = await self._set_links(connection, pk, links, creating=False)
        return "updated" if row.version != before.version or linked else "unchanged"

    async def _set_links(
        self, connection: AsyncConnection, owner_pk: int, links: list[tuple[Field, set[Any]]], creating: bool
    ) -> bool:
        """Make each link set what the file says; a change counts as a change of the owner."""
        changed = False
        for f, wanted in links:
            link: LinkSet = f.links  # type: ignore[assignment]
            table = link.table
            owner, other = table.c[link.owner_column], table.c[link.other_column]
            current = set(await connection.scalars(select(other).where(owner == owner_pk)))
            if current == wanted:
                continue
            if current - wanted:
                await connection.execute(table.delete().where(owner == owner_pk, other.in_(current - wanted)))
            if wanted - current:
                rows = [{link.owner_column: owner_pk, link.other_column: key} for key in sorted(wanted - current)]
                await connection.execute(insert(table), rows)
            details = {f.key: [sorted(map(str, current)), sorted(map(str, wanted))]}
            action = f"{table.name}_set"
            await editing.record(connection, self.ctx, action, self.sheet.entity.name, owner_pk, details)
            changed = True
        if changed and not creating:
            await editing.touch(connection, self.sheet.entity, owner_pk)
        return changed

    async def _link_row(self, connection: AsyncConnection, values: dict[str, Any]) -> str:
        """A membership: keyed by (network, company); its other columns (role, since) are updated."""
        sheet, table = self.sheet, self.sheet.table
        owner_field, other_field = (sheet.field(key) for key in sheet.key_fields)
        others = [f for f in sheet.fields if f not in (owner_field, other_field)]
        extra = {f.db_column: values[f.key] for f in others if f.key in values}
        empty = [f.key for f in (owner_field, other_field, *others) if f.key in values and values[f.key] is None]
        if empty:
            raise RowInvalid([(key, "REQUIRED", "Required.") for key in empty])
        owner_pk = await self._reference(connection, owner_field, values[owner_field.key])
        other_pk = await self._reference(connection, other_field, values[other_field.key])
        assert owner_pk is not None and other_pk is not None and owner_field.reference and other_field.reference
        owner, other_name = owner_field.reference.entity, other_field.reference.entity.name.lower()
        where = (table.c[owner_field.db_column] == owner_pk, table.c[other_field.db_column] == other_pk)
        current = (await connection.execute(select(table).where(*where).with_for_update())).first()
        if current is None:
            keys = {owner_field.db_column: owner_pk, other_field.db_column: other_pk}
            await connection.execute(insert(table).values({**keys, **extra}))
            action, outcome = f"{other_name}_add", "created"
        else:
            diff = {column: value for column, value in extra.items() if getattr(current, column) != value}
            if not diff:
                return "unchanged"
            await connection.execute(update(table).where(*where).values(**diff))
            action, outcome = f"{other_name}_update", "updated"
        await editing.touch(connection, owner, owner_pk)
        details = {other_field.db_column: other_pk, **{k: editing.plain(v) for k, v in extra.items()}}
        await editing.record(connection, self.ctx, action, owner.name, owner_pk, details)
        return outcome


def _from_problem(number: int, problem: Problem, column_of: Callable[[str | None], str | None]) -> RowProblem:
    """A mutation check's problem, named by the file's column rather than the input path."""
    key = problem.field[-1] if len(problem.field) > 1 else None
    return RowProblem(number, column_of(key), problem.code, problem.message)


async def run_import(
    engine: AsyncEngine,
    ctx: DataContext,
    sheet: Sheet,
    table: Table,
    *,
    dry_run: bool = False,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    return await Importer(engine, ctx, sheet, dry_run=dry_run, partial=partial, progress=progress).run(table)
