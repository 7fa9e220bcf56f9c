"""Writing to the index: change-log entries applied through Whoosh's writer, and
full rebuilds into a new generation swapped in whole (search.generations lays
them out; search.segments writes a rebuild's segments in bulk).

SearchIndex (search.index) reads and delegates its writes here. applied.json is
written after the Whoosh commit; a crash in between only makes the next apply()
redo harmless work (updates are by key).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.index import EmptyIndexError, LockError

from search.generations import (
    REBUILD_LOCK,
    WRITER_OPTIONS,
    IndexUnreadable,
    current_name,
    flock,
    new_generation,
    point_to,
    read_seq,
    remove_old_generations,
    write_seq,
)
from search.schema import document_for, index_fields


def apply_changes(root: Path, changes: Sequence[Mapping[str, Any]], lock_timeout: float) -> bool:
    """Apply `changes` to the generation in use under `root` (see SearchIndex.apply);
    False if another writer held the lock for `lock_timeout` seconds."""
    if not changes:
        return True
    for _ in range(3):
        gen = current_name(root)
        path = root / gen
        if max(c["seq"] for c in changes) <= read_seq(path):
            return True
        try:
            ix = windex.open_dir(str(path))
            writer = ix.writer(timeout=lock_timeout, **WRITER_OPTIONS)
        except LockError:
            return False
        except (OSError, EmptyIndexError):
            continue  # the generation was swapped out meanwhile
        except Exception as error:  # noqa: BLE001 - only Whoosh's file reading runs here
            raise IndexUnreadable(path, error) from error
        if gen != current_name(root):
            writer.cancel()
            continue
        try:
            newest = _write_changes(writer, changes, read_seq(path))
        except BaseException:
            writer.cancel()
            raise
        write_seq(path, max(newest, read_seq(path)))
        return True
    return False


def _write_changes(writer: Any, changes: Sequence[Mapping[str, Any]], done: int) -> int:
    """Write the asset changes newer than `done` (the last per key wins) and
    commit; return the newest seq seen."""
    latest: dict[str, Mapping[str, Any]] = {}
    newest = done
    for change in sorted(changes, key=lambda c: c["seq"]):
        newest = max(newest, change["seq"])
        if change["seq"] > done and change["action"].startswith("asset."):
            latest[change["key"]] = change
    if not latest:
        writer.cancel()
        return newest
    for key, change in latest.items():
        after = change.get("after")
        if after is None or after.get("key", key) != key:
            writer.delete_by_term("key", key)
        if after is not None:
            writer.update_document(**index_fields(document_for(after)))
    writer.commit()
    return newest


def rebuild_generation(
    root: Path, build: Callable[[Path], int], seq: int, swapped: Callable[[], None]
) -> int:
    """Have `build` index the records into a new, empty generation under `root`
    (``generations.fill`` or ``fill_shares``) and return how many; then make it
    the generation in use at sequence `seq`, call `swapped()` and remove the old
    generations (see SearchIndex.rebuild). Whatever `build` raises (a bad record:
    ValueError) leaves the index as it was."""
    root.mkdir(parents=True, exist_ok=True)  # it may have been deleted
    with flock(root / REBUILD_LOCK):
        gen = new_generation(root)
        try:
            count = build(gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        write_seq(gen, seq)
        point_to(root, gen.name)
        swapped()
        remove_old_generations(root, keep=gen.name)
    return count
