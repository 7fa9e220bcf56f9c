"""Running one harvest of one source: read it, then write what changed in one
transaction. A source that cannot be read, or whose objects cannot be assets,
fails alone and writes nothing; a dry run rolls its transaction back."""

from __future__ import annotations

from collections.abc import Callable

from catalogue.errors import CatalogueError, Invalid
from catalogue.services.access import Principal
from catalogue.services.harvest.found import HarvestError, Previous, Reading
from catalogue.services.harvest.remembered import previous_views
from catalogue.services.harvest.sync import Progress, Summary, harvest_into
from catalogue.store import Catalogue


class _DryRun(Exception):
    def __init__(self, summary: Summary) -> None:
        self.summary = summary


def harvest_source(
    catalogue: Catalogue,
    principal: Principal,
    source_system: str,
    read: Callable[[Previous], Reading],
    department: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> Summary:
    """Read a source with ``read`` (given what the last harvest knew of its
    views) and bring the catalogue in step with it.

    Never raises for a bad source: the summary's ``failed`` says why, and
    nothing was written. ``progress(total)`` gives a callback told of each
    object written.
    """
    with catalogue.read() as session:
        previous = previous_views(session, source_system)
    try:
        reading = read(previous)
    except HarvestError as error:
        return Summary(source=error.source, failed=error.reason)
    try:
        with catalogue.write(principal) as writer:
            summary = harvest_into(
                writer,
                source_system,
                reading,
                department,
                progress(len(reading.datasets)) if progress else None,
            )
            if dry_run:
                raise _DryRun(summary)
    except _DryRun as dry:
        return dry.summary
    except Invalid as error:
        details = "; ".join(str(p) for p in error.problems[:3])
        return Summary(source=reading.source, failed=f"{error.message}: {details}")
    except CatalogueError as error:
        return Summary(source=reading.source, failed=error.message)
    return summary
