"""The store of record, on SQLite and PostgreSQL: identity, versions, change log, run ledger."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from crawlers.items import Section, StandardDocument
from index.models import Change, Document, IndexQueue, Run, SectionRow, Version
from index.store import Store, content_hash


def doc(
    number: str = "R1-2500001", *sections: tuple[str | None, str | None, str], **kw: object
) -> StandardDocument:
    secs = [Section(n, h, t) for n, h, t in sections] or [
        Section("1", "Scope", "The UE shall send a message.")
    ]
    fields: dict[str, object] = {"source": "3gpp_tdocs", "number": number, "kind": "tdoc", "title": "A TDoc"}
    fields.update(kw)
    return StandardDocument(sections=secs, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(store_url: str) -> Store:
    s = Store(store_url)
    yield s
    s.close()


def test_new_document_then_unchanged_then_new_version(store: Store) -> None:
    first = store.ingest(doc("R1-1", ("1", "Scope", "alpha"), ("2", "Procedure", "beta")))
    assert first.outcome == "new_document" and first.seq == 1

    again = store.ingest(doc("R1-1", ("1", "Scope", "alpha"), ("2", "Procedure", "beta")))
    assert again.outcome == "unchanged"
    assert again.version_id == first.version_id

    second = store.ingest(
        doc("R1-1", ("1", "Scope", "alpha"), ("2", "Procedure", "gamma"), ("3", "New", "delta"))
    )
    assert second.outcome == "new_version" and second.seq == 2
    assert second.document_id == first.document_id
    assert second.changes is not None
    assert second.changes.as_dict() == {"added": ["3"], "removed": [], "modified": ["2"]}

    with store.session() as s:
        assert s.scalar(select(Document.version_count).where(Document.id == first.document_id)) == 2
        assert [v.seq for v in s.scalars(select(Version).order_by(Version.seq))] == [1, 2]
        texts = s.scalars(
            select(SectionRow.text).where(SectionRow.version_id == second.version_id).order_by(SectionRow.ord)
        )
        assert list(texts) == ["alpha", "gamma", "delta"]


def test_whitespace_and_reflow_do_not_make_a_new_version(store: Store) -> None:
    store.ingest(doc("R1-2", ("1", "Scope", "The UE shall\nsend a message.")))
    reflowed = store.ingest(doc("R1-2", ("1", "Scope", "The  UE shall send\n\na message.  ")))
    assert reflowed.outcome == "unchanged"
    assert content_hash([Section("1", "A", "x  y")]) == content_hash([Section("1", "A", "x\ny")])
    assert content_hash([Section("1", "A", "x y")]) != content_hash([Section("1", "A", "x z")])


def test_identity_is_source_plus_number(store: Store) -> None:
    a = store.ingest(doc("RFC 9000", source="ietf_rfcs"))
    b = store.ingest(doc("RFC 9000", source="local"))
    c = store.ingest(doc("RFC 9001", source="ietf_rfcs"))
    assert len({a.document_id, b.document_id, c.document_id}) == 3
    assert {a.outcome, b.outcome, c.outcome} == {"new_document"}


def test_metadata_change_without_new_text_updates_document_but_not_versions(store: Store) -> None:
    first = store.ingest(doc("R1-3", title="Old title", meeting="RAN1#120"))
    again = store.ingest(doc("R1-3", title="New title", meeting="RAN1#120bis"))
    assert again.outcome == "unchanged"
    with store.session() as s:
        d = s.get(Document, first.document_id)
        assert d is not None and d.title == "New title" and d.meeting == "RAN1#120bis"
        assert (
            s.scalar(select(Version.id).where(Version.document_id == d.id).order_by(Version.id.desc()))
            == first.version_id
        )


def test_change_log_records_new_documents_and_versions_with_changed_clauses(store: Store) -> None:
    store.ingest(doc("S2-1", ("5.1", "General", "one"), ("5.2", "Detail", "two")))
    store.ingest(doc("S2-1", ("5.1", "General", "one"), ("5.2", "Detail", "two, amended")))
    store.ingest(
        doc("S2-1", ("5.1", "General", "one"), ("5.2", "Detail", "two, amended"))
    )  # unchanged: no entry
    changes = store.changes_since(0)
    assert [c.kind for c in changes] == ["document_added", "version_added"]
    assert changes[1].details["clauses"] == {"added": [], "removed": [], "modified": ["5.2"]}
    assert store.changes_since(changes[0].id)[0].id == changes[1].id


def test_change_log_is_append_only_in_the_database(store: Store) -> None:
    store.ingest(doc("S2-2"))
    with pytest.raises(DBAPIError, match="append-only"), store.session(write=True) as s:
        s.execute(update(Change).values(kind="tampered"))
    with pytest.raises(DBAPIError, match="append-only"), store.session(write=True) as s:
        s.execute(delete(Change))
    assert [c.kind for c in store.changes_since(0)] == ["document_added"]


def test_every_new_version_is_queued_for_indexing_in_the_same_transaction(store: Store) -> None:
    a = store.ingest(doc("R1-4"))
    b = store.ingest(doc("R1-4", ("1", "Scope", "changed")))
    pending = store.pending_index(10)
    assert [e.version_id for e in pending] == [a.version_id, b.version_id]
    store.index_done(pending[:1])
    assert [e.version_id for e in store.pending_index(10)] == [b.version_id]
    with store.session() as s:
        assert s.scalar(select(IndexQueue.version_id)) == b.version_id


def test_a_version_queued_again_during_a_drain_is_not_lost(store: Store) -> None:
    store.ingest(doc("R1-7", title="First title"))
    read_by_drain = store.pending_index(10)
    store.ingest(doc("R1-7", title="Second title"))  # metadata change: queued again
    store.index_done(read_by_drain)  # the drain finishes with what it read
    assert [e.version_id for e in store.pending_index(10)] == [read_by_drain[0].version_id]


def test_index_batches_are_bounded_by_text_size(store: Store) -> None:
    for i in range(3):
        store.ingest(doc(f"BIG-{i}", ("1", "Body", "x" * 1000)))
    assert len(store.pending_index(10, max_chars=2500)) == 2
    assert len(store.pending_index(10, max_chars=10)) == 1  # never an empty batch


def test_text_returning_to_an_earlier_wording_is_a_new_version(store: Store) -> None:
    a = store.ingest(doc("R1-8", ("1", "Scope", "alpha")))
    b = store.ingest(doc("R1-8", ("1", "Scope", "beta")))
    a_again = store.ingest(doc("R1-8", ("1", "Scope", "alpha")))
    assert (a.outcome, b.outcome, a_again.outcome) == ("new_document", "new_version", "new_version")
    assert a_again.seq == 3 and a_again.changes is not None and a_again.changes.modified == ["1"]
    assert store.ingest(doc("R1-8", ("1", "Scope", "alpha"))).outcome == "unchanged"


def test_metadata_only_change_updates_the_latest_version_and_requeues_it(store: Store) -> None:
    store.ingest(doc("R1-9", title="Old title", release="Rel-18"))
    store.index_done(store.pending_index(10))
    again = store.ingest(doc("R1-9", title="New title", release="Rel-19"))
    assert again.outcome == "unchanged"
    [v] = store.index_versions([again.version_id])
    assert (v.title, v.release) == ("New title", "Rel-19")
    assert [e.version_id for e in store.pending_index(10)] == [again.version_id]


def _ingest_versions(url: str, number: str, worker: int, count: int) -> list[str]:
    store = Store(url)
    try:
        return [
            store.ingest(doc(number, ("1", "Scope", f"worker {worker} text {i}"))).outcome
            for i in range(count)
        ]
    finally:
        store.close()


def test_concurrent_writers_on_one_document_get_distinct_versions(store: Store, store_url: str) -> None:
    from concurrent.futures import ProcessPoolExecutor

    store.ingest(doc("CONC-1", ("1", "Scope", "seed")))  # the schema exists before the workers start
    with ProcessPoolExecutor(max_workers=4) as pool:
        outcomes = [
            o
            for f in [pool.submit(_ingest_versions, store_url, "CONC-1", w, 8) for w in range(4)]
            for o in f.result()
        ]
    assert outcomes.count("new_version") == 32
    with store.session() as s:
        seqs = sorted(s.scalars(select(Version.seq)))
        assert seqs == list(range(1, 34))
        assert s.scalar(select(Document.version_count)) == 33


def test_index_versions_carry_facets_and_sections_in_order(store: Store) -> None:
    r = store.ingest(
        doc(
            "R1-5",
            ("1", "Scope", "a"),
            ("2", "Refs", "b"),
            body="3GPP",
            group="RAN1",
            meeting="RAN1#122-bis",
            release="Rel-19",
            spec="TS 38.214",
            date=dt.date(2025, 10, 13),
        )
    )
    [v] = store.index_versions([r.version_id])
    assert (v.source, v.number, v.kind, v.body, v.group, v.meeting, v.release, v.spec, v.date) == (
        "3gpp_tdocs", "R1-5", "tdoc", "3GPP", "RAN1", "RAN1#122-bis", "Rel-19", "TS 38.214", dt.date(2025, 10, 13),
    )  # fmt: skip
    assert [(s.ord, s.number, s.text) for s in v.sections] == [(0, "1", "a"), (1, "2", "b")]


def test_run_ledger_marks_runs_of_dead_processes_interrupted(store: Store) -> None:
    live = store.start_run("import", "local", {"paths": ["a"]})
    dead = store.start_run("import", "local", {"paths": ["b"]})
    with store.session(write=True) as s:
        # A pid that cannot exist (above the kernel's pid_max) stands for a process that died.
        s.execute(update(Run).where(Run.id == dead).values(pid=2**31 - 1))
    interrupted = store.mark_interrupted_runs()
    assert [r.id for r in interrupted] == [dead]
    store.finish_run(live, "succeeded", {"files": 1}, [])
    statuses = {r.id: r.status for r in store.recent_runs()}
    assert statuses == {live: "succeeded", dead: "interrupted"}
    assert os.getpid() == store.recent_runs()[-1].pid


def test_export_streams_every_version_with_metadata_and_sections(store: Store) -> None:
    store.ingest(doc("R1-6", ("1", "Scope", "first"), release="Rel-18"))
    store.ingest(doc("R1-6", ("1", "Scope", "second"), release="Rel-18"))
    store.ingest(doc("N1", ("一", "总则", "中文文本"), source="local", kind="text"))
    records = list(store.export_versions())
    assert [(r["number"], r["version"]) for r in records] == [("R1-6", 1), ("R1-6", 2), ("N1", 1)]
    assert records[1]["sections"] == [{"number": "1", "heading": "Scope", "text": "second"}]
    assert records[2]["sections"][0]["text"] == "中文文本"
    assert records[0]["release"] == "Rel-18" and records[0]["content_hash"] != records[1]["content_hash"]
    assert [r["number"] for r in store.export_versions(source="local")] == ["N1"]


def test_schema_is_at_head_and_sqlite_uses_wal(store: Store) -> None:
    from index import migrate

    assert migrate.current_revision(store.engine) == migrate.head_revision(store.engine)
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_rebuild_clears_only_its_own_queue_entries(store: Store) -> None:
    store.ingest(doc("RB-1"))
    queued_at = store.enqueue_all()
    during = store.ingest(doc("RB-2"))  # stored while the rebuild runs
    store.index_done_queued_at(queued_at)
    assert [e.version_id for e in store.pending_index(10)] == [during.version_id]
