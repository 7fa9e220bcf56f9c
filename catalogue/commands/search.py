"""`catalogue search` and `catalogue index …`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from catalogue.commands import Context, emit_json, format_option, pass_context
from catalogue.services.search import index_status, search_json, search_with, verify_index
from catalogue.text import shown_safely
from search import FACET_FIELDS

if TYPE_CHECKING:
    from search import SearchResults


@click.command()
@click.argument("query", nargs=-1)
@click.option("--kind", multiple=True, help="Only this kind (repeatable).")
@click.option("--department", multiple=True, help="Only this department (repeatable).")
@click.option("--tag", multiple=True, help="Only this tag (repeatable).")
@click.option("--classification", multiple=True, help="Only this classification (repeatable).")
@click.option("--access", multiple=True, help="Only this access level (repeatable).")
@click.option("--owner", multiple=True, help="Only this owner (repeatable).")
@click.option(
    "--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="Results per page."
)
@click.option(
    "--page", default=1, show_default=True, type=click.IntRange(1, 10_000), help="Page of results."
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "title", "updated"]),
    default="relevance",
    show_default=True,
    help="Order of results.",
)
@click.option("--all", "include_retired", is_flag=True, help="Include retired assets.")
@format_option("text", "json")
@pass_context
def search(
    obj: Context,
    query: tuple[str, ...],
    limit: int,
    page: int,
    sort: str,
    include_retired: bool,
    fmt: str,
    **filters: tuple[str, ...],
) -> None:
    """Search the catalogue as staff do: "bins", "council tax arrears", "school places"."""
    params: dict[str, Any] = {
        "q": " ".join(query),
        **{k: list(v) for k, v in filters.items() if v and k in FACET_FIELDS},
        "page": page,
        "per_page": limit,
        "sort": sort,
        "all": include_retired,
    }
    # Imported here: it brings the lineage package and NetworkX, which the index
    # commands (a rebuild's start-up, before its helpers fork) do not need (#21).
    from catalogue.services import run_health

    with obj.reading() as reader:
        results = search_with(reader, params)
        payload = search_json(params["q"], results)
        hits = payload["hits"]
        run_health.mark_hits(reader, hits)
    if fmt == "json":  # the shape GET /api/v1/search answers
        emit_json(payload)
        return
    _print_results(results, {h["key"] for h in hits if h["at_risk"]})


def _print_results(results: SearchResults, risky: set[str]) -> None:
    """The results as a person reads them in a terminal; ``risky``: the keys a
    failed pipeline run puts at risk."""
    if results.corrected_query:
        click.echo(f"Showing results for {results.corrected_query!r}.")
    elif results.suggestion:
        click.echo(f"Did you mean {results.suggestion!r}?")
    if results.partial_match:
        click.echo("Few results had all of those words: results with some of them are shown too.")
    if results.no_good_match or not results.hits:
        click.echo("No good match. Try fewer or different words, or browse by department.")
        return
    click.echo(f"{results.total} result(s), page {results.page} of {results.pages}:")
    for n, hit in enumerate(results.hits, start=(results.page - 1) * results.per_page + 1):
        marker = "  AT RISK: a pipeline run that feeds it failed" if hit.key in risky else ""
        click.echo(shown_safely(f"{n:>3}. {hit.title}  [{hit.key}]") + marker)
        click.echo(
            shown_safely(
                f"     {hit.kind} · {hit.department or 'no department'} · owner "
                f"{hit.owner or 'not recorded'} · {hit.classification} · {hit.access}"
            )
        )
        if hit.matched:
            click.echo(f"     matched: {', '.join(hit.matched)}")


@click.group(name="index")
def index_group() -> None:
    """The search index: status, rebuild, verify."""


@index_group.command(name="status")
@format_option("text", "json")
@pass_context
def status(obj: Context, fmt: str) -> None:
    """How far the search index has caught up with the database."""
    state = index_status(obj.catalogue.views)
    if fmt == "json":
        emit_json({"applied": state.applied, "head": state.head, "behind": state.behind})
        return
    click.echo(
        f"index applied change {state.applied}; database is at {state.head}; "
        f"{'up to date' if not state.behind else f'{state.behind} behind'}"
    )


@index_group.command(name="rebuild")
@pass_context
def rebuild(obj: Context) -> None:
    """Build a fresh index from the database beside the old one and swap it in."""
    count = obj.catalogue.views.rebuild_index()
    click.echo(f"Rebuilt the search index: {count} assets.")


@index_group.command(name="verify")
@format_option("text", "json")
@pass_context
def verify(obj: Context, fmt: str) -> None:
    """Compare every index document with the database and report differences.

    Exits 1 when there are differences (so a script can act on it).
    """
    result = verify_index(obj.catalogue.views)
    if fmt == "json":
        emit_json(
            {
                "checked": result.checked,
                "differences": result.differences,
                "missing": result.missing,
                "unexpected": result.unexpected,
                "different": result.different,
            }
        )
    else:
        click.echo(f"Checked {result.checked} assets: {result.differences} difference(s).")
        for key in result.missing:
            click.echo(f"  missing from the index: {key}")
        for key in result.unexpected:
            click.echo(f"  in the index but not the database: {key}")
        for key, fields in result.different.items():
            click.echo(f"  {key}: differs in {', '.join(fields)}")
    if result.differences:
        raise click.exceptions.Exit(1)
