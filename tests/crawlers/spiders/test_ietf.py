"""The IETF spiders against a loopback mirror serving the Datatracker fixtures and the real draft.

Every file under tests/fixtures/ietf/datatracker is served at the request it records (its path and
query, see the README there); the real draft-ietf-appsawg-file-scheme-16 is served in the draft
archive, and tests/fixtures/ietf/rfc-index.xml as the RFC Editor's index. The draft's history is
replayed in steps by serving earlier states of its Datatracker record: revision 15 (only as XML in
the archive), revision 16 (the real text), then its publication as RFC 8089 (the fixtures as
they are).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from crawlers.ietf.datatracker import fixture_name
from tests.conftest import REPO, realdata
from tests.crawlers.spiders.conftest import Sepwatch
from tests.mirror import Mirror

FIXTURES = REPO / "tests" / "fixtures" / "ietf"
DATATRACKER = FIXTURES / "datatracker"
DRAFT = "draft-ietf-appsawg-file-scheme"
KERWIN = "draft-kerwin-file-scheme"
LASTCALL = "draft-ietf-appsawg-sample-lastcall"
ARCHIVE = "/archive/id/"
GROUP_LIST = "/api/v1/doc/document/?group__acronym=appsawg&type=draft"
EVENTS = f"/api/v1/doc/docevent/?doc__name={DRAFT}"
RELATIONS = f"/api/v1/doc/relateddocument/?source__name={DRAFT}"
STATES = "/api/v1/doc/state/"


def request_of(fixture: Path) -> str:
    """The path and query a fixture file answers (the inverse of ``fixture_name``)."""
    relative = fixture.relative_to(DATATRACKER).as_posix()
    folder, name = relative.rsplit("/", 1)
    request = (
        f"/{folder}/"
        if name == "index.json"
        else f"/{folder}/?{name.removeprefix('__').removesuffix('.json')}"
    )
    assert fixture_name(request) == relative
    return request


def recorded(request: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATATRACKER / fixture_name(request)).read_text(encoding="utf-8"))
    return data


def api_list(objects: list[dict[str, Any]]) -> str:
    meta = {"limit": 20, "next": None, "offset": 0, "previous": None, "total_count": len(objects)}
    return json.dumps({"meta": meta, "objects": objects})


def serve_json(mirror: Mirror, request: str, data: dict[str, Any] | str) -> None:
    mirror.put(request, data if isinstance(data, str) else json.dumps(data), "application/json")


@pytest.fixture
def datatracker(mirror: Mirror) -> Mirror:
    """The fixtures, plus what they leave out and the real API would answer: empty lists for the
    other drafts' events and relations and for disclosures on documents that have none, and the
    'none' group of individual submissions (draft-kerwin-file-scheme's group)."""
    for fixture in DATATRACKER.rglob("*.json"):
        mirror.put(request_of(fixture), fixture.read_bytes(), "application/json")
    for request in (
        f"/api/v1/doc/docevent/?doc__name={LASTCALL}",
        f"/api/v1/doc/relateddocument/?source__name={LASTCALL}",
        f"/api/v1/doc/relateddocument/?target__name={LASTCALL}",
        f"/api/v1/doc/relateddocument/?source__name={KERWIN}",
        f"/api/v1/ipr/iprdisclosurebase/?docs__name={LASTCALL}",
        "/api/v1/ipr/iprdisclosurebase/?docs__name=rfc8089",
        "/api/v1/ipr/iprdisclosurebase/?docs__name=draft-bradner-rfc3979bis",
        "/api/v1/ipr/iprdisclosurebase/?docs__name=rfc8179",
    ):
        serve_json(mirror, request, api_list([]))
    serve_json(
        mirror,
        "/api/v1/group/group/1027/",
        {
            "acronym": "none",
            "id": 1027,
            "name": "Individual Submissions",
            "resource_uri": "/api/v1/group/group/1027/",
            "state": "/api/v1/name/groupstatename/active/",
            "type": "/api/v1/name/grouptypename/individ/",
        },
    )
    return mirror


def configure_ietf(sepwatch: Sepwatch, mirror: Mirror, **extra: object) -> None:
    sepwatch.configure(
        {
            "ietf": {
                "datatracker_url": mirror.url,
                "archive_url": mirror.url + ARCHIVE,
                "rfc_editor_url": mirror.url,
                "groups": ["appsawg"],
                "since": "2016-06-01",
                **extra,
            }
        }
    )


def latest(sepwatch: Sepwatch) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for record in sepwatch.export("documents", "--source", "ietf"):
        out[record["number"]] = record
    return out


def versions(sepwatch: Sepwatch, number: str) -> list[dict[str, Any]]:
    return [r for r in sepwatch.export("documents", "--source", "ietf") if r["number"] == number]


def expiries(sepwatch: Sepwatch) -> dict[str, dict[str, Any]]:
    return {m["key"]: m for m in sepwatch.export("milestones", "--kind", "expiry")}


def serve_revision(mirror: Mirror, rev: str) -> None:
    """The draft's Datatracker record as it was when revision ``rev`` was current: Active, in IETF
    Last Call, before its publication (no RFC states, no became_rfc relation, no RFC events)."""
    listing = recorded(GROUP_LIST)
    events = recorded(EVENTS)
    revisions = [e for e in events["objects"] if e["type"] == "new_revision" and e["rev"] <= rev]
    draft = listing["objects"][0]
    assert draft["name"] == DRAFT
    draft.update(
        rev=rev,
        time=revisions[0]["time"],
        states=["/api/v1/doc/state/1/", "/api/v1/doc/state/16/", "/api/v1/doc/state/39/"],
    )
    serve_json(mirror, GROUP_LIST, listing)
    serve_json(mirror, EVENTS, {**events, "objects": revisions})
    relations = recorded(RELATIONS)
    serve_json(
        mirror,
        RELATIONS,
        {**relations, "objects": [r for r in relations["objects"] if "replaces" in r["relationship"]]},
    )


def serve_published(mirror: Mirror) -> None:
    for request in (GROUP_LIST, EVENTS, RELATIONS):
        serve_json(mirror, request, recorded(request))


def test_draft_history_revisions_texts_states_and_expiry(sepwatch: Sepwatch, datatracker: Mirror) -> None:
    mirror = datatracker
    text = realdata("ietf", f"{DRAFT}-16.txt")
    # Revision 15: the archive has only its XML source.
    xml = (
        realdata("ietf", f"{DRAFT}-16.v2.xml")
        .read_bytes()
        .replace(b'docName="' + DRAFT.encode() + b'-16"', b'docName="' + DRAFT.encode() + b'-15"')
    )
    mirror.put(f"{ARCHIVE}{DRAFT}-15.xml", xml)
    serve_revision(mirror, "15")
    configure_ietf(sepwatch, mirror, drafts=[KERWIN])

    first = sepwatch.crawl("ietf_drafts")
    assert first["status"] == "succeeded"
    assert first["counts"]["drafts_listed"] == 3
    assert first["counts"]["drafts_before_since"] == 1  # draft-ietf-appsawg-http-forwarded: 2014
    assert first["counts"]["text_fallback_to_xml"] == 3  # no .txt for any of the three drafts
    # The other two drafts' texts are not in the archive: they are kept as Datatracker facts.
    assert sorted(e["url"].removeprefix(mirror.url) for e in first["errors"]) == [
        f"{ARCHIVE}{LASTCALL}-03.xml",
        f"{ARCHIVE}{KERWIN}-13.xml",
    ]
    assert {e["reason"] for e in first["errors"]} == {"HTTP 404 (not found)"}
    docs = latest(sepwatch)
    assert sorted(docs) == [DRAFT, LASTCALL, KERWIN]
    draft = docs[DRAFT]
    assert (draft["kind"], draft["label"], draft["partial"], draft["group"], draft["body"]) == (
        "draft",
        "15",
        False,
        "appsawg",
        "IETF",
    )
    assert draft["date"] == "2016-11-24" and draft["origin"] == f"{mirror.url}{ARCHIVE}{DRAFT}-15.xml"
    assert draft["metadata"]["states"] == {
        "draft": "Active",
        "draft-iesg": "In Last Call",
        "draft-stream-ietf": "Submitted to IESG for Publication",
    }
    assert draft["metadata"]["expires"] == "2017-05-28"  # 2016-11-24 + 185 days
    assert draft["metadata"]["version"] == 2  # read from the xml2rfc v2 source
    lastcall = docs[LASTCALL]
    assert lastcall["partial"] is True and lastcall["label"] is None
    assert lastcall["metadata"]["states"]["draft-iesg"] == "In Last Call"
    kerwin = docs[KERWIN]
    assert kerwin["group"] is None  # an individual submission
    assert kerwin["metadata"]["replaced_by"] == [DRAFT] and kerwin["metadata"]["status"] == "replaced"
    milestones = expiries(sepwatch)
    assert milestones[f"ietf:expiry:{DRAFT}"]["date"] == "2017-05-28"
    assert milestones[f"ietf:expiry:{DRAFT}"]["status"] is None
    assert milestones[f"ietf:expiry:{LASTCALL}"]["date"] == "2017-09-03"  # the API's "expires"
    assert milestones[f"ietf:expiry:{KERWIN}"]["date"] == "2015-03-12"
    assert milestones[f"ietf:expiry:{KERWIN}"]["status"] == "replaced"

    # Nothing changed: the draft is not even looked at again, no text is downloaded.
    mirror.log.clear()
    second = sepwatch.crawl("ietf_drafts")
    assert mirror.bodies(".txt") == [] and mirror.bodies(".xml") == []
    assert EVENTS not in mirror.requested()
    assert second["counts"]["drafts_unchanged"] == 1
    assert "new_version" not in second["counts"] and "new_document" not in second["counts"]

    # Revision 16 is submitted: a new version from its text; the expiry milestone moves.
    serve_revision(mirror, "16")
    mirror.put_file(f"{ARCHIVE}{DRAFT}-16.txt", text)
    mirror.log.clear()
    third = sepwatch.crawl("ietf_drafts")
    assert mirror.bodies(".txt") == [f"{ARCHIVE}{DRAFT}-16.txt"]
    assert third["counts"]["new_version"] == 1
    stored = versions(sepwatch, DRAFT)
    assert [(v["version"], v["label"], v["partial"]) for v in stored] == [(1, "15", False), (2, "16", False)]
    sixteen = stored[1]
    assert sixteen["date"] == "2016-12-16" and sixteen["metadata"]["revisions"] == ["15", "16"]
    numbered = [(s["number"], s["heading"]) for s in sixteen["sections"] if s["number"]]
    assert numbered[:4] == [
        ("1", "Introduction"),
        ("1.1", "Notational Conventions"),
        ("2", "Syntax"),
        ("3", "Operations Involving file URIs"),
    ]
    assert numbered[-3:] == [
        ("E.3.2", "file URI with UNC Path"),
        ("E.4", "Backslash as Separator"),
        ("Appendix F", "Collected Nonstandard Rules"),
    ]
    assert len(numbered) == 29
    assert [s["heading"] for s in sixteen["sections"][:4]] == [
        "Abstract",
        "Note to Readers (To be removed by the RFC Editor)",
        "Status of This Memo",
        "Copyright Notice",
    ]
    assert not [
        s for s in sixteen["sections"] if "[Page" in s["text"] or "Expires June 19, 2017" in s["text"]
    ]
    milestone = expiries(sepwatch)[f"ietf:expiry:{DRAFT}"]
    assert milestone["date"] == (dt.date(2016, 12, 16) + dt.timedelta(days=185)).isoformat() == "2017-06-19"
    assert milestone["title"] == f"{DRAFT}-16 expires" and milestone["metadata"]["rev"] == "16"
    assert [h["date"] for h in milestone["metadata"]["history"]] == ["2017-05-28"]

    hits = sepwatch.search("VMS file path device name", "--source", "ietf")["hits"]
    assert hits and hits[0]["number"] == DRAFT and hits[0]["label"] == "16"
    assert hits[0]["sections"][0]["number"] == "D.4"
    # The same file imported by hand is the same document, unchanged.
    imported = sepwatch("import", str(text)).stdout
    assert f"unchanged: {text}: ietf-text, ietf:{DRAFT}, unchanged, 34 sections" in imported

    # Published as RFC 8089: new states and links, no new text, no new version.
    serve_published(mirror)
    mirror.log.clear()
    fourth = sepwatch.crawl("ietf_drafts")
    assert mirror.bodies(".txt") == [] and mirror.bodies(".xml") == []
    assert "new_version" not in fourth["counts"]
    stored = versions(sepwatch, DRAFT)
    assert len(stored) == 2
    meta = stored[1]["metadata"]
    assert meta["states"] == {
        "draft": "RFC",
        "draft-iesg": "RFC Published",
        "draft-stream-ietf": "Submitted to IESG for Publication",
    }
    assert (meta["status"], meta["rfc"], meta["replaces"], meta["replaced_by"]) == (
        "rfc",
        "RFC 8089",
        [KERWIN],
        [],
    )
    assert (meta["expires"], meta["rev"], meta["intended_std_level"], meta["stream"]) == (
        "2017-06-19",
        "16",
        "ps",
        "ietf",
    )
    assert meta["authors"] == ["M. Kerwin"]  # from the text, kept under the new facts
    assert stored[1]["label"] == "16" and stored[1]["partial"] is False
    milestone = expiries(sepwatch)[f"ietf:expiry:{DRAFT}"]
    assert (milestone["date"], milestone["status"]) == ("2017-06-19", "rfc")
    assert [(h["date"], h["status"]) for h in milestone["metadata"]["history"]] == [
        ("2017-05-28", None),
        ("2017-06-19", None),
    ]


def test_rfc_index_meetings_and_ipr(sepwatch: Sepwatch, datatracker: Mirror) -> None:
    mirror = datatracker
    mirror.put_file("/rfc-index.xml", FIXTURES / "rfc-index.xml")
    configure_ietf(sepwatch, mirror, drafts=["draft-bradner-rfc3979bis"], since="2016-12-01")

    result = sepwatch.crawl("ietf_rfcindex")
    assert result["status"] == "succeeded" and result["errors"] == []
    assert (result["counts"]["rfcs_in_index"], result["counts"]["rfcs_selected"]) == (4, 3)
    docs = latest(sepwatch)
    # appsawg's RFC, the RFC the followed draft became, and the RFC 8089 updates; not RFC 8565.
    assert sorted(docs) == ["RFC 1738", "RFC 8089", "RFC 8179", "draft-bradner-rfc3979bis", DRAFT]
    rfc = docs["RFC 8089"]
    assert (rfc["kind"], rfc["partial"], rfc["group"], rfc["date"], rfc["title"]) == (
        "rfc",
        True,
        "appsawg",
        "2017-02-01",
        'The "file" URI Scheme',
    )
    assert rfc["metadata"]["updates"] == ["RFC 1738"] and rfc["metadata"]["obsoletes"] == []
    assert rfc["metadata"]["draft"] == f"{DRAFT}-16" and rfc["metadata"]["doi"] == "10.17487/RFC8089"
    assert (rfc["metadata"]["status"], rfc["metadata"]["stream"], rfc["metadata"]["selection"]) == (
        "PROPOSED STANDARD",
        "IETF",
        "group",
    )
    assert "Updates: RFC 1738" in rfc["sections"][0]["text"]
    old = docs["RFC 1738"]
    assert old["metadata"]["selection"] == "related"
    assert (
        old["metadata"]["obsoleted_by"] == ["RFC 4248", "RFC 4266"]
        and "RFC 8089" in old["metadata"]["updated_by"]
    )
    assert docs["RFC 8179"]["metadata"]["obsoletes"] == ["RFC 3979", "RFC 4879"]
    assert docs["RFC 8179"]["metadata"]["is_also"] == ["BCP 79"] and docs["RFC 8179"]["group"] is None
    assert docs[DRAFT]["metadata"] == {"rfc": "RFC 8089"} and docs[DRAFT]["kind"] == "draft"
    assert docs["draft-bradner-rfc3979bis"]["metadata"] == {"rfc": "RFC 8179"}
    # Unchanged index: answered 304, not read again.
    mirror.log.clear()
    again = sepwatch.crawl("ietf_rfcindex")
    assert again["counts"]["not_modified"] == 1 and mirror.bodies("rfc-index.xml") == []

    meetings = sepwatch.crawl("ietf_meetings")
    assert meetings["counts"]["meetings_before_since"] == 1  # IETF 97 ended 2016-11-18
    (meeting,) = sepwatch.export("milestones", "--kind", "meeting")
    assert meeting == {
        **meeting,
        "key": "ietf:meeting:98",
        "title": "IETF 98 (Chicago)",
        "date": "2017-03-26",
        "end": "2017-03-31",
        "body": "IETF",
        "metadata": {"city": "Chicago", "country": "US", "time_zone": "America/Chicago"},
    }

    mirror.log.clear()
    ipr = sepwatch.crawl("ietf_ipr")
    assert ipr["status"] == "succeeded" and ipr["errors"] == []
    # Disclosures are asked for on the followed drafts and on the RFCs the store links them to.
    asked = {p.split("docs__name=")[1] for p in mirror.requested() if "iprdisclosurebase" in p}
    assert asked == {DRAFT, LASTCALL, "rfc8089", "draft-bradner-rfc3979bis", "rfc8179"}
    disclosure = latest(sepwatch)["IPR 9001"]
    assert (disclosure["kind"], disclosure["date"], disclosure["origin"]) == (
        "ipr-disclosure",
        "2016-12-20",
        f"{mirror.url}/ipr/9001/",
    )
    assert disclosure["metadata"] == {
        "holder": "Example Patent Holdings LLC",
        "state": "posted",
        "licensing": "reasonable",
        "documents": [{"name": DRAFT, "rev": "15-16"}],
        "url": f"{mirror.url}/ipr/9001/",
    }
    (section,) = disclosure["sections"]
    assert section["text"].splitlines()[:4] == [
        "Holder: Example Patent Holdings LLC",
        "State: posted",
        "Licensing: reasonable",
        f"Documents: {DRAFT} (revisions 15-16)",
    ]
    assert "Number: US 9,999,999" in section["text"]
    hits = sepwatch.search("Example Patent Holdings", "--kind", "ipr-disclosure")["hits"]
    assert [h["number"] for h in hits] == ["IPR 9001"]
    # The disclosure is also a declaration linking the patent to the draft.
    (declaration,) = sepwatch.export("declarations", "--spec", DRAFT)
    assert (declaration["key"], declaration["patents"], declaration["licensing"]) == (
        "ietf:ipr:9001",
        ["US9999999"],
        "reasonable",
    )


def test_datatracker_down_then_an_unknown_group(sepwatch: Sepwatch, datatracker: Mirror) -> None:
    mirror = datatracker
    mirror.reset = True
    configure_ietf(sepwatch, mirror)
    result = sepwatch.crawl("ietf_drafts", ok=False)
    assert result["status"] == "failed"
    assert [e["url"].removeprefix(mirror.url) for e in result["errors"]] == [STATES]
    assert mirror.requested().count(STATES) == 2  # one request, one retry (crawl.retries = 1)
    assert latest(sepwatch) == {}

    mirror.reset = False
    serve_json(mirror, "/api/v1/group/group/?acronym=nosuchwg", api_list([]))
    configure_ietf(sepwatch, mirror, groups=["nosuchwg"])
    result = sepwatch.crawl("ietf_drafts")
    assert result["status"] == "succeeded"
    assert [e["reason"] for e in result["errors"]] == ["ietf.groups: the Datatracker has no group 'nosuchwg'"]
