"""Imports and exports at size: 100,000 companies out (CSV, XLSX, JSON lines) and back in.

Makes two databases on the server of `BENCH_DATABASE_URL` (default: the machine's PostgreSQL):
one with N synthetic companies (`BENCH_COMPANIES`, 100,000), exported with `upl export` in each
format; one empty, into which `upl import companies` loads the CSV, then loads it again (every
row unchanged); and one into which the same rows go keyed by `externalId` without slugs, so
each slug is made from the name. Each step is the real command line in its own process: wall time and its peak
resident memory (from `wait4`) are what is reported. Not a test: figures depend on the machine.
Usage: `make bench-transfer`.
"""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from db import migrate
from db.engine import to_libpq_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "transfer.md"


def _database(admin_url: str, name: str) -> str:
    async def create() -> None:
        connection = await asyncpg.connect(to_libpq_url(admin_url))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    base, _, query = admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    migrate.upgrade(url)
    return url


def run(url: str, *args: str) -> tuple[float, int, str]:
    """`upl ARGS` against `url`: (seconds, peak RSS in MiB, its last output line)."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:  # no pipe to fill up
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            stdout=stdout,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"upl {' '.join(args)} failed:\n{out[-3000:]}\n{err[-3000:]}")
    lines = [line for line in out.splitlines() if line.strip()]
    return seconds, usage.ru_maxrss // 1024, lines[0] if lines else ""


def _external_keys_only(source: str, target: str) -> None:
    """The office's case: its own numbers as `externalId`, no slug column."""
    with open(source, newline="") as reading, open(target, "w", newline="") as writing:
        rows = csv.DictReader(reading)
        fields = [name for name in rows.fieldnames or [] if name != "slug"]
        writer = csv.DictWriter(writing, fields)
        writer.writeheader()
        for row in rows:
            row["externalId"] = f"CRM-{row.pop('slug')}"
            writer.writerow(row)


def main() -> None:
    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    companies = int(os.environ.get("BENCH_COMPANIES", "100000"))
    source = _database(admin_url, "upl_bench_transfer_source")
    target = _database(admin_url, "upl_bench_transfer_target")
    third = _database(admin_url, "upl_bench_transfer_keyed")
    print(f"seeding {companies:,} synthetic companies ...", flush=True)
    run(source, "db", "seed", "--synthetic", "--companies", str(companies))
    rows: list[tuple[str, float, int, str]] = []
    with tempfile.TemporaryDirectory() as directory:
        for format in ("csv", "xlsx", "jsonl"):
            path = Path(directory) / f"companies.{format}"
            seconds, memory, _ = run(source, "export", "companies", "--staff", "--format", format, "-o", str(path))
            rows.append((f"export {format}", seconds, memory, f"{path.stat().st_size / 1_048_576:.1f} MiB"))
            print(rows[-1], flush=True)
        csv_file = str(Path(directory) / "companies.csv")
        for label in ("import csv into an empty database", "import the same csv again"):
            seconds, memory, said = run(target, "import", "companies", csv_file)
            rows.append((label, seconds, memory, said))
            print(rows[-1], flush=True)
        keyed = str(Path(directory) / "companies-keyed.csv")
        _external_keys_only(csv_file, keyed)
        seconds, memory, said = run(third, "import", "companies", keyed)
        rows.append(("import csv keyed by externalId, no slugs (each made from the name)", seconds, memory, said))
        print(rows[-1], flush=True)
    lines = [
        f"# Imports and exports of {companies:,} companies (`make bench-transfer`)",
        "",
        "Each step is `upl` in its own process on this machine's PostgreSQL; memory is the process's peak RSS.",
        "",
        "| step | seconds | rows/s | peak MiB | result |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {seconds:.1f} | {companies / seconds:,.0f} | {memory} | {said} |"
            for label, seconds, memory, said in rows
        ),
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
