"""Large synthetic data sets for benchmarks: the demo data's shapes, scaled by the company count.

For N companies: N/100 networks (at least 2) with 50-500 members each (capped at N), N/5 spaces,
N/50 projects, 2N events. Deterministic for a given N and reference day.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from db.seed import generate as g


def build(companies: int, today: dt.date) -> dict[str, list[dict[str, Any]]]:
    if companies < 10:
        raise ValueError("a synthetic data set needs at least 10 companies")
    rng = random.Random(companies)
    slugs = g.SlugSet()
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["companies"] = [g.company(rng, slugs, pk) for pk in range(1, companies + 1)]
    for row in rows["companies"]:
        row["published"] = True
    company_ids = list(range(1, companies + 1))

    project_count = max(2, companies // 50)
    rows["projects"] = []
    for pk in range(1, project_count + 1):
        start = dt.date(2002 + pk % 24, 1 + pk % 12, 1)
        title = f"Projekt {pk} Standortentwicklung"
        volume = Decimal(rng.randint(20_000, 900_000))
        rows["projects"].append(
            {
                "id": pk,
                "slug": slugs.make(title),
                "title": title,
                "summary": "Synthetisches Projekt.",
                "status": rng.choice(["PLANNED", "RUNNING", "COMPLETED"]),
                "starts_on": start,
                "ends_on": start + dt.timedelta(days=1095),
                "total_volume": volume,
                "funding_amount": (volume * Decimal("0.5")).quantize(Decimal("0.01")),
                "published": True,
            }
        )
    rows["project_funding_programs"] = [{"project_id": p["id"], "program_code": "GRW"} for p in rows["projects"]]
    rows["project_partners"] = [
        {"project_id": p["id"], "company_id": c} for p in rows["projects"] for c in rng.sample(company_ids, 3)
    ]

    network_count = max(2, companies // 100)
    rows["networks"] = [
        {
            "id": pk,
            "slug": slugs.make(f"Netzwerk {pk}"),
            "name": f"Netzwerk {pk}",
            "kind": rng.choice(["ASSOCIATION", "NETWORK", "CLUSTER"]),
            "description": "Synthetisches Netzwerk.",
            "founded_on": dt.date(2000 + pk % 25, 1, 1),
            "website": None,
            "email": None,
            "origin_project_id": None,
            "published": True,
        }
        for pk in range(1, network_count + 1)
    ]
    rows["network_memberships"] = [
        {"network_id": n["id"], "company_id": c, "role": "MEMBER", "member_since": n["founded_on"]}
        for n in rows["networks"]
        for c in rng.sample(company_ids, min(companies, rng.randint(50, 500)))
    ]
    rows["project_networks"] = [
        {"project_id": p["id"], "network_id": 1 + p["id"] % network_count} for p in rows["projects"]
    ]
    rows["spaces"] = [g.space(rng, slugs, pk, today, company_ids) for pk in range(1, max(2, companies // 5) + 1)]
    space_ids = [s["id"] for s in rows["spaces"]]
    network_ids = [n["id"] for n in rows["networks"]]
    project_ids = [p["id"] for p in rows["projects"]]
    rows["events"] = [
        g.event(rng, slugs, pk, today, hosts=company_ids, networks=network_ids, projects=project_ids, spaces=space_ids)
        for pk in range(1, 2 * companies + 1)
    ]
    rows["contact_persons"] = []
    return rows
