"""Imports and exports against real databases: round trips into an empty database, German Excel's
dialect, files with errors, idempotence, audit and change feed, reference data."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import text

from db import migrate
from db.engine import create_engine
from db.enums import Role
from db.seed.reference import INDUSTRY_CLASSES
from resolvers.base import DataContext
from resolvers.viewer import Viewer
from tests.conftest import ROOT, Server, upl
from transfer import formats, sheets
from transfer.exporter import export_file
from transfer.importer import Report, run_import

ORDER = ("companies", "projects", "networks", "memberships", "spaces", "events")
OPERATOR = Viewer(role=Role.ADMIN, username="test import")


def empty_database(server: Server, prefix: str = "upl_import") -> str:
    url = server.create_database(prefix)
    migrate.upgrade(url)
    return url


class Database:
    """One database for imports and exports in-process, with the operator's (admin) context."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.ctx = DataContext(engine=self.engine, viewer=OPERATOR, write_engine=self.engine)

    async def export(self, name: str, format: str, viewer: Viewer = OPERATOR) -> bytes:
        ctx = DataContext(engine=self.engine, viewer=viewer)
        return b"".join([chunk async for chunk in export_file(self.engine, ctx, sheets.SHEETS[name], format)])

    async def load(self, name: str, data: bytes, filename: str = "", **options: Any) -> Report:
        table = formats.read_table(data, filename)
        return await run_import(self.engine, self.ctx, sheets.SHEETS[name], table, **options)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())


@pytest.fixture
def fresh_url(pg_server: Server) -> str:
    return empty_database(pg_server)


@pytest.fixture
async def fresh(fresh_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_url)
    yield database
    await database.engine.dispose()


@pytest.fixture(scope="module")
async def demo_db(demo_database_url: str) -> AsyncIterator[Database]:
    database = Database(demo_database_url)
    yield database
    await database.engine.dispose()


def cells(data: bytes) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


async def test_reference_data_comes_with_the_migrations(fresh: Database) -> None:
    assert await fresh.scalar("SELECT count(*) FROM industry_sections") == 21
    assert await fresh.scalar("SELECT count(*) FROM industry_divisions") == 88
    codes = {row.code for row in await fresh.rows("SELECT code FROM industry_classes")}
    assert {code for code, _, _ in INDUSTRY_CLASSES} <= codes
    assert await fresh.scalar("SELECT count(*) FROM funding_programs") == 5
    assert await fresh.scalar("SELECT title FROM industry_divisions WHERE code = '62'") == (
        "Erbringung von Dienstleistungen der Informationstechnologie"
    )
    assert await fresh.scalar("SELECT section FROM industry_divisions WHERE code = '43'") == "F"
    # an empty, freshly upgraded database takes a company naming a known class, and reports an unknown one
    report = await fresh.load(
        "companies", b"slug,name,legalForm,industryCode\na,A GmbH,GMBH,62.01\nb,B GmbH,GMBH,99.99\n", "x.csv"
    )
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, "industryCode", "NOT_FOUND")]
    assert not report.committed
    assert await fresh.scalar("SELECT count(*) FROM companies") == 0


@pytest.mark.parametrize("format", ["jsonl", "xlsx"])
async def test_round_trip_into_an_empty_database(demo_db: Database, fresh: Database, format: str) -> None:
    """Export every type, import into an empty database, export again: the same files (XLSX:
    the same cells, its zip carries timestamps); a second import changes nothing."""
    first = {name: await demo_db.export(name, format) for name in ORDER}
    for name in ORDER:
        report = await fresh.load(name, first[name], f"{name}.{format}")
        assert report.problems == [], report.problems
        assert report.created == report.rows > 0
    again = {name: await fresh.export(name, format) for name in ORDER}
    for name in ORDER:
        if format == "xlsx":
            assert cells(again[name]) == cells(first[name]), name
        else:
            assert again[name] == first[name], name
    audit = await fresh.scalar("SELECT count(*) FROM audit_log")
    feed = await fresh.scalar("SELECT count(*) FROM changes")
    for name in ORDER:
        report = await fresh.load(name, first[name], f"{name}.{format}")
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.rows), name
        assert not report.committed
    assert await fresh.scalar("SELECT count(*) FROM audit_log") == audit
    assert await fresh.scalar("SELECT count(*) FROM changes") == feed


def test_round_trip_with_the_command_line(demo_database_url: str, pg_server: Server, tmp_path: Path) -> None:
    """The same with `upl export` and `upl import` as an operator runs them (CSV)."""
    target = empty_database(pg_server)
    for name in ORDER:
        done = upl(demo_database_url, "export", name, "--staff", "--output", str(tmp_path / f"{name}.csv"))
        assert done.returncode == 0, done.stderr
    for name in ORDER:
        done = upl(target, "import", name, str(tmp_path / f"{name}.csv"))
        assert done.returncode == 0, done.stdout + done.stderr
        assert " 0 updated, 0 unchanged" in done.stdout
    for name in ORDER:
        done = upl(target, "export", name, "--staff", "--output", str(tmp_path / f"{name}.again.csv"))
        assert (tmp_path / f"{name}.again.csv").read_bytes() == (tmp_path / f"{name}.csv").read_bytes(), name
    done = upl(target, "import", "companies", str(tmp_path / "companies.csv"))
    assert "0 created, 0 updated, 200 unchanged" in done.stdout


GERMAN_COMPANIES = (
    "Externe ID;Name;Rechtsform;WZ-Code;PLZ;Straße;Ort;Ortsteil;Breitengrad;Längengrad;Gründungsjahr;Veröffentlicht\r\n"
    "K-1;Bäckerei Müller;GmbH;10.71;10318;Treskowallee 12;Berlin;Karlshorst;52,4811;13,5277;1998;ja\r\n"
    "K-2;Schlosserei Weiß & Söhne;e.K.;25.11;13055;Große-Leege-Straße 3;Berlin;Alt-Hohenschönhausen;;;;nein\r\n"
)
GERMAN_PROJECTS = (
    "Externe ID;Titel;Status;Beginn;Ende;Gesamtvolumen;Fördersumme;Förderprogramme;Partner\r\n"
    "P-1;Gewerbehof Köpenicker Chaussee;RUNNING;01.04.2025;31.03.2027;1.234.567,89;617.283,95;GRW, BEZIRK;K-1\r\n"
)


async def test_german_excel_dialect(fresh: Database) -> None:
    """Windows-1252, semicolons, German headers, decimal commas, German dates, ja/nein."""
    report = await fresh.load("companies", GERMAN_COMPANIES.replace("e.K.", "EK").encode("cp1252"), "firmen.csv")
    assert report.problems == [] and report.created == 2
    bakery = (await fresh.rows("SELECT * FROM companies WHERE external_id = 'K-1'"))[0]
    assert bakery.name == "Bäckerei Müller" and bakery.slug == "baeckerei-mueller"
    assert (bakery.legal_form, bakery.ortsteil_key, bakery.founded_year) == ("GMBH", "KARLSHORST", 1998)
    assert (bakery.latitude, bakery.longitude, bakery.published) == (52.4811, 13.5277, True)
    smith = (await fresh.rows("SELECT * FROM companies WHERE external_id = 'K-2'"))[0]
    assert smith.name == "Schlosserei Weiß & Söhne" and smith.published is False
    assert smith.ortsteil_key == "ALT_HOHENSCHOENHAUSEN"
    report = await fresh.load("projects", GERMAN_PROJECTS.encode("cp1252"), "projekte.csv")
    assert report.problems == [] and report.created == 1
    project = (await fresh.rows("SELECT * FROM projects WHERE external_id = 'P-1'"))[0]
    assert str(project.total_volume) == "1234567.89" and str(project.funding_amount) == "617283.95"
    assert project.starts_on.isoformat() == "2025-04-01" and project.ends_on.isoformat() == "2027-03-31"
    programmes = await fresh.rows("SELECT program_code FROM project_funding_programs ORDER BY 1")
    assert [row.program_code for row in programmes] == ["BEZIRK", "GRW"]
    assert await fresh.scalar("SELECT count(*) FROM project_partners WHERE company_id = :id", id=bakery.id) == 1


BROKEN = (
    "externalId,name,legalForm,postalCode,ortsteil,website,industryCode,foundedYear\n"
    "E-1,Gute Firma GmbH,GMBH,10365,Lichtenberg,https://gute-firma.example,62.01,2001\n"
    "E-2,,GMBH,10365,,,,\n"
    "E-3,Falsche PLZ GmbH,GMBH,1036,,,,\n"
    "E-4,Unbekannte Rechtsform,LTD,10365,,,,\n"
    "E-5,Irgendwo GmbH,GMBH,10365,Kreuzberg,ftp://irgendwo,,neunzehn\n"
    "E-6,Zweite gute Firma,UG,10317,Rummelsburg,,,\n"
)


async def test_a_file_with_errors_reports_every_row_and_writes_nothing(fresh: Database) -> None:
    dry = await fresh.load("companies", BROKEN.encode(), "broken.csv", dry_run=True)
    found = {(p.row, p.column, p.code) for p in dry.problems}
    assert found == {
        (3, "name", "REQUIRED"),
        (4, "postalCode", "INVALID_POSTAL_CODE"),
        (5, "legalForm", "INVALID_CHOICE"),
        (6, "ortsteil", "INVALID_ORTSTEIL"),
        (6, "foundedYear", "INVALID_NUMBER"),
    }, dry.problems
    assert dry.dry_run and not dry.committed and dry.created == 2
    assert await fresh.scalar("SELECT count(*) FROM companies") == 0
    strict = await fresh.load("companies", BROKEN.encode(), "broken.csv")
    assert strict.problems and not strict.committed
    assert await fresh.scalar("SELECT count(*) FROM companies") == 0
    assert await fresh.scalar("SELECT count(*) FROM audit_log") == 0
    partial = await fresh.load("companies", BROKEN.encode(), "broken.csv", partial=True)
    assert partial.committed and partial.created == 2 and partial.failed_rows == 4
    names = [row.name for row in await fresh.rows("SELECT name FROM companies ORDER BY name")]
    assert names == ["Gute Firma GmbH", "Zweite gute Firma"]


async def test_a_later_url_problem_is_reported_once_the_cells_read(fresh: Database) -> None:
    data = b"externalId,name,legalForm,website,email\nE-1,Firma,GMBH,ftp://irgendwo,kein-at-zeichen\n"
    report = await fresh.load("companies", data, "x.csv")
    assert {(p.column, p.code) for p in report.problems} == {("website", "INVALID_URL"), ("email", "INVALID_EMAIL")}


async def test_file_level_problems(fresh: Database) -> None:
    report = await fresh.load("companies", b"name,Lieblingsfarbe\nFirma,blau\n", "x.csv")
    assert {(p.row, p.code) for p in report.problems} == {(1, "UNKNOWN_COLUMN"), (1, "MISSING_COLUMN")}
    report = await fresh.load("companies", b"Name,name,legalForm,slug\nA,B,GMBH,a\n", "x.csv")
    assert [p.code for p in report.problems] == ["DUPLICATE_COLUMN"]
    report = await fresh.load("companies", b"name,legalForm\nA GmbH,GMBH\n", "x.csv")
    assert [p.code for p in report.problems] == ["MISSING_COLUMN"]  # no externalId or slug: not idempotent
    with pytest.raises(formats.Unreadable):
        formats.read_table(b"PK\x03\x04 not really a workbook", "x.xlsx")
    with pytest.raises(formats.Unreadable):
        formats.read_table(b'{"name": "A"}\nnot json\n', "x.jsonl")


async def test_changed_rows_become_updates_with_audit_and_change_feed(fresh: Database) -> None:
    first = "externalId,name,legalForm,postalCode\nE-1,Alte Firma,GMBH,10365\nE-2,Andere,UG,10317\n"
    assert (await fresh.load("companies", first.encode(), "a.csv")).created == 2
    before = (await fresh.rows("SELECT id, version, slug FROM companies WHERE external_id = 'E-1'"))[0]
    feed = await fresh.scalar("SELECT max(seq) FROM changes")
    changed = first.replace("Alte Firma,GMBH,10365", "Alte Firma,AG,10367")
    report = await fresh.load("companies", changed.encode(), "a.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    after = (
        await fresh.rows("SELECT id, version, slug, legal_form, postal_code FROM companies WHERE external_id = 'E-1'")
    )[0]
    assert (after.id, after.slug, after.version) == (before.id, before.slug, before.version + 1)
    assert (after.legal_form, after.postal_code) == ("AG", "10367")
    entry = (await fresh.rows("SELECT * FROM audit_log WHERE action = 'update' AND object_id = :id", id=before.id))[0]
    assert entry.actor == "test import" and entry.object_type == "Company"
    assert entry.changes == {"legal_form": ["GMBH", "AG"], "postal_code": ["10365", "10367"]}
    new_changes = await fresh.rows("SELECT object_type, object_id FROM changes WHERE seq > :seq", seq=feed)
    assert [(row.object_type, row.object_id) for row in new_changes] == [("Company", before.id)]


async def test_memberships_and_links_by_slug_or_external_key(fresh: Database) -> None:
    await fresh.load("companies", b"externalId,slug,name,legalForm\nE-1,,Eins GmbH,GMBH\n,zwei,Zwei UG,UG\n", "c.csv")
    await fresh.load("networks", b"externalId,name,kind\nN-1,Netz,NETWORK\n", "n.csv")
    data = "network,company,role,memberSince\nN-1,E-1,BOARD,2020-01-01\nnetz,zwei,MEMBER,01.02.2021\nN-1,E-9,MEMBER,2021-01-01\n"
    report = await fresh.load("memberships", data.encode(), "m.csv")
    assert [(p.row, p.column, p.code) for p in report.problems] == [(4, "company", "NOT_FOUND")]
    report = await fresh.load("memberships", data.encode(), "m.csv", partial=True)
    assert report.created == 2 and report.committed
    version = await fresh.scalar("SELECT version FROM networks WHERE external_id = 'N-1'")
    changed = data.replace("BOARD", "FOUNDING_MEMBER").replace("N-1,E-9,MEMBER,2021-01-01\n", "")
    report = await fresh.load("memberships", changed.encode(), "m.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert await fresh.scalar("SELECT version FROM networks WHERE external_id = 'N-1'") == version + 1
    roles = await fresh.rows("SELECT role FROM network_memberships ORDER BY company_id")
    assert [row.role for row in roles] == ["FOUNDING_MEMBER", "MEMBER"]


async def test_template_has_the_columns_and_imports_once_filled(fresh: Database, demo_database_url: str) -> None:
    done = subprocess_template(demo_database_url)
    workbook = openpyxl.load_workbook(io.BytesIO(done))
    headers = [cell.value for cell in workbook.worksheets[0][1]]
    assert headers[:4] == ["Externe ID", "Kurzname", "Name", "Rechtsform"]
    notes = list(workbook["Hinweise"].iter_rows(values_only=True))
    assert notes[3][:3] == ("Name", "name", "ja")
    workbook.worksheets[0].append(["T-1", None, "Aus der Vorlage GmbH", "GMBH"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = await fresh.load("companies", buffer.getvalue(), "vorlage.xlsx")
    assert report.problems == [] and report.created == 1


def subprocess_template(url: str) -> bytes:
    """`upl import --template companies` (binary output: the XLSX file)."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "cli", "import", "--template", "companies"]
    return subprocess.run(command, capture_output=True, cwd=ROOT, env=env, check=True).stdout


DESTATIS = (
    "Code;Titel\r\n"
    "J;Information und Kommunikation\r\n"
    "62;Erbringung von Dienstleistungen der Informationstechnologie\r\n"
    "62.0;Erbringung von Dienstleistungen der Informationstechnologie\r\n"
    "62.03;Betrieb von Datenverarbeitungseinrichtungen für Dritte\r\n"
    "62.03.0;Betrieb von Datenverarbeitungseinrichtungen für Dritte\r\n"
    "Abschnitt Q;Gesundheits- und Sozialwesen\r\n"
    "86;Gesundheitswesen\r\n"
    "86.22;Facharztpraxen\r\n"
)


async def test_industries_from_a_destatis_file(fresh: Database, fresh_url: str, tmp_path: Path) -> None:
    path = tmp_path / "wz2008.csv"
    path.write_bytes(DESTATIS.encode("cp1252"))
    url = fresh_url
    dry = upl(url, "import", "industries", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "2 sections, 2 divisions, 2 classes would be written; 2 groups and subclasses skipped" in dry.stdout
    assert await fresh.scalar("SELECT count(*) FROM industry_classes WHERE code = '62.03'") == 0
    done = upl(url, "import", "industries", str(path))
    assert done.returncode == 0, done.stderr
    assert await fresh.scalar("SELECT section FROM industry_classes WHERE code = '86.22'") == "Q"
    report = await fresh.load("companies", b"slug,name,legalForm,industryCode\nrz,RZ GmbH,GMBH,62.03\n", "c.csv")
    assert report.problems == [] and report.created == 1
    broken = tmp_path / "broken.csv"
    broken.write_text("Code;Titel\n77.7.7;Unsinn\n")
    failed = upl(url, "import", "industries", str(broken))
    assert failed.returncode == 2 and '"77.7.7" is not a WZ 2008 code' in failed.stderr


async def test_a_row_the_database_refuses(fresh: Database) -> None:
    """A rule only the database knows (here a constraint added by the test): an all-or-nothing run
    stops there and writes nothing; a partial run keeps the other rows (each in a SAVEPOINT)."""
    async with fresh.engine.begin() as connection:
        await connection.execute(
            text("ALTER TABLE companies ADD CONSTRAINT ck_test_no_verboten CHECK (name <> 'Verboten GmbH')")
        )
    data = b"externalId,name,legalForm\nV-1,Erlaubt GmbH,GMBH\nV-2,Verboten GmbH,GMBH\nV-3,Auch erlaubt UG,UG\n"
    strict = await fresh.load("companies", data, "v.csv")
    assert [(p.row, p.code) for p in strict.problems] == [(3, "INVALID"), (3, "IMPORT_STOPPED")]
    assert "ck_test_no_verboten" in strict.problems[0].message and not strict.committed
    assert await fresh.scalar("SELECT count(*) FROM companies") == 0
    partial = await fresh.load("companies", data, "v.csv", partial=True)
    assert [(p.row, p.code) for p in partial.problems] == [(3, "INVALID")] and partial.created == 2
    names = [row.name for row in await fresh.rows("SELECT name FROM companies ORDER BY name")]
    assert names == ["Auch erlaubt UG", "Erlaubt GmbH"]
