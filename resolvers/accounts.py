"""Accounts, API keys and sessions: who is calling, and how they proved it.

Passwords are hashed with Argon2 (`argon2-cffi`). API keys and session tokens are long random
strings, so a SHA-256 of them is enough to store (and lets a request be authenticated with one
indexed lookup); only a key's visible prefix is kept in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from db import models
from db.enums import Role
from resolvers.base import Entity
from resolvers.errors import quoted
from resolvers.pagination import Direction, Ordering, OrderKey
from resolvers.viewer import STAFF_ROLES, Viewer

users = models.table_of(models.User)
api_keys = models.table_of(models.ApiKey)
sessions = models.table_of(models.Session)
audit_log = models.table_of(models.AuditEntry)

KEY_PREFIX = "upl_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def constant_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- passwords and users --------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (a dummy hash is checked instead)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class AccountError(ValueError):
    """A request about accounts or keys that cannot be carried out (shown to the caller)."""


def check_password(password: str) -> None:
    if len(password) < 12:
        raise AccountError("Passwords need at least 12 characters.")


async def create_user(engine: AsyncEngine, username: str, password: str, role: Role) -> int:
    if role not in STAFF_ROLES:
        raise AccountError("Accounts are STAFF or ADMIN.")
    check_password(password)
    async with engine.begin() as connection:
        taken = await connection.scalar(select(users.c.id).where(users.c.username == username))
        if taken is not None:
            raise AccountError(f"The username {quoted(username)} is taken.")
        user_id: int = await connection.scalar(
            insert(users)
            .values(username=username, password_hash=hash_password(password), role=role)
            .returning(users.c.id)
        )
    return user_id


async def set_password(engine: AsyncEngine, username: str, password: str) -> None:
    check_password(password)
    async with engine.begin() as connection:
        result = await connection.execute(
            update(users).where(users.c.username == username).values(password_hash=hash_password(password))
        )
        if result.rowcount != 1:
            raise AccountError(f"No user {quoted(username)}.")
        # a new password ends every session of the account
        await connection.execute(
            delete(sessions).where(sessions.c.user_id == select(users.c.id).where(users.c.username == username))
        )


async def user_with_password(engine: AsyncEngine, username: str, password: str) -> Any | None:
    """The enabled user with this username and password, else None (no hint which was wrong)."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(select(users).where(users.c.username == username, users.c.disabled_at.is_(None)))
        ).first()
    return row if password_matches(row.password_hash if row else None, password) else None


async def users_with_password(engine: AsyncEngine, password: str) -> list[str]:
    """Usernames whose password is `password` (production refuses to start with the demo one)."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(users.c.username, users.c.password_hash))).all()
    return [row.username for row in rows if password_matches(row.password_hash, password)]


# --- API keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewKey:
    id: int
    prefix: str
    key: str
    """The key itself: shown once, never stored."""


async def create_key(
    engine: AsyncEngine,
    name: str,
    role: Role,
    username: str | None = None,
    origins: Sequence[str] = (),
    trusted_documents_only: bool = False,
    gateway: bool = False,
) -> NewKey:
    if role is Role.ANONYMOUS:
        raise AccountError("A key cannot have the role ANONYMOUS.")
    if not name.strip():
        raise AccountError("A key needs a name.")
    for origin in origins:
        if not origin.startswith(("https://", "http://")) or origin.rstrip("/") != origin or origin.count("/") != 2:
            raise AccountError(f"{quoted(origin)} is not an origin like https://partner.example.")
    async with engine.begin() as connection:
        user_id = None
        if username is not None:
            user = (
                await connection.execute(select(users.c.id, users.c.role).where(users.c.username == username))
            ).first()
            if user is None:
                raise AccountError(f"No user {quoted(username)}.")
            if role is Role.ADMIN and user.role is not Role.ADMIN:
                raise AccountError("Only an admin's key can have the role ADMIN.")
            user_id = user.id
        elif role in STAFF_ROLES:
            raise AccountError("A STAFF or ADMIN key is a personal token: name its user with --user.")
        prefix = KEY_PREFIX + secrets.token_hex(4)
        key = f"{prefix}_{secrets.token_urlsafe(32)}"
        key_id: int = await connection.scalar(
            insert(api_keys)
            .values(
                prefix=prefix,
                key_hash=sha256(key),
                name=name.strip(),
                role=role,
                user_id=user_id,
                origins=list(origins),
                trusted_documents_only=trusted_documents_only,
                gateway=gateway,
            )
            .returning(api_keys.c.id)
        )
    return NewKey(id=key_id, prefix=prefix, key=key)


async def list_keys(engine: AsyncEngine, key_id: int | None = None) -> list[Any]:
    """All keys (or the one with `key_id`), with their user's name."""
    statement = (
        select(api_keys, users.c.username)
        .select_from(api_keys.outerjoin(users, users.c.id == api_keys.c.user_id))
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    if key_id is not None:
        statement = statement.where(api_keys.c.id == key_id)
    async with engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def revoke_key(engine: AsyncEngine, prefix: str) -> Any:
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                update(api_keys)
                .where(api_keys.c.prefix == prefix)
                .values(revoked_at=func.coalesce(api_keys.c.revoked_at, func.now()))
                .returning(api_keys)
            )
        ).first()
    if row is None:
        raise AccountError(f"No key with the prefix {quoted(prefix)}.")
    return row


async def viewer_for_key(engine: AsyncEngine, key: str) -> Viewer | None:
    """The viewer a bearer key stands for; None when it is unknown, revoked or its user disabled."""
    statement = (
        select(api_keys, users.c.username, users.c.disabled_at)
        .select_from(api_keys.outerjoin(users, users.c.id == api_keys.c.user_id))
        .where(api_keys.c.key_hash == sha256(key), api_keys.c.revoked_at.is_(None))
    )
    async with engine.connect() as connection:
        row = (await connection.execute(statement)).first()
        if row is None or row.disabled_at is not None:
            return None
        now = dt.datetime.now(dt.UTC)
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            # at most one write a minute per key, not one per request
            await connection.execute(update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now))
            await connection.commit()
    return Viewer(
        role=row.role,
        user_id=row.user_id,
        username=row.username,
        api_key_id=row.id,
        api_key_prefix=row.prefix,
        origins=tuple(row.origins),
        trusted_documents_only=row.trusted_documents_only,
        gateway=row.gateway,
    )


# --- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str


async def create_session(engine: AsyncEngine, user_id: int, max_age: int) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    async with engine.begin() as connection:
        await connection.execute(delete(sessions).where(sessions.c.expires_at < func.now()))
        await connection.execute(
            insert(sessions).values(
                token_hash=sha256(token),
                user_id=user_id,
                csrf_token=csrf,
                expires_at=func.now() + dt.timedelta(seconds=max_age),
            )
        )
    return NewSession(token=token, csrf_token=csrf)


async def viewer_for_session(engine: AsyncEngine, token: str) -> Viewer | None:
    statement = (
        select(sessions.c.csrf_token, users.c.id, users.c.username, users.c.role)
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(
            sessions.c.token_hash == sha256(token), sessions.c.expires_at > func.now(), users.c.disabled_at.is_(None)
        )
    )
    async with engine.connect() as connection:
        row = (await connection.execute(statement)).first()
    if row is None:
        return None
    return Viewer(role=row.role, user_id=row.id, username=row.username, csrf_token=row.csrf_token)


async def end_session(engine: AsyncEngine, token: str) -> int:
    """End one session; how many ended (0 or 1)."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(sessions).where(sessions.c.token_hash == sha256(token)))
    return int(result.rowcount)


async def end_sessions(engine: AsyncEngine, by: Viewer, user_id: int | None = None) -> int:
    """End every session of an account (`by`'s own when `user_id` is None); audited."""
    target = by.user_id if user_id is None else user_id
    async with engine.begin() as connection:
        result = await connection.execute(delete(sessions).where(sessions.c.user_id == target))
        ended = int(result.rowcount)
        await connection.execute(
            insert(audit_log).values(
                user_id=by.user_id,
                api_key_id=by.api_key_id,
                actor=by.label,
                action="sessions_end",
                object_type="User",
                object_id=target,
                changes={"endedSessions": [None, ended]},
            )
        )
    return ended


async def record_login_throttled(engine: AsyncEngine, username: str, address: str, failures: int) -> None:
    """Tell admins (audit log) that logins to an account are being delayed after failures."""
    async with engine.begin() as connection:
        user_id = await connection.scalar(select(users.c.id).where(users.c.username == username))
        if user_id is None:
            return  # no such account: nothing to lock out
        await connection.execute(
            insert(audit_log).values(
                actor="login throttle",
                action="login_throttled",
                object_type="User",
                object_id=user_id,
                changes={"address": [None, address], "failures": [None, failures]},
            )
        )


# --- the audit log, as a list ---------------------------------------------------------------


def audit_entity() -> Entity:
    """The audit log as an `Entity`: newest first, keyset-paginated like every list."""
    return Entity(
        name="AuditEntry",
        table=audit_log,
        orderings={"AT": Ordering("AT", (OrderKey(audit_log.c.at), OrderKey(audit_log.c.id)))},
        default_ordering="AT",
        default_direction=Direction.DESC,
        has_slug=False,
    )


def audit_conditions(
    user_id: int | None, object_type: str | None, object_id: int | None, since: Any, until: Any
) -> list[Any]:
    conditions: list[Any] = []
    if user_id is not None:
        conditions.append(audit_log.c.user_id == user_id)
    if object_type is not None:
        conditions.append(audit_log.c.object_type == object_type)
    if object_id is not None:
        conditions.append(audit_log.c.object_id == object_id)
    if since is not None:
        conditions.append(audit_log.c.at >= since)
    if until is not None:
        conditions.append(audit_log.c.at < until)
    return conditions


async def list_users(engine: AsyncEngine, username: str | None = None) -> list[Any]:
    """All accounts (or the one named `username`)."""
    statement = select(users).order_by(users.c.username)
    if username is not None:
        statement = statement.where(users.c.username == username)
    async with engine.connect() as connection:
        return list((await connection.execute(statement)).all())
