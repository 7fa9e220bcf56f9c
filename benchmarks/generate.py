"""Synthetic council catalogues for benchmarks: N assets with layered lineage.

Layers run source systems → raw datasets → derived datasets → reports, so
traces are several hops deep, as in a real council. Deterministic for a seed.

    python -m benchmarks.generate 10000 -o /tmp/catalogue-10k.yaml
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import yaml

DEPARTMENTS = [
    "Revenues & Benefits",
    "Adult Social Care",
    "Children's Services",
    "Housing",
    "Environment & Waste",
    "Planning",
    "Parking & Highways",
    "Public Health",
    "Finance",
    "Education",
    "Libraries & Culture",
    "Customer Services",
]
SUBJECTS = [
    "council tax",
    "business rates",
    "housing benefit",
    "rent",
    "repairs",
    "homelessness",
    "care packages",
    "safeguarding",
    "school places",
    "admissions",
    "planning applications",
    "building control",
    "waste collection",
    "recycling",
    "fly-tipping",
    "street cleansing",
    "parking permits",
    "penalty charge notices",
    "electric vehicle charging",
    "potholes",
    "street lighting",
    "air quality",
    "immunisation",
    "library loans",
    "payroll",
    "supplier payments",
    "budget monitoring",
    "complaints",
    "freedom of information",
    "addresses",
    "licensing",
    "allotments",
    "trees",
    "parks",
    "cemeteries",
    "noise complaints",
]
FORMS = [
    "accounts",
    "cases",
    "register",
    "extract",
    "snapshot",
    "transactions",
    "requests",
    "returns",
    "inspections",
    "schedule",
    "forecast",
    "monitoring",
]
WORDS = [
    "monthly",
    "weekly",
    "daily",
    "ward",
    "borough",
    "resident",
    "tenant",
    "property",
    "address",
    "officer",
    "team",
    "statutory",
    "return",
    "performance",
    "indicator",
    "trend",
    "caseload",
    "backlog",
    "target",
    "budget",
    "spend",
    "contract",
    "supplier",
    "vehicle",
    "route",
    "round",
    "collection",
    "report",
    "dashboard",
    "extract",
    "table",
    "warehouse",
    "snapshot",
    "audit",
    "review",
    "quality",
]
REPORT_KINDS = ["dashboard", "statutory return", "committee report"]
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "annual", "irregular"]


def _people(rng: random.Random, n: int) -> list[tuple[str, str]]:
    first = [
        "Amara",
        "Ben",
        "Chloe",
        "Dev",
        "Ellie",
        "Farid",
        "Grace",
        "Hassan",
        "Isla",
        "Jamal",
        "Kemi",
        "Liam",
        "Maya",
        "Nikhil",
    ]
    last = [
        "Adeyemi",
        "Brown",
        "Chen",
        "Davies",
        "Evans",
        "Fofana",
        "Green",
        "Hussain",
        "Ito",
        "Jones",
        "Khan",
        "Lewis",
    ]
    out = []
    for i in range(n):
        name = f"{rng.choice(first)} {rng.choice(last)}"
        out.append((name, f"{name.lower().replace(' ', '.')}{i}@borough.example.gov.uk"))
    return out


def _asset(rng: random.Random, i: int, kind: str, people: list[tuple[str, str]]) -> dict:
    subject = rng.choice(SUBJECTS)
    dept = DEPARTMENTS[SUBJECTS.index(subject) % len(DEPARTMENTS)]
    owner, steward = rng.choice(people), rng.choice(people)
    personal = kind != "report" and rng.random() < 0.35
    title = {
        "source_system": f"{subject.title()} system {i}",
        "pipeline": f"Nightly {subject} load {i}",
        "report": f"{subject.capitalize()} {rng.choice(REPORT_KINDS)} {i}",
    }.get(kind, f"{subject.capitalize()} {rng.choice(FORMS)} {i}")
    record: dict[str, Any] = {
        "key": f"{kind.replace('_', '-')}-{i:06d}",
        "kind": kind,
        "title": title,
        "description": f"{title}: " + " ".join(rng.choices(WORDS, k=18)) + ".",
        "tags": sorted({subject.split()[0], rng.choice(WORDS)}),
        "department": dept,
        "owner": owner[0],
        "owner_email": owner[1],
        "steward": steward[0],
        "steward_email": steward[1],
        "classification": "OFFICIAL-SENSITIVE" if personal and rng.random() < 0.5 else "OFFICIAL",
        "access": rng.choice(["open", "internal", "internal", "restricted"]),
        "personal_data": personal,
        "update_frequency": rng.choice(FREQUENCIES),
        "last_updated": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
    }
    if personal:
        record["lawful_basis"] = "public_task"
    if kind == "dataset":
        record["columns"] = [
            {"name": f"{w}_{j}", "type": "string", "personal": personal and j == 0}
            for j, w in enumerate(rng.sample(WORDS, 4))
        ]
    return record


def generate(n: int, seed: int = 7, edges_per_asset: float = 3.0) -> list[dict]:
    """``n`` assets: 2% systems, 3% pipelines, 8% reports, the rest datasets in
    three layers; about ``edges_per_asset`` upstream edges per asset on average."""
    rng = random.Random(seed)
    people = _people(rng, max(20, n // 200))
    n_sys, n_pipe, n_rep = max(2, n // 50), max(1, n * 3 // 100), max(1, n * 8 // 100)
    n_data = n - n_sys - n_pipe - n_rep
    layers: list[list[dict]] = [[_asset(rng, i, "source_system", people) for i in range(n_sys)]]
    pipelines = [_asset(rng, i, "pipeline", people) for i in range(n_pipe)]
    for layer in range(3):
        size = n_data // 3 + (n_data % 3 if layer == 0 else 0)
        start = sum(len(x) for x in layers)
        layers.append([_asset(rng, start + i, "dataset", people) for i in range(size)])
    layers.append([_asset(rng, i, "report", people) for i in range(n_rep)])
    # Each asset (beyond systems) draws upstream from the layers before it.
    target = edges_per_asset * n / max(1, n - n_sys - n_pipe)
    fan, extra = max(2, int(target)), target - int(target)
    for depth in range(1, len(layers)):
        pool = [r["key"] for layer in layers[max(0, depth - 2) : depth] for r in layer]
        for record in layers[depth]:
            wanted = rng.randint(fan - 1, fan + 1) + (rng.random() < extra)
            count = min(len(pool), wanted)
            ups = rng.sample(pool, count)
            record["upstream"] = [
                {"key": k, "via": rng.choice(pipelines)["key"]} if rng.random() < 0.1 else k
                for k in sorted(ups)
            ]
    return [r for layer in layers for r in layer] + pipelines


def write_file(records: list[dict], path: Path) -> None:
    """A catalogue file `catalogue apply` reads: JSON for .json, else YAML."""
    if path.suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, help="number of assets")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    records = generate(args.n, args.seed)
    write_file(records, args.output)
    edges = sum(len(r.get("upstream", [])) for r in records)
    print(f"wrote {len(records)} assets, {edges} edges to {args.output}")


if __name__ == "__main__":
    main()
