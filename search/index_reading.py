"""How a ``SearchIndex`` reads the generation in use: following ``CURRENT`` to
the newest generation, opening it (retrying past another process's commit),
keeping its searcher and ``DocTable`` up to date, and remembering a generation
whose files are damaged so that every read says so (``IndexUnreadable``).

A part of ``search.index.SearchIndex``, which takes these methods from
``GenerationReader``; it holds the state they keep.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from whoosh import index as windex
from whoosh.index import EmptyIndexError
from whoosh.searching import Searcher

from search.facets import DocTable
from search.generations import POINTER, IndexUnreadable, current_name
from search.segment_values import SegmentValues

#: Tries at opening an index that another process is committing to.
OPEN_ATTEMPTS = 8
_WHOOSH_CODE = os.path.dirname(windex.__file__) + os.sep


def raised_reading_files(error: BaseException) -> bool:
    """Whether `error` came out of Whoosh's own code (reading its files) rather than
    ours. Whoosh reports damaged files with anything from struct.error and pickle
    errors to a bare Exception("Block tag error"), so the origin is what tells."""
    tb = error.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.startswith(_WHOOSH_CODE)


class GenerationReader:
    """Opening and following the generation in use, for ``SearchIndex``."""

    path: Path
    _gen: str | None
    _pointer_sig: tuple[int, int] | None
    _ix: windex.Index | None
    _searcher: Searcher | None
    _segments: dict[str, SegmentValues]
    _table: DocTable | None
    _unreadable: tuple[str, IndexUnreadable] | None

    def _open(self, gen: str) -> None:
        """Open generation ``gen``. Another process's commit may delete the table
        of contents (or a merged segment) between Whoosh listing the files and
        reading them; that is a passing race, so try again on the newer files."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        for attempt in range(OPEN_ATTEMPTS):
            try:
                self._ix = windex.open_dir(str(self.path / gen))
                self._searcher = self._ix.searcher()
                break
            except (FileNotFoundError, EmptyIndexError) as error:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise self._damaged(gen, error) from error
                time.sleep(0.01 * (attempt + 1))
            except Exception as error:  # noqa: BLE001 - only Whoosh's file reading runs here
                raise self._damaged(gen, error) from error
        self._gen = gen

    def _damaged(self, gen: str, error: BaseException) -> IndexUnreadable:
        """Remember that generation `gen` cannot be read, and say why."""
        if self._searcher is not None:
            with contextlib.suppress(Exception):  # its files are damaged; let it go
                self._searcher.close()
        self._searcher = self._ix = self._table = None
        self._gen = self._pointer_sig = None
        found = IndexUnreadable(self.path / gen, error)
        self._unreadable = (gen, found)
        return found

    def _fresh_searcher(self, table: bool = True) -> Searcher:
        """Return an up-to-date searcher and, unless `table` is False, make sure the
        DocTable matches it (decoding every document's ``meta``: a command that
        only rebuilds the index never needs it)."""
        st = os.stat(self.path / POINTER)
        sig = (st.st_ino, st.st_mtime_ns)
        if sig != self._pointer_sig or self._searcher is None:
            gen = current_name(self.path)
            if gen != self._gen or self._searcher is None:
                self._open(gen)
            self._pointer_sig = sig
        else:
            try:
                self._searcher = self._refreshed(self._searcher)
            except (OSError, EmptyIndexError):
                # The generation vanished under us (rebuilt elsewhere): follow CURRENT.
                self._pointer_sig = None
                self._gen = None
                return self._fresh_searcher(table)
        assert self._searcher is not None
        reader = self._searcher.reader()
        if table and (self._table is None or self._table.reader is not reader):
            try:
                self._table = DocTable.for_reader(reader, self._segments, self._table)
            except Exception as error:
                if raised_reading_files(error):
                    raise self._damaged(self._gen or "", error) from error
                raise
        return self._searcher

    def _refreshed(self, searcher: Searcher) -> Searcher:
        """The searcher, reopened if the index changed since it was opened.

        Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it reuses segment readers
        by segment id, so it keeps finding documents deleted (updated) since and
        even segments merged away, and it cannot refresh a searcher of an empty
        index. Reopening is cheap here (per-segment caches survive) and happens only
        after a commit; up_to_date() costs one directory listing.
        """
        if searcher.up_to_date():
            return searcher
        searcher.close()
        assert self._ix is not None
        return self._ix.searcher()
