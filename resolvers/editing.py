"""Writes: validated, versioned, soft-deleting, audited, one transaction each.

Each editable type describes its input once as an `EditSpec` (which columns, which checks,
which references); `create`, `update`, `delete`, `set_published` and `restore` do the rest:

* every problem is a `Problem` (field path, English message, stable code) returned to the
  caller as `userErrors`, never a server error; a write with problems changes nothing;
* `update` names the version it read: a stale one is a CONFLICT, not a silent overwrite (the
  row is locked with `SELECT ... FOR UPDATE` while it is checked);
* deletes are soft (`deleted_at`): the row leaves every list and link but admins can restore it;
* every change is recorded in `audit_log` with the caller and the old and new values.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from db import models
from db.enums import Ortsteil
from resolvers.base import DataContext, Entity
from resolvers.errors import quoted

audit_log = models.table_of(models.AuditEntry)

Path = tuple[str, ...]

POSTAL_CODE = re.compile(r"^[0-9]{5}$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


@dataclass(frozen=True)
class Problem:
    """One user error: where (input path, GraphQL spelling), what, and a stable code."""

    field: Path
    message: str
    code: str


class Invalid(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


# --- checks on single values ----------------------------------------------------------------

Check = Callable[[Any], tuple[str, str] | None]
"""A value check: None when fine, else (code, message)."""


def postal_code(value: Any) -> tuple[str, str] | None:
    if not POSTAL_CODE.match(value):
        return "INVALID_POSTAL_CODE", f"{quoted(value)} is not a German postal code (five digits)."
    return None


def url(value: Any) -> tuple[str, str] | None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(c.isspace() for c in value):
        return "INVALID_URL", f"{quoted(value)} is not a web address (http:// or https://)."
    return None


def email(value: Any) -> tuple[str, str] | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return "INVALID_EMAIL", f"{quoted(value)} is not an e-mail address: {exc}"
    return None


def at_least(minimum: int | Decimal, *, strictly: bool = False) -> Check:
    def check(value: Any) -> tuple[str, str] | None:
        if value < minimum or (strictly and value == minimum):
            relation = "greater than" if strictly else "at least"
            return "OUT_OF_RANGE", f"Must be {relation} {minimum} (got {value})."
        return None

    return check


def between(low: int, high: int) -> Check:
    def check(value: Any) -> tuple[str, str] | None:
        if not low <= value <= high:
            return "OUT_OF_RANGE", f"Must be between {low} and {high} (got {value})."
        return None

    return check


def aware(value: Any) -> tuple[str, str] | None:
    if value.tzinfo is None:
        return "INVALID", "Needs a time zone offset, e.g. 2026-03-01T19:00:00+01:00."
    return None


def ortsteil_key(name: str) -> str | None:
    """The key of a Lichtenberg Ortsteil given by its name (or its key), else None."""
    wanted = name.strip().casefold()
    for member in Ortsteil:
        if wanted in (member.value.casefold(), member.name.casefold()):
            return member.name
    return None


# --- edit specs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One editable column and its checks."""

    name: str
    input: str | None = None
    """The input field's Python name, when it is not the column's (e.g. `host_id`)."""
    required: bool = False
    max_length: int | None = None
    check: Check | None = None
    references: Entity | None = None
    """The value is the primary key of a row of this entity, which must exist (not deleted)."""
    exists_in: Any | None = None
    """The value must be found in this column of a reference table (e.g. a WZ class code)."""
    id_of: str | None = None
    """The input is a global ID of this type (its primary key is stored), for a reference kept
    by `exists_in` where the domain may not import the referenced entity."""

    @property
    def global_id_type(self) -> str | None:
        """The type whose global ID the input holds (None: the value is stored as given)."""
        return self.references.name if self.references is not None else self.id_of


RowRule = Callable[[dict[str, Any]], list[Problem]]
"""A check across columns of the row as it would be after the write."""


@dataclass(frozen=True)
class EditSpec:
    entity: Entity
    columns: dict[str, Column]
    slug_from: str | None
    rules: tuple[RowRule, ...] = ()

    @property
    def type_name(self) -> str:
        return self.entity.name


def ends_after_start(start: str, end: str, path: Path) -> RowRule:
    def rule(row: dict[str, Any]) -> list[Problem]:
        if row.get(start) is not None and row.get(end) is not None and row[end] < row[start]:
            return [Problem(path, "Must not be before the start.", "ENDS_BEFORE_START")]
        return []

    return rule


@dataclass
class Changes:
    """Column values a caller sent (absent columns are not in `values`), with their input paths."""

    values: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def set(self, column: str, value: Any, path: Path) -> None:
        self.values[column] = value
        self.paths[column] = path


# --- validation -----------------------------------------------------------------------------


async def _exists(connection: AsyncConnection, query: Any, key: tuple[str, Any], known: set[Any] | None) -> bool:
    """Whether a referenced row exists; `known` remembers the ones found (an import's rows name
    the same WZ classes and companies again and again)."""
    if known is not None and key in known:
        return True
    found = await connection.scalar(query) is not None
    if found and known is not None:
        known.add(key)
    return found


async def validate(
    connection: AsyncConnection,
    spec: EditSpec,
    changes: Changes,
    merged: dict[str, Any],
    creating: bool,
    known: set[Any] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    for name, column in spec.columns.items():
        path = changes.paths.get(name, ("input", name))
        value = changes.values.get(name, merged.get(name))
        if name not in changes.values and not creating:
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            if column.required:
                problems.append(Problem(path, "Required.", "REQUIRED"))
            continue
        if isinstance(value, str):
            if "\x00" in value:
                problems.append(Problem(path, "Must not contain NUL characters.", "INVALID"))
                continue
            if column.max_length is not None and len(value) > column.max_length:
                problems.append(Problem(path, f"At most {column.max_length} characters.", "TOO_LONG"))
                continue
        if column.check is not None and (found := column.check(value)) is not None:
            problems.append(Problem(path, found[1], found[0]))
        if column.references is not None:
            target = column.references.table
            query = select(target.c.id).where(target.c.id == value, target.c.deleted_at.is_(None))
            if not await _exists(connection, query, (target.name, value), known):
                problems.append(Problem(path, f"No {column.references.name} with this ID.", "NOT_FOUND"))
        if column.exists_in is not None:
            query = select(column.exists_in).where(column.exists_in == value)
            if not await _exists(connection, query, (str(column.exists_in), value), known):
                what = column.exists_in.key.replace("_", " ")
                problems.append(Problem(path, f"{quoted(value)} is not a known {what}.", "NOT_FOUND"))
    if not problems:
        for rule in spec.rules:
            problems += rule(merged)
    return problems


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.translate(UMLAUTS)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100].rstrip("-")
    return slug or "eintrag"


async def _free_slug(connection: AsyncConnection, spec: EditSpec, base: str, own_id: int | None) -> str:
    """`base`, or `base-N` with the first free N. The slugs starting `base-` are a range of the
    `text_pattern_ops` index (`"base-" ~<=~ slug ~<~ "base."`, "." following "-"), which a
    prepared statement's generic plan can use, unlike `LIKE $1` (an import makes thousands)."""
    table = spec.entity.table
    numbered = table.c.slug.op("~>=~", is_comparison=True)(f"{base}-") & table.c.slug.op("~<~", is_comparison=True)(
        f"{base}."
    )
    taken = set(
        await connection.scalars(
            select(table.c.slug).where((table.c.slug == base) | numbered, table.c.id != (own_id or 0))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


async def _slug(
    connection: AsyncConnection, spec: EditSpec, wanted: str | None, source: str, own_id: int | None
) -> str | Problem:
    if wanted is None:
        return await _free_slug(connection, spec, slugify(source), own_id)
    if not SLUG.match(wanted) or len(wanted) > 120:
        return Problem(("input", "slug"), "Lower-case letters, digits and single hyphens only.", "INVALID_SLUG")
    table = spec.entity.table
    holder = await connection.scalar(select(table.c.id).where(table.c.slug == wanted))
    if holder is not None and holder != own_id:
        return Problem(("input", "slug"), f"The slug {quoted(wanted)} is taken.", "SLUG_TAKEN")
    return wanted


# --- audit ----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


async def record(
    connection: AsyncConnection, ctx: DataContext, action: str, object_type: str, object_id: int, changes: Any
) -> None:
    viewer = ctx.viewer
    await connection.execute(
        insert(audit_log).values(
            user_id=viewer.user_id,
            api_key_id=viewer.api_key_id,
            actor=viewer.label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            changes=changes,
        )
    )


# --- operations -----------------------------------------------------------------------------


@dataclass
class Result:
    row: Any | None = None
    problems: list[Problem] = field(default_factory=list)


def _engine(ctx: DataContext) -> Any:
    if ctx.write_engine is None:
        raise RuntimeError("This context has no engine for writes.")
    return ctx.write_engine


async def _transaction(ctx: DataContext, work: Callable[[AsyncConnection], Any]) -> Result:
    """Run `work` in one transaction; `Invalid` or a constraint violation rolls it back."""
    try:
        async with _engine(ctx).begin() as connection:
            row = await work(connection)
    except Invalid as exc:
        return Result(problems=exc.problems)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or "a data rule"
        code = "SLUG_TAKEN" if constraint and "slug" in constraint else "INVALID"
        return Result(problems=[Problem(("input",), f"The change violates {constraint}.", code)])
    return Result(row=row)


async def _checked(
    connection: AsyncConnection,
    spec: EditSpec,
    changes: Changes,
    merged: dict[str, Any],
    own_id: int | None,
    slug: str | None,
    make_slug: bool,
    known: set[Any] | None = None,
) -> dict[str, Any]:
    """The values to write once every check passed (raises `Invalid`), with the slug when one is
    to be chosen (given, or made from the source column)."""
    problems = await validate(connection, spec, changes, merged, own_id is None, known)
    if problems:
        raise Invalid(problems)
    values = dict(changes.values)
    if spec.slug_from is not None and make_slug:
        chosen = await _slug(connection, spec, slug, str(merged[spec.slug_from]), own_id)
        if isinstance(chosen, Problem):
            raise Invalid([chosen])
        values["slug"] = chosen
    return values


async def insert_row(
    connection: AsyncConnection, ctx: DataContext, spec: EditSpec, changes: Changes, slug: str | None = None
) -> Any:
    """Check and insert a new row with its audit entry, in the caller's transaction (raises
    `Invalid`)."""
    values = await _checked(connection, spec, changes, dict(changes.values), None, slug, True, ctx.known_references)
    row = (await connection.execute(insert(spec.entity.table).values(**values).returning(*spec.entity.columns))).one()
    created = {k: [None, plain(v)] for k, v in values.items() if v is not None}
    await record(connection, ctx, "create", spec.type_name, row.id, created)
    return row


async def create(ctx: DataContext, spec: EditSpec, changes: Changes, slug: str | None = None) -> Result:
    async def work(connection: AsyncConnection) -> Any:
        return await insert_row(connection, ctx, spec, changes, slug)

    return await _transaction(ctx, work)


async def locked(connection: AsyncConnection, spec: EditSpec, pk: int, *, deleted: bool = False) -> Any:
    table = spec.entity.table
    condition = table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None)
    row = (await connection.execute(select(table).where(table.c.id == pk, condition).with_for_update())).first()
    if row is None:
        state = "deleted " if deleted else ""
        raise Invalid([Problem(("input", "id"), f"No {state}{spec.type_name} with this ID.", "NOT_FOUND")])
    return row


def _check_version(spec: EditSpec, row: Any, version: int | None) -> None:
    if version is not None and row.version != version:
        raise Invalid(
            [
                Problem(
                    ("input", "version"),
                    f"This {spec.type_name} was changed by someone else since version {version} "
                    f"(it is at version {row.version} now): reload it and apply your change again.",
                    "CONFLICT",
                )
            ]
        )


async def _write(
    connection: AsyncConnection,
    ctx: DataContext,
    spec: EditSpec,
    row: Any,
    values: dict[str, Any],
    action: str,
) -> Any:
    """Apply `values` to a locked row (new version, audit entry); unchanged values are skipped."""
    table = spec.entity.table
    diff = {k: [plain(getattr(row, k)), plain(v)] for k, v in values.items() if getattr(row, k) != v}
    if not diff:
        return (await connection.execute(select(*spec.entity.columns).where(table.c.id == row.id))).one()
    changed = {k: values[k] for k in diff}
    statement = (
        update(table)
        .where(table.c.id == row.id)
        .values(**changed, version=table.c.version + 1, updated_at=func.now())
        .returning(*spec.entity.columns)
    )
    new_row = (await connection.execute(statement)).one()
    await record(connection, ctx, action, spec.type_name, row.id, diff)
    return new_row


async def change_locked(
    connection: AsyncConnection,
    ctx: DataContext,
    spec: EditSpec,
    row: Any,
    changes: Changes,
    slug: str | None = None,
    regenerate_slug: bool = False,
) -> Any:
    """Check and apply changes to a row locked by the caller's transaction (raises `Invalid`)."""
    merged = {**row._mapping, **changes.values}
    make_slug = slug is not None or regenerate_slug
    values = await _checked(connection, spec, changes, merged, row.id, slug, make_slug, ctx.known_references)
    return await _write(connection, ctx, spec, row, values, "update")


async def update_row(
    ctx: DataContext,
    spec: EditSpec,
    pk: int,
    version: int,
    changes: Changes,
    slug: str | None = None,
    regenerate_slug: bool = False,
) -> Result:
    async def work(connection: AsyncConnection) -> Any:
        row = await locked(connection, spec, pk)
        _check_version(spec, row, version)
        return await change_locked(connection, ctx, spec, row, changes, slug, regenerate_slug)

    return await _transaction(ctx, work)


async def delete_row(ctx: DataContext, spec: EditSpec, pk: int, version: int | None) -> Result:
    async def work(connection: AsyncConnection) -> Any:
        row = await locked(connection, spec, pk)
        _check_version(spec, row, version)
        return await _write(connection, ctx, spec, row, {"deleted_at": dt.datetime.now(dt.UTC)}, "delete")

    return await _transaction(ctx, work)


async def restore_row(ctx: DataContext, spec: EditSpec, pk: int, version: int | None) -> Result:
    async def work(connection: AsyncConnection) -> Any:
        row = await locked(connection, spec, pk, deleted=True)
        _check_version(spec, row, version)
        return await _write(connection, ctx, spec, row, {"deleted_at": None}, "restore")

    return await _transaction(ctx, work)


async def set_published(ctx: DataContext, spec: EditSpec, pk: int, version: int | None, published: bool) -> Result:
    async def work(connection: AsyncConnection) -> Any:
        row = await locked(connection, spec, pk)
        _check_version(spec, row, version)
        return await _write(
            connection, ctx, spec, row, {"published": published}, "publish" if published else "unpublish"
        )

    return await _transaction(ctx, work)


async def touch(connection: AsyncConnection, entity: Entity, pk: int) -> None:
    """A change to a row's links counts as a change of the row (new version, new updated_at)."""
    table = entity.table
    await connection.execute(
        update(table).where(table.c.id == pk).values(version=table.c.version + 1, updated_at=func.now())
    )


# --- shared column sets ---------------------------------------------------------------------

ADDRESS: dict[str, Column] = {
    "street": Column("street", max_length=200),
    "postal_code": Column("postal_code", check=postal_code),
    "city": Column("city", max_length=100),
    "ortsteil_key": Column("ortsteil_key"),
    "latitude": Column("latitude", check=between(-90, 90)),
    "longitude": Column("longitude", check=between(-180, 180)),
}


def location_pair(row: dict[str, Any]) -> list[Problem]:
    if (row.get("latitude") is None) != (row.get("longitude") is None):
        return [Problem(("input", "address", "latitude"), "Give latitude and longitude together.", "INVALID")]
    return []


def columns(*items: Column) -> dict[str, Column]:
    return {item.name: item for item in items}


@dataclass(frozen=True)
class LinkTable:
    """A many-to-many link edited from its `owner` side (network members, project partners)."""

    table: Any
    owner: Entity
    owner_column: str
    other: Entity
    other_column: str


async def set_link(
    ctx: DataContext, link: LinkTable, owner_pk: int, other_pk: int, adding: bool, extra: dict[str, Any] | None = None
) -> Result:
    """Add (with `extra` columns) or remove a link; the owner gets a new version and an audit entry."""
    owner_field = to_input_name(link.owner.name)
    other_field = to_input_name(link.other.name)

    async def work(connection: AsyncConnection) -> Any:
        owner_table, other_table, table = link.owner.table, link.other.table, link.table
        owner = (
            await connection.execute(
                select(owner_table.c.id)
                .where(owner_table.c.id == owner_pk, owner_table.c.deleted_at.is_(None))
                .with_for_update()
            )
        ).first()
        other = await connection.scalar(
            select(other_table.c.id).where(other_table.c.id == other_pk, other_table.c.deleted_at.is_(None))
        )
        problems = []
        if owner is None:
            problems.append(Problem(("input", owner_field), f"No {link.owner.name} with this ID.", "NOT_FOUND"))
        if other is None:
            problems.append(Problem(("input", other_field), f"No {link.other.name} with this ID.", "NOT_FOUND"))
        if problems:
            raise Invalid(problems)
        where = (table.c[link.owner_column] == owner_pk, table.c[link.other_column] == other_pk)
        linked = await connection.scalar(select(func.count()).select_from(table).where(*where))
        if adding and linked:
            raise Invalid([Problem(("input", other_field), "Already linked.", "ALREADY_EXISTS")])
        if not adding and not linked:
            raise Invalid([Problem(("input", other_field), "Not linked.", "NOT_FOUND")])
        if adding:
            values = {link.owner_column: owner_pk, link.other_column: other_pk, **(extra or {})}
            await connection.execute(insert(table).values(**values))
        else:
            await connection.execute(table.delete().where(*where))
        await touch(connection, link.owner, owner_pk)
        action = f"{link.other.name.lower()}_{'add' if adding else 'remove'}"
        details = {link.other_column: other_pk, **{k: plain(v) for k, v in (extra or {}).items()}}
        await record(connection, ctx, action, link.owner.name, owner_pk, details)
        owner_row = (await connection.execute(select(*link.owner.columns).where(owner_table.c.id == owner_pk))).one()
        other_row = (await connection.execute(select(*link.other.columns).where(other_table.c.id == other_pk))).one()
        return owner_row, other_row

    return await _transaction(ctx, work)


def to_input_name(type_name: str) -> str:
    """`Company` → `companyId`, the input field naming an object of that type."""
    return type_name[0].lower() + type_name[1:] + "Id"
