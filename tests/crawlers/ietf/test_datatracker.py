"""Datatracker API responses: pages, drafts and their states, events, relations, meetings, groups, IPR.

The fixtures under tests/fixtures/ietf/datatracker mirror the API's URL paths (see the README there).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from crawlers.extract import RejectedInput
from crawlers.ietf import datatracker as d
from crawlers.ietf.names import expiry

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "ietf" / "datatracker"
UTC = dt.UTC


def _get(url: str) -> bytes:
    """What a loopback server replaying the fixtures answers for ``url``."""
    return (ROOT / d.fixture_name(url)).read_bytes()


def _objects(url: str) -> list[dict[str, Any]]:
    return d.page(_get(url), name=url).objects


def _groups() -> dict[str, str]:
    return d.group_acronyms(_objects("/api/v1/group/group/?acronym=appsawg"))


def _states() -> dict[str, d.StateRecord]:
    return d.states_by_uri(_objects("/api/v1/doc/state/"))


def _wg_drafts() -> list[d.DraftRecord]:
    """Follow ``meta.next`` through the appsawg draft list, as the spider will."""
    url: str | None = "/api/v1/doc/document/?type=draft&group__acronym=appsawg&format=json"
    drafts: list[d.DraftRecord] = []
    while url is not None:
        page = d.page(_get(url), name=url)
        drafts.extend(d.parse_draft(o, groups=_groups()) for o in page.objects)
        url = page.next
    return drafts


@pytest.mark.parametrize(
    ("url", "file"),
    [
        (
            "/api/v1/doc/document/?type=draft&group__acronym=appsawg",
            "api/v1/doc/document/__group__acronym=appsawg&type=draft.json",
        ),
        (
            "/api/v1/doc/document/?group__acronym=appsawg&type=draft&format=json",
            "api/v1/doc/document/__group__acronym=appsawg&type=draft.json",
        ),
        ("/api/v1/doc/state/", "api/v1/doc/state/index.json"),
        (
            "/api/v1/doc/document/draft-kerwin-file-scheme/",
            "api/v1/doc/document/draft-kerwin-file-scheme/index.json",
        ),
        (
            "https://datatracker.ietf.org/api/v1/meeting/meeting/?type=ietf",
            "api/v1/meeting/meeting/__type=ietf.json",
        ),
        ("/api/v1/doc/document/?name__in=a,b", "api/v1/doc/document/__name__in=a%2Cb.json"),
    ],
)
def test_fixture_name(url: str, file: str) -> None:
    assert d.fixture_name(url) == file


def test_every_fixture_is_reachable_by_its_own_url() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.json")}
    assert len(files) == 15
    for file in files:
        decoded = json.loads((ROOT / file).read_text())
        url = decoded.get("resource_uri") or ""
        if "objects" in decoded and decoded["meta"]["next"]:
            assert d.fixture_name(decoded["meta"]["next"]) in files
        if url and "objects" not in decoded:
            assert d.fixture_name(url) == file


def test_pages_follow_meta_next() -> None:
    first = d.page(_get("/api/v1/doc/document/?group__acronym=appsawg&type=draft"))
    assert (len(first.objects), first.total, first.offset, first.limit) == (2, 3, 0, 2)
    assert first.next == "/api/v1/doc/document/?group__acronym=appsawg&limit=2&offset=2&type=draft"
    last = d.page(_get(first.next))
    assert (len(last.objects), last.next, last.offset) == (1, None, 2)
    assert [r.name for r in _wg_drafts()] == [
        "draft-ietf-appsawg-file-scheme",
        "draft-ietf-appsawg-http-forwarded",
        "draft-ietf-appsawg-sample-lastcall",
    ]


def test_draft_record_of_the_file_scheme_draft() -> None:
    record = _wg_drafts()[0]
    assert record == d.DraftRecord(
        name="draft-ietf-appsawg-file-scheme",
        rev="16",
        title="The file URI Scheme",
        abstract=record.abstract,
        time=dt.datetime(2017, 2, 21, 23, 40, 14, tzinfo=UTC),
        expires=dt.date(2017, 8, 25),  # no expires in the API: time + 185 days
        group="appsawg",
        state_uris=("/api/v1/doc/state/3/", "/api/v1/doc/state/7/", "/api/v1/doc/state/39/"),
        std_level=None,
        intended_std_level="ps",
        stream="ietf",
        pages=18,
        group_uri="/api/v1/group/group/1705/",
        rfc=None,
        expires_estimated=True,
        uri="/api/v1/doc/document/draft-ietf-appsawg-file-scheme/",
    )
    assert record.abstract is not None and record.abstract.startswith(
        "This document provides a more complete"
    )
    assert d.resolve_states(record, _states()) == {
        "draft": "RFC",
        "draft-iesg": "RFC Published",
        "draft-stream-ietf": "Submitted to IESG for Publication",
    }


def test_active_draft_in_last_call() -> None:
    record = _wg_drafts()[2]
    assert (record.rev, record.expires, record.expires_estimated) == ("03", dt.date(2017, 9, 3), False)
    assert d.resolve_states(record, _states()) == {
        "draft": "Active",
        "draft-iesg": "In Last Call",
        "draft-stream-ietf": "WG Document",
    }


def test_draft_without_group_mapping_and_unknown_states() -> None:
    obj = json.loads(_get("/api/v1/doc/document/draft-kerwin-file-scheme/"))
    record = d.parse_draft(obj)
    assert (record.group, record.group_uri) == (None, "/api/v1/group/group/1027/")
    assert d.resolve_states(record, _states()) == {"draft": "Replaced"}
    assert d.resolve_states(record, {}) == {}


def test_events_and_the_expiry_they_imply() -> None:
    events = [
        d.parse_event(o) for o in _objects("/api/v1/doc/docevent/?doc__name=draft-ietf-appsawg-file-scheme")
    ]
    assert [(e.type, e.rev) for e in events] == [
        ("published_rfc", "16"),
        ("changed_state", "16"),
        ("new_revision", "16"),
        ("new_revision", "15"),
    ]
    assert all(e.doc == "draft-ietf-appsawg-file-scheme" for e in events)
    revision_16 = events[2]
    assert revision_16.time == dt.datetime(2016, 12, 16, 2, 23, 31, tzinfo=UTC)
    assert expiry(revision_16.time) == dt.date(2017, 6, 19)  # what the draft's title page prints
    expired = d.parse_event(_objects("/api/v1/doc/docevent/?doc__name=draft-kerwin-file-scheme")[0])
    assert (expired.type, expired.desc, expired.id) == ("expired_document", "Document has expired", 480112)


def test_relations_replaces_and_became_rfc() -> None:
    source = [
        d.parse_relation(o)
        for o in _objects("/api/v1/doc/relateddocument/?source__name=draft-ietf-appsawg-file-scheme")
    ]
    assert source == [
        d.RelationRecord("draft-ietf-appsawg-file-scheme", "draft-kerwin-file-scheme", "replaces"),
        d.RelationRecord("draft-ietf-appsawg-file-scheme", "rfc8089", "became_rfc"),
    ]
    assert _objects("/api/v1/doc/relateddocument/?target__name=draft-ietf-appsawg-file-scheme") == []
    (replaced_by,) = [
        d.parse_relation(o)
        for o in _objects("/api/v1/doc/relateddocument/?target__name=draft-kerwin-file-scheme")
    ]
    assert (replaced_by.source, replaced_by.relationship) == ("draft-ietf-appsawg-file-scheme", "replaces")
    # Before 2023 the target was a document alias.
    old = {
        "source": "/api/v1/doc/document/draft-a/",
        "target": "/api/v1/doc/docalias/rfc1738/",
        "relationship": "/api/v1/name/docrelationshipname/updates/",
    }
    assert d.parse_relation(old) == d.RelationRecord("draft-a", "rfc1738", "updates")


def test_meetings() -> None:
    meetings = [d.parse_meeting(o) for o in _objects("/api/v1/meeting/meeting/?type=ietf")]
    assert meetings == [
        d.MeetingRecord(
            "98", dt.date(2017, 3, 26), dt.date(2017, 3, 31), "Chicago", "US", "America/Chicago", "ietf"
        ),
        d.MeetingRecord(
            "97", dt.date(2016, 11, 13), dt.date(2016, 11, 18), "Seoul", "KR", "Asia/Seoul", "ietf"
        ),
    ]


def test_group() -> None:
    (group,) = [d.parse_group(o) for o in _objects("/api/v1/group/group/?acronym=appsawg")]
    assert group == d.GroupRecord(
        uri="/api/v1/group/group/1705/",
        acronym="appsawg",
        name="Applications Area Working Group",
        type="wg",
        state="conclude",
        parent_uri="/api/v1/group/group/1153/",
    )


def test_ipr_disclosure_linked_to_the_draft() -> None:
    (base,) = _objects("/api/v1/ipr/iprdisclosurebase/?docs__name=draft-ietf-appsawg-file-scheme")
    docrels = _objects("/api/v1/ipr/iprdocrel/?disclosure=9001")
    record = d.parse_ipr(base, docrels)
    assert record == d.IprRecord(
        id=9001,
        title="Example Patent Holdings LLC's Statement about IPR related to draft-ietf-appsawg-file-scheme",
        holder="Example Patent Holdings LLC",
        time=dt.datetime(2016, 12, 20, 15, 4, 5, tzinfo=UTC),
        state="posted",
        documents=(("draft-ietf-appsawg-file-scheme", "15-16"),),
        licensing=None,
        url="https://datatracker.ietf.org/ipr/9001/",
    )
    holder = d.parse_ipr(
        json.loads(_get("/api/v1/ipr/holderiprdisclosure/9001/")), base_url="http://127.0.0.1:8080/"
    )
    assert holder.licensing == "reasonable"
    assert holder.documents == (("draft-ietf-appsawg-file-scheme", None),)  # from docs, no revisions
    assert holder.url == "http://127.0.0.1:8080/ipr/9001/"
    other_disclosure = [{**docrels[0], "disclosure": "/api/v1/ipr/iprdisclosurebase/1/"}]
    assert d.parse_ipr(base, other_disclosure).documents == (("draft-ietf-appsawg-file-scheme", None),)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b"", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b'[{"name": "draft-a"}]', "no 'objects' list"),
        (b'{"meta": {}, "objects": {"name": "draft-a"}}', "no 'objects' list"),
        (b'{"meta": {}, "objects": ["draft-a"]}', "'objects' holds non-objects"),
        (b'{"meta": [], "objects": []}', "'meta' is not an object"),
        (b'{"meta": {"next": 2}, "objects": []}', "'meta.next' is not a string"),
    ],
)
def test_page_rejects_what_is_not_a_list_response(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput) as err:
        d.page(data, name="/api/v1/doc/document/?type=draft")
    assert err.value.reason.startswith("/api/v1/doc/document/?type=draft: ")
    assert reason in err.value.reason


@pytest.mark.parametrize(
    ("call", "obj", "reason"),
    [
        (d.parse_draft, {"rev": "01"}, "document: the field 'name' is missing"),
        (d.parse_state, {"slug": "active", "name": "Active"}, "state: the field 'resource_uri'"),
        (d.parse_event, {"id": 1}, "docevent: the field 'type'"),
        (d.parse_relation, {"source": "/api/v1/doc/document/a/"}, "'source', 'target' and 'relationship'"),
        (d.parse_meeting, {"number": "98", "date": "March 2017"}, "meeting 98: no valid 'date'"),
        (d.parse_group, {"resource_uri": "/api/v1/group/group/1/"}, "group: the field 'acronym'"),
        (d.parse_ipr, {"title": "no id"}, "IPR disclosure: no 'id'"),
    ],
)
def test_records_missing_required_fields_are_rejected(call: Any, obj: dict[str, Any], reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        call(obj)


def test_loose_values() -> None:
    record = d.parse_draft(
        {
            "name": "draft-x",
            "time": "2016-12-16T02:23:31",
            "expires": None,
            "pages": "12",
            "rfc": "8089",
            "states": [None, 3],
        }
    )
    assert record.time == dt.datetime(2016, 12, 16, 2, 23, 31, tzinfo=UTC)  # naive: UTC
    assert (record.expires, record.pages, record.rfc, record.state_uris) == (
        dt.date(2017, 6, 19),
        12,
        "RFC 8089",
        (),
    )
    assert d.parse_draft({"name": "draft-y", "time": "yesterday"}).expires is None
    assert d.uri_slug("/api/v1/name/streamname/ietf/") == "ietf"
    assert d.uri_slug("https://datatracker.ietf.org/api/v1/doc/state/16/?x=1") == "16"
    assert d.uri_slug(None) is None and d.uri_slug("") is None and d.uri_slug(7) is None
