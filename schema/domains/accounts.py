"""The admin domain: accounts, API keys and the audit log (all `@tag(name: "admin")`).

The same operations exist on the command line (`upl users ...`, `upl keys ...`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db.enums import Role
from resolvers import accounts
from resolvers.accounts import AccountError
from resolvers.errors import UserInputError
from resolvers.pagination import page_args
from schema.core.connections import Connection, natural_connection
from schema.core.context import InfoT, berlin_time
from schema.core.domain import Domain
from schema.core.editing import UserError
from schema.core.ids import decode_id, decode_optional, encode_id
from schema.core.permissions import ADMIN_ONLY, STAFF_ONLY
from schema.core.values import expose

expose(
    Role,
    "Who a caller is: decides what may be read and written.",
    ANONYMOUS="No key, no session: published data only.",
    PARTNER="A partner site's key: published data, read-only.",
    NEWSLETTER="A newsletter tool's key: events and what they link to, read-only.",
    STAFF="Staff of the office: all portal data, read and write.",
    ADMIN="As staff, plus accounts, keys and the audit log.",
)

AUDIT = accounts.audit_entity()


@strawberry.type(description="A staff or admin account.")
class User:
    id: strawberry.ID = strawberry.field(description="Global ID of the account.")
    username: str = strawberry.field(description="The name to log in with (lower case).")
    role: Role = strawberry.field(description="STAFF or ADMIN.")
    created_at: dt.datetime
    disabled: bool = strawberry.field(description="Disabled accounts cannot log in; their keys stop working.")

    @staticmethod
    def of(row: Any) -> User:
        return User(
            id=strawberry.ID(encode_id("User", row.id)),
            username=row.username,
            role=row.role,
            created_at=berlin_time(row.created_at),  # type: ignore[arg-type]
            disabled=row.disabled_at is not None,
        )


@strawberry.type(description="An API key; the key itself is shown only once, when it is created.")
class ApiKey:
    prefix: str = strawberry.field(description="The visible start of the key, which names it.")
    name: str = strawberry.field(description="What the key is for, e.g. the partner site's name.")
    role: Role = strawberry.field(description="What the key may read and write.")
    username: str | None = strawberry.field(description="The account of a personal staff/admin token.")
    origins: list[str] = strawberry.field(description="Browser origins allowed to send the key (CORS).")
    gateway: bool = strawberry.field(
        description="A federation gateway's key: `_entities` takes up to 10,000 representations (else 100)."
    )
    created_at: dt.datetime
    last_used_at: dt.datetime | None = strawberry.field(description="When the key was last used (to the minute).")
    revoked_at: dt.datetime | None = strawberry.field(description="When the key was revoked; null: it is valid.")

    @staticmethod
    def of(row: Any, username: str | None = None) -> ApiKey:
        return ApiKey(
            prefix=row.prefix,
            name=row.name,
            role=row.role,
            username=getattr(row, "username", username),
            origins=list(row.origins),
            gateway=row.gateway,
            created_at=berlin_time(row.created_at),  # type: ignore[arg-type]
            last_used_at=berlin_time(row.last_used_at),
            revoked_at=berlin_time(row.revoked_at),
        )


@strawberry.type(description="One write: who, when, which object, which fields changed ([old, new]).")
class AuditEntry:
    at: dt.datetime = strawberry.field(description="When the write was committed.")
    actor: str = strawberry.field(description="Who wrote: the account (and key), or what did it.")
    action: str = strawberry.field(
        description="What was done, e.g. create, update, publish, network_add, sessions_end."
    )
    object_type: str = strawberry.field(description="The type of the object written.")
    object_id: strawberry.ID = strawberry.field(description="The global ID of the object written.")
    changes: JSON = strawberry.field(description="Per changed field, [old value, new value].")

    @staticmethod
    def from_row(row: Any) -> AuditEntry:
        return AuditEntry(
            at=berlin_time(row.at),  # type: ignore[arg-type]
            actor=row.actor,
            action=row.action,
            object_type=row.object_type,
            object_id=strawberry.ID(encode_id(row.object_type, row.object_id)),
            changes=row.changes,
        )


@strawberry.input(description="Filters for the audit log; all given conditions must hold.")
class AuditFilter:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Entries written by this account.")
    object_id: strawberry.ID | None = strawberry.field(default=None, description="Entries about this object.")
    since: dt.datetime | None = strawberry.field(default=None, description="Entries at or after this time.")
    until: dt.datetime | None = strawberry.field(default=None, description="Entries before this time.")


@strawberry.type
class AccountQuery:
    @strawberry.field(description="Staff and admin accounts.", directives=ADMIN_ONLY)
    async def users(self, info: InfoT) -> list[User]:
        return [User.of(r) for r in await accounts.list_users(info.context.engine)]

    @strawberry.field(description="All API keys, revoked ones included.", directives=ADMIN_ONLY)
    async def api_keys(self, info: InfoT) -> list[ApiKey]:
        return [ApiKey.of(r) for r in await accounts.list_keys(info.context.engine)]

    @strawberry.field(description="Every write, newest first.", directives=ADMIN_ONLY)
    async def audit_log(
        self,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: AuditFilter | None = None,
    ) -> Connection[AuditEntry]:
        f = filter or AuditFilter()
        object_type, object_pk = None, None
        if f.object_id is not None:
            object_type, object_pk = decode_id(f.object_id)
        for moment in (f.since, f.until):
            if moment is not None and moment.tzinfo is None:
                raise UserInputError("`since` and `until` need a time zone offset.")
        conditions = accounts.audit_conditions(
            decode_optional(f.user_id, "User"), object_type, object_pk, f.since, f.until
        )
        key = ("audit", f.user_id, f.object_id, f.since, f.until)
        page = page_args(first, after, last, before)
        return await natural_connection(info.context, AUDIT, conditions, key, page, AuditEntry.from_row)


@strawberry.input(description="A new staff or admin account.")
class UserCreateInput:
    username: str = strawberry.field(
        description="Lower-case letters, digits, dots, dashes and underscores; 2 to 63 characters."
    )
    password: str = strawberry.field(description="At least 12 characters.")
    role: Role = strawberry.field(default=Role.STAFF, description="STAFF (default) or ADMIN.")


@strawberry.type(description="The result of `userCreate`.")
class UserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="A new API key.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="What the key is for, e.g. the partner site's name.")
    role: Role = strawberry.field(
        description="PARTNER, NEWSLETTER, STAFF or ADMIN (the last two only as a personal token)."
    )
    username: str | None = strawberry.field(default=None, description="For a personal STAFF/ADMIN token.")
    origins: list[str] = strawberry.field(default_factory=list, description="e.g. https://partner.example")
    gateway: bool = strawberry.field(default=False, description="For a federation gateway joining this subgraph.")


@strawberry.type(description="The new key, shown only this once.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(default=None, description="Store it now: it cannot be shown again.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Which key to revoke.")
class ApiKeyRevokeInput:
    prefix: str = strawberry.field(description="The key's prefix, as `apiKeys` lists it.")


@strawberry.type(description="The result of `apiKeyRevoke`.")
class ApiKeyPayload:
    api_key: ApiKey | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Whose sessions to end.")
class SessionsEndInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Admins: the account whose sessions end. Omitted: your own (log out everywhere)."
    )


@strawberry.type(description="The result of `sessionsEnd`.")
class SessionsEndPayload:
    ended_sessions: int = strawberry.field(default=0, description="How many sessions ended.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def account_error(field: str, exc: AccountError) -> list[UserError]:
    return [UserError(field=["input", field], message=str(exc), code="INVALID")]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create a staff or admin account.", directives=ADMIN_ONLY)
    async def user_create(self, info: InfoT, input: UserCreateInput) -> UserPayload:
        engine = info.context.write_engine
        assert engine is not None
        try:
            await accounts.create_user(engine, input.username, input.password, input.role)
        except AccountError as exc:
            return UserPayload(user_errors=account_error("username", exc))
        (row,) = await accounts.list_users(engine, input.username)
        return UserPayload(user=User.of(row))

    @strawberry.mutation(description="Create an API key; the payload holds the key, once.", directives=ADMIN_ONLY)
    async def api_key_create(self, info: InfoT, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
        engine = info.context.write_engine
        assert engine is not None
        try:
            new = await accounts.create_key(
                engine, input.name, input.role, input.username, input.origins, gateway=input.gateway
            )
        except AccountError as exc:
            return ApiKeyCreatePayload(user_errors=account_error("name", exc))
        (row,) = await accounts.list_keys(engine, new.id)
        return ApiKeyCreatePayload(api_key=ApiKey.of(row), key=new.key)

    @strawberry.mutation(description="Revoke an API key by its prefix.", directives=ADMIN_ONLY)
    async def api_key_revoke(self, info: InfoT, input: ApiKeyRevokeInput) -> ApiKeyPayload:
        engine = info.context.write_engine
        assert engine is not None
        try:
            row = await accounts.revoke_key(engine, input.prefix)
        except AccountError as exc:
            return ApiKeyPayload(user_errors=account_error("prefix", exc))
        return ApiKeyPayload(api_key=ApiKey.of(row))

    @strawberry.mutation(
        description="End every login session of an account: your own (log out everywhere), or, for admins, "
        "anyone's. API keys stay valid (revoke them with `apiKeyRevoke`).",
        directives=STAFF_ONLY,
    )
    async def sessions_end(self, info: InfoT, input: SessionsEndInput) -> SessionsEndPayload:
        engine = info.context.write_engine
        assert engine is not None
        viewer = info.context.viewer
        user_id = None
        if input.user_id is not None:
            try:
                user_id = decode_id(input.user_id, "User")[1]
            except UserInputError as exc:
                return SessionsEndPayload(
                    user_errors=[UserError(field=["input", "userId"], message=str(exc), code="INVALID_ID")]
                )
            if user_id != viewer.user_id and not viewer.is_admin:
                message = "Only admins end other accounts' sessions."
                return SessionsEndPayload(
                    user_errors=[UserError(field=["input", "userId"], message=message, code="FORBIDDEN")]
                )
        if user_id is None and viewer.user_id is None:
            return SessionsEndPayload(
                user_errors=[UserError(field=["input", "userId"], message="This key has no account.", code="REQUIRED")]
            )
        return SessionsEndPayload(ended_sessions=await accounts.end_sessions(engine, viewer, user_id))


DOMAIN = Domain(name="accounts", query=AccountQuery, mutation=AccountMutations)
