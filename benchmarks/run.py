"""`make bench`: every benchmark, one after another, each printing its table and
writing JSON under benchmarks/results/. Sizes can be cut for a quick look:

    python -m benchmarks.run [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

STEPS = [
    ("apply", ["benchmarks.bench_apply", "--assets", "10000"]),
    ("lineage", ["benchmarks.bench_lineage", "--assets", "100000"]),
    ("search", ["benchmarks.bench_search", "--assets", "100000"]),
]
QUICK = {"10000": "2000", "100000": "5000"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    failed = []
    for name, argv in STEPS:
        if args.quick:
            argv = [QUICK.get(a, a) for a in argv]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", *argv])
        print(f"[{name}: {time.perf_counter() - started:.0f} s]")
        if done.returncode != 0:
            failed.append(name)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
