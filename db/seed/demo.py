"""The demo data set: a realistic Lichtenberg portal, in German, relative to the day it is loaded.

It holds the documented facts of the real portal (the office, the UnternehmensNetzwerk
Herzbergstraße and its project, the 49 projects since 2002 with 13,326,242 EUR, the health
economy network, the numbered UPL meetings) around generated companies, spaces and events.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from db.seed import generate as g

PROJECTS_TOTAL_VOLUME = Decimal("13326242.00")
PROJECTS_TOTAL_FUNDING = Decimal("6987415.36")  # "almost 7 million EUR"
COMPANY_COUNT = 200

HERZBERG_PROJECT = (
    "Nachhaltige Weiterentwicklung des Gewerbegebietes Herzbergstraße – Ein Berliner Traditionsstandort im Aufbruch"
)
HERZBERG_NETWORK = "UnternehmensNetzwerk Herzbergstraße e.V."
HERZBERG_FOUNDED = dt.date(2017, 2, 20)
UPL_NETWORK = "Mitglieder des Unternehmensportals Lichtenberg"
OFFICE = "Büro für Wirtschaftsförderung des Bezirksamtes Lichtenberg von Berlin"

PROJECT_THEMES = [
    "Regionalmanagement",
    "Standortmarketing",
    "Gewerbegebietsmanagement",
    "Fachkräftenetzwerk",
    "Gründungsförderung",
    "Digitalisierungsoffensive",
    "Unternehmensservice",
    "Wirtschaftsdialog",
    "Kreativwirtschaft",
    "Einzelhandelsstärkung",
    "Tourismusförderung",
    "Flächenmanagement",
]
PROJECT_PLACES = [
    "Herzbergstraße",
    "Lichtenberg-Mitte",
    "Karlshorst",
    "Hohenschönhausen",
    "Rummelsburger Bucht",
    "Frankfurter Allee",
    "Friedrichsfelde",
    "Fennpfuhl",
    "Gewerbegebiet Lichtenberg-Nord",
]


def build(today: dt.date) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(20030101)
    slugs = g.SlugSet()
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "companies",
            "projects",
            "networks",
            "network_memberships",
            "project_funding_programs",
            "project_partners",
            "project_networks",
            "spaces",
            "events",
            "contact_persons",
        )
    }

    # --- companies: the office first, then generated firms in every Ortsteil -----------------
    office = {
        "id": 1,
        "slug": slugs.make("Büro für Wirtschaftsförderung Lichtenberg"),
        "name": OFFICE,
        "legal_form": "PUBLIC_BODY",
        "description": "Das Büro für Wirtschaftsförderung betreut ansässige Unternehmen, hilft bei der Suche "
        "nach Gewerbeflächen, berät zu Fördermitteln und betreibt das Unternehmensportal.",
        "industry_code": "84.11",
        "street": "Möllendorffstraße 6",
        "postal_code": "10367",
        "city": "Berlin",
        "ortsteil_key": "LICHTENBERG",
        "latitude": 52.5155,
        "longitude": 13.4849,
        "website": "https://www.berlin.de/ba-lichtenberg/politik-und-verwaltung/service-und-organisationseinheiten/wirtschaftsfoerderung/",
        "email": "wirtschaftsfoerderung@lichtenberg.berlin.de",
        "phone": "+49 30 90296 4200",
        "employee_range": "RANGE_10_49",
        "founded_year": 1990,
        "published": True,
    }
    rows["companies"].append(office)
    ortsteile = list(g.PLACES)
    for pk in range(2, COMPANY_COUNT + 1):
        # the first 20 firms sit in the Herzbergstraße area; then round-robin over the Ortsteile
        ortsteil = "LICHTENBERG" if pk <= 21 else ortsteile[pk % len(ortsteile)]
        row = g.company(rng, slugs, pk, ortsteil=ortsteil)
        if pk <= 21:
            row["street"] = f"Herzbergstraße {rng.randint(1, 140)}"
            row["postal_code"] = "10365"
            row["published"] = True
        rows["companies"].append(row)
    company_ids = [c["id"] for c in rows["companies"] if c["published"] and c["id"] != 1]

    # --- projects: 49 RUNNING/COMPLETED since 2002 adding up to the documented totals ---------
    projects = rows["projects"]
    herzberg_project = {
        "id": 1,
        "slug": slugs.make("Gewerbegebiet Herzbergstraße Traditionsstandort im Aufbruch"),
        "title": HERZBERG_PROJECT,
        "summary": "Gebietsmanagement für das Gewerbegebiet Herzbergstraße seit 2016: Standortentwicklung, "
        "Vernetzung der Unternehmen, Ausbildung und Fachkräfte.",
        "status": "RUNNING",
        "starts_on": dt.date(2016, 1, 1),
        "ends_on": None,
    }
    health_project = {
        "id": 2,
        "slug": slugs.make("Regionalmanagement Gesundheitswirtschaft"),
        "title": "Regionalmanagement Gesundheitswirtschaft",
        "summary": "Aufbau des regionalen Netzwerks Gesundheitswirtschaft mit Arbeitsgruppen.",
        "status": "COMPLETED",
        "starts_on": dt.date(2018, 1, 1),
        "ends_on": dt.date(2021, 12, 31),
    }
    projects += [herzberg_project, health_project]
    for pk in range(3, 50):
        start = dt.date(2002 + (pk * 23) // 49 % 24, rng.randint(1, 12), 1)
        ends = start + dt.timedelta(days=rng.choice([365, 730, 1095]))
        theme, place = rng.choice(PROJECT_THEMES), rng.choice(PROJECT_PLACES)
        title = f"{theme} {place} {start.year}"
        projects.append(
            {
                "id": pk,
                "slug": slugs.make(title),
                "title": title,
                "summary": f"{theme} für {place}: gefördertes Vorhaben des Büros für Wirtschaftsförderung.",
                "status": "COMPLETED" if ends < today else "RUNNING",
                "starts_on": start,
                "ends_on": ends,
            }
        )
    _distribute_money(rng, projects)
    planned = {
        "id": 50,
        "slug": slugs.make("Gesundheitsstandort Lichtenberg stärken"),
        "title": "Gesundheitsstandort Lichtenberg stärken – Unterstützung der Gesundheitswirtschaft",
        "summary": "Geplantes Vorhaben zur Unterstützung der Gesundheitswirtschaft gemeinsam mit dem regionalen "
        "Netzwerk Gesundheitswirtschaft.",
        "status": "PLANNED",
        "starts_on": dt.date(today.year + 1, 3, 1),
        "ends_on": dt.date(today.year + 3, 2, 28),
        "total_volume": Decimal("480000.00"),
        "funding_amount": Decimal("240000.00"),
    }
    projects.append(planned)
    for project in projects:
        project["published"] = True
        for code in (["GRW"] if project["id"] % 3 else ["EFRE-WDM"]) + (["BEZIRK"] if project["id"] % 4 == 0 else []):
            rows["project_funding_programs"].append({"project_id": project["id"], "program_code": code})
        for company_id in rng.sample(company_ids, rng.randint(1, 4)):
            rows["project_partners"].append({"project_id": project["id"], "company_id": company_id})

    # --- networks ----------------------------------------------------------------------------
    networks = rows["networks"]
    networks.append(
        {
            "id": 1,
            "slug": slugs.make("UnternehmensNetzwerk Herzbergstraße"),
            "name": HERZBERG_NETWORK,
            "kind": "ASSOCIATION",
            "founded_on": HERZBERG_FOUNDED,
            "origin_project_id": 1,
            "description": "Am 20. Februar 2017 von 13 Geschäftsführern gegründeter Verein der Unternehmen im "
            "Gewerbegebiet Herzbergstraße: Vorstand, Geschäftsstelle, Unternehmenstreffen, "
            "AG Ausbildung und Jobbörse.",
            "website": "https://www.herzbergstrasse.example",
            "email": "info@herzbergstrasse.example",
        }
    )
    networks.append(
        {
            "id": 2,
            "slug": slugs.make("Netzwerk Gesundheitswirtschaft"),
            "name": "Netzwerk Gesundheitswirtschaft",
            "kind": "NETWORK",
            "founded_on": dt.date(2018, 6, 1),
            "origin_project_id": 2,
            "description": "Regionales Netzwerk der Gesundheitswirtschaft mit Arbeitsgruppen, entstanden im Projekt "
            "„Regionalmanagement Gesundheitswirtschaft“.",
            "website": None,
            "email": "gesundheit@lichtenberg.example",
        }
    )
    networks.append(
        {
            "id": 3,
            "slug": slugs.make("UPL Mitglieder"),
            "name": UPL_NETWORK,
            "kind": "NETWORK",
            "founded_on": dt.date(2003, 1, 1),
            "origin_project_id": None,
            "description": "Die Mitgliedsunternehmen des Unternehmensportals Lichtenberg. Sie treffen sich etwa "
            "dreimal im Jahr zum UPL-Treffen bei einem Mitgliedsunternehmen.",
            "website": None,
            "email": None,
        }
    )
    other_networks = [
        ("Wirtschaftskreis Karlshorst", "ASSOCIATION"),
        ("Handwerkerring Hohenschönhausen", "ASSOCIATION"),
        ("Cluster Kreativwirtschaft Lichtenberg", "CLUSTER"),
        ("Gewerbehof-Initiative Rummelsburg", "NETWORK"),
        ("Ausbildungsverbund Lichtenberg", "NETWORK"),
        ("Logistiknetzwerk Berlin-Ost", "CLUSTER"),
        ("Unternehmerinnen in Lichtenberg", "NETWORK"),
        ("IT-Stammtisch Fennpfuhl", "NETWORK"),
        ("Gastro-Runde Friedrichsfelde", "ASSOCIATION"),
    ]
    for offset, (name, kind) in enumerate(other_networks):
        networks.append(
            {
                "id": 4 + offset,
                "slug": slugs.make(name),
                "name": name,
                "kind": kind,
                "founded_on": dt.date(rng.randint(2005, 2022), rng.randint(1, 12), 1),
                "origin_project_id": None,
                "description": f"{name}: Austausch, gemeinsame Projekte und Veranstaltungen.",
                "website": f"https://{g.slugify(name)}.example",
                "email": None,
            }
        )
    for network in networks:
        network["published"] = True
    memberships = rows["network_memberships"]
    herzberg_firms = list(range(2, 22))
    for i, company_id in enumerate(herzberg_firms):
        founding = i < 13
        memberships.append(
            {
                "network_id": 1,
                "company_id": company_id,
                "role": "FOUNDING_MEMBER" if founding else ("BOARD" if i == 13 else "MEMBER"),
                "member_since": HERZBERG_FOUNDED if founding else dt.date(2018 + i % 6, 1 + i % 12, 1),
            }
        )
    upl_members = company_ids[::2]
    for i, company_id in enumerate(upl_members):
        memberships.append(
            {
                "network_id": 3,
                "company_id": company_id,
                "role": "BOARD" if i < 3 else "MEMBER",
                "member_since": dt.date(2003 + i % 23, 1 + i % 12, 1),
            }
        )
    health = [c["id"] for c in rows["companies"] if c["industry_code"] in ("86.21", "86.90", "87.10", "88.10", "47.73")]
    for company_id in health:
        memberships.append(
            {"network_id": 2, "company_id": company_id, "role": "MEMBER", "member_since": dt.date(2018, 6, 1)}
        )
    for network in networks[3:]:
        for company_id in rng.sample(company_ids, rng.randint(8, 30)):
            memberships.append(
                {
                    "network_id": network["id"],
                    "company_id": company_id,
                    "role": "MEMBER",
                    "member_since": network["founded_on"] + dt.timedelta(days=rng.randint(0, 900)),
                }
            )
    rows["project_networks"] += [
        {"project_id": 1, "network_id": 1},
        {"project_id": 2, "network_id": 2},
        {"project_id": 50, "network_id": 2},
    ] + [{"project_id": pk, "network_id": rng.randint(4, 12)} for pk in range(3, 49, 5)]

    # --- spaces -------------------------------------------------------------------------------
    for pk in range(1, 71):
        rows["spaces"].append(g.space(rng, slugs, pk, today, company_ids))
    space_ids = [s["id"] for s in rows["spaces"] if s["published"]]

    # --- events: numbered UPL meetings, the WirtschaftsPartnerTag, and generated formats ------
    events = rows["events"]
    for year in (today.year - 1, today.year, today.year + 1):
        for slot, (month, day) in enumerate(((3, 12), (6, 18), (10, 15))):
            date = dt.date(year, month, day)
            if not -365 <= (date - today).days <= 365:
                continue
            number = 3 * (year - 2003) + slot + 1
            host = rng.choice(upl_members)
            host_row = rows["companies"][host - 1]
            start = g.berlin(date, 19)
            events.append(
                {
                    "id": len(events) + 1,
                    "slug": slugs.make(f"{number}. UPL-Treffen"),
                    "title": f"{number}. UPL-Treffen",
                    "description": f"Das {number}. Treffen der Mitglieder des Unternehmensportals, zu Gast bei "
                    f"{host_row['name']}. Mitglieder können ihr Unternehmen vorstellen.",
                    "kind": "MEMBER_MEETING",
                    "status": "SCHEDULED",
                    "starts_at": start,
                    "ends_at": start + dt.timedelta(hours=2, minutes=30),
                    "venue_name": host_row["name"],
                    "venue_space_id": None,
                    "online_url": None,
                    **{
                        k: host_row[k]
                        for k in ("street", "postal_code", "city", "ortsteil_key", "latitude", "longitude")
                    },
                    "host_company_id": host,
                    "network_id": 3,
                    "project_id": None,
                    "registration_required": True,
                    "registration_url": "https://www.berlin.de/ba-lichtenberg/upl-treffen/anmeldung",
                    "registration_deadline": start - dt.timedelta(days=7),
                    "capacity": 60,
                    "published": True,
                }
            )
    for year in (today.year, today.year + 1):
        date = dt.date(year, 9, 24)
        if -365 <= (date - today).days <= 365:
            start = g.berlin(date, 14)
            events.append(
                {
                    "id": len(events) + 1,
                    "slug": slugs.make(f"WirtschaftsPartnerTag {year}"),
                    "title": f"WirtschaftsPartnerTag {year}",
                    "description": "Messe der Lichtenberger Wirtschaft mit rund 100 Ausstellern, Thementischen, "
                    "Programm von 14 bis 20 Uhr und Bustouren zu Unternehmen (begrenzte Plätze).",
                    "kind": "TRADE_FAIR",
                    "status": "SCHEDULED",
                    "starts_at": start,
                    "ends_at": g.berlin(date, 20),
                    "venue_name": "Rathaus Lichtenberg",
                    "venue_space_id": None,
                    "online_url": None,
                    "street": "Möllendorffstraße 6",
                    "postal_code": "10367",
                    "city": "Berlin",
                    "ortsteil_key": "LICHTENBERG",
                    "latitude": 52.5155,
                    "longitude": 13.4849,
                    "host_company_id": 1,
                    "network_id": None,
                    "project_id": None,
                    "registration_required": True,
                    "registration_url": "https://www.berlin.de/ba-lichtenberg/wpt",
                    "registration_deadline": start - dt.timedelta(days=14),
                    "capacity": 150,
                    "published": True,
                }
            )
    award_day = dt.date(today.year, 11, 20) if dt.date(today.year, 11, 20) <= today else dt.date(today.year - 1, 11, 20)
    start = g.berlin(award_day, 18)
    events.append(
        {
            "id": len(events) + 1,
            "slug": slugs.make(f"Unternehmerabend {award_day.year}"),
            "title": f"Unternehmerabend {award_day.year} mit Verleihung „Unternehmen des Jahres“",
            "description": "Der Bezirk ehrt das Unternehmen des Jahres.",
            "kind": "AWARD",
            "status": "SCHEDULED",
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=4),
            "venue_name": "Kulturhaus Karlshorst",
            "venue_space_id": None,
            "online_url": None,
            "street": "Treskowallee 112",
            "postal_code": "10318",
            "city": "Berlin",
            "ortsteil_key": "KARLSHORST",
            "latitude": 52.4846,
            "longitude": 13.5263,
            "host_company_id": 1,
            "network_id": None,
            "project_id": None,
            "registration_required": True,
            "registration_url": None,
            "registration_deadline": None,
            "capacity": 200,
            "published": True,
        }
    )
    # Herzbergstraße company meetings (numbered Unternehmenstreffen)
    for n in range(1, 5):
        date = today + dt.timedelta(days=-300 + n * 120)
        start = g.berlin(date, 17)
        events.append(
            {
                "id": len(events) + 1,
                "slug": slugs.make(f"Unternehmenstreffen Herzbergstrasse {date.isoformat()}"),
                "title": f"Unternehmenstreffen Herzbergstraße ({date:%B %Y})",
                "description": "Treffen der Unternehmen im Gewerbegebiet Herzbergstraße.",
                "kind": "NETWORK_MEETING",
                "status": "SCHEDULED",
                "starts_at": start,
                "ends_at": start + dt.timedelta(hours=2),
                "venue_name": None,
                "online_url": None,
                "venue_space_id": space_ids[n],
                **{k: None for k in ("street", "postal_code", "city", "ortsteil_key", "latitude", "longitude")},
                "host_company_id": herzberg_firms[n],
                "network_id": 1,
                "project_id": 1,
                "registration_required": False,
                "registration_url": None,
                "registration_deadline": None,
                "capacity": None,
                "published": True,
            }
        )
    while len(events) < 140:
        events.append(
            g.event(
                rng,
                slugs,
                len(events) + 1,
                today,
                hosts=company_ids,
                networks=[n["id"] for n in networks],
                projects=[p["id"] for p in projects],
                spaces=space_ids,
            )
        )

    # --- contact persons: most without consent, some with --------------------------------------
    contacts = rows["contact_persons"]
    owners = (
        [("company", c["id"]) for c in rows["companies"] if c["id"] % 5 != 0]
        + [("network", n["id"]) for n in networks for _ in range(2)]
        + [("project", p["id"]) for p in projects if p["id"] % 4 != 0]
    )
    for owner, owner_id in owners:
        contacts.append(g.contact(rng, len(contacts) + 1, owner, owner_id))
    return rows


def _distribute_money(rng: random.Random, projects: list[dict[str, Any]]) -> None:
    """Volumes adding up to exactly 13,326,242.00 EUR and funding to 6,987,415.36 EUR."""
    weights = [rng.uniform(0.4, 1.6) for _ in projects]
    scale = PROJECTS_TOTAL_VOLUME / Decimal(str(sum(weights)))
    volumes = [(Decimal(str(w)) * scale).quantize(Decimal("0.01")) for w in weights]
    volumes[-1] += PROJECTS_TOTAL_VOLUME - sum(volumes)
    share = PROJECTS_TOTAL_FUNDING / PROJECTS_TOTAL_VOLUME
    fundings = [(v * share).quantize(Decimal("0.01")) for v in volumes]
    fundings[-1] += PROJECTS_TOTAL_FUNDING - sum(fundings)
    for project, volume, funding in zip(projects, volumes, fundings, strict=True):
        project["total_volume"] = volume
        project["funding_amount"] = funding
