"""schema.org JSON-LD for partner pages: `jsonLd` on Company, Network, Space and Event.

A partner page can embed the value as-is in `<script type="application/ld+json">`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schema.core.values import Address

CONTEXT = "https://schema.org"
EVENT_STATUS = {
    "SCHEDULED": "https://schema.org/EventScheduled",
    "CANCELLED": "https://schema.org/EventCancelled",
    "POSTPONED": "https://schema.org/EventPostponed",
}


def compact(value: dict[str, Any]) -> Any:
    """Leave out empty properties (schema.org consumers prefer absent to null)."""
    return {k: v for k, v in value.items() if v is not None and v != [] and v != {}}


def postal_address(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return compact(
        {
            "@type": "PostalAddress",
            "streetAddress": address.street,
            "postalCode": address.postal_code,
            "addressLocality": address.city or "Berlin",
            "addressRegion": "Berlin",
            "addressCountry": "DE",
        }
    )


def geo(address: Address | None) -> dict[str, Any] | None:
    if address is None or address.location is None:
        return None
    point = address.location
    return {"@type": "GeoCoordinates", "latitude": point.latitude, "longitude": point.longitude}


def organization(kind: str, name: str, **properties: Any) -> Any:
    return compact({"@context": CONTEXT, "@type": kind, "name": name, **properties})


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
