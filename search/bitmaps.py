"""Sets of document numbers as Python integers (bit i set = document i present).

At 100,000 documents a bitmap is 12.5 KB and &, |, ~ and bit_count() run in C in
microseconds whatever the number of members, where Python sets of a broad query's
matches cost milliseconds per operation. Converting to and from document numbers
is the only per-member work, and searches avoid it for large sets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_POSITIONS = [tuple(i for i in range(8) if byte >> i & 1) for byte in range(256)]
_BIT = [1 << i for i in range(8)]
# Runs of bytes with a bit set, so sparse bitmaps skip their zero bytes in C.
_NONZERO_RUN = re.compile(rb"[^\x00]+")


def from_ids(ids: Iterable[int], size: int = 0) -> int:
    """Return the bitmap of document numbers `ids` (`size` presizes the buffer)."""
    ids = ids if isinstance(ids, list | tuple) else list(ids)
    if ids:
        size = max(size, max(ids) + 1)
    buf = bytearray((size >> 3) + 1)
    bit = _BIT
    for docnum in ids:
        buf[docnum >> 3] |= bit[docnum & 7]
    return int.from_bytes(buf, "little")


def to_ids(bitmap: int) -> list[int]:
    """Return the document numbers in `bitmap`, ascending."""
    if bitmap <= 0:
        return []
    raw = bitmap.to_bytes((bitmap.bit_length() + 7) >> 3, "little")
    out: list[int] = []
    if bitmap.bit_count() * 16 < len(raw):  # sparse: let the regex engine skip zeros
        chunks = [(run.start(), run.group()) for run in _NONZERO_RUN.finditer(raw)]
    else:
        chunks = [(0, raw)]
    for start, chunk in chunks:
        for index, byte in enumerate(chunk, start):
            if byte:
                base = index << 3
                out.extend([base + p for p in _POSITIONS[byte]])
    return out


def first_in_order(bitmap: int, order: Sequence[int], limit: int) -> list[int]:
    """Return the first `limit` members of `bitmap` in `order` (a permutation of
    document numbers), walking `order`: fast when the bitmap is dense."""
    if limit <= 0 or bitmap <= 0:
        return []
    raw = bitmap.to_bytes((bitmap.bit_length() + 7) >> 3, "little")
    size = len(raw) << 3
    out = []
    for docnum in order:
        if docnum < size and raw[docnum >> 3] >> (docnum & 7) & 1:
            out.append(docnum)
            if len(out) == limit:
                break
    return out


def ordered(bitmap: int, order: Sequence[int], rank: Sequence[int], limit: int) -> list[int]:
    """Return the first `limit` members of `bitmap` in `order`, where `rank` is the
    inverse permutation. Chooses between walking the order (dense bitmaps) and
    decoding then sorting (sparse ones)."""
    members = bitmap.bit_count()
    if members == 0 or limit <= 0:
        return []
    if members * 64 >= len(order):
        return first_in_order(bitmap, order, limit)
    ids = to_ids(bitmap)
    ids.sort(key=rank.__getitem__)
    return ids[:limit]
