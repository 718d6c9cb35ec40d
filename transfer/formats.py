"""File formats: reading a table of cells from CSV, XLSX or JSON lines, and writing rows to CSV,
XLSX, JSON lines and GeoJSON one row at a time (so an export streams in constant memory).

CSV is read as UTF-8 (with or without a byte-order mark) or, when it is not valid UTF-8, as
Windows-1252, the encoding German Excel writes; the delimiter is sniffed from the header line
(German Excel writes semicolons and decimal commas). XLSX goes through `openpyxl` (read-only and
write-only modes), never by hand.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import orjson

from transfer.sheets import Field, Sheet
from transfer.values import Reading

FORMATS = ("csv", "xlsx", "jsonl", "geojson")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/jsonl",
    "geojson": "application/geo+json",
}
CHUNK = 65_536


class Unreadable(Exception):
    """The file as a whole cannot be read (not a table, no header, broken XLSX)."""


@dataclass
class Table:
    """The cells of a file: its header and its rows (row number as a person would count it)."""

    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    reading: Reading = field(default_factory=Reading)


def detect(data: bytes, filename: str = "") -> str:
    name = filename.lower()
    for suffix, kind in ((".xlsx", "xlsx"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl")):
        if name.endswith(suffix):
            return kind
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def read_table(data: bytes, filename: str = "") -> Table:
    kind = detect(data, filename)
    if kind == "xlsx":
        return _read_xlsx(data)
    if kind == "jsonl":
        return _read_jsonl(data)
    return _read_csv(data)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise Unreadable("The file is empty: it needs a header line with the column names.") from None
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((number, dict(zip(headers, cells, strict=False))))
    return Table(headers, rows, Reading(decimal_comma=delimiter == ";"))


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors alike
        raise Unreadable(f"The file is not a readable XLSX workbook ({type(exc).__name__}).") from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header_cells = next(lines, None)
        if header_cells is None:
            raise Unreadable("The first worksheet is empty: it needs a header row with the column names.")
        headers = ["" if cell is None else str(cell).strip() for cell in header_cells]
        rows = []
        for number, cells in enumerate(lines, start=2):
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
                continue
            rows.append((number, {h: c for h, c in zip(headers, cells, strict=False) if h}))
    finally:
        workbook.close()
    return Table([h for h in headers if h], rows)


def _read_jsonl(data: bytes) -> Table:
    headers: dict[str, None] = {}
    rows = []
    for number, line in enumerate(data.decode("utf-8-sig", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise Unreadable(f"Line {number} is not JSON: each line must be one JSON object.") from None
        if not isinstance(item, dict):
            raise Unreadable(f"Line {number} is not a JSON object.")
        headers.update(dict.fromkeys(item))
        rows.append((number, item))
    return Table(list(headers), rows)


# --- writers ----------------------------------------------------------------------------------


class Writer:
    """Writes rows (dicts by field key) as bytes: `start`, then `row` per row, then `end`."""

    def __init__(self, sheet: Sheet, fields: tuple[Field, ...], german: bool = False) -> None:
        self.sheet = sheet
        self.fields = fields
        self.headers = [f.german if german else f.key for f in fields]

    def start(self) -> bytes:
        return b""

    def row(self, row: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def end(self) -> Iterator[bytes]:
        return iter(())


class CsvWriter(Writer):
    """RFC 4180 CSV in UTF-8, comma-separated, with the English keys as header."""

    def __init__(self, sheet: Sheet, fields: tuple[Field, ...], german: bool = False) -> None:
        super().__init__(sheet, fields, german)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def _line(self, cells: list[str]) -> bytes:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        return self.buffer.getvalue().encode()

    def start(self) -> bytes:
        return self._line(self.headers)

    def row(self, row: dict[str, Any]) -> bytes:
        return self._line([f.kind.text(row[f.key]) for f in self.fields])


class JsonLinesWriter(Writer):
    def row(self, row: dict[str, Any]) -> bytes:
        return orjson.dumps({f.key: f.kind.json(row[f.key]) for f in self.fields}) + b"\n"


class GeoJsonWriter(Writer):
    """A FeatureCollection of the rows with coordinates (Point, longitude first as RFC 7946 has
    it); the properties are the other fields."""

    def __init__(self, sheet: Sheet, fields: tuple[Field, ...], german: bool = False) -> None:
        super().__init__(sheet, fields, german)
        self.first = True
        self.properties = [f for f in fields if f.key not in ("latitude", "longitude")]

    def start(self) -> bytes:
        return b'{"type":"FeatureCollection","features":['

    def row(self, row: dict[str, Any]) -> bytes:
        if row.get("latitude") is None or row.get("longitude") is None:
            return b""
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": {f.key: f.kind.json(row[f.key]) for f in self.properties},
        }
        separator = b"" if self.first else b","
        self.first = False
        return separator + orjson.dumps(feature)

    def end(self) -> Iterator[bytes]:
        yield b"]}\n"


class XlsxWriter(Writer):
    """A workbook with one worksheet (openpyxl's write-only mode keeps rows on disk); the file
    is complete only at the end, so it streams from a temporary file."""

    def __init__(self, sheet: Sheet, fields: tuple[Field, ...], german: bool = False) -> None:
        super().__init__(sheet, fields, german)
        self.workbook = openpyxl.Workbook(write_only=True)
        self.worksheet = self.workbook.create_sheet(sheet.german[:31])
        self.worksheet.append(self.headers)

    def row(self, row: dict[str, Any]) -> bytes:
        self.worksheet.append([f.kind.cell(row[f.key]) for f in self.fields])
        return b""

    def end(self) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as file:
            self.workbook.save(file)
            file.seek(0)
            while chunk := file.read(CHUNK):
                yield chunk


WRITERS: dict[str, type[Writer]] = {
    "csv": CsvWriter,
    "xlsx": XlsxWriter,
    "jsonl": JsonLinesWriter,
    "geojson": GeoJsonWriter,
}


def template(sheet: Sheet, required: set[str]) -> bytes:
    """An empty XLSX with the German headers, and a second worksheet explaining each column."""
    workbook = openpyxl.Workbook()
    data = workbook.active
    assert data is not None
    data.title = sheet.german[:31]
    data.append([f.german for f in sheet.fields])
    notes = workbook.create_sheet("Hinweise")
    notes.append(["Spalte", "Column", "Pflicht", "Bedeutung"])
    for f in sheet.fields:
        notes.append([f.german, f.key, "ja" if f.key in required else "", f.description])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
