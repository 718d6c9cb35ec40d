"""Deployment settings: environment variables only, each declared once here with its default,
its parser and one line of documentation (the README's settings table lists exactly these; a
test compares the two).

A wrong value stops the start with a message naming the variable (`SettingsError`);
`check_environment()` reads every variable at once so that all mistakes are reported together.

`UPL_ENV=demo` (the default, what `make run` uses) allows anonymous reads and a built-in
session secret; `UPL_ENV=production` refuses to start with a default or short secret, and
with an account that still has the demo password (see `Settings.check`).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

DEMO_SECRET = "upl-demo-secret-do-not-use-in-production"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "lichtenberg-demo"
MIN_SECRET_LENGTH = 32
T = TypeVar("T")


class SettingsError(RuntimeError):
    """A setting the service cannot, or must not, run with."""


# --- parsers: each raises ValueError with a reason ------------------------------------------


def flag(text: str) -> bool | None:
    """1/0, true/false, yes/no, on/off; empty: the default decides."""
    value = text.strip().lower()
    if value == "":
        return None
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected 1/0, true/false, yes/no or on/off")


def whole(minimum: int = 0, maximum: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("expected a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
            raise ValueError(f"expected a whole number {bound}")
        return value

    return parse


def optional_port(text: str) -> int | None:
    return None if not text.strip() else whole(1, 65535)(text)


def choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError("expected one of " + ", ".join(options))
        return value

    return parse


def text_value(text: str) -> str:
    return text.strip()


def optional_text(text: str) -> str | None:
    return text.strip() or None


def url_of(*schemes: str) -> Callable[[str], str | None]:
    def parse(text: str) -> str | None:
        value = text.strip()
        if not value:
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in schemes or not rest:
            raise ValueError(f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    return parse


def url_list(*schemes: str) -> Callable[[str], tuple[str, ...]]:
    one = url_of(*schemes)

    def parse(text: str) -> tuple[str, ...]:
        return tuple(url for part in text.split(",") if (url := one(part)))

    return parse


def names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def field_ages(text: str) -> tuple[tuple[str, int], ...]:
    ages = []
    for item in names(text):
        field, _, seconds = item.partition("=")
        if not seconds.strip().isdigit():
            raise ValueError(f"{item!r} is not FIELD=SECONDS")
        ages.append((field.strip(), int(seconds)))
    return tuple(ages)


def networks(text: str) -> tuple[str, ...]:
    proxies = names(text)
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(f"{proxy!r} is not an IP address or network") from None
    return proxies


DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def durations(text: str) -> tuple[float, ...]:
    """Comma-separated durations like `5s,1m,2h` (units ms, s, m, h, d), as seconds."""
    found = []
    for item in names(text):
        number = item.rstrip("".join(DURATION_UNITS))
        unit = item[len(number) :]
        if unit not in DURATION_UNITS:
            raise ValueError(f"{item!r} is not a duration like 5s, 10m or 2h")
        try:
            found.append(float(number) * DURATION_UNITS[unit])
        except ValueError:
            raise ValueError(f"{item!r} is not a duration like 5s, 10m or 2h") from None
    if not found or any(seconds < 0 for seconds in found):
        raise ValueError("expected at least one duration, none negative")
    return tuple(found)


# --- the variables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable(Generic[T]):
    """One environment variable: its name, its default as text (as documented), how to read it."""

    name: str
    default: str
    parse: Callable[[str], T]
    doc: str
    shown_default: str | None = None
    """What the README shows as default when `default` alone does not say it."""

    def read(self, environ: Mapping[str, str] | None = None) -> T:
        raw = (os.environ if environ is None else environ).get(self.name)
        text = raw if raw is not None and raw.strip() != "" else self.default
        try:
            return self.parse(text)
        except ValueError as exc:
            raise SettingsError(f"{self.name}={raw!r}: {exc}.") from None


VARIABLES: dict[str, Variable[Any]] = {}


def variable(name: str, default: str, parse: Callable[[str], T], doc: str, shown: str | None = None) -> Variable[T]:
    declared = Variable(name, default, parse, doc, shown)
    VARIABLES[name] = declared
    return declared


DATABASE_URL = variable(
    "DATABASE_URL",
    "",
    url_of("postgresql", "postgres", "postgresql+asyncpg"),
    "the PostgreSQL primary; unset: an embedded server under `UPL_DATA_DIR`",
    "embedded server",
)
DATABASE_REPLICA_URLS = variable(
    "DATABASE_REPLICA_URLS",
    "",
    url_list("postgresql", "postgres", "postgresql+asyncpg"),
    "streaming replicas for read-only requests, comma-separated",
    "none",
)
UPL_REPLICA_MAX_LAG_MS = variable(
    "UPL_REPLICA_MAX_LAG_MS", "5000", whole(0), "a replica further behind (by LSN) leaves the rotation"
)
UPL_PGBOUNCER = variable(
    "UPL_PGBOUNCER",
    "0",
    flag,
    "`DATABASE_URL` is a PgBouncer in transaction mode: no prepared-statement cache, no startup settings",
)
DATABASE_LISTEN_URL = variable(
    "DATABASE_LISTEN_URL",
    "",
    url_of("postgresql", "postgres", "postgresql+asyncpg"),
    "a direct connection to the primary for `LISTEN` (past PgBouncer); unset with PgBouncer: no listener",
    "`DATABASE_URL` (none with PgBouncer)",
)
UPL_DATA_DIR = variable("UPL_DATA_DIR", "", optional_text, "data directory of the embedded server", "`.data/pg`")
UPL_DB_POOL_SIZE = variable(
    "UPL_DB_POOL_SIZE", "20", whole(1, 1000), "connections kept per process (as many again at peaks)"
)
UPL_STATEMENT_TIMEOUT_MS = variable(
    "UPL_STATEMENT_TIMEOUT_MS", "5000", whole(1), "longest one SQL statement may run (then `TIMEOUT`)"
)
REDIS_URL = variable(
    "REDIS_URL",
    "",
    url_of("redis", "rediss", "unix"),
    "Redis shared by all processes: rate limits, throttles, APQ, response cache (each falls back to "
    "the process while Redis is away)",
    "none (in process)",
)
UPL_ENV = variable("UPL_ENV", "demo", choice("demo", "production"), "`demo` or `production` (stricter defaults)")
UPL_SECRET_KEY = variable(
    "UPL_SECRET_KEY", "", text_value, "signs session cookies; production: 32+ random characters", "demo secret"
)
UPL_ANONYMOUS_ACCESS = variable(
    "UPL_ANONYMOUS_ACCESS", "", flag, "published data without a key", "on in demo, off in production"
)
UPL_ANONYMOUS_ORIGINS = variable(
    "UPL_ANONYMOUS_ORIGINS", "", names, "browser origins allowed to call without a key (CORS); `*` for any", "none"
)
UPL_SECURE_COOKIES = variable("UPL_SECURE_COOKIES", "", flag, "`Secure` cookies", "off in demo, on in production")
UPL_SESSION_MAX_AGE = variable("UPL_SESSION_MAX_AGE", "28800", whole(60), "staff session lifetime (s)")
UPL_TRUSTED_PROXIES = variable(
    "UPL_TRUSTED_PROXIES",
    "",
    networks,
    "addresses or CIDR networks of proxies whose `X-Forwarded-For`/`-Proto` are believed",
    "none",
)
UPL_PORTAL_URL = variable(
    "UPL_PORTAL_URL",
    "https://www.unternehmen-in-lichtenberg.de",
    url_of("http", "https"),
    "the portal's own pages (event links in feeds and JSON-LD)",
)
UPL_RESPONSE_CACHE = variable("UPL_RESPONSE_CACHE", "1", flag, "the response cache for public reads")
UPL_CACHE_MAX_AGE = variable("UPL_CACHE_MAX_AGE", "60", whole(0), "`Cache-Control: max-age` of public reads (s)")
UPL_CACHE_MAX_AGE_BY_FIELD = variable(
    "UPL_CACHE_MAX_AGE_BY_FIELD", "", field_ages, "per root field, e.g. `events=30,ortsteile=86400`", "none"
)
UPL_PLANNER = variable("UPL_PLANNER", "1", flag, "answer plannable reads with one SQL statement")
UPL_RATE_LIMIT = variable("UPL_RATE_LIMIT", "1", flag, "cost-point budgets per caller and minute")
UPL_LOG_FORMAT = variable(
    "UPL_LOG_FORMAT", "json", choice("json", "console"), "one JSON object per line, or `console` for people"
)
UPL_LOG_LEVEL = variable("UPL_LOG_LEVEL", "info", choice("debug", "info", "warning", "error"), "lowest level logged")
UPL_METRICS_TOKEN = variable(
    "UPL_METRICS_TOKEN",
    "",
    optional_text,
    "bearer token of `/metrics` on the API port; unset: not served there",
    "none",
)
UPL_METRICS_PORT = variable(
    "UPL_METRICS_PORT", "", optional_port, "also serve `/metrics` (no token) on this port", "none"
)
PROMETHEUS_MULTIPROC_DIR = variable(
    "PROMETHEUS_MULTIPROC_DIR",
    "",
    optional_text,
    "where worker processes share their metrics (prometheus-client); `upl serve --workers N` makes one",
    "a new temporary directory",
)
OTEL_EXPORTER_OTLP_ENDPOINT = variable(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "",
    url_of("http", "https"),
    "OpenTelemetry collector (OTLP/HTTP): traces on; the SDK's other `OTEL_*` variables apply",
    "none (no traces)",
)
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = variable(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", url_of("http", "https"), "the same, for traces only", "none"
)
OTEL_SERVICE_NAME = variable("OTEL_SERVICE_NAME", "upl-graphql", text_value, "the service name on the traces")
UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION = variable(
    "UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION", "20", whole(1, 1000), "operations one WebSocket connection may run at once"
)
UPL_WEBHOOKS = variable("UPL_WEBHOOKS", "1", flag, "this process sends webhook deliveries (a dispatcher)")
UPL_WEBHOOK_RETRY_SCHEDULE = variable(
    "UPL_WEBHOOK_RETRY_SCHEDULE",
    "5s,15s,30s,5m,30m,2h,5h,8h,8h",
    durations,
    "waits between a webhook delivery's attempts (±20 % jitter); after the last, the delivery is FAILED",
)
UPL_WEBHOOK_TIMEOUT_SECONDS = variable(
    "UPL_WEBHOOK_TIMEOUT_SECONDS", "10", whole(1, 60), "how long one webhook attempt may take, connecting included"
)
UPL_WEBHOOK_DISABLE_AFTER_HOURS = variable(
    "UPL_WEBHOOK_DISABLE_AFTER_HOURS", "24", whole(1), "an endpoint whose every attempt failed this long is disabled"
)
UPL_WEBHOOK_ALLOW_PRIVATE = variable(
    "UPL_WEBHOOK_ALLOW_PRIVATE",
    "0",
    flag,
    "webhooks may go to private, loopback and link-local addresses, and there over plain `http`",
)
UPL_MAX_SUBSCRIPTIONS_PER_KEY = variable(
    "UPL_MAX_SUBSCRIPTIONS_PER_KEY",
    "100",
    whole(1, 100000),
    "subscriptions one key, account or (anonymous) address may run at once on one instance",
)
UPL_SUBSCRIPTION_IDLE_SECONDS = variable(
    "UPL_SUBSCRIPTION_IDLE_SECONDS", "300", whole(1), "a WebSocket that runs no subscription this long is closed"
)
HOST = variable("HOST", "127.0.0.1", text_value, "address `upl serve` binds")
PORT = variable("PORT", "8000", whole(1, 65535), "port `upl serve` listens on")


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Read every declared variable: one `SettingsError` listing every wrong value."""
    problems = []
    for declared in VARIABLES.values():
        try:
            declared.read(environ)
        except SettingsError as exc:
            problems.append(str(exc))
    if problems:
        raise SettingsError("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    environment: str = "demo"
    secret_key: str = DEMO_SECRET
    anonymous_access: bool = True
    session_max_age: int = 8 * 3600
    secure_cookies: bool = False
    response_cache: bool = True
    rate_limit: bool = True
    """Cost-point budgets per caller and minute (web/limits.py); `UPL_RATE_LIMIT=0` turns them off."""
    planner: bool = True
    """Answer plannable reads with one SQL statement (schema/core/planner.py); `UPL_PLANNER=0` turns it off."""
    cache_max_age: int = 60
    """`Cache-Control: max-age` of public reads; the change feed is never cached."""
    cache_max_age_by_field: tuple[tuple[str, int], ...] = ()
    """Per root field, e.g. `UPL_CACHE_MAX_AGE_BY_FIELD=events=30,ortsteile=86400`; a response gets
    the smallest max-age of its root fields."""
    redis_url: str | None = None
    anonymous_origins: tuple[str, ...] = ()
    """Browser origins allowed to call without a key (CORS); `*` for any."""
    portal_url: str = "https://www.unternehmen-in-lichtenberg.de"
    """Where the portal's own pages are (event links in feeds and JSON-LD)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) of reverse proxies whose `X-Forwarded-For`/`-Proto` are
    believed; empty: the client address is the connection's, whatever headers say."""
    replica_urls: tuple[str, ...] = ()
    """Streaming replicas that answer read-only requests (db/replicas.py)."""
    replica_max_lag_ms: int = 5000
    metrics_token: str | None = None
    """`/metrics` answers only `Authorization: Bearer <token>`; None: not served on the API port."""
    webhooks: bool = True
    """This process runs a webhook dispatcher (web/webhooks.py)."""
    webhook_retry_schedule: tuple[float, ...] = (5, 15, 30, 300, 1800, 7200, 18000, 28800, 28800)
    webhook_timeout_seconds: int = 10
    webhook_disable_after_hours: int = 24
    webhook_allow_private: bool = False

    def max_age_for(self, root_fields: frozenset[str]) -> int:
        """The smallest max-age over an operation's root fields."""
        by_field = dict(self.cache_max_age_by_field)
        ages = [by_field.get(field, self.cache_max_age) for field in root_fields if not field.startswith("__")]
        return min(ages, default=self.cache_max_age)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environment = UPL_ENV.read(environ)
        production = environment == "production"
        anonymous, secure = UPL_ANONYMOUS_ACCESS.read(environ), UPL_SECURE_COOKIES.read(environ)
        return cls(
            environment=environment,
            secret_key=UPL_SECRET_KEY.read(environ) or ("" if production else DEMO_SECRET),
            anonymous_access=(not production) if anonymous is None else anonymous,
            session_max_age=UPL_SESSION_MAX_AGE.read(environ),
            secure_cookies=production if secure is None else secure,
            response_cache=bool(UPL_RESPONSE_CACHE.read(environ)),
            planner=bool(UPL_PLANNER.read(environ)),
            rate_limit=bool(UPL_RATE_LIMIT.read(environ)),
            cache_max_age=UPL_CACHE_MAX_AGE.read(environ),
            cache_max_age_by_field=UPL_CACHE_MAX_AGE_BY_FIELD.read(environ),
            redis_url=REDIS_URL.read(environ),
            anonymous_origins=UPL_ANONYMOUS_ORIGINS.read(environ),
            portal_url=str(UPL_PORTAL_URL.read(environ)).rstrip("/"),
            trusted_proxies=UPL_TRUSTED_PROXIES.read(environ),
            replica_urls=DATABASE_REPLICA_URLS.read(environ),
            replica_max_lag_ms=UPL_REPLICA_MAX_LAG_MS.read(environ),
            metrics_token=UPL_METRICS_TOKEN.read(environ),
            webhooks=bool(UPL_WEBHOOKS.read(environ)),
            webhook_retry_schedule=UPL_WEBHOOK_RETRY_SCHEDULE.read(environ),
            webhook_timeout_seconds=UPL_WEBHOOK_TIMEOUT_SECONDS.read(environ),
            webhook_disable_after_hours=UPL_WEBHOOK_DISABLE_AFTER_HOURS.read(environ),
            webhook_allow_private=bool(UPL_WEBHOOK_ALLOW_PRIVATE.read(environ)),
        )

    def check(self) -> None:
        """Refuse what a production deployment must not run with."""
        if not self.production:
            return
        if self.secret_key == DEMO_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"UPL_ENV=production needs UPL_SECRET_KEY: a random secret of at least {MIN_SECRET_LENGTH} "
                "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )


def markdown_table() -> str:
    """The README's settings table, derived from the declarations (a test keeps them equal)."""
    rows = ["| variable | default | what it sets |", "|---|---|---|"]
    for declared in VARIABLES.values():
        default = declared.shown_default or (f"`{declared.default}`" if declared.default else "none")
        rows.append(f"| `{declared.name}` | {default} | {declared.doc} |")
    return "\n".join(rows)
