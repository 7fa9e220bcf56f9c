"""Running a search: plan, match, filter, count, rank, explain.

The plan is lean: each term's documents come from a cached bitmap, so matching,
visibility, filters and facet counts are integer operations; ranking groups the
matches by shared features; stored fields are read for one page only. Looser
readings of the query are tried only when the strict one found nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from whoosh.searching import Searcher

from search.analysis import MIN_PREFIX, STOP_WORDS, light_stem, words
from search.facets import DocTable, filter_and_count
from search.highlight import Marker, explain, marker_for
from search.matching import TEXT_FIELDS, Evidence, Matcher, TermBitmaps
from search.model import Hit, SearchRequest, SearchResults
from search.querying import QueryPlan, plan_query
from search.spelling import SPELLING_FIELDS, Corrections, SpellingDictionary
from search.synonyms import Synonyms

#: Autocomplete ranks this many of the shortest matching titles.
AUTOCOMPLETE_POOL = 200


def run_search(
    searcher: Searcher,
    table: DocTable,
    terms: TermBitmaps,
    synonyms: Synonyms,
    spelling: Callable[[], SpellingDictionary],
    request: SearchRequest,
    filters: Mapping[str, frozenset[str]],
    corrections: Corrections | None = None,
) -> SearchResults:
    """Answer `request` from `searcher` (filters already validated); `corrections`
    remembers spelling corrections between searches (see spelling.Corrections)."""
    read = _read_and_match(searcher, table, terms, synonyms, spelling, request, corrections)
    matcher, plan, evidence, matched, relaxed_text, partial = read
    decoded: dict[int, list[int]] = {}  # sets whose members counting decoded, for ranking
    final, facets = filter_and_count(table, matched, filters, decoded)
    hits = _page(searcher, table, matcher, plan, evidence, final, request, decoded)
    total = final.bit_count()
    return SearchResults(
        total=total,
        hits=hits,
        facets=facets,
        page=request.page,
        per_page=request.per_page,
        pages=math.ceil(total / request.per_page),
        suggestion=plan.corrected_text or relaxed_text,
        no_good_match=not plan.browse and not matched,
        corrected_query=(relaxed_text or plan.corrected_text) if matched else None,
        partial_match=partial and bool(final),
    )


def rank_matches(
    searcher: Searcher,
    table: DocTable,
    terms: TermBitmaps,
    synonyms: Synonyms,
    spelling: Callable[[], SpellingDictionary],
    request: SearchRequest,
    corrections: Corrections | None = None,
) -> list[int]:
    """Every active document matching `request.q` that `request.visibility` may
    see, best first: the order run_search pages through, without the pages."""
    read = _read_and_match(searcher, table, terms, synonyms, spelling, request, corrections)
    matcher, plan, evidence, matched = read[:4]
    if evidence is None:
        return table.first(matched, "title", matched.bit_count())
    return [d for d, _ in matcher.rank(plan, evidence, matched, matched.bit_count())]


def _read_and_match(
    searcher: Searcher,
    table: DocTable,
    terms: TermBitmaps,
    synonyms: Synonyms,
    spelling: Callable[[], SpellingDictionary],
    request: SearchRequest,
    corrections: Corrections | None = None,
) -> tuple[Matcher, QueryPlan, Evidence | None, int, str | None, bool]:
    """(matcher, plan, evidence, matches, relaxed text, partial?) of `request`'s text."""
    matcher = Matcher(searcher.reader(), table, terms)
    # Spelling sees only what the searcher may see (retired assets included): a
    # word of a hidden asset is neither "known" nor offered as a correction.
    visible = table.allowed(request.visibility, include_retired=True)

    def known(term: str) -> bool:
        return any(matcher.docs(name, term) & visible for name in TEXT_FIELDS)

    def uses(word: str) -> int | None:
        docs = 0
        for name in SPELLING_FIELDS:
            docs |= matcher.docs(name, word) & visible
        if docs:
            return docs.bit_count()
        return 0 if word in synonyms.words() else None

    def correct(term: str) -> str | None:
        if corrections is None:
            return spelling().correct(term, uses)
        return corrections.correct(searcher.reader(), spelling(), request.visibility, term, uses)

    text = request.q if isinstance(request.q, str) else ""
    plan = plan_query(text, synonyms, known, correct)
    allowed = table.allowed(request.visibility, request.include_retired)
    evidence, relaxed_text, partial = None, None, False
    if plan.browse:
        matched = allowed
    elif plan.units:
        evidence, matched, used, partial = matcher.match(plan, allowed)
        if used != plan.units and not partial:
            relaxed_text = " ".join(w for u in used for w in u.raw)
    else:
        matched = 0
    return matcher, plan, evidence, matched, relaxed_text, partial


def _page(
    searcher: Searcher,
    table: DocTable,
    matcher: Matcher,
    plan: QueryPlan,
    evidence: Evidence | None,
    final: int,
    request: SearchRequest,
    decoded: dict[int, list[int]],
) -> list[Hit]:
    """The requested page of `final`, in the requested order, explained."""
    start = (request.page - 1) * request.per_page
    limit = start + request.per_page
    if evidence is None or request.sort != "relevance":
        sort = "title" if request.sort == "relevance" else request.sort
        ranked = [(d, 0.0) for d in table.first(final, sort, limit, decoded)]
    else:
        ranked = matcher.rank(plan, evidence, final, limit, decoded)
    marker = marker_for(plan)
    return [_hit(searcher, plan, marker, docnum, score) for docnum, score in ranked[start:]]


def _hit(searcher: Searcher, plan: QueryPlan, marker: Marker, docnum: int, score: float) -> Hit:
    doc = searcher.stored_fields(docnum)["record"]
    highlights, reasons = explain(doc, plan, marker, key_matched=plan.key == doc["key"])
    return Hit(
        key=doc["key"],
        kind=doc["kind"],
        title=doc["title"],
        department=doc["department"],
        owner=doc["owner"],
        classification=doc["classification"],
        access=doc["access"],
        status=doc["status"],
        last_updated=doc["last_updated"],
        score=score,
        highlights=highlights,
        matched=reasons,
    )


def run_autocomplete(
    searcher: Searcher, table: DocTable, terms: TermBitmaps, allowed: int, prefix: str, limit: int
) -> list[tuple[str, str]]:
    """Return up to `limit` (key, title) of `allowed` documents for typed `prefix`.

    Every complete word must be a title word. The last, possibly unfinished word
    matches the start of a title word: from the n-gram field when it has three
    letters or more; when shorter, by checking the titles the other words found
    (alone, it must be a whole word: "ev"). Titles that begin with the typed text
    come first, then shorter titles.
    """
    typed = words(prefix[:200])
    if not typed or limit <= 0 or not allowed:
        return []
    matcher = Matcher(searcher.reader(), table, terms)
    *complete, last = typed
    docs = allowed
    for word in complete:
        if word not in STOP_WORDS:
            docs &= matcher.docs("title", light_stem(word))
    titles = table.columns["title_sort"]
    if len(last) >= MIN_PREFIX:
        docs &= matcher.docs("title", light_stem(last)) | matcher.docs("title_prefix", last[:15])
        pool = table.first(docs, "short", max(AUTOCOMPLETE_POOL, limit))
    elif complete:
        pool = [
            d
            for d in table.first(docs, "short", AUTOCOMPLETE_POOL * 10)
            if any(w.startswith(last) for w in words(titles[d]))
        ]
    else:
        pool = table.first(docs & matcher.docs("title", light_stem(last)), "short", limit)
    start = " ".join(typed)
    pool.sort(key=lambda d: not " ".join(words(titles[d])).startswith(start))
    out = []
    for docnum in pool[:limit]:
        doc = searcher.stored_fields(docnum)["record"]
        out.append((doc["key"], doc["title"]))
    return out
