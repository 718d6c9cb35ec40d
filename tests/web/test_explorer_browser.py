"""The staff explorer in Debian's Chromium (headless, via Playwright from PyPI, no browser download):
log in, read the schema's documentation, get an autocompletion, see the explorer plugin's fields,
run a query and a mutation and a subscription (graphql-ws over the session's WebSocket), and check
that no request left 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import async_playwright

from tests.conftest import PASSWORD, ROOT, LiveServer
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def explorer_server(edit_database_url: str, role_headers: dict[str, dict[str, str]]) -> Iterator[LiveServer]:
    server = LiveServer(edit_database_url).start()
    yield server
    server.stop()


async def run_in_editor(page: object, query: str) -> str:
    """Replace the editor's text, press Run, and return the result pane's text."""
    await page.evaluate(  # type: ignore[attr-defined]
        "q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)", query
    )
    await page.wait_for_timeout(700)  # type: ignore[attr-defined]  # GraphiQL re-reads the operation after edits
    await page.click(".graphiql-execute-button")  # type: ignore[attr-defined]
    await page.wait_for_function(  # type: ignore[attr-defined]
        "() => (document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() || '').includes('data')",
        timeout=20_000,
    )
    text: str = await page.evaluate(  # type: ignore[attr-defined]
        "() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
    )
    return text


async def schema_is_documented(page: Any) -> None:
    """The Docs panel shows the root types, and a type's fields with their descriptions."""
    await page.click("button[aria-label='Show Documentation Explorer']")
    docs = page.locator(".graphiql-doc-explorer")
    await docs.get_by_text("Query", exact=True).first.wait_for(timeout=20_000)
    assert "Error fetching schema" not in await page.inner_text("body")
    await docs.get_by_text("Query", exact=True).first.click()
    await docs.get_by_text("companies", exact=True).first.click()
    await docs.get_by_text("CompanyConnection", exact=True).first.click()
    text = await docs.inner_text()
    assert "totalCount" in text and "Number of items matching the filter" in text


async def completes_a_field(page: Any) -> None:
    """Typing in the editor offers the schema's fields (codemirror-graphql's hints)."""
    await page.evaluate(
        "() => { const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;"
        " cm.setValue('{\\n  \\n}'); cm.focus(); cm.setCursor({line: 1, ch: 2}); }"
    )
    await page.keyboard.type("compa", delay=50)
    hints = page.locator(".CodeMirror-hints")
    await hints.wait_for(timeout=10_000)
    offered = await hints.inner_text()
    assert "companies" in offered and "company" in offered


async def explorer_plugin_lists_fields(page: Any) -> None:
    await page.click("button[aria-label='Show GraphiQL Explorer']")
    plugin = page.locator(".graphiql-explorer-root")
    await plugin.get_by_text("companies", exact=True).first.wait_for(timeout=20_000)
    text = await plugin.inner_text()
    assert all(name in text for name in ("networks", "events", "search", "ortsteile"))


async def subscription_is_pushed(page: Any, server: LiveServer, staff: dict[str, str]) -> str:
    """Run a subscription in the editor (graphql-ws over the session's WebSocket), commit a change
    from elsewhere, and return what the result pane shows once it is pushed."""
    subscription = "subscription Watch { changes(types: [COMPANY]) { node { objectId action } } }"
    await page.evaluate(
        "q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)", subscription
    )
    await page.wait_for_timeout(700)
    await page.click(".graphiql-execute-button")
    await page.wait_for_timeout(1000)  # subscribed: from now on
    create = 'mutation { companyCreate(input: { name: "Live im Browser GmbH", legalForm: GMBH }) { company { id } } }'
    async with httpx.AsyncClient() as client:
        answer = await client.post(server.url, json={"query": create}, headers=staff)
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    await page.wait_for_function(
        "() => (document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() || '').includes('CREATE')",
        timeout=20_000,
    )
    text: str = await page.evaluate("() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()")
    return text


async def file_is_imported(page: Any) -> str:
    """Choose a file in the header and run an importRun (a dry run): the browser sends the GraphQL
    multipart request with the session's CSRF token."""
    await page.reload()  # the subscription's result pane stays busy otherwise
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
    content = "Externe ID;Name;Rechtsform;PLZ\r\nB-1;Aus dem Browser GmbH;GmbH;10365\r\nB-2;Falsch;UG;123\r\n"
    await page.set_input_files(
        "#import-file", files=[{"name": "firmen.csv", "mimeType": "text/csv", "buffer": content.encode("cp1252")}]
    )
    mutation = (
        "mutation Import($file: Upload!) { importRun(input: { type: COMPANIES, file: $file, dryRun: true }) "
        "{ report { rows created problems { row column code } } } }"
    )
    return await run_in_editor(page, mutation)


async def test_staff_log_in_query_and_edit_without_leaving_the_machine(
    explorer_server: LiveServer, role_headers: dict[str, dict[str, str]]
) -> None:
    assert shutil.which(CHROMIUM), "Debian's chromium is installed by `make test` (apt-get install chromium)"
    ARTIFACTS.mkdir(exist_ok=True)
    base = f"http://127.0.0.1:{explorer_server.port}"
    requested: list[str] = []
    mutations: list[dict[str, str]] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on(
                "request",
                lambda request: (
                    mutations.append(request.headers) if "companyCreate" in (request.post_data or "") else None
                ),
            )
            await page.goto(f"{base}/graphiql")
            await page.fill("input[name=username]", "anna")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
            assert "anna (staff)" in await page.inner_text("#who")

            await schema_is_documented(page)
            await completes_a_field(page)
            await explorer_plugin_lists_fields(page)

            text = await run_in_editor(page, '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { name } }')
            assert "UnternehmensNetzwerk Herzbergstraße e.V." in text

            text = await run_in_editor(
                page,
                'mutation { companyCreate(input: { name: "Browser Test GmbH", legalForm: GMBH }) '
                "{ company { slug version } userErrors { code } } }",
            )
            assert "browser-test-gmbh" in text and '"userErrors": []' in text
            await page.screenshot(path=str(ARTIFACTS / "graphiql.png"), full_page=True)

            pushed = await subscription_is_pushed(page, explorer_server, role_headers["staff"])
            assert '"action": "CREATE"' in pushed and pushed.count('"objectId"') == 1

            report = await file_is_imported(page)
            assert '"rows": 2' in report and '"created": 1' in report and '"INVALID_POSTAL_CODE"' in report
        finally:
            await browser.close()
    assert mutations and all(len(headers.get("idempotency-key", "")) == 36 for headers in mutations)  # a UUID each
    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, requested
    assert any(url.endswith("/static/graphiql.js") for url in requested)
