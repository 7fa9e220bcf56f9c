"""Writing to the index: change-log entries applied through Whoosh's writer, and
full rebuilds into a new generation swapped in whole (search.generations lays
them out; search.segments writes a rebuild's segments in bulk).

SearchIndex (search.index) reads and delegates its writes here. applied.json is
written after the Whoosh commit; a crash in between only makes the next apply()
redo harmless work (updates are by key).

Many new assets at once (a register applied, #21) are not fed to Whoosh's
writer one document at a time: they are written as whole segments by the
rebuild's machinery (``generations.write_segments``, in helper processes when
allowed), while the writer does the updates and deletions, and the segments join
the index in the writer's own commit, under its lock throughout.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.index import EmptyIndexError, LockError

from search.generations import (
    PARALLEL_THRESHOLD,
    REBUILD_LOCK,
    WRITER_OPTIONS,
    IndexUnreadable,
    current_name,
    flock,
    new_generation,
    point_to,
    read_seq,
    remove_old_generations,
    write_segments,
    write_seq,
)
from search.schema import document_for, index_fields


def apply_changes(
    root: Path,
    changes: Sequence[Mapping[str, Any]],
    lock_timeout: float,
    procs: int = 1,
    bulk_from: int = PARALLEL_THRESHOLD,
) -> bool:
    """Apply `changes` to the generation in use under `root` (see SearchIndex.apply);
    False if another writer held the lock for `lock_timeout` seconds. At least
    `bulk_from` assets new to the index are written in bulk, by up to `procs`
    processes (``_write_changes``)."""
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
            newest = _write_changes(writer, changes, read_seq(path), procs, bulk_from)
        except BaseException:
            writer.cancel()
            raise
        write_seq(path, max(newest, read_seq(path)))
        return True
    return False


def _write_changes(
    writer: Any, changes: Sequence[Mapping[str, Any]], done: int, procs: int, bulk_from: int
) -> int:
    """Write the asset changes newer than `done` (the last per key wins) and
    commit; return the newest seq seen. If at least `bulk_from` of them create
    assets the index holds no document for, those are written as new segments
    (``generations.write_segments``: nothing deletes by key in them, so a key
    must be new) and added to the segments of the writer's commit."""
    latest: dict[str, Mapping[str, Any]] = {}
    newest = done
    for change in sorted(changes, key=lambda c: c["seq"]):
        newest = max(newest, change["seq"])
        if change["seq"] > done and change["action"].startswith("asset."):
            latest[change["key"]] = change
    if not latest:
        writer.cancel()
        return newest
    new = _new_to_the_index(writer, latest, bulk_from)
    for key, change in latest.items():
        after = change.get("after")
        if after is None or after.get("key", key) != key:
            writer.delete_by_term("key", key)
        if after is not None:
            writer.update_document(**index_fields(document_for(after)))
    if new:
        segments = write_segments(writer, new, procs, set(), parallel_from=bulk_from)
        commit_toc = writer._commit_toc
        writer._commit_toc = lambda found: commit_toc([*found, *segments])
    writer.commit()
    return newest


def _new_to_the_index(
    writer: Any, latest: dict[str, Mapping[str, Any]], bulk_from: int
) -> list[Mapping[str, Any]]:
    """The records of the changes in `latest` that create a document under a key
    the index has never held (not even deleted), taken out of `latest`, if there
    are at least `bulk_from` of them; else none. Read with the writer's reader,
    under its lock, so no other writer can add one of these keys meanwhile."""
    created = [
        key
        for key, change in latest.items()
        if (after := change.get("after")) is not None and after.get("key", key) == key
    ]
    if len(created) < bulk_from:
        return []
    reader = writer.reader()
    try:
        new = [key for key in created if ("key", key) not in reader]
    finally:
        reader.close()
    if len(new) < bulk_from:
        return []
    return [latest.pop(key)["after"] for key in new]


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
