"""The derived views (lineage graph, search index) stay in step with the database:
incrementally maintained equals rebuilt, and a crash between a commit and a
view's update is healed by the next look."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.config import Settings
from catalogue.errors import CatalogueError
from catalogue.services import assets, edges
from catalogue.services.access import ANONYMOUS, operator
from catalogue.services.changes import writing
from catalogue.services.search import search_assets, verify_index
from catalogue.services.views import Views
from catalogue.store import Catalogue

ADMIN = operator("test-admin")
_example = itertools.count()

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("register"),
            st.integers(0, 5),
            st.sampled_from(["dataset", "report", "source_system"]),
        ),
        st.tuples(
            st.just("update"),
            st.integers(0, 5),
            st.sampled_from(["OFFICIAL", "OFFICIAL-SENSITIVE"]),
        ),
        st.tuples(st.just("retire"), st.integers(0, 5), st.none()),
        st.tuples(st.just("link"), st.integers(0, 5), st.integers(0, 5)),
        st.tuples(st.just("unlink"), st.integers(0, 5), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=25,
)


def perform(catalogue: Catalogue, prefix: str, op: tuple) -> None:
    """One service call; refusals (cycles, unknown keys, duplicates) are part of life.

    Written through the bare transaction: this test is about the graph, and
    Hypothesis reseeds the global random generator, which Whoosh uses to name its
    segments (two examples would try to write segments of the same name).
    """
    name, a, b = op
    key = f"{prefix}-{a}"
    try:
        with writing(catalogue.sessions, ADMIN, views_of=lambda: catalogue.views) as w:
            if name == "register":
                assets.register(
                    w, {"key": key, "kind": b, "title": f"Asset {a}", "personal_data": a % 2 == 0}
                )
            elif name == "update":
                assets.update(w, key, {"classification": b, "title": f"Asset {a} {b}"})
            elif name == "retire":
                assets.retire(w, key)
            elif name == "link":
                edges.add_edge(w, key, f"{prefix}-{b}")
            else:
                edges.end_edge(w, key, f"{prefix}-{b}")
    except CatalogueError:
        pass


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=ops)
def test_incremental_graph_equals_a_graph_rebuilt_from_the_database(
    catalogue: Catalogue, sequence: list[tuple]
) -> None:
    prefix = f"h{next(_example)}"
    catalogue.graph()  # the long-lived view, maintained change by change from here on
    for op in sequence:
        perform(catalogue, prefix, op)
        catalogue.graph()
    rebuilt = Views(catalogue.sessions, str(catalogue.settings.resolved_index_dir)).graph()
    assert catalogue.graph().signature() == rebuilt.signature()


def titles(catalogue: Catalogue, q: str) -> list[str]:
    with catalogue.reading(ADMIN) as reader:
        return [h.title for h in search_assets(reader, q).hits]


def test_register_update_retire_show_in_search_without_a_reindex(catalogue: Catalogue) -> None:
    assert titles(catalogue, "allotment") == []
    with catalogue.write(ADMIN) as w:
        assets.register(
            w,
            {
                "key": "allotments",
                "kind": "dataset",
                "title": "Allotment plots and waiting list",
                "access": "open",
            },
        )
    assert titles(catalogue, "allotment") == ["Allotment plots and waiting list"]
    with catalogue.write(ADMIN) as w:
        assets.update(w, "allotments", {"title": "Allotment plot tenancies"})
    assert titles(catalogue, "allotment") == ["Allotment plot tenancies"]
    with catalogue.write(ADMIN) as w:
        assets.retire(w, "allotments")
    assert titles(catalogue, "allotment") == []
    with catalogue.reading(ADMIN) as reader:
        retired = search_assets(reader, "allotment", include_retired=True)
    assert [h.key for h in retired.hits] == ["allotments"]


def test_a_crash_between_commit_and_view_update_is_healed_on_the_next_look(
    settings: Settings,
) -> None:
    first = Catalogue(settings)
    assert titles(first, "cemetery") == []
    first.graph()
    # Commit through the bare transaction, as if the process died right after it:
    # neither view hears of the change from this process.
    with writing(first.sessions, ADMIN) as w:
        assets.register(
            w,
            {
                "key": "burials",
                "kind": "dataset",
                "access": "open",
                "title": "Cemetery burial register",
            },
        )
    with writing(first.sessions, ADMIN, views_of=lambda: first.views) as w:
        assets.register(w, {"key": "burials-report", "kind": "report", "title": "Burials"})
        edges.add_edge(w, "burials", "burials-report")
    first.close()
    later = Catalogue(settings)  # the next process to look
    assert titles(later, "cemetery") == ["Cemetery burial register"]
    assert [h.key for h in later.graph().upstream("burials-report")] == ["burials"]
    assert verify_index(later.views).differences == 0
    # …and the process that "crashed" also catches up when it looks again.
    assert titles(first, "cemetery") == ["Cemetery burial register"]
    later.close()


def test_anonymous_search_sees_only_open_assets(catalogue: Catalogue) -> None:
    with catalogue.write(ADMIN) as w:
        assets.register(
            w, {"key": "trees-open", "kind": "dataset", "title": "Street trees", "access": "open"}
        )
        assets.register(
            w,
            {
                "key": "trees-internal",
                "kind": "dataset",
                "title": "Street tree inspections",
                "access": "internal",
            },
        )
    with catalogue.reading(ANONYMOUS) as reader:
        anonymous = search_assets(reader, "street trees")
    assert [h.key for h in anonymous.hits] == ["trees-open"]
    assert dict(anonymous.facets["access"]) == {"open": 1}
