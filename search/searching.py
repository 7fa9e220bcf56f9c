"""Running a search: plan, match, filter, count, rank, explain.

The query plan is lean on purpose: one unscored pass collects the matching
documents (for the total and the facets), one scored pass with Whoosh's top-N
optimisations ranks a single page, and stored fields are read for that page only.
Fallback readings run only when the strict one found nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Set

from whoosh import query as wq
from whoosh.query.compound import DefaultOr as _Or
from whoosh.searching import Searcher

from search.analysis import MIN_PREFIX, STOP_WORDS, light_stem, words
from search.facets import DocTable, filter_and_count, top_by
from search.highlight import Marker, explain
from search.model import Hit, SearchRequest, SearchResults
from search.querying import QueryBuilder, QueryPlan, plan_query
from search.spelling import SpellingDictionary
from search.synonyms import Synonyms

TEXT_FIELDS = ("title", "facts", "body")


def _matches(searcher: Searcher, query: wq.Query | None, allowed: Set[int]) -> set[int]:
    if query is None:
        return set()
    return {d for d in searcher.docs_for_query(query) if d in allowed}


def _match(
    searcher: Searcher, plan: QueryPlan, allowed: Set[int]
) -> tuple[wq.Query | None, set[int], str | None]:
    """Return (query used, visible matching documents, the text it stands for if it
    is a looser reading than what was typed)."""
    reader = searcher.reader()
    builder = QueryBuilder(lambda name, text: (name, text) in reader)
    query = builder.strict(plan)
    found = _matches(searcher, query, allowed)
    if found:
        return query, found, None
    for looser, units in builder.relaxed(plan):
        found = _matches(searcher, looser, allowed)
        if found:
            return looser, found, " ".join(w for u in units for w in u.raw)
    return None, set(), None


def run_search(
    searcher: Searcher,
    table: DocTable,
    synonyms: Synonyms,
    spelling: Callable[[], SpellingDictionary],
    request: SearchRequest,
    filters: Mapping[str, frozenset[str]],
) -> SearchResults:
    """Answer `request` from `searcher` (filters already validated)."""
    reader = searcher.reader()

    def known(term: str) -> bool:
        return any((name, term) in reader for name in TEXT_FIELDS)

    text = request.q if isinstance(request.q, str) else ""
    plan = plan_query(text, synonyms, known, lambda term: spelling().correct(term))
    allowed = table.allowed(request.visibility, request.include_retired)
    query, relaxed_text = None, None
    if plan.browse:
        matched: Set[int] = allowed
    elif plan.units:
        query, matched, relaxed_text = _match(searcher, plan, allowed)
    else:
        matched = set()
    final, facets = filter_and_count(table, matched, filters)
    start = (request.page - 1) * request.per_page
    ranked = _rank(searcher, table, query, final, request.sort, start + request.per_page)
    marker = Marker(plan)
    hits = [_hit(searcher, plan, marker, docnum, score) for docnum, score in ranked[start:]]
    suggestion = plan.corrected_text or relaxed_text
    return SearchResults(
        total=len(final),
        hits=hits,
        facets=facets,
        page=request.page,
        per_page=request.per_page,
        pages=math.ceil(len(final) / request.per_page),
        suggestion=suggestion,
        no_good_match=not plan.browse and not matched,
        corrected_query=(relaxed_text or plan.corrected_text) if matched else None,
    )


def _rank(
    searcher: Searcher,
    table: DocTable,
    query: wq.Query | None,
    docs: Set[int],
    sort: str,
    limit: int,
) -> list[tuple[int, float]]:
    """Return the first `limit` of `docs` in the requested order, with scores."""
    if not docs:
        return []
    if query is None or sort != "relevance":
        return [
            (d, 0.0) for d in top_by(table, docs, "title" if sort == "relevance" else sort, limit)
        ]
    allow = docs if isinstance(docs, set) else set(docs)
    results = searcher.search(query, filter=allow, limit=limit)
    titles = table.columns["title_sort"]
    scored = [(hit.docnum, hit.score) for hit in results]
    # Equal scores (the same title published by several councils) read best A-Z.
    scored.sort(key=lambda item: (-round(item[1], 6), titles[item[0]]))
    return scored


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
        score=round(score, 4),
        highlights=highlights,
        matched=reasons,
    )


def run_autocomplete(
    searcher: Searcher, allowed: Set[int], prefix: str, limit: int
) -> list[tuple[str, str]]:
    """Return up to `limit` (key, title) of `allowed` documents for typed `prefix`.

    Every complete word must be a title word; the last, possibly unfinished word
    matches as the start of a title word (from three letters) or as a whole word.
    """
    typed = words(prefix[:200])
    if not typed or limit <= 0 or not allowed:
        return []
    *complete, last = typed
    clauses: list[wq.Query] = [
        wq.Term("title", light_stem(w)) for w in complete if w not in STOP_WORDS
    ]
    if last not in STOP_WORDS or not clauses:
        whole = wq.Term("title", light_stem(last), boost=2.0)
        if len(last) >= MIN_PREFIX:
            clauses.append(_Or([whole, wq.Term("title_prefix", last[:15])]))
        else:
            clauses.append(whole)
    allow = allowed if isinstance(allowed, set) else set(allowed)
    results = searcher.search(wq.And(clauses), filter=allow, limit=limit * 4)
    start = " ".join(typed)
    found = []
    for rank, hit in enumerate(results):
        doc = hit["record"]
        title_words = " ".join(words(doc["title"]))
        found.append((not title_words.startswith(start), len(doc["title"]), rank, doc))
    found.sort(key=lambda item: item[:3])
    return [(doc["key"], doc["title"]) for *_, doc in found[:limit]]
