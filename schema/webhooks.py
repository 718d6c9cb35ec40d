"""Webhooks for admins: endpoints that are sent the public change feed, signed as Standard
Webhooks specify, and their deliveries (resolvers/webhooks.py keeps them, web/webhooks.py sends).

Built by `compose()` with the composed `SearchType` enum, since an endpoint chooses object types.
"""

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry

from resolvers import webhooks as data
from resolvers.errors import UserInputError
from resolvers.pagination import page_args
from schema.core.connections import AFTER, BEFORE, FIRST, LAST, Connection, natural_connection
from schema.core.context import InfoT, berlin_time
from schema.core.editing import UserError
from schema.core.ids import decode_id, encode_id
from schema.core.permissions import ADMIN_ONLY

DELIVERIES = data.delivery_entity()


@strawberry.enum(description="What an endpoint is sent: the feed as outsiders see it.")
class WebhookAction(Enum):
    CREATE = strawberry.enum_value("CREATE", description="Created, or published.")
    UPDATE = strawberry.enum_value("UPDATE", description="Changed while published.")
    DELETE = strawberry.enum_value("DELETE", description="Deleted, or unpublished.")


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Not yet accepted: the next attempt is due at `nextAttemptAt`."
    )
    DELIVERED = strawberry.enum_value("DELIVERED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Every attempt of the retry schedule failed (`webhookRedeliver` sends it again)."
    )


def webhook_id_of(text: str) -> int:
    return decode_id(text, "Webhook")[1]


def webhook_fields(search_enum: Any) -> tuple[type, type]:
    """The root query and mutation fields of webhooks, typed with the composed `SearchType`."""
    known = [value.value for value in search_enum]

    @strawberry.type(description="An endpoint that is sent the public change feed (admins only).")
    class Webhook:
        id: strawberry.ID = strawberry.field(description="Global ID of the endpoint.")
        name: str = strawberry.field(description="Whose endpoint it is, e.g. the partner site's name.")
        url: str = strawberry.field(description="Where deliveries are POSTed.")
        types: list[search_enum] = strawberry.field(description="Object types sent; empty: all.")
        actions: list[WebhookAction] = strawberry.field(description="Actions sent; empty: all.")
        enabled: bool = strawberry.field(description="Disabled endpoints are sent nothing (nothing is queued).")
        disabled_reason: str | None = strawberry.field(description="Why it was disabled, e.g. a day of failures.")
        failing_since: dt.datetime | None = strawberry.field(
            description="The first failed attempt since the last success; null while it works."
        )
        created_at: dt.datetime
        updated_at: dt.datetime

        @staticmethod
        def of(row: Any) -> "Webhook":
            return Webhook(
                id=strawberry.ID(encode_id("Webhook", row.id)),
                name=row.name,
                url=row.url,
                types=[search_enum(t) for t in row.types],
                actions=[WebhookAction(a) for a in row.actions],
                enabled=row.enabled,
                disabled_reason=row.disabled_reason,
                failing_since=berlin_time(row.failing_since),
                created_at=berlin_time(row.created_at),  # type: ignore[arg-type]
                updated_at=berlin_time(row.updated_at),  # type: ignore[arg-type]
            )

    @strawberry.type(description="One change sent (or to be sent) to one endpoint, with its last attempt.")
    class WebhookDelivery:
        id: strawberry.ID = strawberry.field(description="Global ID of the delivery (for `webhookRedeliver`).")
        webhook_id: strawberry.ID = strawberry.field(description="Global ID of the endpoint.")
        message_id: str = strawberry.field(description="The `webhook-id` header: the same on every attempt.")
        change_id: strawberry.ID = strawberry.field(description="Global ID of the change sent.")
        object_id: strawberry.ID = strawberry.field(description="Global ID of the changed object.")
        type: search_enum = strawberry.field(description="The changed object's type.")
        action: WebhookAction = strawberry.field(description="What happened to the object, as outsiders see it.")
        status: WebhookDeliveryStatus = strawberry.field(description="Pending, delivered or failed.")
        attempts: int = strawberry.field(description="Attempts made (a redelivery starts counting again).")
        next_attempt_at: dt.datetime | None = strawberry.field(description="When a pending delivery is tried next.")
        last_attempt_at: dt.datetime | None = strawberry.field(description="When the last attempt started.")
        response_status: int | None = strawberry.field(description="The HTTP status of the last answer.")
        last_error: str | None = strawberry.field(description="Why the last attempt failed.")
        created_at: dt.datetime
        delivered_at: dt.datetime | None = strawberry.field(description="When the endpoint accepted it.")
        payload: str = strawberry.field(description="The JSON body sent, exactly as signed.")

        @staticmethod
        def of(row: Any) -> "WebhookDelivery":
            pending = row.status == "PENDING"
            return WebhookDelivery(
                id=strawberry.ID(encode_id("WebhookDelivery", row.id)),
                webhook_id=strawberry.ID(encode_id("Webhook", row.webhook_id)),
                message_id=row.message_id,
                change_id=strawberry.ID(encode_id("Change", row.change_seq)),
                object_id=strawberry.ID(encode_id(row.object_type, row.object_id)),
                type=search_enum(row.object_type),
                action=WebhookAction(row.action),
                status=WebhookDeliveryStatus(row.status),
                attempts=row.attempts,
                next_attempt_at=berlin_time(row.next_attempt_at) if pending else None,
                last_attempt_at=berlin_time(row.last_attempt_at),
                response_status=row.response_status,
                last_error=row.last_error,
                created_at=berlin_time(row.created_at),  # type: ignore[arg-type]
                delivered_at=berlin_time(row.delivered_at),
                payload=row.body,
            )

    @strawberry.input(description="A new endpoint.")
    class WebhookCreateInput:
        name: str = strawberry.field(description="Whose endpoint it is.")
        url: str = strawberry.field(description="An https URL (its addresses are checked at every send).")
        types: list[search_enum] = strawberry.field(
            default_factory=list, description="Only these types (default: all)."
        )
        actions: list[WebhookAction] = strawberry.field(
            default_factory=list, description="Only these actions (default: all)."
        )

    @strawberry.type(description="The new endpoint and its signing secret, shown only this once.")
    class WebhookCreatePayload:
        webhook: Webhook | None = None
        secret: str | None = strawberry.field(
            default=None,
            description="The Standard Webhooks secret (`whsec_...`) to verify `webhook-signature` with: store it now.",
        )
        user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.input(description="Changes to an endpoint; fields left out stay as they are.")
    class WebhookUpdateInput:
        id: strawberry.ID = strawberry.field(description="Global ID of the endpoint.")
        name: str | None = strawberry.UNSET
        url: str | None = strawberry.UNSET
        types: list[search_enum] | None = strawberry.UNSET
        actions: list[WebhookAction] | None = strawberry.UNSET
        enabled: bool | None = strawberry.field(
            default=strawberry.UNSET, description="true enables a disabled endpoint again (and clears its reason)."
        )

    @strawberry.type(description="The result of `webhookUpdate`.")
    class WebhookPayload:
        webhook: Webhook | None = None
        user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.input(description="Which endpoint to delete.")
    class WebhookDeleteInput:
        id: strawberry.ID = strawberry.field(description="Global ID of the endpoint.")

    @strawberry.type(description="The result of `webhookDelete`.")
    class WebhookDeletePayload:
        deleted_id: strawberry.ID | None = strawberry.field(
            default=None, description="Global ID of the deleted endpoint."
        )
        user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.input(description="Which delivery to send again.")
    class WebhookRedeliverInput:
        delivery_id: strawberry.ID = strawberry.field(description="Global ID of the delivery.")

    @strawberry.type(description="The result of `webhookRedeliver`.")
    class WebhookDeliveryPayload:
        delivery: WebhookDelivery | None = None
        user_errors: list[UserError] = strawberry.field(default_factory=list)

    def error(field: str, message: str, code: str = "INVALID") -> list[UserError]:
        return [UserError(field=["input", field], message=message, code=code)]

    def values(choices: list[Any] | None) -> list[str]:
        return [choice.value for choice in choices or []]

    @strawberry.type
    class WebhookQuery:
        @strawberry.field(description="The webhook endpoints, disabled ones included.", directives=ADMIN_ONLY)
        async def webhooks(self, info: InfoT) -> list[Webhook]:
            return [Webhook.of(row) for row in await data.list_webhooks(info.context.engine)]

        @strawberry.field(description="An endpoint's deliveries, newest first.", directives=ADMIN_ONLY)
        async def webhook_deliveries(
            self,
            info: InfoT,
            webhook_id: Annotated[strawberry.ID, strawberry.argument(description="Global ID of the endpoint.")],
            status: Annotated[
                WebhookDeliveryStatus | None, strawberry.argument(description="Only deliveries in this state.")
            ] = None,
            first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
            after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
            last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
            before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
        ) -> Connection[WebhookDelivery]:
            hook = webhook_id_of(webhook_id)
            chosen = None if status is None else str(status.name)
            conditions = data.delivery_conditions(hook, chosen)
            page = page_args(first, after, last, before)
            key = ("deliveries", hook, chosen)
            return await natural_connection(info.context, DELIVERIES, conditions, key, page, WebhookDelivery.of)

    @strawberry.type
    class WebhookMutations:
        @strawberry.mutation(
            description="Create an endpoint; the payload holds its signing secret, once.", directives=ADMIN_ONLY
        )
        async def webhook_create(self, info: InfoT, input: WebhookCreateInput) -> WebhookCreatePayload:
            ctx = info.context
            assert ctx.write_engine is not None
            try:
                new = await data.create_webhook(
                    ctx.write_engine,
                    input.name,
                    input.url,
                    values(input.types),
                    values(input.actions),
                    known,
                    ctx.webhooks_to_private,
                )
            except data.WebhookError as exc:
                return WebhookCreatePayload(user_errors=error(exc.field, str(exc)))
            return WebhookCreatePayload(webhook=Webhook.of(new.row), secret=new.secret)

        @strawberry.mutation(description="Change an endpoint, or enable it again.", directives=ADMIN_ONLY)
        async def webhook_update(self, info: InfoT, input: WebhookUpdateInput) -> WebhookPayload:
            ctx = info.context
            assert ctx.write_engine is not None
            try:
                hook = webhook_id_of(input.id)
            except UserInputError as exc:
                return WebhookPayload(user_errors=error("id", str(exc), "INVALID_ID"))
            changes: dict[str, Any] = {}
            for name in ("name", "url", "enabled"):
                given = getattr(input, name)
                if given is not strawberry.UNSET and given is not None:
                    changes[name] = given
            for name in ("types", "actions"):
                given = getattr(input, name)
                if given is not strawberry.UNSET:
                    changes[name] = values(given)
            try:
                row = await data.update_webhook(ctx.write_engine, hook, changes, known, ctx.webhooks_to_private)
            except data.WebhookError as exc:
                return WebhookPayload(user_errors=error(exc.field, str(exc)))
            if row is None:
                return WebhookPayload(user_errors=error("id", "No such webhook.", "NOT_FOUND"))
            if ctx.wake_webhooks is not None:
                ctx.wake_webhooks()
            return WebhookPayload(webhook=Webhook.of(row))

        @strawberry.mutation(description="Delete an endpoint and its deliveries.", directives=ADMIN_ONLY)
        async def webhook_delete(self, info: InfoT, input: WebhookDeleteInput) -> WebhookDeletePayload:
            ctx = info.context
            assert ctx.write_engine is not None
            try:
                hook = webhook_id_of(input.id)
            except UserInputError as exc:
                return WebhookDeletePayload(user_errors=error("id", str(exc), "INVALID_ID"))
            if not await data.delete_webhook(ctx.write_engine, hook):
                return WebhookDeletePayload(user_errors=error("id", "No such webhook.", "NOT_FOUND"))
            return WebhookDeletePayload(deleted_id=input.id)

        @strawberry.mutation(
            description="Send a delivery again now, with the same `webhook-id` (its retry schedule starts again).",
            directives=ADMIN_ONLY,
        )
        async def webhook_redeliver(self, info: InfoT, input: WebhookRedeliverInput) -> WebhookDeliveryPayload:
            ctx = info.context
            assert ctx.write_engine is not None
            try:
                delivery = decode_id(input.delivery_id, "WebhookDelivery")[1]
            except UserInputError as exc:
                return WebhookDeliveryPayload(user_errors=error("deliveryId", str(exc), "INVALID_ID"))
            row = await data.redeliver(ctx.write_engine, delivery)
            if row is None:
                return WebhookDeliveryPayload(user_errors=error("deliveryId", "No such delivery.", "NOT_FOUND"))
            if ctx.wake_webhooks is not None:
                ctx.wake_webhooks()
            return WebhookDeliveryPayload(delivery=WebhookDelivery.of(row))

    return WebhookQuery, WebhookMutations
