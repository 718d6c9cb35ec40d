"""Deterministic generators for portal data: the demo set and large synthetic sets share them.

Everything derives from a seeded `random.Random` and a reference day, so the same call gives the
same rows (IDs included) on every machine.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from db.seed.reference import INDUSTRY_CLASSES, PLACES

BERLIN = ZoneInfo("Europe/Berlin")
Row = dict[str, Any]

SURNAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Walter",
    "Peters",
    "König",
    "Kaiser",
    "Fuchs",
    "Jung",
    "Möller",
    "Vogel",
    "Friedrich",
    "Günther",
    "Winkler",
    "Lorenz",
    "Baumann",
]
TRADES: dict[str, list[str]] = {
    "10.71": ["Bäckerei", "Backstube"],
    "18.12": ["Druckerei", "Druckhaus"],
    "25.11": ["Stahlbau", "Metallbau"],
    "25.62": ["Feinmechanik", "Präzisionstechnik"],
    "31.01": ["Ladenbau", "Objektmöbel"],
    "33.12": ["Maschinenservice", "Anlagenreparatur"],
    "41.20": ["Bauunternehmen", "Hochbau"],
    "43.21": ["Elektrotechnik", "Elektroanlagen"],
    "43.22": ["Haustechnik", "Heizung & Sanitär"],
    "43.32": ["Tischlerei", "Fensterbau"],
    "43.34": ["Malerbetrieb", "Glaserei"],
    "45.20": ["Autoservice", "Kfz-Werkstatt"],
    "46.90": ["Handelshaus", "Großhandel"],
    "47.11": ["Frischemarkt", "Lebensmittel"],
    "47.73": ["Apotheke", "Apotheke am Platz"],
    "49.41": ["Transporte", "Spedition"],
    "52.10": ["Lagerlogistik", "Lagerhaus"],
    "55.10": ["Hotel", "Pension"],
    "56.10": ["Restaurant", "Café"],
    "58.11": ["Verlag", "Buchverlag"],
    "62.01": ["Software", "Softwareentwicklung"],
    "62.02": ["IT-Beratung", "IT-Consulting"],
    "62.09": ["IT-Service", "Systemhaus"],
    "63.11": ["Rechenzentrum", "Hosting"],
    "64.19": ["Bank", "Sparkasse"],
    "68.20": ["Gewerbehof", "Immobilien"],
    "69.20": ["Steuerberatung", "Buchhaltung"],
    "70.22": ["Unternehmensberatung", "Managementberatung"],
    "71.12": ["Ingenieurbüro", "Planungsbüro"],
    "72.19": ["Forschungslabor", "Labor"],
    "73.11": ["Werbeagentur", "Kommunikation"],
    "74.10": ["Designstudio", "Grafikdesign"],
    "78.10": ["Personalservice", "Personalvermittlung"],
    "81.21": ["Gebäudereinigung", "Reinigungsservice"],
    "85.59": ["Bildungszentrum", "Akademie"],
    "86.21": ["Arztpraxis", "Hausarztpraxis"],
    "86.90": ["Therapiezentrum", "Gesundheitszentrum"],
    "87.10": ["Pflegeheim", "Seniorenresidenz"],
    "88.10": ["Pflegedienst", "Betreuungsdienst"],
    "96.02": ["Friseursalon", "Kosmetikstudio"],
}
LEGAL_SUFFIX = {
    "GMBH": "GmbH",
    "UG": "UG (haftungsbeschränkt)",
    "AG": "AG",
    "GMBH_CO_KG": "GmbH & Co. KG",
    "KG": "KG",
    "OHG": "OHG",
    "GBR": "GbR",
    "EK": "e. K.",
    "EV": "e. V.",
    "EG": "eG",
    "SOLE_PROPRIETOR": "",
    "OTHER": "",
}
LEGAL_WEIGHTS = [
    ("GMBH", 40),
    ("UG", 10),
    ("GMBH_CO_KG", 6),
    ("KG", 4),
    ("AG", 2),
    ("OHG", 3),
    ("GBR", 6),
    ("EK", 8),
    ("EG", 2),
    ("SOLE_PROPRIETOR", 15),
    ("OTHER", 2),
]
ORTSTEIL_KEYS = list(PLACES)
EMPLOYEE_RANGES = [
    "RANGE_1_9",
    "RANGE_1_9",
    "RANGE_1_9",
    "RANGE_10_49",
    "RANGE_10_49",
    "RANGE_50_249",
    "RANGE_250_PLUS",
]
FIRST_NAMES = [
    "Anna",
    "Jonas",
    "Katrin",
    "Michael",
    "Sabine",
    "Thomas",
    "Julia",
    "Andreas",
    "Petra",
    "Stefan",
    "Claudia",
    "Frank",
    "Nadine",
    "Uwe",
    "Lena",
    "Marcel",
    "Ines",
    "Ralf",
    "Yvonne",
    "Dirk",
]


def slugify(text: str) -> str:
    """A URL slug from German text: umlauts spelled out, accents dropped, words joined by '-'."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:100] or "x"


class SlugSet:
    """Hands out unique slugs, adding -2, -3 ... on collisions."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, text: str) -> str:
        base = slugify(text)
        slug, n = base, 1
        while slug in self.used:
            n += 1
            slug = f"{base}-{n}"
        self.used.add(slug)
        return slug


def address(rng: random.Random, ortsteil: str | None = None) -> Row:
    key = ortsteil or rng.choice(ORTSTEIL_KEYS)
    streets, lat, lon = PLACES[key]
    street, postal_code = rng.choice(streets)
    return {
        "street": f"{street} {rng.randint(1, 180)}",
        "postal_code": postal_code,
        "city": "Berlin",
        "ortsteil_key": key,
        "latitude": round(lat + rng.uniform(-0.006, 0.006), 6),
        "longitude": round(lon + rng.uniform(-0.009, 0.009), 6),
    }


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def company(rng: random.Random, slugs: SlugSet, pk: int, *, ortsteil: str | None = None) -> Row:
    code, title, _ = rng.choice([c for c in INDUSTRY_CLASSES if c[0] in TRADES])
    legal = weighted(rng, LEGAL_WEIGHTS)
    surname = rng.choice(SURNAMES)
    trade = rng.choice(TRADES[code])
    if legal == "SOLE_PROPRIETOR":
        name = f"{trade} {rng.choice(FIRST_NAMES)} {surname}"
    else:
        name = f"{trade} {surname} {LEGAL_SUFFIX[legal]}".strip()
    slug = slugs.make(name)
    place = address(rng, ortsteil)
    domain = slug[:40].rstrip("-")  # a label may not end with a hyphen (the e-mail check refuses it)
    return {
        "id": pk,
        "slug": slug,
        "name": name,
        "legal_form": legal,
        "description": f"{trade} in Berlin-{place_name(place['ortsteil_key'])}: {title}.",
        "industry_code": code,
        **place,
        "website": f"https://www.{domain}.example",
        "email": f"info@{domain}.example",
        "phone": f"+49 30 {rng.randint(2000000, 99999999)}",
        "employee_range": rng.choice(EMPLOYEE_RANGES),
        "founded_year": rng.randint(1950, 2025),
        # sole traders' names can be personal data: some stay unpublished until confirmed
        "published": not (legal == "SOLE_PROPRIETOR" and rng.random() < 0.25),
    }


def place_name(key: str) -> str:
    from db.enums import Ortsteil

    return Ortsteil[key].value


SPACE_TITLES = {
    "OFFICE": "Bürofläche",
    "RETAIL": "Ladenfläche",
    "WAREHOUSE": "Lagerhalle",
    "WORKSHOP": "Werkstatt",
    "PRODUCTION": "Produktionshalle",
    "LAB": "Laborfläche",
    "GASTRONOMY": "Gastronomiefläche",
    "COWORKING": "Coworking-Arbeitsplätze",
    "PLOT": "Gewerbegrundstück",
}


def space(rng: random.Random, slugs: SlugSet, pk: int, today: dt.date, provider_ids: list[int]) -> Row:
    listing = "REQUEST" if rng.random() < 0.3 else "OFFER"
    # demand is mostly for storage, workshops and production
    space_type = rng.choice(
        [
            "WAREHOUSE",
            "WORKSHOP",
            "PRODUCTION",
            "OFFICE",
            "RETAIL",
            "LAB",
            "GASTRONOMY",
            "COWORKING",
            "PLOT",
            "WAREHOUSE",
            "WORKSHOP",
            "PRODUCTION",
        ]
    )
    transaction = (
        "LEASEHOLD" if space_type == "PLOT" and rng.random() < 0.5 else ("SALE" if rng.random() < 0.15 else "RENT")
    )
    area = Decimal(
        rng.choice(
            [25, 40, 80, 120, 250, 400, 800, 1500, 3000, 12000, 30000]
            if space_type == "PLOT"
            else [20, 35, 60, 90, 150, 240, 400, 650, 1200, 2500]
        )
    )
    divisible = rng.random() < 0.25 and area >= 100
    place = address(rng)
    verb = "Gesucht" if listing == "REQUEST" else "Angebot"
    title = f"{verb}: {SPACE_TITLES[space_type]} {area} m² in {place_name(place['ortsteil_key'])}"
    rent = None
    price = None
    if transaction == "RENT" and rng.random() < 0.8:
        rent = Decimal(rng.randint(450, 2200)) / 100
    if transaction == "SALE" and rng.random() < 0.7:
        price = Decimal(rng.randint(50, 4000) * 1000)
    return {
        "id": pk,
        "slug": slugs.make(title),
        "title": title,
        "listing_type": listing,
        "space_type": space_type,
        "transaction": transaction,
        "area_sqm": area,
        "area_max_sqm": area * 3 if divisible else None,
        "rent_per_sqm": rent,
        "price": price,
        "available_from": None if rng.random() < 0.2 else today + dt.timedelta(days=rng.randint(-60, 300)),
        "status": rng.choice(["AVAILABLE", "AVAILABLE", "AVAILABLE", "RESERVED", "TAKEN"]),
        **place,
        "provider_id": rng.choice(provider_ids) if provider_ids and rng.random() < 0.6 else None,
        "description": f"{SPACE_TITLES[space_type]} ({area} m²), vermittelt durch das Büro für Wirtschaftsförderung.",
        "published": rng.random() > 0.05,
    }


EVENT_FORMATS = [
    ("WORKSHOP", "Workshop", "Fachkräftesicherung im Mittelstand"),
    ("WORKSHOP", "Workshop", "Digitalisierung im Handwerk"),
    ("INFO_SESSION", "Infoveranstaltung", "Fördermittel für kleine Unternehmen"),
    ("INFO_SESSION", "Sprechstunde", "Existenzgründung in Lichtenberg"),
    ("NETWORK_MEETING", "Unternehmens-Talk", "Wirtschaft trifft Verwaltung"),
    ("NETWORK_MEETING", "Unternehmenstreffen", "Austausch der Mitglieder"),
    ("OTHER", "Betriebsbesichtigung", "Ein Blick hinter die Kulissen"),
]


def berlin(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def event(
    rng: random.Random,
    slugs: SlugSet,
    pk: int,
    today: dt.date,
    *,
    hosts: list[int],
    networks: list[int],
    projects: list[int],
    spaces: list[int],
) -> Row:
    kind, label, topic = rng.choice(EVENT_FORMATS)
    day = today + dt.timedelta(days=rng.randint(-365, 365))
    start = berlin(day, rng.choice([9, 10, 14, 16, 17, 18]))
    title = f"{label}: {topic}"
    venue: Row = {"venue_name": None, "venue_space_id": None, "online_url": None}
    place: Row = {k: None for k in ("street", "postal_code", "city", "ortsteil_key", "latitude", "longitude")}
    roll = rng.random()
    if roll < 0.2 and spaces:
        venue["venue_space_id"] = rng.choice(spaces)
    elif roll < 0.35:
        venue["online_url"] = f"https://meet.example/upl-{pk}"
    else:
        venue["venue_name"] = rng.choice(
            [
                "Rathaus Lichtenberg",
                "Kulturhaus Karlshorst",
                "Gründerzentrum",
                "Gewerbehof am Fennpfuhl",
                "Stadtteilzentrum",
            ]
        )
        place = address(rng)
    required = rng.random() < 0.6
    return {
        "id": pk,
        "slug": slugs.make(f"{title} {day.isoformat()}"),
        "title": title,
        "description": f"{label} zum Thema „{topic}“ für Unternehmen aus Lichtenberg.",
        "kind": kind,
        "status": "CANCELLED" if rng.random() < 0.06 else ("POSTPONED" if rng.random() < 0.04 else "SCHEDULED"),
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=rng.choice([1, 2, 3])),
        **venue,
        **place,
        "host_company_id": rng.choice(hosts) if hosts and rng.random() < 0.5 else None,
        "network_id": rng.choice(networks) if networks and rng.random() < 0.6 else None,
        "project_id": rng.choice(projects) if projects and rng.random() < 0.25 else None,
        "registration_required": required,
        "registration_url": f"https://www.berlin.de/ba-lichtenberg/anmeldung/{pk}" if required else None,
        "registration_deadline": start - dt.timedelta(days=3) if required else None,
        "capacity": rng.choice([None, 20, 30, 50, 80]) if required else None,
        "published": rng.random() > 0.03,
    }


def contact(rng: random.Random, pk: int, owner: str, owner_id: int) -> Row:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    local = slugify(f"{first}.{last}").replace("-", ".")
    return {
        "id": pk,
        "company_id": owner_id if owner == "company" else None,
        "network_id": owner_id if owner == "network" else None,
        "project_id": owner_id if owner == "project" else None,
        "name": f"{first} {last}",
        "role": rng.choice(["Geschäftsführung", "Ansprechpartner Presse", "Vorstand", "Projektleitung", "Büro"]),
        "email": f"{local}@example.org",
        "phone": f"+49 30 {rng.randint(2000000, 99999999)}",
        "publication_consent": rng.random() < 0.2,
    }
