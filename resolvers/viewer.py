"""Who is calling: the `Viewer` of a request, as every layer above the database sees it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from db.enums import Role

STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})


@dataclass(frozen=True)
class Viewer:
    """The caller of one request."""

    role: Role = Role.ANONYMOUS
    user_id: int | None = None
    username: str | None = None
    api_key_id: int | None = None
    api_key_prefix: str | None = None
    csrf_token: str | None = None
    origins: Sequence[str] = field(default_factory=tuple)
    trusted_documents_only: bool = False
    gateway: bool = False
    """A federation gateway's key (large `_entities` batches)."""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def label(self) -> str:
        """Who did it, as the audit log shows it."""
        if self.username is not None:
            via = f" via key {self.api_key_prefix}" if self.api_key_prefix else ""
            return f"{self.username}{via}"
        if self.api_key_prefix is not None:
            return f"key {self.api_key_prefix}"
        return self.role.value.lower()


ANONYMOUS = Viewer()
