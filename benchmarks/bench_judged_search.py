"""Search quality on real data: hits@3 of the judged staff searches in
tests/search/judged_queries.yaml over the Scottish councils' 2,127 open
datasets (the share of queries with a relevant dataset among the top three).

    python -m benchmarks.bench_judged_search [--show-misses]

Prints one row per query (its top three, and whether one is relevant) and the
total. Run it on two commits to compare relevance before and after a change.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import print_table
from catalogue.importers.ckan import package_to_record, read_packages
from search import SearchIndex, SearchRequest

ROOT = Path(__file__).resolve().parents[1]
JUDGED = ROOT / "tests" / "search" / "judged_queries.yaml"
SCOTLAND = ROOT.parent / "shared" / "data" / "catalogues" / "opendata-scotland.jsonl"


def judged_queries(path: Path = JUDGED) -> list[dict[str, Any]]:
    """The judged queries: each ``q`` and its ``relevant`` dataset keys."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def hits_at_3(index: SearchIndex, judged: list[dict[str, Any]]) -> tuple[int, list[dict]]:
    """(queries with a relevant dataset in the top three, one row per query)."""
    rows, hits = [], 0
    for item in judged:
        results = index.search(SearchRequest(q=item["q"], per_page=3))
        top = [h.key for h in results.hits]
        hit = bool(set(top) & set(item["relevant"]))
        hits += hit
        rows.append(
            {
                "query": item["q"],
                "relevant": len(item["relevant"]),
                "found": results.total,
                "hit@3": "yes" if hit else "NO",
                "top three": ", ".join(k[:40] for k in top),
            }
        )
    return hits, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="list only the misses")
    args = parser.parse_args()
    records = [package_to_record(pkg) for _, pkg in read_packages(SCOTLAND)]
    folder = Path(tempfile.mkdtemp(prefix="judged-search-"))
    try:
        index = SearchIndex(folder / "index")
        index.rebuild(records, seq=len(records))
        judged = judged_queries()
        hits, rows = hits_at_3(index, judged)
        index.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    shown = [r for r in rows if r["hit@3"] == "NO"] if args.show_misses else rows
    print_table(f"Judged staff searches on {len(records)} Scottish datasets", shown)
    print(f"\nhits@3: {hits}/{len(judged)} = {hits / len(judged):.0%}")


if __name__ == "__main__":
    main()
