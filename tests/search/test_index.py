"""SearchIndex as the store uses it: change-log catch-up, rebuilds, locks, visibility."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as windex

from search import SearchIndex, SearchRequest, Visibility
from tests.search.conftest import COUNCIL, ChangeLog, record


def keys(ix: SearchIndex, q: str = "", **options: object) -> list[str]:
    return [h.key for h in ix.search(SearchRequest(q=q, per_page=100, **options)).hits]


def test_new_directory_gets_an_empty_index(index_dir: Path) -> None:
    with SearchIndex(index_dir) as ix:
        assert ix.applied_seq() == 0
        assert ix.documents() == {}
        results = ix.search(SearchRequest(q=""))
        assert (results.total, results.hits, results.no_good_match) == (0, [], False)
        assert ix.search(SearchRequest(q="bins")).no_good_match


def test_created_assets_appear_without_a_reindex(index: SearchIndex, log: ChangeLog) -> None:
    assert index.apply([log.create(record("grit-bins", "Grit Bins"))])
    assert keys(index, "grit bins") == ["grit-bins"]
    assert index.apply([log.create(record("salt-piles", "Salt Piles"))])
    assert keys(index, "salt") == ["salt-piles"]
    assert index.applied_seq() == 2


def test_an_update_changes_what_is_found(index: SearchIndex, log: ChangeLog) -> None:
    rec = record("potholes", "Pothole Reports")
    index.apply([log.create(rec)])
    index.apply([log.update({**rec, "title": "Road Defect Reports", "description": "Craters"})])
    assert keys(index, "craters") == ["potholes"]
    assert index.search(SearchRequest(q="craters")).hits[0].title == "Road Defect Reports"
    assert len(index.documents()) == 1


def test_retired_assets_are_hidden_unless_asked_for(council: SearchIndex, log: ChangeLog) -> None:
    bins = COUNCIL[0]
    assert council.apply([log.retire(bins)])
    assert "household-bin-collections" not in keys(council, "bins")
    assert "household-bin-collections" not in keys(council)
    assert council.autocomplete("household") == []
    assert keys(council, "bins", include_retired=True) == ["household-bin-collections"]
    hit = council.search(SearchRequest(q="bins", include_retired=True)).hits[0]
    assert hit.status == "retired"


def test_several_changes_to_one_asset_in_a_batch_keep_the_last(
    index: SearchIndex, log: ChangeLog
) -> None:
    rec = record("a1", "First Title")
    batch = [log.create(rec), log.update({**rec, "title": "Second Title"}), log.edge("a1")]
    assert index.apply(batch)
    assert [d["title"] for d in index.documents().values()] == ["Second Title"]
    assert index.applied_seq() == 3


def test_applying_the_same_changes_again_is_harmless(index: SearchIndex, log: ChangeLog) -> None:
    batch = [log.create(r) for r in COUNCIL[:3]]
    assert index.apply(batch)
    before = index.documents()
    assert index.apply(batch)
    assert index.apply(list(reversed(batch)))
    assert index.documents() == before
    assert index.applied_seq() == 3


def test_edge_changes_only_advance_the_sequence(council: SearchIndex, log: ChangeLog) -> None:
    log.seq = council.applied_seq()
    before = council.documents()
    assert council.apply([log.edge("school-rolls"), log.edge("school-rolls")])
    assert council.applied_seq() == len(COUNCIL) + 2
    assert council.documents() == before


def test_applied_seq_survives_a_new_instance(index_dir: Path, log: ChangeLog) -> None:
    with SearchIndex(index_dir) as first:
        first.apply([log.create(r) for r in COUNCIL])
    with SearchIndex(index_dir) as second:
        assert second.applied_seq() == len(COUNCIL)
        assert "council-tax-bands" in keys(second, "council tax")


def test_two_instances_see_each_others_writes(index_dir: Path, log: ChangeLog) -> None:
    with SearchIndex(index_dir) as writer, SearchIndex(index_dir) as reader:
        assert keys(reader, "bins") == []
        writer.apply([log.create(COUNCIL[0])])
        assert keys(reader, "bins") == ["household-bin-collections"]
        writer.apply([log.update({**COUNCIL[0], "title": "Refuse Rounds"})])
        # The reader's searcher must not keep the replaced document (see _refreshed).
        assert [h.title for h in reader.search(SearchRequest(q="refuse")).hits] == ["Refuse Rounds"]
        assert reader.applied_seq() == 2


def test_apply_returns_false_while_another_writer_holds_the_lock(
    index_dir: Path, log: ChangeLog
) -> None:
    with SearchIndex(index_dir, lock_timeout=0.05) as ix:
        ix.apply([log.create(COUNCIL[0])])
        generation = index_dir / (index_dir / "CURRENT").read_text().strip()
        held = windex.open_dir(str(generation)).writer()
        second = log.create(COUNCIL[1])
        try:
            assert ix.apply([second]) is False
            assert ix.applied_seq() == 1
            # Readers never wait for the writer.
            assert keys(ix, "bins") == ["household-bin-collections"]
        finally:
            held.cancel()
        assert ix.apply([second]) is True
        assert ix.applied_seq() == 2
        assert "council-tax-arrears" in keys(ix, "council tax")


def test_rebuild_swaps_in_a_new_generation(index_dir: Path, log: ChangeLog) -> None:
    with SearchIndex(index_dir) as old, SearchIndex(index_dir) as other:
        old.apply([log.create(r) for r in COUNCIL])
        assert "school-rolls" in keys(other, "school")
        first_generation = (index_dir / "CURRENT").read_text().strip()

        fresh = [record("allotment-plots", "Allotment Plots"), *COUNCIL[:2]]
        assert other.rebuild(fresh, seq=42) == 3

        current = (index_dir / "CURRENT").read_text().strip()
        assert current != first_generation
        assert not (index_dir / first_generation).exists()
        generations = sorted(p.name for p in index_dir.glob("gen-*"))
        assert generations == [current]
        # The instance that did not rebuild follows the pointer on its next search.
        assert keys(old, "allotments") == ["allotment-plots"]
        assert keys(old, "school") == []
        assert old.applied_seq() == other.applied_seq() == 42


def test_rebuild_then_catch_up_from_its_sequence(index: SearchIndex, log: ChangeLog) -> None:
    changes = [log.create(r) for r in COUNCIL]
    index.rebuild(COUNCIL[:4], seq=4)
    assert index.applied_seq() == 4
    assert index.apply(changes)
    assert len(index.documents()) == len(COUNCIL)


def test_rebuild_refuses_duplicate_keys_and_keeps_the_old_index(council: SearchIndex) -> None:
    before = council.documents()
    try:
        council.rebuild([COUNCIL[0], COUNCIL[0]], seq=99)
    except ValueError as error:
        assert "household-bin-collections" in str(error)
    else:
        raise AssertionError("duplicate keys were accepted")
    assert council.documents() == before
    assert council.applied_seq() == len(COUNCIL)


def test_documents_match_document_for(council: SearchIndex) -> None:
    documents = council.documents()
    assert set(documents) == {r["key"] for r in COUNCIL}
    for rec in COUNCIL:
        assert documents[rec["key"]] == SearchIndex.document_for(rec)
    arrears = documents["council-tax-arrears"]
    assert arrears["description"] == "Accounts in arrears by band & ward."
    assert arrears["owner_email"] == "rita.revenues@council.example"


PUBLIC = Visibility()
REVENUES = Visibility(departments=frozenset({"Revenues & Benefits"}))
RITA = Visibility(people=frozenset({"RITA.revenues@council.example"}))
STAFF = Visibility(access=frozenset({"open", "internal"}))


def test_restricted_assets_are_invisible_without_permission(council: SearchIndex) -> None:
    for visibility in (PUBLIC, STAFF):
        results = council.search(SearchRequest(q="council tax", visibility=visibility))
        assert [h.key for h in results.hits] == ["council-tax-bands"]
        assert ("restricted", 1) not in results.facets["access"]
        assert ("OFFICIAL-SENSITIVE", 1) not in results.facets["classification"]
        assert ("Rita Revenues", 1) not in results.facets["owner"]
        assert council.autocomplete("council tax a", visibility=visibility) == []
    # An asset nobody may see is "no good match", not a hint that it exists.
    hidden = council.search(SearchRequest(q="arrears", visibility=PUBLIC))
    assert hidden.total == 0 and hidden.no_good_match


def test_restricted_assets_are_visible_to_their_department_and_people(
    council: SearchIndex,
) -> None:
    for visibility in (REVENUES, RITA, Visibility(everything=True)):
        results = council.search(SearchRequest(q="council tax", visibility=visibility))
        assert {h.key for h in results.hits} == {"council-tax-arrears", "council-tax-bands"}
        assert ("restricted", 1) in results.facets["access"]
        assert council.autocomplete("council tax a", visibility=visibility) == [
            ("council-tax-arrears", "Council Tax Arrears")
        ]


def test_internal_assets_need_internal_access(council: SearchIndex) -> None:
    assert keys(council, "school", visibility=PUBLIC) == []
    assert keys(council, "school", visibility=STAFF) == ["school-rolls"]
    # Access to a restricted department does not open internal assets of others.
    assert keys(council, "school", visibility=REVENUES) == []


def test_autocomplete_from_partial_words(council: SearchIndex) -> None:
    assert council.autocomplete("stre") == [("street-lighting-columns", "Street Lighting Columns")]
    assert council.autocomplete("street light") == [
        ("street-lighting-columns", "Street Lighting Columns")
    ]
    found = council.autocomplete("counc")
    assert [k for k, _ in found] == ["council-tax-bands", "council-tax-arrears"]
    # Two letters match whole title words only: "ev" is not a word of any title.
    assert council.autocomplete("ev") == []
    assert council.autocomplete("electric v", limit=1) == [
        ("ev-charging-points", "Electric Vehicle Charging Points")
    ]
    assert council.autocomplete("zz") == []
    assert council.autocomplete("") == []
    assert council.autocomplete("co", limit=0) == []


def test_autocomplete_puts_titles_that_start_with_the_text_first(
    index: SearchIndex, log: ChangeLog
) -> None:
    index.apply(
        [
            log.create(record("a", "Annual Recycling Report")),
            log.create(record("b", "Recycling Centres and Household Waste Recycling Sites")),
            log.create(record("c", "Recycling Points")),
        ]
    )
    assert [k for k, _ in index.autocomplete("recyc")] == ["c", "b", "a"]


def test_identifiers_are_found_by_their_words(index: SearchIndex, log: ChangeLog) -> None:
    """Harvested tables keep their database names: staff type words (#15)."""
    tables = [
        record("db.rent-accounts", "rent_accounts"),
        record("db.housing-rent-account", "housing.rent_account"),
        record("db.rentaccountsummary", "RentAccountSummary"),
        record("db.tenancies", "tenancies", columns=[{"name": "tenancyStartDate"}]),
        record("db.nhs", "clients", columns=[{"name": "NHSNumber"}]),
        record("leaflet", "Rent leaflet", description="How to open an account"),
    ]
    assert index.apply([log.create(r) for r in tables])
    found = keys(index, "rent account")
    assert set(found[:3]) == {"db.rent-accounts", "db.housing-rent-account",
                              "db.rentaccountsummary"}  # fmt: skip
    assert keys(index, "rent_account")[:3] == found[:3]  # typed as the database names it
    assert keys(index, "rentaccountsummary") == ["db.rentaccountsummary"]
    assert keys(index, "tenancy start date") == ["db.tenancies"]
    assert keys(index, "nhs number") == ["db.nhs"]
    assert keys(index, "v3.0") == []  # a number keeps its dot and finds nothing here
