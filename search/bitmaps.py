"""Sets of document numbers as Python integers (bit i set = document i present).

At 100,000 documents a bitmap is 12.5 KB and &, |, ~ and bit_count() run in C in
microseconds whatever the number of members, where Python sets of a broad query's
matches cost milliseconds per operation. Converting to and from document numbers
is the only per-member work, and searches avoid it for large sets.
"""

from __future__ import annotations

import heapq
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, compress, islice, repeat

_BIT = [1 << i for i in range(8)]
#: Bytes b"0"/b"1" to 0/1, the selectors itertools.compress wants.
_ZERO_ONE = bytes.maketrans(b"01", b"\x00\x01")
_ONE_MORE = (1).__add__
#: At one member per this many bits or more, to_ids picks by bit, not by gap.
_DENSE_FROM = 5
#: At one member per this many documents or more, from_ids writes binary digits.
_DIGITS_FROM = 12
_ONE_DIGIT = ord("1")
#: Bitmaps of at most this many members are decoded byte by byte (see _few_ids).
_FEW = 400
_NONZERO = re.compile(rb"[^\x00]")
#: The bits set in each byte value, lowest first.
_IN_BYTE = [tuple(i for i in range(8) if value >> i & 1) for value in range(256)]
#: Steps a walk of an order (first_ranked) may take beyond twice those expected.
_WALK_SLACK = 64


def from_ids(ids: Iterable[int], size: int = 0) -> int:
    """Return the bitmap of document numbers `ids` (`size` presizes the buffer).

    Few members are set one by one in a byte buffer. Many (a common word's
    postings, read on its first use) are written as the bitmap's binary digits,
    one ASCII byte a document, by a C-level map over the ids, and parsed with
    ``int(…, 2)``, which is linear for base 2: a third less work per member, for
    about 1.5 ns a document of the index.
    """
    ids = ids if isinstance(ids, list | tuple) else list(ids)
    if ids:
        size = max(size, max(ids) + 1)
    if len(ids) * _DIGITS_FROM >= size > 0:
        digits = bytearray(b"0") * size
        deque(map(digits.__setitem__, ids, repeat(_ONE_DIGIT)), maxlen=0)
        digits.reverse()  # the most significant digit first
        return int(digits, 2)
    buf = bytearray((size >> 3) + 1)
    bit = _BIT
    for docnum in ids:
        buf[docnum >> 3] |= bit[docnum & 7]
    return int.from_bytes(buf, "little")


def to_ids(bitmap: int) -> list[int]:
    """Return the document numbers in `bitmap`, ascending.

    No Python loop per document: ``bin()`` spells the bits out in C, and the
    members are found by C-level iteration over that text. Sparse bitmaps split it
    at each set bit and add up the gaps (work per member); dense ones pick the
    numbers of the set bits with itertools.compress (work per bit, but a few
    nanoseconds each), whichever is cheaper. A few members (an exact title's,
    a narrow search's) are found byte by byte instead (see _few_ids).
    """
    if bitmap <= 0:
        return []
    if bitmap.bit_count() <= _FEW:
        return _few_ids(bitmap)
    bits = bin(bitmap)[:1:-1]  # bit 0 first
    if bitmap.bit_count() * _DENSE_FROM < len(bits):
        gaps = bits.split("1")
        gaps.pop()  # the zeros above the highest member
        ids = list(accumulate(map(_ONE_MORE, map(len, gaps)), initial=-1))
        del ids[0]
        return ids
    return list(compress(range(len(bits)), bits.encode("ascii").translate(_ZERO_ONE)))


def _few_ids(bitmap: int) -> list[int]:
    """to_ids for a few members: the regex engine finds the bitmap's non-zero
    bytes (a scan of an eighth of the bits, where ``bin()`` spells out them all),
    and each byte's members come from a table."""
    raw = bitmap.to_bytes((bitmap.bit_length() + 7) >> 3, "little")
    ids: list[int] = []
    for found in _NONZERO.finditer(raw):
        at = found.start()
        ids += map((at << 3).__add__, _IN_BYTE[raw[at]])
    return ids


def first_in_order(bitmap: int, order: Sequence[int], limit: int) -> list[int]:
    """Return the first `limit` members of `bitmap` in `order` (a permutation of
    document numbers), walking `order`: fast when the bitmap is dense."""
    return _walk(bitmap, order, limit, len(order))[0]


def _walk(bitmap: int, order: Sequence[int], limit: int, steps: int) -> tuple[list[int], bool]:
    """Walk at most `steps` of `order`: (members found, in order; whether they are
    the first `limit`, i.e. the walk filled them or reached the end of `order`)."""
    if limit <= 0 or bitmap <= 0:
        return [], True
    raw = bitmap.to_bytes((bitmap.bit_length() + 7) >> 3, "little")
    size = len(raw) << 3
    out = []
    for docnum in islice(order, steps):
        if docnum < size and raw[docnum >> 3] >> (docnum & 7) & 1:
            out.append(docnum)
            if len(out) == limit:
                return out, True
    return out, steps >= len(order)


def first_ranked(
    bitmap: int, order: Sequence[int], ranks: Callable[[], Sequence[int]], limit: int
) -> list[int]:
    """Return the first `limit` members of `bitmap` in `order`; `ranks()` gives
    the inverse permutation (``ranks()[order[i]] == i``), asked for only if needed.

    Walking `order` finds them after about ``limit * len(order) / members`` steps
    when the members are spread through it; but a set that sorts late (the
    documents of one long-titled subject, in shortest-title order) makes that
    walk cross nearly the whole index, in Python. So the walk stops after twice
    the steps expected, and then every member is placed by its rank instead (the
    members decoded, and their ranks read, at C speed); the answer is the same.
    """
    members = bitmap.bit_count()
    if members == 0 or limit <= 0:
        return []
    steps = 2 * limit * len(order) // members + _WALK_SLACK
    found, complete = _walk(bitmap, order, limit, steps)
    if complete:
        return found
    return by_rank(to_ids(bitmap), order, ranks(), limit)


def ranks_of(order: Sequence[int], size: int | None = None) -> array[int]:
    """The inverse permutation of `order`: each document's position in it, for
    ``by_rank`` and ``first_ranked``. `size`: one more than the largest document
    number (``len(order)`` when `order` holds every document)."""
    rank = array("l", [0]) * (len(order) if size is None else size)
    deque(map(rank.__setitem__, order, range(len(order))), maxlen=0)
    return rank


def by_rank(ids: Iterable[int], order: Sequence[int], rank: Sequence[int], limit: int) -> list[int]:
    """Return the first `limit` of document numbers `ids` in `order` (`rank` its
    inverse permutation): one look-up per member and a heap of `limit`, not a sort."""
    return [order[r] for r in heapq.nsmallest(limit, map(rank.__getitem__, ids))]
