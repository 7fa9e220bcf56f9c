"""`catalogue apply` of a generated 10,000-asset file with lineage (target ≤ 20 s).

python -m benchmarks.bench_apply [--assets 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse

from benchmarks.common import WORK, print_table, run_cli, save, scratch_env
from benchmarks.generate import generate, write_file


def bench_apply(assets: int, database_url: str | None = None) -> dict:
    env = scratch_env(f"apply-{assets}", database_url)
    path = WORK / f"apply-{assets}.yaml"
    records = generate(assets)
    write_file(records, path)
    edges = sum(len(r.get("upstream", [])) for r in records)
    run_cli(env, "init")
    first = run_cli(env, "apply", str(path))
    again = run_cli(env, "apply", str(path))
    return {
        "assets": assets,
        "edges": edges,
        "backend": "postgresql" if database_url else "sqlite",
        "apply_s": round(first, 2),
        "reapply_unchanged_s": round(again, 2),
        "target_s": 20.0 if assets == 10_000 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    row = bench_apply(args.assets, args.database_url)
    print_table("catalogue apply (wall time of the command, including start-up)", [row])
    save("apply", {"rows": [row]})


if __name__ == "__main__":
    main()
