"""Text analysis shared by indexing, querying and highlighting.

The stemmer is deliberately light: it folds plurals and possessives ("schools" ->
"school", "libraries" -> "library", "buses" -> "bus") and nothing else. Porter-style
stemmers conflate words a council keeps apart ("parking"/"parks", "housing"/"house",
"community"/"communal", "training"/"trains"); partial words are found through the
title n-gram field instead, where a prefix match ranks below a whole-word match.

Every function here is pure and cheap; the analyzers are built once and pickled
into the Whoosh schema by reference to this module.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Analyzer, CompositeAnalyzer, Filter, Token, Tokenizer
from whoosh.formats import Frequency
from whoosh.system import pack_uint

#: Words too common to help find a dataset. Short on purpose: "may", "can", "will",
#: "us" and "not", stop words elsewhere, are month names and nouns a council uses.
_STOP_TEXT = """a an and are as at be by for from has have in into is it its of on or s t
that the their this to was were with"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

#: The shortest partial word that is matched as a prefix.
MIN_PREFIX = 3
#: Word tokens: runs of letters and digits, a dot inside a number kept ("v3.0",
#: "1.5"). "_" and other dots split, so a harvested table's name reads as its words
#: ("rent_accounts", "housing.rent_accounts" → rent, accounts).
WORD_PATTERN = r"[^\W_]+(?:\.\d+)*"
_WORD_RE = re.compile(WORD_PATTERN, re.UNICODE)
#: Where a camelCase or PascalCase identifier changes word: "rentAccount",
#: "NHSNumber" → NHS, Number.
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def camel_parts(word: str) -> list[str]:
    """The words of a camelCase ``word`` ("RentAccount" → Rent, Account), or []
    for an ordinary word. Cheap for the usual cases (lower case, Capitalised,
    UPPER CASE), which are most words of a description."""
    if word.islower() or word.isupper() or word[1:].islower() or word.isdigit():
        return []
    parts = _CAMEL_RE.split(word)
    return parts if len(parts) > 1 else []


def word_matches(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) for each word of ``text``, unfolded; a camelCase word is
    followed by its parts, so "RentAccount" is found by "rentaccount" and by
    "rent account" alike."""
    for m in _WORD_RE.finditer(text):
        word, start = m.group(), m.start()
        yield start, m.end(), word
        for part in camel_parts(word):
            yield start, start + len(part), part
            start += len(part)


#: Plurals a suffix rule would get wrong, and words that only look plural.
IRREGULAR_PLURALS = {
    "buses": "bus",
    "censuses": "census",
    "statuses": "status",
    "bonuses": "bonus",
    "campuses": "campus",
    "surpluses": "surplus",
    "viruses": "virus",
    "gases": "gas",
    "news": "news",
    "series": "series",
    "species": "species",
    "children": "child",
    "people": "person",
    "women": "woman",
    "men": "man",
    "lives": "life",
    "wives": "wife",
    "knives": "knife",
    "leaves": "leaf",
    "halves": "half",
    "shelves": "shelf",
    "indices": "index",
    "criteria": "criterion",
}
_KEEP_ENDINGS = ("ss", "us", "is")


def light_stem(word: str) -> str:
    """Return `word` with a plural or possessive ending folded away.

    Only the inflections that never change meaning are removed, so the stem of a
    word is always a word a person would recognise. Never raises.
    """
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4 and word[-4] not in "aeiou":
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ches", "shes", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_KEEP_ENDINGS):
        return word[:-1]
    return word


def fold(text: str) -> str:
    """Lower-case `text` and strip accents ("Café" -> "cafe")."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class FoldFilter(Filter):
    """Lower-cases and strips accents from each token's text."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = fold(t.text)
            yield t


class TermTokenizer(Tokenizer):
    """Words -> index terms in one pass: fold, drop stop words, light-stem.

    The schema's analyzer for the text fields, so any Whoosh tool reading the index
    analyses text as it was indexed. Indexing itself uses the faster formats below
    (same terms, via stems()).
    """

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for begin, end, raw in word_matches(value) if tokenize else ():
            word = fold(raw)
            if word in STOP_WORDS:
                if removestops:
                    continue
                t.stopped = True
            else:
                t.stopped = False
            t.text = _stem(word)
            t.boost = 1.0
            if keeporiginal:
                t.original = raw
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                t.startchar = start_char + begin
                t.endchar = start_char + end
            yield t


class PrefixTokenizer(Tokenizer):
    """Words -> their proper prefixes of 3..maxsize characters (edge n-grams), folded.

    A word's whole form is left to the ``title`` field, and stop words and words of
    fewer than four letters have no prefixes: together that halves this field's
    postings, which dominate indexing time, without losing a prefix anyone types.
    """

    def __init__(self, maxsize: int = 15) -> None:
        self.maxsize = maxsize

    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, **kwargs: object
    ) -> Iterator[Token]:
        t = Token(positions, chars, **kwargs)
        t.boost = 1.0
        for word in word_prefixes(value, self.maxsize):
            t.text = word
            yield t


def word_prefixes(text: str, maxsize: int = 15) -> Iterator[str]:
    """Yield the proper prefixes (3..maxsize characters) of the words of `text`."""
    for _, _, raw in word_matches(text):
        word = fold(raw)
        if len(word) > MIN_PREFIX and word.isalpha() and word not in STOP_WORDS:
            for end in range(MIN_PREFIX, min(len(word) - 1, maxsize) + 1):
                yield word[:end]


_stem = lru_cache(maxsize=200_000)(light_stem)


def term_of(word: str) -> str:
    """Return the index term of one folded word (its light stem; cached)."""
    return _stem(word)


class TermFrequencies(Frequency):
    """Frequency postings computed straight from stems(), skipping the token stream.

    Indexing time is dominated by per-token Python overhead; counting the terms of
    a whole value at once is several times faster and gives the same postings as
    the field's analyzer (TermTokenizer), which queries and highlights also use.
    """

    def word_values(self, value: str | list[str], analyzer: Analyzer, **kwargs: object) -> Iterator:
        """Postings for `value`: text, or a list of terms already analysed."""
        return _postings(self.term_counts(value), self.field_boost)

    def term_counts(self, value: str | list[str]) -> Counter[str]:
        """How often each term occurs in `value` (a bulk rebuild's postings)."""
        return Counter(stems(value) if isinstance(value, str) else value)


class BodyFrequencies(Frequency):
    """Postings of a description less the words of its title.

    The value is (title, text). A title word found again in the description adds
    nothing a search uses (the title match outranks it), and leaving it out saves a
    tenth of all postings. Analysed here, in the indexing process, so that parallel
    rebuilds spread the work.
    """

    def word_values(self, value: tuple[str, str], analyzer: Analyzer, **kwargs: object) -> Iterator:
        return _postings(self.term_counts(value), self.field_boost)

    def term_counts(self, value: tuple[str, str]) -> Counter[str]:
        title, text = value if isinstance(value, tuple) else ("", value)
        in_title = set(stems(title))
        return Counter(t for t in stems(text) if t not in in_title)


class PrefixFrequencies(Frequency):
    """Frequency postings of word_prefixes(), like PrefixTokenizer but in one pass."""

    def word_values(self, value: str, analyzer: Analyzer, **kwargs: object) -> Iterator:
        return _postings(self.term_counts(value), self.field_boost)

    def term_counts(self, value: str) -> Counter[str]:
        return Counter(word_prefixes(value))


def _postings(counts: Counter[str], field_boost: float) -> Iterator:
    """Whoosh's (term, frequency, weight, encoded frequency) of each term counted."""
    return ((w, f, f * field_boost, pack_uint(f)) for w, f in counts.items())


def text_analyzer() -> Analyzer:
    """Analyzer for words people search with: fold, drop stop words, light-stem."""
    return CompositeAnalyzer(TermTokenizer())


def prefix_analyzer(maxsize: int = 15) -> Analyzer:
    """Analyzer for the title edge n-gram field (see PrefixTokenizer)."""
    return CompositeAnalyzer(PrefixTokenizer(maxsize))


def words(text: str) -> list[str]:
    """Return the folded (lower-case, accent-free) words of `text`, stop words kept;
    a camelCase word is followed by its parts (see word_matches)."""
    if not _CAMEL_RE.search(text):  # most text: fold once, split once
        return _WORD_RE.findall(fold(text))
    return [fold(raw) for _, _, raw in word_matches(text)]


def word_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, folded word) for each word of `text`, for highlighting."""
    for m in _WORD_RE.finditer(text):
        yield m.start(), m.end(), fold(m.group())


def stems(text: str) -> list[str]:
    """Return the index terms of `text`: folded, stop words removed, light-stemmed."""
    return [_stem(w) for w in words(text) if w not in STOP_WORDS]


def normalise_title(title: str) -> str:
    """Return the form in which titles are compared for an exact match.

    "Recycling Centres - " and "recycling centre" normalise alike, so a query that
    says what the title says finds it first whatever the punctuation or plural.
    """
    return " ".join(stems(title))


_TAG_RE = re.compile(r"<[^>]*>")
_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MD_LINK_RE = re.compile(r"\]\([^)]*\)")
_SPACE_RE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")


def plain_text(markup: str | None) -> str:
    """Return Markdown/HTML `markup` as searchable plain text.

    Tags are removed, entities decoded, link targets and bare URLs dropped (their
    fragments would only add noise words), whitespace collapsed. Never raises.
    """
    if not markup:
        return ""
    text = _TAG_RE.sub(" ", markup)
    text = html.unescape(text)
    text = _MD_LINK_RE.sub("]", text)
    text = _URL_RE.sub(" ", text)
    text = _SPACE_RE.sub(" ", text)
    text = _BLANK_LINES_RE.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
