"""`upl users` and `upl keys` against a real database, as an operator would run them."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import Api, upl


async def test_users_and_keys_from_the_command_line(edit_database_url: str, edit_api: Api) -> None:
    created = upl(
        edit_database_url, "users", "create", "clara", "--role", "admin", "--password-stdin", stdin="lang genug 12345\n"
    )
    assert created.returncode == 0, created.stderr
    short = upl(edit_database_url, "users", "create", "kurt", "--password-stdin", stdin="kurz\n")
    assert short.returncode != 0 and "at least 12 characters" in short.stderr

    made = upl(
        edit_database_url,
        "keys",
        "create",
        "--name",
        "Partnerportal",
        "--role",
        "partner",
        "--origin",
        "https://partner.example",
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("upl_") and " " not in key
    assert (
        await edit_api.post("{ ortsteile { name } }", headers={"authorization": f"Bearer {key}"})
    ).status_code == 200

    token = upl(edit_database_url, "keys", "create", "--name", "Claras Token", "--role", "admin", "--user", "clara")
    admin_key = token.stdout.strip().splitlines()[-1]
    users = await edit_api.query("{ users { username role } }", headers={"authorization": f"Bearer {admin_key}"})
    assert {"username": "clara", "role": "ADMIN"} in users["users"]

    listed = upl(edit_database_url, "keys", "list")
    prefix = key.split("_")[0] + "_" + key.split("_")[1]
    assert prefix in listed.stdout and "Partnerportal" in listed.stdout and key not in listed.stdout
    revoked = upl(edit_database_url, "keys", "revoke", prefix)
    assert revoked.returncode == 0, revoked.stderr
    # the service remembers keys and forgets them when it hears of the change (at once on a
    # running server; here the blocking command held the test's event loop, so: soon)
    deadline = time.monotonic() + 10
    while (
        await edit_api.post("{ ortsteile { name } }", headers={"authorization": f"Bearer {key}"})
    ).status_code != 401:
        assert time.monotonic() < deadline, "the revocation was not heard"
        await asyncio.sleep(0.02)
    assert upl(edit_database_url, "keys", "revoke", "upl_nothere").returncode != 0

    changed = upl(
        edit_database_url, "users", "set-password", "clara", "--password-stdin", stdin="noch laenger 123456\n"
    )
    assert changed.returncode == 0, changed.stderr
