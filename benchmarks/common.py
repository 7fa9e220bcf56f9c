"""Helpers shared by the benchmarks: a scratch catalogue, timing, tables, results."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
RESULTS = ROOT / "benchmarks" / "results"
CATALOGUE = str(Path(sys.executable).with_name("catalogue"))


def scratch_env(name: str, database_url: str | None = None) -> dict[str, str]:
    """Environment for a fresh scratch catalogue under benchmarks/.work/NAME."""
    folder = WORK / name
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "CATALOGUE_INSTANCE_PATH": str(folder), "CATALOGUE_ACTOR": "bench"}
    if database_url:
        env["CATALOGUE_DATABASE_URL"] = database_url
    else:
        env.pop("CATALOGUE_DATABASE_URL", None)
    return env


def run_cli(env: dict[str, str], *args: str) -> float:
    """Run `catalogue ARGS` as a user would; returns wall seconds. Fails loudly."""
    return cli_output(env, *args)[0]


def cli_output(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run `catalogue ARGS`; wall seconds and what it printed. Fails loudly."""
    started = time.perf_counter()
    done = subprocess.run([CATALOGUE, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"catalogue {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def timed(func: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds per call over ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "max_ms": round(max(values), 3),
    }


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    if not rows:
        return
    columns = list(rows[0])
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.1f}"
    return str(value)


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
