"""Deployment settings, read once from the environment.

`UPL_ENV=demo` (the default, what `make run` uses) allows anonymous reads and a built-in
session secret; `UPL_ENV=production` refuses to start with a default or short secret, and
with an account that still has the demo password (see `Settings.check`).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

DEMO_SECRET = "upl-demo-secret-do-not-use-in-production"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "lichtenberg-demo"
MIN_SECRET_LENGTH = 32


class SettingsError(RuntimeError):
    """A setting that a production deployment must not run with."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _field_ages(text: str) -> tuple[tuple[str, int], ...]:
    ages = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        field, _, seconds = item.partition("=")
        if not seconds.strip().isdigit():
            raise SettingsError(f"UPL_CACHE_MAX_AGE_BY_FIELD: {item!r} is not FIELD=SECONDS.")
        ages.append((field.strip(), int(seconds)))
    return tuple(ages)


def _trusted_proxies(text: str) -> tuple[str, ...]:
    proxies = tuple(part.strip() for part in text.split(",") if part.strip())
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError as exc:
            raise SettingsError(f"UPL_TRUSTED_PROXIES: {proxy!r} is not an IP address or network.") from exc
    return proxies


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

    def max_age_for(self, root_fields: frozenset[str]) -> int:
        """The smallest max-age over an operation's root fields."""
        by_field = dict(self.cache_max_age_by_field)
        ages = [by_field.get(field, self.cache_max_age) for field in root_fields if not field.startswith("__")]
        return min(ages, default=self.cache_max_age)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls) -> Settings:
        environment = os.environ.get("UPL_ENV", "demo").strip().lower() or "demo"
        if environment not in {"demo", "production"}:
            raise SettingsError(f"UPL_ENV must be 'demo' or 'production', not {environment!r}.")
        production = environment == "production"
        return cls(
            environment=environment,
            secret_key=os.environ.get("UPL_SECRET_KEY") or ("" if production else DEMO_SECRET),
            anonymous_access=_flag("UPL_ANONYMOUS_ACCESS", default=not production),
            session_max_age=int(os.environ.get("UPL_SESSION_MAX_AGE", str(8 * 3600))),
            secure_cookies=_flag("UPL_SECURE_COOKIES", default=production),
            response_cache=_flag("UPL_RESPONSE_CACHE", default=True),
            planner=_flag("UPL_PLANNER", default=True),
            rate_limit=_flag("UPL_RATE_LIMIT", default=True),
            cache_max_age=int(os.environ.get("UPL_CACHE_MAX_AGE", "60")),
            cache_max_age_by_field=_field_ages(os.environ.get("UPL_CACHE_MAX_AGE_BY_FIELD", "")),
            redis_url=os.environ.get("REDIS_URL") or None,
            anonymous_origins=tuple(
                o.strip() for o in os.environ.get("UPL_ANONYMOUS_ORIGINS", "").split(",") if o.strip()
            ),
            portal_url=os.environ.get("UPL_PORTAL_URL", "https://www.unternehmen-in-lichtenberg.de").rstrip("/"),
            trusted_proxies=_trusted_proxies(os.environ.get("UPL_TRUSTED_PROXIES", "")),
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
