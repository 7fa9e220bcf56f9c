"""Synonym groups: loading the council list and finding them in a query.

The list is data (search/synonyms.txt), not code, so a council can extend it. Each
member is compared by its index terms (search.analysis.stems), so "Bins" and "bin",
or "house in multiple occupation" and "houses in multiple occupation", are one member.

A member written in brackets, ``[send]``, is an acronym that is also an everyday
word: typing it finds its group, but the group finds it only in titles and short
fields (tags, column names), where it is the acronym, never in descriptions, where
"send" is the verb.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

from search.analysis import stems

#: A member of a group: its index terms, e.g. ("waste", "collection").
Member = tuple[str, ...]


@dataclass(frozen=True)
class Synonyms:
    """Synonym groups, looked up by member.

    `display` maps a member to the words it was written with, for messages such as
    "synonym: waste collection".
    """

    groups: tuple[tuple[Member, ...], ...] = ()
    display: dict[Member, str] = field(default_factory=dict)
    _by_member: dict[Member, frozenset[int]] = field(default_factory=dict)
    narrow: frozenset[Member] = frozenset()

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> Synonyms:
        """Build from groups of member texts; members without index terms are dropped,
        as are groups left with fewer than two members."""
        built: list[tuple[Member, ...]] = []
        display: dict[Member, str] = {}
        narrow: set[Member] = set()
        for group in groups:
            members: dict[Member, None] = {}
            for written in group:
                text = written.strip()
                bracketed = text.startswith("[") and text.endswith("]")
                text = text[1:-1] if bracketed else text
                member = tuple(stems(text))
                if member and bracketed:
                    narrow.add(member)
                if member:
                    members[member] = None
                    display.setdefault(member, " ".join(text.lower().split()))
            if len(members) > 1:
                built.append(tuple(members))
        by_member: dict[Member, set[int]] = {}
        for number, built_group in enumerate(built):
            for built_member in built_group:
                by_member.setdefault(built_member, set()).add(number)
        frozen = {m: frozenset(ids) for m, ids in by_member.items()}
        return cls(tuple(built), display, frozen, frozenset(narrow))

    @property
    def longest(self) -> int:
        """The number of terms in the longest member."""
        return max((len(m) for m in self._by_member), default=0)

    def alternatives(self, member: Member) -> list[Member]:
        """Return the other members of every group `member` belongs to, in list order."""
        seen: dict[Member, None] = {}
        for number in sorted(self._by_member.get(member, ())):
            for other in self.groups[number]:
                if other != member:
                    seen[other] = None
        return list(seen)

    def words(self) -> frozenset[str]:
        """Return every term that appears in some member (for spelling correction)."""
        if "_words" not in self.__dict__:
            found = frozenset(term for member in self._by_member for term in member)
            object.__setattr__(self, "_words", found)
        return self.__dict__["_words"]

    def spans(self, terms: Sequence[str]) -> list[tuple[int, int]]:
        """Split `terms` into (start, end) spans: a longest synonym member where one
        starts, else a single term. Spans cover `terms` in order without overlap."""
        out: list[tuple[int, int]] = []
        i, longest = 0, self.longest
        while i < len(terms):
            end = i + 1
            for size in range(min(longest, len(terms) - i), 1, -1):
                if tuple(terms[i : i + size]) in self._by_member:
                    end = i + size
                    break
            out.append((i, end))
            i = end
        return out


def read_groups(lines: Iterable[str]) -> list[list[str]]:
    """Parse synonym file lines: one comma-separated group a line, # comments."""
    groups = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append([m.strip() for m in line.split(",") if m.strip()])
    return groups


def council_groups() -> list[list[str]]:
    """Return the groups of the packaged council synonym list (search/synonyms.txt)."""
    text = resources.files("search").joinpath("synonyms.txt").read_text(encoding="utf-8")
    return read_groups(text.splitlines())


def load_synonyms(extra: Mapping[str, Iterable[str]] | None = None) -> Synonyms:
    """Return the council synonym list with `extra` groups merged in.

    Each entry of `extra` is a group: its key and its values are all synonyms. A
    member in several groups finds the members of all of them. Raises TypeError if a
    value is not an iterable of strings.
    """
    groups = council_groups()
    for head, others in (extra or {}).items():
        if isinstance(others, str):
            others = [others]
        groups.append([head, *others])
    return Synonyms.from_groups(groups)
