"""Index generations on disk: the CURRENT pointer, applied sequence numbers, and
building a generation from records.

Layout of an index directory::

    CURRENT              name of the generation in use, replaced with os.replace
    REBUILD.lock         held (flock) by a rebuild from build to clean-up
    gen-<time>-<rand>/   one Whoosh index (separate files, search.codec), plus
                         applied.json {"seq": N, "format": F}

The applied sequence number lives *in* the generation, so swapping generations swaps
the index and its sequence together: a rebuild at seq S followed by a catch-up from
S can never skip a change.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import gc
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from itertools import islice
from multiprocessing.connection import wait as connection_wait
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

from search.codec import CatalogueCodec
from search.schema import INDEX_FORMAT, build_schema, document_for, index_fields
from search.segments import commit_segments, write_segment

POINTER = "CURRENT"
SEQ_FILE = "applied.json"
REBUILD_LOCK = "REBUILD.lock"
GEN_PREFIX = "gen-"
#: Rebuilds index CHUNK records at a time; a chunk of at least PARALLEL_THRESHOLD
#: records is split between the processes ``fill`` is given (DEFAULT_PROCS unless
#: the caller says otherwise: a threaded web worker asks for one), a segment each.
CHUNK = 20_000
PARALLEL_THRESHOLD = 5000
DEFAULT_PROCS = min(2, os.cpu_count() or 1)
#: Every writer: the faster codec (search.codec), and segments kept as separate
#: files, because Whoosh opens a file inside a compound segment by copying it into
#: memory, which made each reader open (after every commit) cost ~15 ms per file.
CODEC = CatalogueCodec()
WRITER_OPTIONS = {"codec": CODEC, "compound": False}


class IndexUnreadable(Exception):
    """The index's files are not what Whoosh wrote (overwritten, truncated, a table
    of contents missing): nothing can be read from it until it is rebuilt from the
    database (`SearchIndex.rebuild`, which never opens the old files)."""

    def __init__(self, path: Path, error: BaseException) -> None:
        self.path = path
        #: Safe to show anyone: what kind of damage, without the server's paths.
        self.reason = f"its files are damaged: {type(error).__name__}"
        super().__init__(
            f"the search index in {path} cannot be read ({type(error).__name__}: {error})"
        )


def new_generation(root: Path) -> Path:
    """Create an empty index generation under `root` and return its path."""
    path = root / f"{GEN_PREFIX}{time.time_ns():020d}-{secrets.token_hex(3)}"
    path.mkdir()
    windex.create_in(str(path), build_schema())
    return path


def create_first_generation(root: Path) -> None:
    """Create an empty generation and point CURRENT at it, unless another process
    got there first (then this one's generation is removed)."""
    gen = new_generation(root)
    write_seq(gen, 0)
    tmp = root / f".{POINTER}.{secrets.token_hex(4)}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    try:
        os.link(tmp, root / POINTER)  # fails if the pointer exists already
    except FileExistsError:
        shutil.rmtree(gen, ignore_errors=True)
    finally:
        tmp.unlink()


def current_name(root: Path) -> str:
    """The name of the generation CURRENT points to. Raises OSError if unreadable."""
    name = (root / POINTER).read_text(encoding="utf-8").strip()
    if not name.startswith(GEN_PREFIX) or "/" in name:
        raise OSError(f"{root / POINTER} does not name an index generation: {name!r}")
    return name


def point_to(root: Path, gen: str) -> None:
    """Atomically make CURRENT name generation `gen`."""
    tmp = root / f".{POINTER}.{secrets.token_hex(4)}"
    tmp.write_text(gen + "\n", encoding="utf-8")
    os.replace(tmp, root / POINTER)


def remove_old_generations(root: Path, keep: str) -> None:
    """Delete generations other than `keep` that no writer is using; one busy now
    is left for the next rebuild to remove."""
    for path in root.glob(f"{GEN_PREFIX}*"):
        if path.name == keep or not path.is_dir():
            continue
        lock = FileStorage(str(path)).lock("MAIN_WRITELOCK")
        try:
            acquired = lock.acquire(blocking=False)
        except OSError:
            continue
        if acquired:
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                lock.release()


def read_seq(gen_path: Path) -> int:
    """The generation's applied sequence; 0 if none yet or if it was written by an
    older index format (so the caller rebuilds it rather than patching it)."""
    try:
        state = json.loads((gen_path / SEQ_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    return int(state["seq"]) if state.get("format") == INDEX_FORMAT else 0


def write_seq(gen_path: Path, seq: int) -> None:
    tmp = gen_path / f".{SEQ_FILE}.{secrets.token_hex(4)}"
    tmp.write_text(json.dumps({"seq": seq, "format": INDEX_FORMAT}), encoding="utf-8")
    os.replace(tmp, gen_path / SEQ_FILE)


#: While a parallel writer runs: the pid its helper processes must die with.
_helpers_parent: int | None = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In a Whoosh helper process just forked by ``fill``: ask the kernel to kill
    it when its parent dies. Otherwise a rebuild killed with -9 leaves helpers
    behind that hold the rebuild lock (and the parent's database socket) forever,
    and the next rebuild waits for ever."""
    parent = _helpers_parent
    if parent is None:
        return
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


#: Whether this process has registered ``_die_with_parent`` to run in forked
#: children: done by the first parallel ``fill``, not on import, so a process that
#: never builds an index in parallel (a web worker, a command) carries no hook.
_fork_hook_registered = False


def _register_fork_hook() -> None:
    global _fork_hook_registered
    if not _fork_hook_registered:
        os.register_at_fork(after_in_child=_die_with_parent)
        _fork_hook_registered = True


def fill(gen: Path, records: Iterable[Mapping[str, Any]], procs: int = DEFAULT_PROCS) -> int:
    """Add `records` to the empty index at `gen`; return how many. Raises
    ValueError for a key seen twice or a record without a title (nothing is then
    added to the index's table of contents). The records are written as segments
    by ``write_segments``, and every segment joins the index in one commit at the
    end.
    """
    ix = windex.open_dir(str(gen))
    seen: set[str] = set()
    try:
        segments = write_segments(ix, records, procs, seen)
        if segments:
            commit_segments(ix, segments)
    finally:
        shutil.rmtree(gen / f"{ix.indexname}.tmp", ignore_errors=True)
    return len(seen)


def write_segments(
    ix: Any,
    records: Iterable[Mapping[str, Any]],
    procs: int,
    seen: set[str],
    parallel_from: int | None = None,
) -> list[Any]:
    """Write `records` as new segments of index `ix` and return them, not yet in
    its table of contents (the caller commits them: ``fill``, or an apply's
    writer, #21); their keys are added to `seen`. Raises ValueError for a key
    seen twice or a record without a title, HelperDied if a helper was killed;
    the helpers still running are then killed, and a finished segment's files
    are left for the next commit's clean-up.

    With one process, each CHUNK records are written as a segment in bulk
    (search.segments). With more, each CHUNK / `procs` records go to a forked
    helper process as soon as they are read, up to `procs` helpers at a time,
    so this process reads the next share while the helpers write; the last
    share, if at least `parallel_from` (PARALLEL_THRESHOLD) records, is split
    between `procs` helpers.
    """
    if parallel_from is None:
        parallel_from = PARALLEL_THRESHOLD
    records = iter(records)
    size = CHUNK // procs if procs > 1 else CHUNK
    segments: list[Any] = []
    running: deque[_Helper] = deque()
    ahead: list[Mapping[str, Any]] = []
    try:
        while share := ahead + list(islice(records, size - len(ahead))):
            _check_keys(seen, (record["key"] for record in share))
            ahead = list(islice(records, 1))  # is this share the last?
            if procs == 1 or (not ahead and len(share) < parallel_from):
                segments.append(_write_share(ix, share))
                continue
            part = size if ahead else -(-len(share) // procs)
            for start in range(0, len(share), part):
                if len(running) >= procs:
                    segments.append(running.popleft().result())
                running.append(_Helper(partial(_write_share, ix, share[start : start + part])))
        while running:
            segments.append(running.popleft().result())
    finally:
        _stop_helpers(running)
    return segments


#: A share of the records of a rebuild that a helper process reads for itself
#: (``fill_shares``): called in the helper, it returns the share's records.
Share = Callable[[], Iterable[Mapping[str, Any]]]


def share_count(records: int, procs: int) -> int:
    """How many shares ``fill_shares`` should be given for a rebuild of about
    `records` records: nearly equal, at most CHUNK / `procs` records each (a
    segment each, as ``fill`` writes them), and a multiple of `procs` so that the
    helpers finish together. 0 when one process should read and write them all
    (``fill``): one process allowed, or fewer than PARALLEL_THRESHOLD records."""
    if procs < 2 or records < PARALLEL_THRESHOLD:
        return 0
    segments = -(-records // (CHUNK // procs))
    return -(-segments // procs) * procs


def fill_shares(gen: Path, shares: Sequence[Share], procs: int = DEFAULT_PROCS) -> int:
    """Add the records of `shares` to the empty index at `gen`; return how many.

    Each share is read, analysed and written as a segment by a forked helper
    process of its own, up to `procs` at a time, so all of a rebuild's work runs
    on every core: the records never pass through this process, which waits and
    then adds the segments to the index in one commit, in the order of `shares`
    (documents are numbered in the order the shares read them, as ``fill``
    numbers its records). Raises ValueError for a key seen twice or a record
    without a title, whatever reading a share raised (a database error), and
    HelperDied if a helper was killed; nothing is then added to the index's
    table of contents.
    """
    ix = windex.open_dir(str(gen))
    waiting = deque(enumerate(shares))
    running: dict[int, _Helper] = {}
    done: dict[int, tuple[Any, list[str]]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(procs, 1):
                number, share = waiting.popleft()
                running[number] = _Helper(partial(_read_and_write_share, ix, share))
            ready = connection_wait([helper.receiver for helper in running.values()])
            for number in [n for n, helper in running.items() if helper.receiver in ready]:
                done[number] = running.pop(number).result()
        seen: set[str] = set()
        for number in range(len(shares)):
            _check_keys(seen, done[number][1])
        segments = [done[n][0] for n in range(len(shares)) if done[n][0] is not None]
        if segments:
            commit_segments(ix, segments)
    finally:
        _stop_helpers(running.values())
        shutil.rmtree(gen / f"{ix.indexname}.tmp", ignore_errors=True)
    return len(seen)


def _check_keys(seen: set[str], keys: Iterable[str]) -> None:
    """Add `keys` to `seen`; ValueError naming a key seen before."""
    for key in keys:
        if key in seen:
            raise ValueError(f"asset key {key!r} appears twice")
        seen.add(key)


def _write_share(ix: Any, records: Iterable[Mapping[str, Any]]) -> Any:
    """Write `records` as one new segment of `ix` (not yet committed)."""
    docs = [index_fields(document_for(record)) for record in records]
    return write_segment(ix.storage, ix.indexname, ix.schema, CODEC, docs)


def _read_and_write_share(ix: Any, share: Share) -> tuple[Any, list[str]]:
    """In a helper: read `share`, write its records as one new segment of `ix`
    (not yet committed; None if it has none) and return it with their keys."""
    records = list(share())
    keys = [record["key"] for record in records]
    return (_write_share(ix, records) if records else None), keys


def _stop_helpers(helpers: Iterable[_Helper]) -> None:
    """After writing segments, done or failed: kill the helpers still running
    (a finished segment's files are in place)."""
    global _helpers_parent
    for helper in helpers:
        helper.stop()
    _helpers_parent = None


class HelperDied(RuntimeError):
    """A rebuild's helper process ended without a word (killed, e.g. by the
    kernel when memory ran out): the rebuild failed and the index is unchanged."""


class _Helper:
    """A forked process doing one piece of a rebuild (`work`, which returns a
    segment): what it needs reaches it by the fork itself (nothing is pickled on
    the way in) and what it returns, or what went wrong, comes back through a
    pipe."""

    def __init__(self, work: Callable[[], Any]) -> None:
        global _helpers_parent
        _register_fork_hook()
        _helpers_parent = os.getpid()
        context = multiprocessing.get_context("fork")
        self.receiver, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_helper_main, args=(work, send))
        self._process.start()
        send.close()

    def result(self) -> Any:
        """What the helper's work returned; re-raises its error. Raises HelperDied
        if it ended without a word."""
        try:
            outcome, value = self.receiver.recv()
        except EOFError:
            self._process.join()
            code = self._process.exitcode or 0
            how = f"was killed (signal {-code})" if code < 0 else f"exited with status {code}"
            raise HelperDied(f"an index helper process {how} while writing") from None
        finally:
            self._process.join()
            self.receiver.close()
        if outcome == "error":
            raise value
        return value

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def _helper_main(work: Callable[[], Any], send: Any) -> None:
    # A helper lives for one share, and what it builds stays alive until its
    # segment is written: the cyclic garbage collector would only walk those
    # objects again and again, a sixth of a helper's time (#21).
    gc.disable()
    try:
        send.send(("ok", work()))
    except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            send.send(("error", error))
        except Exception:  # noqa: BLE001 - an error that cannot be pickled
            send.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))


class flock:
    """An exclusive flock on `path` for a with-block (blocking)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
