"""How one column's values are written to files and read back from them.

A `Kind` turns a database value into a CSV/XLSX cell and a JSON value, and a cell a person typed
(in a spreadsheet, in German or in English habits) back into a database value, or into a
`Bad(code, message)` that the import report shows beside the row and column.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from db.enums import Ortsteil

BERLIN = ZoneInfo("Europe/Berlin")
GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
GERMAN_DATETIME = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
GERMAN_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$")
TRUE_WORDS = frozenset({"true", "ja", "yes", "wahr", "1", "x"})
FALSE_WORDS = frozenset({"false", "nein", "no", "falsch", "0"})


class Bad(Exception):
    """A cell that cannot be read: a stable code and a message for the person who typed it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Reading:
    """How the file at hand writes numbers: German Excel's semicolon CSV uses decimal commas."""

    decimal_comma: bool = False


class Kind:
    """Plain text (the default)."""

    table_type = "string"
    """The Table Schema type of the open-data package (frictionless)."""

    def cell(self, value: Any) -> Any:
        """The value in a spreadsheet cell (XLSX): numbers and dates stay typed."""
        return self.text(value)

    def text(self, value: Any) -> str:
        """The value in a CSV file (None is the empty string)."""
        return "" if value is None else str(self.json(value))

    def json(self, value: Any) -> Any:
        """The value in a JSON line (JSON's own types where they are exact)."""
        return value

    def parse(self, raw: Any, reading: Reading) -> Any:
        """The database value of a cell that is not empty; raises `Bad`."""
        return str(raw).strip() if not isinstance(raw, str) else raw.strip()


class Integer(Kind):
    table_type = "integer"

    def cell(self, value: Any) -> Any:
        return value

    def parse(self, raw: Any, reading: Reading) -> Any:
        if isinstance(raw, bool):
            raise Bad("INVALID_NUMBER", f"{raw!r} is not a whole number.")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        text = str(raw).strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        raise Bad("INVALID_NUMBER", f'"{text}" is not a whole number.')


class Number(Kind):
    """An exact decimal (money, areas): written with a point, read with a point or a German comma."""

    table_type = "number"

    def cell(self, value: Any) -> Any:
        return value

    def json(self, value: Any) -> Any:
        return None if value is None else str(value)

    def parse(self, raw: Any, reading: Reading) -> Any:
        if isinstance(raw, bool):
            raise Bad("INVALID_NUMBER", f"{raw!r} is not a number.")
        if isinstance(raw, int | float | Decimal):
            return Decimal(str(raw))
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "").removesuffix("€").removesuffix("EUR")
        if (reading.decimal_comma or "," in text) and GERMAN_NUMBER.fullmatch(text):
            text = text.replace(".", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Bad("INVALID_NUMBER", f'"{raw}" is not a number.') from None
        if not number.is_finite():
            raise Bad("INVALID_NUMBER", f'"{raw}" is not a number.')
        return number


class Coordinate(Number):
    """A latitude or longitude (a float in the database)."""

    def json(self, value: Any) -> Any:
        return value

    def parse(self, raw: Any, reading: Reading) -> Any:
        return float(super().parse(raw, reading))


class Boolean(Kind):
    table_type = "boolean"

    def cell(self, value: Any) -> Any:
        return self.text(value)

    def text(self, value: Any) -> str:
        return "" if value is None else ("true" if value else "false")

    def parse(self, raw: Any, reading: Reading) -> Any:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise Bad("INVALID_BOOLEAN", f'"{raw}" is neither yes nor no (true/false, ja/nein).')


class Date(Kind):
    table_type = "date"

    def cell(self, value: Any) -> Any:
        return value

    def json(self, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def parse(self, raw: Any, reading: Reading) -> Any:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = str(raw).strip()
        if match := GERMAN_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            text = f"{year:04d}-{month:02d}-{day:02d}"
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise Bad("INVALID_DATE", f'"{raw}" is not a date (2026-03-01 or 01.03.2026).') from None


class DateTime(Kind):
    """A moment, written with its offset in Berlin; a time without an offset is Berlin's."""

    table_type = "datetime"

    def json(self, value: Any) -> Any:
        return None if value is None else value.astimezone(BERLIN).isoformat()

    def parse(self, raw: Any, reading: Reading) -> Any:
        if isinstance(raw, dt.datetime):
            moment = raw
        else:
            text = str(raw).strip()
            if match := GERMAN_DATETIME.fullmatch(text):
                day, month, year, hour, minute = (int(part) for part in match.groups()[:5])
                moment = dt.datetime(year, month, day, hour, minute, int(match.group(6) or 0))
            else:
                try:
                    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
                except ValueError:
                    raise Bad(
                        "INVALID_DATETIME", f'"{raw}" is not a date and time (2026-03-01T19:00:00+01:00).'
                    ) from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=BERLIN)


@dataclass(frozen=True)
class Choice(Kind):
    """A value of an enum: written by its name, read by its name or its value, any case."""

    enum: type[Enum]

    def json(self, value: Any) -> Any:
        return None if value is None else value.name

    def parse(self, raw: Any, reading: Reading) -> Any:
        wanted = str(raw).strip().casefold()
        for member in self.enum:
            if wanted in (member.name.casefold(), str(member.value).casefold()):
                return member
        names = ", ".join(member.name for member in self.enum)
        raise Bad("INVALID_CHOICE", f'"{raw}" is not one of {names}.')


class OrtsteilName(Kind):
    """The Ortsteil, stored by key and written by its name ("Alt-Hohenschönhausen")."""

    def json(self, value: Any) -> Any:
        return None if value is None else Ortsteil[value].value

    def parse(self, raw: Any, reading: Reading) -> Any:
        wanted = str(raw).strip().casefold()
        for member in Ortsteil:
            if wanted in (member.value.casefold(), member.name.casefold()):
                return member.name
        raise Bad("INVALID_ORTSTEIL", f'"{raw}" is not an Ortsteil of Lichtenberg.')


class Names(Kind):
    """Several keys in one cell (funding programme codes, partners' slugs), sorted, comma-separated;
    a JSON array in JSON lines."""

    def text(self, value: Any) -> str:
        return ", ".join(value or ())

    def cell(self, value: Any) -> Any:
        return self.text(value)

    def json(self, value: Any) -> Any:
        return list(value or ())

    def parse(self, raw: Any, reading: Reading) -> Any:
        parts = raw if isinstance(raw, list) else re.split(r"[,;|]", str(raw))
        return tuple(sorted({str(part).strip() for part in parts if str(part).strip()}))


TEXT = Kind()
INTEGER = Integer()
NUMBER = Number()
COORDINATE = Coordinate()
BOOLEAN = Boolean()
DATE = Date()
DATETIME = DateTime()
ORTSTEIL = OrtsteilName()
NAMES = Names()
