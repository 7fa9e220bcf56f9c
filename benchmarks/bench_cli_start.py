"""How long the command line takes to start: the CPU time of real `catalogue`
commands, each run as a person runs it (a fresh process), on a small SQLite
catalogue. A person waits for `--version`, `--help`, `show`, `list` and
`register` every day: each should cost at most half a second of CPU (#20).

    python -m benchmarks.bench_cli_start [--repeat N]

CPU time (user + system, of the process and its children, from the operating
system) is the figure against the target, because it moves less with the
machine's load than wall time does; the least of the runs (the one other work
disturbed least) is held to the target, the median and wall time are printed
beside it with the load average. The last column names the heavy libraries each
command imported (from `python -X importtime`), which is where the time goes.

The catalogue's own modules are compiled to bytecode first, as `make install`
does: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise compile them
again in every process.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import CATALOGUE, ROOT, print_table, run_cli, save, scratch_env

#: CPU seconds a command may take to start and finish on a small catalogue.
TARGET_CPU_S = 0.5
#: Libraries whose import a person would feel (each costs tenths of a second).
HEAVY = ("flask", "sqlalchemy", "alembic", "networkx", "whoosh", "marshmallow", "sqlglot")


def commands() -> list[tuple[str, list[str], bool]]:
    """(label, argv, held to the target) of each measured command; `register` gets
    a new key each run. A group's own --help imports its commands' services."""
    return [
        ("--version", ["--version"], True),
        ("--help", ["--help"], True),
        ("show KEY", ["show", "rent-accounts"], True),
        ("list", ["list"], True),
        ("register", ["register", "dataset", "{key}", "--title", "Bench asset"], True),
        ("lineage --help", ["lineage", "--help"], False),
    ]


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished children."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(env: dict[str, str], argv: list[str]) -> tuple[float, float]:
    """One run of `catalogue ARGV`: (CPU seconds, wall seconds). Fails loudly."""
    before = children_cpu()
    started = time.perf_counter()
    done = subprocess.run([CATALOGUE, *argv], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"catalogue {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return children_cpu() - before, wall


def heavy_imports(env: dict[str, str], argv: list[str]) -> list[str]:
    """The heavy libraries `catalogue ARGV` imports, read from `-X importtime`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", CATALOGUE, *argv],
        env=env,
        capture_output=True,
        text=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return [name for name in HEAVY if name in imported]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command")
    args = parser.parse_args()
    for source in ("catalogue", "lineage", "search", "cli.py"):
        if (ROOT / source).is_dir():
            compileall.compile_dir(ROOT / source, quiet=1)
        else:
            compileall.compile_file(ROOT / source, quiet=1)
    env = scratch_env("cli-start")
    run_cli(env, "init")
    run_cli(env, "register", "dataset", "rent-accounts", "--title", "Rent accounts")
    run_cli(env, "show", "rent-accounts")  # compiles what `show` imports, once
    rows: list[dict[str, Any]] = []
    serial = 0
    for label, argv, targeted in commands():
        cpu, wall = [], []
        for _ in range(args.repeat):
            serial += 1
            c, w = measure(env, [a.replace("{key}", f"bench-{serial}") for a in argv])
            cpu.append(c)
            wall.append(w)
        heavy = heavy_imports(env, [a.replace("{key}", "bench-imports") for a in argv])
        least_cpu = min(cpu)
        rows.append(
            {
                "command": f"catalogue {label}",
                "cpu_s (least)": round(least_cpu, 3),
                "cpu_s (median)": round(statistics.median(cpu), 3),
                "wall_s (median)": round(statistics.median(wall), 3),
                "target": f"≤ {TARGET_CPU_S:g} s CPU" if targeted else "",
                "verdict": ("met" if least_cpu <= TARGET_CPU_S else "NOT met") if targeted else "",
                "heavy imports": ", ".join(heavy) or "none",
            }
        )
    load = os.getloadavg()
    print_table(
        f"Command-line start-up, {args.repeat} runs each on a small SQLite catalogue "
        f"(load average {load[0]:.1f} on {os.cpu_count()} cores)",
        rows,
    )
    save(
        "cli-start",
        {
            "repeat": args.repeat,
            "load_average": load[0],
            "target_cpu_s": TARGET_CPU_S,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
