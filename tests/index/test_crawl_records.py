"""Store behaviour crawls rely on: listing entries vs. fetched text, metadata from several
sources, milestones whose dates slip, and per-URL fetch state."""

from __future__ import annotations

import datetime as dt

import pytest

from crawlers.items import Milestone, Section, StandardDocument
from index import fetchstate, milestones
from index.store import Store


@pytest.fixture
def store(store_url: str) -> Store:
    s = Store(store_url)
    yield s
    s.close()


def tdoc(partial: bool, text: str, **meta: object) -> StandardDocument:
    return StandardDocument(
        source="3gpp",
        number="R1-2500001",
        kind="tdoc",
        title="Discussion on RedCap" if partial else None,
        sections=[Section(None, None, text)],
        group="RAN1" if partial else None,
        metadata=dict(meta),
        partial=partial,
    )


def latest(store: Store) -> dict[str, object]:
    return list(store.export_versions())[-1]


def test_listing_entry_then_text_then_listing_again_keeps_the_text(store: Store) -> None:
    listed = store.ingest(
        tdoc(True, "Discussion on RedCap. Source: Nokia", status="available", agenda_item="8.1")
    )
    assert listed.outcome == "new_document"

    fetched = store.ingest(tdoc(False, "1 Introduction. The UE shall ...", cr={"cr": "0001"}))
    assert fetched.outcome == "new_version" and fetched.seq == 2
    record = latest(store)
    # The file's own metadata is added to what the list said; the list's title and group stay.
    assert record["metadata"] == {"status": "available", "agenda_item": "8.1", "cr": {"cr": "0001"}}
    assert record["title"] == "Discussion on RedCap" and record["group"] == "RAN1"
    assert record["partial"] is False

    # The next TDoc list says "agreed": metadata follows, the fetched text is not replaced.
    relisted = store.ingest(
        tdoc(True, "Discussion on RedCap. Source: Nokia", status="agreed", agenda_item="8.1")
    )
    assert relisted.outcome == "unchanged" and relisted.version_id == fetched.version_id
    record = latest(store)
    assert record["metadata"]["status"] == "agreed"
    assert record["sections"][0]["text"] == "1 Introduction. The UE shall ..."
    assert store.counts()["versions"] == 2


def test_listing_entry_that_changes_before_the_text_arrives_is_a_new_partial_version(store: Store) -> None:
    store.ingest(tdoc(True, "Draft title"))
    result = store.ingest(tdoc(True, "Corrected title"))
    assert result.outcome == "new_version"
    assert latest(store)["partial"] is True


def meeting(date: dt.date, status: str | None = None) -> Milestone:
    return Milestone(
        source="threegpp_meetings",
        key="3gpp:meeting:85635",
        kind="meeting",
        title="RAN5#119",
        date=date,
        end=date + dt.timedelta(days=4),
        group="RAN5",
        status=status,
        metadata={"location": "China"},
    )


def test_milestone_that_slips_keeps_its_history(store: Store) -> None:
    assert milestones.upsert(store, meeting(dt.date(2028, 5, 22))) == "new"
    assert milestones.upsert(store, meeting(dt.date(2028, 5, 22))) == "unchanged"
    assert milestones.upsert(store, meeting(dt.date(2028, 5, 22), "cancelled")) == "changed"
    (row,) = milestones.between(store, dt.date(2028, 1, 1), dt.date(2028, 12, 31), kinds=["meeting"])
    record = milestones.as_dict(row)
    assert record["status"] == "cancelled" and record["end"] == "2028-05-26"
    assert [h["status"] for h in record["metadata"]["history"]] == [None]
    assert record["metadata"]["location"] == "China"
    assert milestones.between(store, dt.date(2029, 1, 1)) == []


def test_fetch_state_round_trip_and_update(store: Store) -> None:
    fetchstate.save(store, "threegpp_tdocs", [fetchstate.State("http://x/a.zip", '"e1"', None, "s1", "h1")])
    fetchstate.save(
        store,
        "threegpp_tdocs",
        [fetchstate.State("http://x/a.zip", '"e2"', "Tue", "s2", "h2"), fetchstate.State("http://x/b", None)],
    )
    states = fetchstate.load(store, "threegpp_tdocs")
    assert states["http://x/a.zip"] == fetchstate.State("http://x/a.zip", '"e2"', "Tue", "s2", "h2")
    assert set(states) == {"http://x/a.zip", "http://x/b"}
    assert fetchstate.load(store, "other") == {}
