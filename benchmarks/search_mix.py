"""The search benchmark's queries and its SQLite FTS5 baselines.

Queries come in six classes, each as staff type them, drawn from the generated
corpus (deterministic for a seed), at least 40 distinct queries per class:

- word: council terms ("council tax", "payroll");
- typo: a term with two letters swapped or one dropped ("cuoncil tax");
- prefix: type-ahead, the first letters of a term's words ("coun ta");
- phrase: a quoted term ('"waste collection"');
- exact title: an asset's whole title ("Payroll returns 4521");
- faceted: a term narrowed to a department and a kind, as after a first look.

Two baselines answer each query on FTS5 over the same text, in the same run:
*lean* is what a list page needs (top 20 by bm25, title weighted, and the
count); *full* adds the same six facets the catalogue counts (one GROUP BY each).

FTS5 alone finds nothing for a misspelling, where the catalogue corrects it and
searches: not the same job. So each baseline also runs *spelt* (`fts_spelt`), as
a product built on FTS5 would: when the search finds nothing, each word SQLite's
own vocabulary of the text lacks (an `fts5vocab` table over the words as
written) is replaced by its closest vocabulary word (candidates sharing its
letter trigrams, from an FTS5 `trigram` table of the vocabulary, checked with
the catalogue's edit distance and rules: fewest edits, then the most documents)
and the search runs again.
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.generate import SUBJECTS, WORDS
from search.spelling import edit_distance, max_distance

CLASSES = ("word", "typo", "prefix", "phrase", "exact title", "faceted")
FACETS = ("department", "kind", "classification", "access", "owner", "tags")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class MixQuery:
    """One query of the mix: its class, the text typed and the facet filters."""

    kind: str
    q: str
    filters: dict[str, list[str]] = field(default_factory=dict)

    def match(self) -> str:
        """The FTS5 MATCH expression of the same query."""
        words = _WORD.findall(self.q.lower())
        if self.kind == "prefix":
            return " ".join(f'"{w}"*' for w in words)
        if self.kind == "phrase":
            return '"' + " ".join(words) + '"'
        return " ".join(f'"{w}"' for w in words)


def _typo(rng: random.Random, term: str) -> str:
    words = term.split()
    i = max(range(len(words)), key=lambda j: len(words[j]))
    w = words[i]
    if len(w) < 4:
        return term
    at = rng.randrange(1, len(w) - 2)
    words[i] = (
        w[:at] + w[at + 1] + w[at] + w[at + 2 :] if rng.random() < 0.5 else w[:at] + w[at + 1 :]
    )
    return " ".join(words)


def query_mix(records: list[dict], per_class: int = 40, seed: int = 3) -> list[MixQuery]:
    """``per_class`` distinct queries of each class (so 6 × per_class in all)."""
    rng = random.Random(seed)
    terms = sorted(set(SUBJECTS) | {f"{a} {b}" for a in WORDS[:12] for b in WORDS[12:24]})
    departments = sorted({r["department"] for r in records if r.get("department")})
    out: dict[str, dict[str, MixQuery]] = {c: {} for c in CLASSES}

    def add(kind: str, q: str, filters: dict[str, list[str]] | None = None) -> None:
        if len(out[kind]) < per_class:
            query = MixQuery(kind, q, filters or {})
            out[kind].setdefault(f"{q} {sorted(query.filters.items())}", query)

    for term in SUBJECTS + terms:
        add("word", term)
    while any(len(out[c]) < per_class for c in ("typo", "prefix", "phrase", "faceted")):
        term = rng.choice(terms)
        add("typo", _typo(rng, term))
        add("prefix", " ".join(w[: rng.randint(3, 5)] for w in term.split()))
        add("phrase", f'"{term}"')
        filters = {
            "department": [rng.choice(departments)],
            "kind": [rng.choice(("dataset", "report"))],
        }
        add("faceted", rng.choice(SUBJECTS), filters)
    for record in rng.sample(records, min(len(records), per_class * 2)):
        add("exact title", record["title"])
    return [out[c][name] for c in CLASSES for name in sorted(out[c])]


def build_fts(records: list[dict]) -> tuple[sqlite3.Connection, float]:
    """An in-memory FTS5 table over the records' text (columns included) beside a
    table of their facet values; (connection, seconds to build)."""
    started = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE assets (id INTEGER PRIMARY KEY, key, kind, title, department, "
        "owner, classification, access, tags, last_updated)"
    )
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(title, description, tags, department, "
        "owner, columns, tokenize='porter unicode61')"
    )
    rows, texts = [], []
    for i, r in enumerate(records, 1):
        tags = " ".join(r.get("tags", []))
        rows.append(
            (i, r["key"], r["kind"], r["title"], r.get("department"), r.get("owner"))
            + (r.get("classification"), r.get("access"), tags, r.get("last_updated"))
        )
        columns = " ".join(c["name"] for c in r.get("columns", []))
        texts.append(
            (i, r["title"], r.get("description", ""), tags, r.get("department"), r.get("owner"))
            + (columns,)
        )
    db.executemany("INSERT INTO assets VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    db.executemany(
        "INSERT INTO fts(rowid, title, description, tags, department, owner, columns) "
        "VALUES (?,?,?,?,?,?,?)",
        texts,
    )
    _build_vocabulary(db, texts)
    db.commit()
    return db, time.perf_counter() - started


def _build_vocabulary(db: sqlite3.Connection, texts: list[tuple]) -> None:
    """The words of the text as written (no stemming), with how many assets use
    each (``words_v``, fts5vocab); those that may be offered as corrections
    (letters only, three or more, as the catalogue's) in ``spelling``, with a
    trigram index of them (``vocab``)."""
    db.execute("CREATE VIRTUAL TABLE words USING fts5(text, tokenize='unicode61', content='')")
    db.executemany(
        "INSERT INTO words(rowid, text) VALUES (?, ?)",
        ((t[0], " ".join(str(v) for v in t[1:] if v)) for t in texts),
    )
    db.execute("CREATE VIRTUAL TABLE words_v USING fts5vocab(words, 'row')")
    db.execute("CREATE TABLE spelling (id INTEGER PRIMARY KEY, term TEXT UNIQUE, docs INTEGER)")
    db.execute(
        "INSERT INTO spelling(term, docs) SELECT term, doc FROM words_v "
        "WHERE length(term) >= 3 AND term NOT GLOB '*[^a-z]*'"
    )
    db.execute("CREATE VIRTUAL TABLE vocab USING fts5(term, tokenize='trigram')")
    db.execute("INSERT INTO vocab(rowid, term) SELECT id, term FROM spelling")


def _where(query: MixQuery) -> tuple[str, list[str]]:
    where, args = "fts MATCH ?", [query.match()]
    for name, values in sorted(query.filters.items()):
        where += f" AND a.{name} = ?"
        args.append(values[0])
    return where, args


def fts_lean(db: sqlite3.Connection, query: MixQuery) -> list:
    """Top 20 by bm25 (title weighted) and the count: what a list page needs."""
    where, args = _where(query)
    joined = "FROM fts JOIN assets a ON a.id = fts.rowid"
    hits = db.execute(
        f"SELECT a.key {joined} WHERE {where} "
        "ORDER BY bm25(fts, 10.0, 1.0, 2.0, 1.0, 1.0, 1.0) LIMIT 20",
        args,
    ).fetchall()
    db.execute(f"SELECT count(*) {joined} WHERE {where}", args).fetchone()
    return hits


def fts_full(db: sqlite3.Connection, query: MixQuery) -> list:
    """The lean answer plus the six facets' counts, as the catalogue returns them."""
    hits = fts_lean(db, query)
    where, args = _where(query)
    for name in FACETS:
        db.execute(
            f"SELECT a.{name}, count(*) FROM fts JOIN assets a ON a.id = fts.rowid "
            f"WHERE {where} GROUP BY a.{name}",
            args,
        ).fetchall()
    return hits


#: Vocabulary words sharing trigrams with a misspelling that are checked, at most.
CANDIDATES = 200


def corrected(db: sqlite3.Connection, query: MixQuery) -> MixQuery | None:
    """`query` with each word the text never uses replaced by its closest
    vocabulary word, or None when nothing could be corrected."""
    fixed, changed = [], False
    for word in _WORD.findall(query.q.lower()):
        known = db.execute("SELECT 1 FROM words_v WHERE term = ?", (word,)).fetchone()
        better = None if known else _closest(db, word)
        fixed.append(better or word)
        changed |= better is not None
    if not changed:
        return None
    text = " ".join(fixed)
    return MixQuery(query.kind, f'"{text}"' if query.kind == "phrase" else text, query.filters)


def _closest(db: sqlite3.Connection, word: str) -> str | None:
    """The likeliest intended vocabulary word for `word` (the catalogue's rules:
    fewest edits within max_distance, the first letter kept beyond one edit,
    then the word more assets use). Candidates share a trigram with `word`; when
    none is close enough (a short word with a letter swapped may share none:
    "bugdet"), every vocabulary word with its first letter is checked."""
    if len(word) < 3 or not word.isalpha():
        return None
    grams = " OR ".join(sorted({f'"{word[i : i + 3]}"' for i in range(len(word) - 2)}))
    rows = db.execute(
        "SELECT s.term, s.docs FROM (SELECT rowid FROM vocab WHERE vocab MATCH ? "
        "ORDER BY rank LIMIT ?) v JOIN spelling s ON s.id = v.rowid",
        (grams, CANDIDATES),
    ).fetchall()
    best = _best(word, rows)
    if best is None:
        first = word[0]
        rows = db.execute(
            "SELECT term, docs FROM spelling WHERE term >= ? AND term < ?",
            (first, chr(ord(first) + 1)),
        ).fetchall()
        best = _best(word, rows)
    return best


def _best(word: str, rows: list[tuple[str, int]]) -> str | None:
    limit, best = max_distance(word), None
    for term, docs in rows:
        if abs(len(term) - len(word)) > limit:
            continue
        distance = edit_distance(word, term, limit)
        if distance > limit or (distance > 1 and term[0] != word[0]):
            continue
        if best is None or (distance, -docs, term) < best:
            best = (distance, -docs, term)
    return best[2] if best else None


def fts_spelt(
    db: sqlite3.Connection, query: MixQuery, answer: Callable[[sqlite3.Connection, MixQuery], list]
) -> list:
    """`answer` (fts_lean or fts_full), and when it finds nothing, `answer` again
    for the corrected query (see the module docstring)."""
    hits = answer(db, query)
    if hits:
        return hits
    better = corrected(db, query)
    return answer(db, better) if better else hits
