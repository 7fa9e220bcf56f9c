"""Spelling correction from the index's own vocabulary.

Candidates come from a symmetric-delete dictionary (the SymSpell idea): every word
and every form of it with one letter deleted point back to the word. A typed word's
forms with up to two letters deleted are looked up there, and each candidate is
checked with a true edit distance. That finds every word one edit away (a letter
missing, extra, wrong or swapped: "libary", "recyling", "counci") and most two edits
away, in well under a millisecond, without scanning the vocabulary.

The vocabulary is the words of titles and short fields (tags, department, owner,
column names) plus the synonym list: words people search *for*. Description words
are recognised as correct (see `known`) but not offered as corrections.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator

#: Fields whose words spelling corrections are drawn from.
SPELLING_FIELDS = ("title", "facts", "org")


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Return the optimal-string-alignment distance between `a` and `b`.

    Insertions, deletions, substitutions and adjacent transpositions each cost 1.
    Returns `limit` + 1 as soon as the distance is known to exceed `limit`.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _deletes(word: str, depth: int) -> set[str]:
    """Return `word` and every form of it with up to `depth` letters deleted."""
    forms = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 1}
        forms |= frontier
    return forms


def max_distance(word: str) -> int:
    """How many edits a correction of `word` may be: 1 up to 7 letters, else 2.

    Two edits in a short word reach too many unrelated words ("arrear" -> "area").
    """
    return 1 if len(word) <= 7 else 2


class SpellingDictionary:
    """Words people search for, with how many documents use each.

    Grows as the index does (words are added segment by segment, never removed:
    a word of a deleted asset is still a real word); lookups never touch the index.
    """

    def __init__(self) -> None:
        self.frequencies: dict[str, int] = {}
        self._forms: dict[str, list[str]] = {}

    def add(self, counted: Iterable[tuple[str, int]]) -> None:
        """Add (word, document frequency) pairs; a word seen again keeps its highest
        frequency. Words shorter than three letters or with digits are left out
        (they are codes, not spellings)."""
        freqs, forms = self.frequencies, self._forms
        for word, freq in counted:
            if len(word) < 3 or not word.isalpha():
                continue
            if word not in freqs:
                for form in _deletes(word, 1):
                    forms.setdefault(form, []).append(word)
                freqs[word] = freq
            elif freq > freqs[word]:
                freqs[word] = freq

    def candidates(self, word: str) -> Iterator[tuple[str, int]]:
        """Yield (candidate, distance) for dictionary words within max_distance(word)."""
        limit = max_distance(word)
        seen: set[str] = set()
        for form in _deletes(word, limit):
            for candidate in self._forms.get(form, ()):
                if candidate in seen or candidate == word:
                    continue
                seen.add(candidate)
                distance = edit_distance(word, candidate, limit)
                if distance <= limit:
                    yield candidate, distance

    def correct(self, word: str, uses: Callable[[str], int | None] | None = None) -> str | None:
        """Return the likeliest intended word for misspelt `word`, or None.

        Fewest edits first, then the word more documents use; a candidate must keep
        the first letter unless it is one edit away (people rarely mistype the first
        letter, and allowing it for two edits proposes nonsense).

        `uses(candidate)`, when given, says how many documents the searcher may see
        use the candidate, or None if it must not be offered at all: a correction
        drawn from a document the searcher may not see would reveal its words.
        """
        if len(word) < 3 or not word.isalpha():
            return None
        best: tuple[int, int, str] | None = None
        for candidate, distance in self.candidates(word):
            if distance > 1 and candidate[0] != word[0]:
                continue
            frequency = self.frequencies.get(candidate, 0) if uses is None else uses(candidate)
            if frequency is None:
                continue
            rank = (distance, -frequency, candidate)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None


class Corrections:
    """Corrections already worked out, per misspelt term and searcher's view.

    A correction depends on the index version (its words and how many documents
    use each), on the dictionary (the synonyms' words are in it) and on what the
    searcher may see; the cache is emptied whenever the reader or the dictionary
    changes, and keyed by `view` (the searcher's Visibility) within them. Bounded:
    the least recently used entries go first.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._owner: tuple[object, object] | None = None
        self._found: OrderedDict[tuple[str, Hashable], str | None] = OrderedDict()

    def correct(
        self,
        reader: object,
        dictionary: SpellingDictionary,
        view: Hashable,
        word: str,
        uses: Callable[[str], int | None],
    ) -> str | None:
        """Return `dictionary.correct(word, uses)`, worked out once per `view`
        while `reader` and `dictionary` stay the ones in use."""
        if self._owner is None or self._owner[0] is not reader or self._owner[1] is not dictionary:
            self._found.clear()
            self._owner = (reader, dictionary)
        key = (word, view)
        if key in self._found:
            self._found.move_to_end(key)
            return self._found[key]
        found = self._found[key] = dictionary.correct(word, uses)
        if len(self._found) > self.size:
            self._found.popitem(last=False)
        return found
