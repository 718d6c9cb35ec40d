"""`upl import industries FILE`: the WZ 2008 classification as Destatis publishes it.

Destatis' lists (CSV or XLSX) hold every level in one column of codes: sections ("A", or
"Abschnitt A"), divisions ("62"), groups ("62.0"), classes ("62.01") and subclasses
("62.01.0"). Sections, divisions and classes are kept (the portal's companies name classes);
groups and subclasses are counted and skipped. Titles of known codes are updated. A division's
section is the section row above it in the file, else the one the database knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db import models
from transfer.formats import read_table
from transfer.sheets import normalised

sections = models.table_of(models.IndustrySection)
divisions = models.table_of(models.IndustryDivision)
classes = models.table_of(models.IndustryClass)

CODE_HEADERS = frozenset(normalised(h) for h in ("code", "kode", "wz 2008", "wz-code", "schlüssel", "gliederung"))
TITLE_HEADERS = frozenset(normalised(h) for h in ("titel", "title", "bezeichnung", "text", "name", "beschreibung"))
SECTION = re.compile(r"^(?:abschnitt\s+)?([A-U])$", re.IGNORECASE)
DIVISION = re.compile(r"^\d{2}$")
GROUP = re.compile(r"^\d{2}\.\d$")
CLASS = re.compile(r"^\d{2}\.\d{2}$")
SUBCLASS = re.compile(r"^\d{2}\.\d{2}\.\d$")


class IndustryFileError(Exception):
    pass


@dataclass
class Counts:
    sections: int = 0
    divisions: int = 0
    classes: int = 0
    skipped: int = 0


def describe(counts: Counts, dry_run: bool) -> str:
    done = "would be written" if dry_run else "written"
    return (
        f"{counts.sections} sections, {counts.divisions} divisions, {counts.classes} classes {done}; "
        f"{counts.skipped} groups and subclasses skipped"
    )


def _columns(headers: list[str]) -> tuple[str, str]:
    code = next((h for h in headers if normalised(h) in CODE_HEADERS), None)
    title = next((h for h in headers if normalised(h) in TITLE_HEADERS), None)
    if code is None or title is None:
        raise IndustryFileError(
            "The file needs a code column (Code, Kode) and a title column (Titel, Bezeichnung); "
            f"it has: {', '.join(headers)}."
        )
    return code, title


def _rows(data: bytes, filename: str) -> list[tuple[int, str, str]]:
    table = read_table(data, filename)
    code_header, title_header = _columns(table.headers)
    return [
        (number, str(cells.get(code_header) or "").strip(), str(cells.get(title_header) or "").strip())
        for number, cells in table.rows
    ]


async def import_industries(engine: AsyncEngine, data: bytes, filename: str, dry_run: bool = False) -> Counts:
    counts = Counts()
    found: dict[str, list[dict[str, Any]]] = {"sections": [], "divisions": [], "classes": []}
    async with engine.begin() as connection:
        known = dict((await connection.execute(select(divisions.c.code, divisions.c.section))).tuples().all())
        section: str | None = None
        division_sections: dict[str, str] = dict(known)
        for number, code, title in _rows(data, filename):
            if not code or not title:
                continue
            if match := SECTION.fullmatch(code):
                section = match.group(1).upper()
                found["sections"].append({"letter": section, "title": title})
            elif DIVISION.fullmatch(code):
                owner = section or known.get(code)
                if owner is None:
                    raise IndustryFileError(f"Row {number}: division {code} comes before any section row.")
                division_sections[code] = owner
                found["divisions"].append({"code": code, "title": title, "section": owner})
            elif CLASS.fullmatch(code):
                owner = division_sections.get(code[:2])
                if owner is None:
                    raise IndustryFileError(f"Row {number}: class {code} belongs to no known division.")
                found["classes"].append({"code": code, "title": title, "section": owner})
            elif GROUP.fullmatch(code) or SUBCLASS.fullmatch(code):
                counts.skipped += 1
            else:
                raise IndustryFileError(f'Row {number}: "{code}" is not a WZ 2008 code.')
        for table, key, rows in (
            (sections, "letter", found["sections"]),
            (divisions, "code", found["divisions"]),
            (classes, "code", found["classes"]),
        ):
            if rows:
                statement = insert(table)
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[key],
                        set_={c.name: statement.excluded[c.name] for c in table.c if c.name != key},
                    ),
                    rows,
                )
        counts.sections, counts.divisions, counts.classes = (
            len(found[k]) for k in ("sections", "divisions", "classes")
        )
        if dry_run:
            await connection.rollback()
    return counts
