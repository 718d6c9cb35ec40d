"""The open-data package for Berlin's portal (daten.berlin.de runs CKAN with DCAT-AP.de).

`publish(directory)` writes the public, non-personal data set as one CSV file per type, a
`datapackage.json` (Frictionless Data Package with a Table Schema per file, derived from the
sheet declarations, with primary and foreign keys) and `dcat.jsonld` (a DCAT-AP.de
`dcat:Dataset` with one `dcat:Distribution` per file, licence dl-de/by-2-0, publisher
Bezirksamt Lichtenberg, temporal and spatial coverage) ready to register on the city's CKAN.
Only what anonymous callers see goes in: published rows, no contact persons, no external keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db import models
from resolvers.base import DataContext
from transfer import sheets
from transfer.exporter import export_rows
from transfer.formats import CsvWriter
from transfer.sheets import Field, Sheet

LICENSE_URI = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
LICENSE_TITLE = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENSE_PAGE = "https://www.govdata.de/dl-de/by-2-0"
PUBLISHER = "Bezirksamt Lichtenberg von Berlin"
OFFICE = "Büro für Wirtschaftsförderung des Bezirksamtes Lichtenberg von Berlin"
BERLIN_STATE = "http://dcat-ap.de/def/politicalGeocoding/stateKey/11"
LICHTENBERG_BBOX = "POLYGON((13.4600 52.4650, 13.5700 52.4650, 13.5700 52.5950, 13.4600 52.5950, 13.4600 52.4650))"
NOT_OPEN = frozenset({"externalId", "published"})
"""Kept out of open data: the office's own record numbers, and a flag that is always true there."""

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "locn": "http://www.w3.org/ns/locn#",
    "spdx": "http://spdx.org/rdf/terms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@dataclass(frozen=True)
class Written:
    sheet: Sheet
    path: Path
    rows: int
    sha256: str


def open_fields(sheet: Sheet) -> tuple[Field, ...]:
    return tuple(f for f in sheet.fields if f.key not in NOT_OPEN)


async def _write_csv(engine: AsyncEngine, ctx: DataContext, sheet: Sheet, path: Path) -> Written:
    writer = CsvWriter(sheet, open_fields(sheet))
    digest = hashlib.sha256()
    rows = 0
    with path.open("wb") as file:
        header = writer.start()
        file.write(header)
        digest.update(header)
        async for batch in export_rows(engine, ctx, sheet):
            chunk = b"".join(writer.row(row) for row in batch)
            rows += len(batch)
            file.write(chunk)
            digest.update(chunk)
    return Written(sheet, path, rows, digest.hexdigest())


def table_schema(sheet: Sheet) -> dict[str, Any]:
    fields = []
    for f in open_fields(sheet):
        descriptor: dict[str, Any] = {"name": f.key, "title": f.german, "description": f.description}
        descriptor["type"] = f.kind.table_type
        if f.kind.table_type == "datetime":
            descriptor["format"] = "any"
        fields.append(descriptor)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if sheet.key_fields == ("externalId", "slug"):
        schema["primaryKey"] = ["slug"]
    elif sheet.key_fields:
        schema["primaryKey"] = list(sheet.key_fields)
    foreign = [
        {"fields": f.key, "reference": {"resource": _sheet_of(f).name, "fields": "slug"}}
        for f in open_fields(sheet)
        if f.reference is not None
    ]
    if foreign:
        schema["foreignKeys"] = foreign
    return schema


def _sheet_of(f: Field) -> Sheet:
    assert f.reference is not None
    entity = f.reference.entity
    return next(s for s in sheets.SHEETS.values() if s.entity is entity and s.link is None)


def data_package(written: list[Written], created: dt.datetime) -> dict[str, Any]:
    return {
        "name": "unternehmensportal-lichtenberg",
        "title": "Unternehmensportal Lichtenberg",
        "description": "Companies, networks, commercial spaces, funded projects and events of the Berlin district "
        "of Lichtenberg, as published on its business portal.",
        "created": created.isoformat(),
        "licenses": [{"name": "dl-de-by-2.0", "path": LICENSE_PAGE, "title": LICENSE_TITLE}],
        "contributors": [{"title": PUBLISHER, "role": "publisher"}],
        "resources": [
            {
                "name": item.sheet.name,
                "title": item.sheet.title,
                "path": item.path.name,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": f"sha256:{item.sha256}",
                "schema": table_schema(item.sheet),
            }
            for item in written
        ],
    }


def _date(value: dt.date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def dcat_dataset(
    written: list[Written], base_url: str, created: dt.datetime, coverage: tuple[dt.date, dt.date]
) -> dict[str, Any]:
    """The DCAT-AP.de description of the package (JSON-LD)."""
    base = base_url.rstrip("/") + "/"
    license_ = {"@id": LICENSE_URI}
    distributions = [
        {
            "@id": f"{base}{item.path.name}#distribution",
            "@type": "dcat:Distribution",
            "dct:title": {"@value": item.sheet.german, "@language": "de"},
            "dct:description": {"@value": item.sheet.title, "@language": "en"},
            "dcat:accessURL": {"@id": f"{base}{item.path.name}"},
            "dcat:downloadURL": {"@id": f"{base}{item.path.name}"},
            "dct:format": {"@id": "http://publications.europa.eu/resource/authority/file-type/CSV"},
            "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/text/csv"},
            "dct:license": license_,
            "dcatde:licenseAttributionByText": PUBLISHER,
            "dcat:byteSize": {"@value": str(item.path.stat().st_size), "@type": "xsd:decimal"},
            "spdx:checksum": {
                "@type": "spdx:Checksum",
                "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
                "spdx:checksumValue": item.sha256,
            },
            "dct:modified": {"@value": created.isoformat(), "@type": "xsd:dateTime"},
        }
        for item in written
    ]
    return {
        "@context": CONTEXT,
        "@id": f"{base}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": "unternehmensportal-lichtenberg",
        "dct:title": {
            "@value": "Unternehmensportal Lichtenberg: Unternehmen, Netzwerke, Flächen, Projekte",
            "@language": "de",
        },
        "dct:description": {
            "@value": "Unternehmen, Unternehmensnetzwerke, Gewerbeflächen, geförderte Projekte der "
            "Wirtschaftsförderung und Veranstaltungen im Bezirk Lichtenberg von Berlin.",
            "@language": "de",
        },
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
        "dcatde:maintainer": {"@type": "foaf:Organization", "foaf:name": OFFICE},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": OFFICE},
        "dct:license": license_,
        "dcatde:licenseAttributionByText": PUBLISHER,
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/DEU"},
        "dcat:theme": {"@id": "http://publications.europa.eu/resource/authority/data-theme/ECON"},
        "dcat:keyword": [
            {"@value": word, "@language": "de"}
            for word in ("Wirtschaft", "Unternehmen", "Gewerbeflächen", "Wirtschaftsförderung", "Lichtenberg")
        ],
        "dct:issued": {"@value": created.isoformat(), "@type": "xsd:dateTime"},
        "dct:modified": {"@value": created.isoformat(), "@type": "xsd:dateTime"},
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date(coverage[0]),
            "dcat:endDate": _date(coverage[1]),
        },
        "dct:spatial": {
            "@type": "dct:Location",
            "locn:geometry": {"@value": LICHTENBERG_BBOX, "@type": "http://www.opengis.net/ont/geosparql#wktLiteral"},
            "skos:prefLabel": "Berlin-Lichtenberg",
        },
        "dcatde:politicalGeocodingURI": {"@id": BERLIN_STATE},
        "dcatde:politicalGeocodingLevelURI": {"@id": "http://dcat-ap.de/def/politicalGeocodingLevel/state"},
        "dcat:distribution": distributions,
    }


async def _coverage(engine: AsyncEngine, today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first project's start to the last project's or event's end (today at least)."""
    projects = models.table_of(models.Project)
    events = models.table_of(models.Event)
    live = (projects.c.deleted_at.is_(None), projects.c.published.is_(True))
    async with engine.connect() as connection:
        first = await connection.scalar(select(func.min(projects.c.starts_on)).where(*live))
        last_project = await connection.scalar(
            select(func.max(func.coalesce(projects.c.ends_on, projects.c.starts_on))).where(*live)
        )
        last_event = await connection.scalar(
            select(func.max(func.date(func.timezone("Europe/Berlin", events.c.starts_at)))).where(
                events.c.deleted_at.is_(None), events.c.published.is_(True)
            )
        )
    ends = [day for day in (last_project, last_event, today) if day is not None]
    return first or today, max(ends)


async def publish(
    engine: AsyncEngine, directory: Path, base_url: str | None = None, now: dt.datetime | None = None
) -> list[Written]:
    """Write the package into `directory` (created when missing) as anonymous callers see the data."""
    _prepare(directory)
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    ctx = DataContext(engine=engine)
    written = [
        await _write_csv(engine, ctx, sheets.SHEETS[name], directory / f"{name}.csv") for name in sheets.OPEN_DATA
    ]
    package = data_package(written, created)
    _write_json(directory / "datapackage.json", package)
    coverage = await _coverage(engine, created.date())
    dataset = dcat_dataset(written, base_url or _file_uri(directory), created, coverage)
    _write_json(directory / "dcat.jsonld", dataset)
    return written


def _prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)


def _file_uri(directory: Path) -> str:
    return directory.resolve().as_uri()


def _write_json(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n")
