"""`GET /export/...` for each role, GeoJSON read with shapely, `importRun` sent by the gql client
with the multipart request spec, and the open-data package validated by frictionless and pyld."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from frictionless import validate
from gql import Client, FileVar, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from pyld import jsonld
from shapely.geometry import Point, shape
from sqlalchemy import text

from app import create_app
from db.engine import create_engine
from db.enums import Role
from resolvers.base import DataContext
from tests.conftest import NO_RESPONSE_CACHE, PASSWORD, Api
from transfer import opendata, sheets
from transfer.exporter import export_file
from web import limits

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"


async def sql(url: str, query: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(query))).all())
    finally:
        await engine.dispose()


def read(path: Path) -> str:
    return path.read_text()


def read_all(directory: Path) -> str:
    return "".join(path.read_text() for path in sorted(directory.iterdir()))


def rows_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


async def test_exports_for_keyed_callers_as_the_lists_show_them(
    edit_api: Api, edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    client = edit_api.client
    assert (await client.get("/export/companies.csv")).status_code == 401
    partner = await client.get("/export/companies.csv", headers=role_headers["partner"])
    assert partner.status_code == 200, partner.text
    assert partner.headers["content-type"] == "text/csv; charset=utf-8"
    assert partner.headers["content-disposition"].startswith('attachment; filename="upl-companies-')
    assert partner.headers["cache-control"] == "private, no-store"
    public = {
        r.slug
        for r in await sql(edit_database_url, "SELECT slug FROM companies WHERE deleted_at IS NULL AND published")
    }
    every = {r.slug for r in await sql(edit_database_url, "SELECT slug FROM companies WHERE deleted_at IS NULL")}
    assert public < every  # the demo data has unpublished companies
    assert {row["slug"] for row in rows_of(partner.content)} == public
    staff = await client.get("/export/companies.csv", headers=role_headers["staff"])
    assert {row["slug"] for row in rows_of(staff.content)} == every
    # the key in the URL, as for calendar apps; the same filters as the GraphQL list
    filtered = await client.get(
        "/export/companies.jsonl?ortsteil=KARLSHORST&industryCode=62", headers=role_headers["partner"]
    )
    lines = [orjson.loads(line) for line in filtered.content.splitlines()]
    query = '{ companies(filter: {ortsteil: KARLSHORST, industryCode: "62"}, first: 100) { nodes { slug } } }'
    data = await edit_api.query(query, headers=role_headers["partner"])
    assert sorted(line["slug"] for line in lines) == sorted(n["slug"] for n in data["companies"]["nodes"])
    assert all(line["ortsteil"] == "Karlshorst" and line["industryCode"].startswith("62") for line in lines)


async def test_export_refusals(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    client, partner = edit_api.client, role_headers["partner"]
    for path, status, words in (
        ("/export/companies.pdf", 404, "No export companies.pdf"),
        ("/export/networks.geojson", 404, "No export networks.geojson"),
        ("/export/persons.csv", 404, "No export persons.csv"),
        ("/export/companies.csv?ortsteil=KREUZBERG", 400, "`ortsteil` must be one of"),
        ("/export/companies.csv?colour=blue", 400, "is not a filter of companies"),
        ("/export/companies.csv?networkId=bm90LWFuLWlk", 400, "Invalid ID"),
        ("/export/memberships.csv?kind=X", 400, "take no filters"),
    ):
        response = await client.get(path, headers=partner)
        assert response.status_code == status and words in response.text, (path, response.text)
    cross = {**partner, "origin": "https://elsewhere.example"}
    assert (await client.get("/export/companies.csv", headers=cross)).status_code == 403
    allowed = await client.get("/export/companies.csv", headers={**partner, "origin": "https://partner.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://partner.example"


async def test_personal_data_leaves_only_for_staff_or_with_consent(
    edit_api: Api, edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    contacts = await sql(
        edit_database_url,
        "SELECT c.name, c.email, c.phone, c.publication_consent, coalesce(co.slug, n.slug, p.slug) AS owner "
        "FROM contact_persons c LEFT JOIN companies co ON co.id = c.company_id AND co.published AND co.deleted_at IS NULL "
        "LEFT JOIN networks n ON n.id = c.network_id AND n.published AND n.deleted_at IS NULL "
        "LEFT JOIN projects p ON p.id = c.project_id AND p.published AND p.deleted_at IS NULL "
        "WHERE c.deleted_at IS NULL AND c.published",
    )
    consented = {(c.owner, c.name, c.email or "", c.phone or "") for c in contacts if c.publication_consent and c.owner}
    private = [c for c in contacts if not c.publication_consent]
    assert private and consented
    partner = role_headers["partner"]
    listed = rows_of((await edit_api.client.get("/export/contacts.csv", headers=partner)).content)
    assert {(r["owner"], r["name"], r["email"], r["phone"]) for r in listed} == consented
    seen = b"".join(
        [(await edit_api.client.get(f"/export/{name}.jsonl", headers=partner)).content for name in sheets.SHEETS]
    ).decode()
    public = {value for _, _, email, phone in consented for value in (email, phone)}
    for contact in private:  # names are no test: a sole proprietor's firm carries the owner's name
        for value in (contact.email, contact.phone):
            assert value is None or value in public or value not in seen, contact
    staff = rows_of((await edit_api.client.get("/export/contacts.csv", headers=role_headers["staff"])).content)
    assert {row["phone"] for row in staff} >= {c.phone for c in private if c.phone}


async def test_geojson_read_by_shapely(
    edit_api: Api, edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    for name, table in (("companies", "companies"), ("spaces", "spaces")):
        response = await edit_api.client.get(f"/export/{name}.geojson", headers=role_headers["partner"])
        assert response.headers["content-type"] == "application/geo+json"
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        located = {
            r.slug: (r.longitude, r.latitude)
            for r in await sql(
                edit_database_url,
                f"SELECT slug, latitude, longitude FROM {table} WHERE deleted_at IS NULL AND published AND latitude IS NOT NULL",
            )
        }
        assert len(collection["features"]) == len(located) > 0
        expected_keys = {f.key for f in sheets.SHEETS[name].fields} - {"latitude", "longitude"}
        for feature in collection["features"]:
            point = shape(feature["geometry"])
            assert isinstance(point, Point)
            assert (point.x, point.y) == located[feature["properties"]["slug"]]
            assert set(feature["properties"]) == expected_keys


async def test_exports_stream_in_batches(synthetic_database_url: str) -> None:
    """5,000 companies arrive as several chunks from a server-side cursor, not one body built in memory."""
    engine = create_engine(synthetic_database_url)
    try:
        ctx = DataContext(engine=engine)
        chunks = [chunk async for chunk in export_file(engine, ctx, sheets.COMPANIES, "csv")]
    finally:
        await engine.dispose()
    assert len(chunks) >= 6  # the header, then a chunk per 1,000 rows
    assert sum(chunk.count(b"\n") for chunk in chunks) > 4000


IMPORT_RUN = gql(
    """
    mutation ($input: ImportRunInput!) {
      importRun(input: $input) {
        report { type rows created updated unchanged committed dryRun problems { row column code message } }
        userErrors { field message code }
      }
    }
    """
)
UPLOAD_CSV = (
    "Externe ID;Name;Rechtsform;PLZ;Ortsteil\r\nUP-1;Hochgeladene GmbH;GmbH;10365;Lichtenberg\r\n"
    "UP-2;Zweite Hochgeladene;UG;1036;Fennpfuhl\r\n"
).encode("cp1252")


def gql_client(api: Api, headers: dict[str, str]) -> Client:
    transport = HTTPXAsyncTransport(
        url="http://testserver/graphql", headers=headers, transport=httpx.ASGITransport(app=api.app)
    )
    return Client(transport=transport)


async def test_import_run_with_the_multipart_request_spec(
    edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    """The gql client (its httpx transport) sends the file as the GraphQL multipart spec has it."""

    def variables(csv_bytes: bytes, **options: Any) -> dict[str, Any]:
        upload = FileVar(io.BytesIO(csv_bytes), filename="firmen.csv", content_type="text/csv")
        return {"input": {"type": "COMPANIES", "file": upload, **options}}

    async with gql_client(edit_api, role_headers["staff"]) as session:
        result = await session.execute(
            GraphQLRequest(IMPORT_RUN, variable_values=variables(UPLOAD_CSV, dryRun=True)), upload_files=True
        )
        report = result["importRun"]["report"]
        assert (report["rows"], report["created"], report["committed"], report["dryRun"]) == (2, 1, False, True)
        assert [(p["row"], p["column"], p["code"]) for p in report["problems"]] == [(3, "PLZ", "INVALID_POSTAL_CODE")]
        assert "1036" in report["problems"][0]["message"]
        fixed = UPLOAD_CSV.replace(b";1036;", b";10369;")
        result = await session.execute(GraphQLRequest(IMPORT_RUN, variable_values=variables(fixed)), upload_files=True)
        assert result["importRun"]["report"]["created"] == 2 and result["importRun"]["report"]["committed"]
        broken = await session.execute(
            GraphQLRequest(IMPORT_RUN, variable_values=variables(b"PK\x03\x04broken")), upload_files=True
        )
        assert broken["importRun"]["userErrors"][0]["code"] == "UNREADABLE_FILE"
    found = await edit_api.query(
        '{ company(slug: "hochgeladene-gmbh") { name externalId address { ortsteil { name } } } }'
    )
    assert found["company"] == {
        "name": "Hochgeladene GmbH",
        "externalId": "UP-1",
        "address": {"ortsteil": {"name": "Lichtenberg"}},
    }
    async with gql_client(edit_api, role_headers["partner"]) as session:
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(GraphQLRequest(IMPORT_RUN, variable_values=variables(UPLOAD_CSV)), upload_files=True)
    assert refused.value.errors and refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_multipart_with_a_session_needs_the_csrf_token(edit_api: Api) -> None:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=edit_api.app), base_url="http://testserver")
    async with client:
        assert (await client.post("/auth/login", json={"username": "anna", "password": PASSWORD})).status_code == 200
        operations = json.dumps({"query": IMPORT_RUN_TEXT, "variables": {"input": {"type": "COMPANIES", "file": None}}})
        files = {"0": ("firmen.csv", UPLOAD_CSV, "text/csv")}
        form = {"operations": operations, "map": json.dumps({"0": ["variables.input.file"]})}
        response = await client.post("/graphql", data=form, files=files)
        assert response.status_code == 403, response.text
        wrong_place = {**form, "map": json.dumps({"0": ["query"]})}
        response = await client.post("/graphql", data=wrong_place, files=files)
        assert response.status_code == 400 and "files go into `variables`" in response.text


IMPORT_RUN_TEXT = "mutation ($input: ImportRunInput!) { importRun(input: $input) { report { created } } }"


async def test_open_data_package_validates(demo_database_url: str, tmp_path: Path) -> None:
    engine = create_engine(demo_database_url)
    try:
        written = await opendata.publish(engine, tmp_path, "https://daten.berlin.de/upl/")
    finally:
        await engine.dispose()
    assert [item.sheet.name for item in written] == list(sheets.OPEN_DATA)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    expanded = jsonld.expand(json.loads(read(tmp_path / "dcat.jsonld")))
    dataset = expanded[0]
    assert dataset["@type"] == [f"{DCAT}Dataset"]
    assert dataset[f"{DCT}license"] == [{"@id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0"}]
    assert (
        dataset[f"{DCT}publisher"][0]["http://xmlns.com/foaf/0.1/name"][0]["@value"]
        == "Bezirksamt Lichtenberg von Berlin"
    )
    temporal = dataset[f"{DCT}temporal"][0]
    first_project = (await sql(demo_database_url, "SELECT min(starts_on) AS day FROM projects WHERE published"))[0].day
    assert temporal[f"{DCAT}startDate"][0]["@value"] == first_project.isoformat()
    assert f"{DCT}spatial" in dataset
    downloads = sorted(d[f"{DCAT}downloadURL"][0]["@id"] for d in dataset[f"{DCAT}distribution"])
    assert downloads == sorted(f"https://daten.berlin.de/upl/{name}.csv" for name in sheets.OPEN_DATA)
    published = read_all(tmp_path)
    contacts = await sql(demo_database_url, "SELECT email, phone FROM contact_persons")
    for contact in contacts:  # (names are no test: a sole proprietor's firm carries the owner's name)
        for value in (contact.email, contact.phone):
            assert value is None or value not in published, contact
    assert "externalId" not in published
    unpublished = await sql(demo_database_url, "SELECT slug FROM companies WHERE NOT published")
    companies = {row["slug"] for row in rows_of(read(tmp_path / "companies.csv").encode())}
    assert unpublished and not companies & {row.slug for row in unpublished}


async def test_an_export_spends_the_largest_query_from_the_rate_limit(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    app = create_app(edit_database_url, settings=NO_RESPONSE_CACHE)
    async with app.router.lifespan_context(app):
        app.state.rate_limiter = limits.RateLimiter(None, budgets={role: 250_000 for role in Role})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            statuses = []
            for _ in range(3):
                response = await client.get("/export/networks.csv", headers=role_headers["partner"])
                statuses.append(response.status_code)
            assert statuses == [200, 200, 429]  # a partner's largest query costs 100,000
            assert int(response.headers["retry-after"]) >= 1
