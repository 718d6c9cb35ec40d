"""Who is calling (API keys, staff sessions), and login/logout.

* `Authorization: Bearer KEY` authenticates a partner, newsletter, staff or admin key.
* `POST /auth/login` checks a staff account's password (Argon2) and sets the session cookie: a
  random token signed with the deployment's secret (itsdangerous), `HttpOnly`, `SameSite=Lax`,
  with an expiry; the database keeps only its SHA-256. A login ends the session the browser
  held before. A mutation sent with the cookie also needs the session's CSRF token in
  `X-CSRF-Token` (the explorer page sends it). Login and logout are same-origin only (`Origin`,
  `Sec-Fetch-Site`), so no other site can log a browser into an account of its choosing.
* Failures are throttled, never successes: a valid key or password is checked first and is not
  refused for anyone else's failures. Unknown keys are throttled per client address, wrong
  passwords per (username, address), or per device for a browser that has logged in to that
  account before (OWASP's device cookies), so nobody can lock a colleague out. After a few free
  failures each further one closes that door for a growing delay (`Throttle`); the moment an
  account's door closes is written to the audit log.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from db.enums import Role
from db.generations import GenerationWatcher
from resolvers import accounts
from resolvers.viewer import ANONYMOUS, Viewer
from settings import Settings
from web import cors, requests
from web.errors import Refusal
from web.shared import SharedRedis

SESSION_COOKIE = "upl_session"
CSRF_HEADER = "x-csrf-token"
WRONG_CREDENTIALS = "Unknown, revoked or wrong credentials."
DEVICE_COOKIE = "upl_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
URL_KEY_ROLES = frozenset({Role.PARTNER, Role.NEWSLETTER})
"""Keys a URL may carry (`?key=` of the iCalendar feed): read-only ones."""


@dataclass(frozen=True)
class Policy:
    """Growing delays: `free` failures cost nothing, then each closes the door for `base` * 2^k
    seconds (up to `cap`); `forget` seconds without a failure start afresh."""

    free: int
    base: float
    cap: int
    forget: int

    def delay(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        return int(min(self.cap, self.base * 2 ** min(failures - self.free - 1, 32)))


UNKNOWN_KEYS = Policy(free=20, base=1, cap=300, forget=900)
"""Per client address."""
WRONG_PASSWORDS = Policy(free=5, base=1, cap=900, forget=3600)
"""Per (username, client address), or per device cookie."""


class Throttle:
    """Failed attempts per key, with the delays of a `Policy`; in Redis when `shared` is given
    (shared by every worker and instance), else, and while Redis is away, in this process (bounded)."""

    MAX_MEMORY_KEYS = 100_000

    def __init__(
        self, shared: SharedRedis | None = None, prefix: str = "upl-throttle:", clock: Callable[[], float] = time.time
    ) -> None:
        self.prefix, self.clock, self.shared = prefix, clock, shared
        self.memory: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        """key -> (failures, closed until, forgotten at), in `time.time()` seconds."""

    async def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again (0: now)."""
        if self.shared is None:
            return await self._memory_retry_after(key)

        async def in_redis() -> int:
            assert self.shared is not None
            until = await self.shared.client.hget(self.prefix + key, "until")
            return max(0, math.ceil((float(until) if until is not None else 0.0) - self.clock()))

        return await self.shared.run(in_redis, lambda: self._memory_retry_after(key))

    async def fail(self, policy: Policy, key: str) -> int:
        """Count a failure; the number of failures in a row so far."""
        if self.shared is None:
            return await self._memory_fail(policy, key)

        async def in_redis() -> int:
            assert self.shared is not None
            redis = self.shared.client
            async with redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(self.prefix + key, "failures", 1)
                pipe.expire(self.prefix + key, policy.forget)
                failures = int((await pipe.execute())[0])
            if delay := policy.delay(failures):
                await redis.hset(self.prefix + key, "until", self.clock() + delay)
            return failures

        return await self.shared.run(in_redis, lambda: self._memory_fail(policy, key))

    async def clear(self, key: str) -> None:
        self.memory.pop(key, None)
        if self.shared is not None:
            shared = self.shared

            async def in_redis() -> None:
                await shared.client.delete(self.prefix + key)

            await shared.attempt(in_redis)

    async def _memory_retry_after(self, key: str) -> int:
        _, closed_until, forget_at = self.memory.get(key, (0, 0.0, 0.0))
        if forget_at < self.clock():
            self.memory.pop(key, None)
            return 0
        return max(0, math.ceil(closed_until - self.clock()))

    async def _memory_fail(self, policy: Policy, key: str) -> int:
        now = self.clock()
        previous, _, forget_at = self.memory.get(key, (0, 0.0, 0.0))
        failures = (previous if forget_at >= now else 0) + 1
        self.memory[key] = (failures, now + policy.delay(failures), now + policy.forget)
        self.memory.move_to_end(key)
        while len(self.memory) > self.MAX_MEMORY_KEYS:
            self.memory.popitem(last=False)
        return failures


def throttled(retry: int) -> Refusal:
    return Refusal(
        429, "RATE_LIMITED", f"Too many failed attempts: try again in {retry} s.", {"Retry-After": str(retry)}
    )


class KeyViewers:
    """The viewers of the bearer keys this process has seen, by key hash: a keyed request costs
    no statement for its key.

    An entry holds while `api_keys` and `users` are at the generations it was read at (every
    change but a last use bumps them, migration 0008, and each process hears of it from its
    change notifications) and for at most `accounts.LAST_USED_RESOLUTION`, after which the
    lookup, which records the last use, runs again. While the notifications are down every
    request looks its key up. Unknown keys are never remembered (they are throttled instead).
    """

    def __init__(self, generations: GenerationWatcher, max_entries: int = 10_000) -> None:
        self.generations = generations
        self.max_entries = max_entries
        self.ttl = accounts.LAST_USED_RESOLUTION.total_seconds()
        self.entries: OrderedDict[str, tuple[tuple[int, int], float, Viewer]] = OrderedDict()

    def stamp(self) -> tuple[int, int]:
        values = self.generations.values
        return values.get("api_keys", 0), values.get("users", 0)

    async def viewer(self, engine: AsyncEngine, key: str) -> Viewer | None:
        if not self.generations.synced:
            return await accounts.viewer_for_key(engine, key)
        digest, stamp, now = accounts.sha256(key), self.stamp(), time.monotonic()
        found = self.entries.get(digest)
        if found is not None and found[0] == stamp and now - found[1] < self.ttl:
            return found[2]
        viewer = await accounts.viewer_for_key(engine, key)  # read after the stamp: a change meanwhile moves it on
        if viewer is None:
            self.entries.pop(digest, None)
            return None
        self.entries[digest] = (stamp, now, viewer)
        self.entries.move_to_end(digest)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return viewer


def client_address(request: HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"


def settings_of(request: HTTPConnection) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def signer(request: HTTPConnection) -> TimestampSigner:
    return TimestampSigner(settings_of(request).secret_key, salt="upl-session")


async def session_viewer(request: HTTPConnection) -> Viewer | None:
    if requests.header(request, "cookie") is None:
        return None  # most calls (every keyed and anonymous one): no cookie to parse
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        token = signer(request).unsign(cookie, max_age=settings_of(request).session_max_age).decode()
    except BadSignature:
        return None
    if "\x00" in token:
        return None
    return await accounts.viewer_for_session(request.app.state.engine, token)


async def authenticate(
    request: HTTPConnection, query_key: str | None = None, authorization: str | None = None
) -> Viewer:
    """The caller: a bearer key, else a session cookie, else anonymous (if the deployment allows).

    `query_key` is a key passed in the URL (`?key=`), for calendar apps that cannot send headers;
    `authorization` an `Authorization` value sent otherwise (a WebSocket's `connection_init`).
    """
    header = authorization or requests.header(request, "authorization")
    in_url = header is None and bool(query_key)
    if in_url:
        header = f"Bearer {query_key}"
    if header is not None:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Refusal(401, "UNAUTHENTICATED", "Send the API key as `Authorization: Bearer KEY`.")
        viewer = await request.app.state.key_viewers.viewer(request.app.state.engine, key.strip())
        if viewer is not None and in_url and viewer.role not in URL_KEY_ROLES:
            # URLs end up in access logs, proxies and browser histories: no keys that can write there
            raise Refusal(
                403,
                "FORBIDDEN",
                "Only partner and newsletter keys may be sent in a URL; send this key as "
                "`Authorization: Bearer KEY` (and have it replaced: it has been in a URL).",
            )
        if viewer is not None:
            return viewer  # a valid key is never refused for other callers' failures
        throttle: Throttle = request.app.state.throttle
        door = f"key:{client_address(request)}"
        if retry := await throttle.retry_after(door):
            raise throttled(retry)
        await throttle.fail(UNKNOWN_KEYS, door)
        raise Refusal(401, "UNAUTHENTICATED", WRONG_CREDENTIALS, {"WWW-Authenticate": "Bearer"})
    viewer = await session_viewer(request)
    if viewer is not None:
        return viewer
    if not settings_of(request).anonymous_access:
        raise Refusal(
            401,
            "UNAUTHENTICATED",
            "This deployment needs an API key: `Authorization: Bearer KEY`.",
            {"WWW-Authenticate": "Bearer"},
        )
    return ANONYMOUS


def csrf_ok(request: Request, viewer: Viewer) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    return sent is not None and viewer.csrf_token is not None and accounts.constant_equal(sent, viewer.csrf_token)


def csrf_refusal() -> Refusal:
    return Refusal(
        403, "FORBIDDEN", "A mutation sent with a session cookie needs the `X-CSRF-Token` header of that session."
    )


# --- login and logout -----------------------------------------------------------------------


async def login_form(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(await request.body())
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return dict(await request.form())
    return {}


def cross_site(request: Request) -> bool:
    """Did another site make the browser send this request (login CSRF)? Browsers send `Origin`
    with every POST and `Sec-Fetch-Site` with every request; clients without them are no browsers."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in {"same-origin", "none"}:
        return True
    origin = request.headers.get("origin")
    return origin is not None and origin != cors.own_origin(request)


def cross_site_refusal(action: str) -> Response:
    return Refusal(403, "FORBIDDEN", f"{action} only from this service's own pages.").response()


def device_signer(request: Request) -> TimestampSigner:
    return TimestampSigner(settings_of(request).secret_key, salt="upl-device")


def login_door(request: Request, username: str) -> str:
    """The throttle key of a login attempt: the browser's device cookie for this account if it has
    logged in to it before, else (username, client address)."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if cookie:
        try:
            device = device_signer(request).unsign(cookie, max_age=DEVICE_MAX_AGE).decode()
        except BadSignature:
            device = ""
        owner, _, nonce = device.partition(":")
        if nonce and owner == username:
            return f"device:{nonce}"
    return f"login:{username}:{client_address(request)}"


def has_nul(*values: str) -> bool:
    return any("\x00" in value for value in values)


async def login(request: Request) -> Response:
    if cross_site(request):
        return cross_site_refusal("Log in")
    form = await login_form(request)
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return Refusal(400, "BAD_REQUEST", "Send `username` and `password` (form fields or JSON).").response()
    if has_nul(username, password):
        return Refusal(400, "BAD_REQUEST", "`username` and `password` cannot contain NUL characters.").response()
    username = username.strip().lower()
    engine = request.app.state.engine
    throttle: Throttle = request.app.state.throttle
    door = login_door(request, username)
    if retry := await throttle.retry_after(door):
        return throttled(retry).response()  # this door is closed for a while: the password is not tried
    user = await accounts.user_with_password(engine, username, password)
    if user is None:
        failures = await throttle.fail(WRONG_PASSWORDS, door)
        if failures == WRONG_PASSWORDS.free + 1:
            await accounts.record_login_throttled(engine, username, client_address(request), failures)
        return Refusal(401, "UNAUTHENTICATED", WRONG_CREDENTIALS).response()
    await throttle.clear(door)
    settings = settings_of(request)
    if (previous := session_token(request)) is not None:
        await accounts.end_session(engine, previous)  # a login replaces the session it finds
    session = await accounts.create_session(engine, user.id, settings.session_max_age)
    response = JSONResponse({"username": user.username, "role": user.role.value, "csrfToken": session.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        signer(request).sign(session.token).decode(),
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    if not door.startswith("device:"):
        device = device_signer(request).sign(f"{user.username}:{secrets.token_urlsafe(16)}").decode()
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/auth",
        )
    return response


def session_token(request: HTTPConnection) -> str | None:
    """The (unexpired or not) session token of the request's cookie, if it is signed by us."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return signer(request).unsign(cookie).decode()
    except BadSignature:
        return None


async def logout(request: Request) -> Response:
    """End this session, or with `{"everywhere": true}` (or the form field) every session of its user."""
    if cross_site(request):
        return cross_site_refusal("Log out")
    token = session_token(request)
    ended = 0
    if token:
        form = await login_form(request)
        everywhere = form.get("everywhere") in (True, "1", "true", "on")
        if everywhere and (viewer := await accounts.viewer_for_session(request.app.state.engine, token)):
            ended = await accounts.end_sessions(request.app.state.engine, viewer)
        else:
            ended = await accounts.end_session(request.app.state.engine, token)
    response = JSONResponse({"loggedOut": True, "endedSessions": ended})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
