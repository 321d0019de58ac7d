"""The 3GPP spiders against a loopback mirror built from the real samples.

The mirror serves the real TDoc list export of RAN1#122-bis (1,563 TDocs) as the Portal's export,
a calendar page in the dynareport format, the meeting's Docs/ folder in the newer listing format
with TDoc archives (one holds the real CR .docx), a spec archive folder in the older IIS format,
and the release pages.
"""

from __future__ import annotations

import datetime as dt
from html import escape

import pytest

from tests.conftest import REPO, realdata
from tests.crawlers.spiders.conftest import Sepwatch, docx_of, zip_of
from tests.mirror import Mirror

FIXTURES = REPO / "tests" / "fixtures" / "3gpp"
DOCS = "/ftp/tsg_ran/WG1_RL1/TSGR1_122b/Docs/"


def table_listing(folder: str, files: list[tuple[str, dt.datetime, int]]) -> str:
    """A folder in the newer "Directory Listing" format (row markup of the real page)."""
    rows = "".join(
        f"""
                            <tr>
                                <td>
                                    <img class="icon" alt="icon" src="/ftp/geticon.axd?file=.zip" />
                                </td>
                                <td style="padding-right:10px">
                                    <a href="https://www.3gpp.org{folder}{escape(name)}">{escape(name)}</a>
								</td>
                                <td style="padding-right:10px">
                                    {when.year}/{when.month:02d}/{when.day:02d} {when.hour}:{when.minute:02d}
                                </td>
                                <td>
                                    {size / 1024:.1f} KB
                                </td>
                            </tr>"""
        for name, when, size in files
    )
    return f"""<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml">
    <head><title>Directory Listing {folder}</title></head>
    <body><form name="ctl00" method="post" action="" id="ctl00">
            <table style="margin-left:20px">
                <thead><tr><th>&nbsp;</th><th><a href="?sortby=name">sort by name</a></th>
                <th><a href="?sortby=date">sort by date</a></th><th><a href="?sortby=size">sort by size</a></th></tr></thead>
                <tbody>{rows}
                </tbody>
            </table>
            <p><span id="FileCount">{len(files)} items.</span></p>
    </form></body></html>"""


def iis_listing(folder: str, files: list[tuple[str, dt.datetime, int]]) -> str:
    """A folder in the older IIS format (``3/26/2019  4:49 PM   123456 <a …>``)."""
    lines = "".join(
        f"{w.month}/{w.day}/{w.year} {(w.hour % 12) or 12:>2}:{w.minute:02d} {'PM' if w.hour >= 12 else 'AM'}"
        f'{size:>13} <a href="https://www.3gpp.org{folder}{name}">{name}</a><br>'
        for name, w, size in files
    )
    return (
        f'<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8">'
        f"<title>www.3gpp.org - {folder}</title></head><body><h1>www.3gpp.org - {folder}</h1><hr>\n\n"
        f'<pre><a href="https://www.3gpp.org/ftp/Specs/archive/">[To Parent Directory]</a><br><br>{lines}</pre><hr></body></html>'
    )


WHEN = dt.datetime(2025, 10, 14, 9, 5)


def tdoc_docx(number: str, topic: str) -> bytes:
    return docx_of(
        [
            ("", f"3GPP TSG RAN WG1 #122-bis    {number}"),
            ("H1", "1 Introduction"),
            ("", f"This contribution discusses {topic} for NR."),
            ("H1", "2 Proposal"),
            ("", f"Proposal 1: The UE shall apply {topic} when configured by the gNB."),
        ]
    )


@pytest.fixture
def tdoc_mirror(mirror: Mirror) -> Mirror:
    mirror.put_file(
        "/dynareport?code=Meetings-R1.htm", FIXTURES / "meetings_r1.html", "text/html; charset=utf-8"
    )
    mirror.put_file(
        "/ngppapp/GenerateDocumentList.aspx?meetingId=60603",
        realdata("3gpp", "TDoc_List_Meeting_RAN1#122-bis.xlsx"),
    )
    cr = realdata("3gpp", "CR_S2-2209002_23501_Correction_RedCap.docx").read_bytes()
    archives = {
        "R1-2506701.zip": zip_of(
            {"R1-2506701.docx": tdoc_docx("R1-2506701", "low-latency paging early indication")}
        ),
        "R1-2506702.zip": zip_of({"R1-2506702 CR.docx": cr}),
        "R1-2506703.zip": zip_of({"R1-2506703.docx": tdoc_docx("R1-2506703", "ambient IoT")})[
            :300
        ],  # truncated
    }
    for name, data in archives.items():
        mirror.put(DOCS + name, data)
    mirror.put(
        DOCS,
        table_listing(DOCS, [(n, WHEN, len(d)) for n, d in archives.items()]),
        "text/html; charset=utf-8",
    )
    return mirror


def configure_3gpp(sepwatch: Sepwatch, mirror: Mirror, **extra: object) -> None:
    sepwatch.configure(
        {
            "3gpp": {
                "site_url": mirror.url,
                "portal_url": mirror.url,
                "groups": ["RAN1"],
                "since": "2025-10-01",
                **extra,
            }
        }
    )


def test_tdoc_crawl_fills_the_store_and_a_second_crawl_downloads_no_bodies(
    sepwatch: Sepwatch, tdoc_mirror: Mirror
) -> None:
    configure_3gpp(sepwatch, tdoc_mirror)
    first = sepwatch.crawl("threegpp_tdocs", ok=False)
    # The truncated archive is reported and skipped; everything else goes through.
    assert first["status"] == "succeeded", first["errors"]
    errors = {e["url"].removeprefix(tdoc_mirror.url): e["reason"] for e in first["errors"]}
    assert errors[DOCS + "R1-2506703.zip"].startswith("truncated or corrupt zip archive: R1-2506703.zip")
    # The next meeting's folder does not exist yet: noted, not a failure of the source.
    assert errors["/ftp/tsg_ran/WG1_RL1/TSGR1_123/Docs/"] == "HTTP 404 (not found)"
    assert first["counts"]["tdoc_list_rows"] == 1563

    documents = {d["number"]: d for d in sepwatch.export("documents", "--source", "3gpp")}
    latest: dict[str, dict] = {}  # type: ignore[type-arg]
    for d in documents.values():
        latest[d["number"]] = d
    assert len(latest) == 1563
    fetched = latest["R1-2506701"]
    assert fetched["partial"] is False and fetched["group"] == "RAN1" and fetched["meeting"]
    assert [s["heading"] for s in fetched["sections"] if s["number"]] == ["Introduction", "Proposal"]
    # The list's metadata stays on the fetched TDoc.
    assert fetched["metadata"]["agenda_item"] and fetched["metadata"]["status"]
    cr = latest["R1-2506702"]
    assert cr["metadata"]["cr_cover"]["spec"] == "23.501" and cr["metadata"]["cr_category"] == "F"
    assert cr["metadata"]["cr_cover"]["summary"].startswith("Replace TS 38.331 with the correct reference")
    assert cr["spec"] == "TS 23.501" and cr["release"] == "Rel-17"
    assert latest["R1-2506703"]["partial"] is True  # only the list's row: its archive was broken

    # Search by title words, company and agenda item.
    hits = sepwatch.search("paging early indication", "--source", "3gpp")["hits"]
    assert hits and hits[0]["number"] == "R1-2506701"
    assert sepwatch.search("Nokia", "--group", "RAN1", "--limit", "5")["total"] > 10
    agenda = sepwatch.search('"Approval of Agenda"', "--meeting", fetched["meeting"])["hits"]
    assert "R1-2506700" in [h["number"] for h in agenda]

    milestones = sepwatch.export("milestones", "--kind", "meeting")
    assert any(m["title"].startswith("RAN1#122-bis") for m in milestones)

    tdoc_mirror.log.clear()
    second = sepwatch.crawl("threegpp_tdocs", ok=False)
    assert tdoc_mirror.bodies(".zip") == ["/ftp/tsg_ran/WG1_RL1/TSGR1_122b/Docs/R1-2506703.zip"]
    assert not [p for p in tdoc_mirror.bodies() if "GenerateDocumentList" in p]
    assert second["counts"].get("new_version", 0) == 0 and second["counts"].get("new_document", 0) == 0


SPEC_FOLDER = "/ftp/Specs/archive/23_series/23.501/"


def spec_docx(version: str, extra: str) -> bytes:
    return docx_of(
        [
            ("", f"3GPP TS 23.501 V{version} System architecture for the 5G System (5GS); Stage 2"),
            ("H1", "1 Scope"),
            ("", "The present document defines the Stage 2 system architecture for the 5G System."),
            ("H2", "5.41 Support for RedCap"),
            ("", f"An NR RedCap UE using NR shall provide an NR RedCap indication {extra}."),
        ]
    )


def test_spec_versions_oldest_first_then_only_new_versions(sepwatch: Sepwatch, mirror: Mirror) -> None:
    files = {
        "23501-i40.zip": zip_of({"23501-i40.docx": spec_docx("18.4.0", "as defined in TS 38.300 [28]")}),
        "23501-h60.zip": zip_of({"23501-h60.docx": spec_docx("17.6.0", "as defined in TS 38.331 [28]")}),
        "23501-f00.zip": zip_of({"23501-f00.docx": spec_docx("15.0.0", "old")}),
    }
    for name, data in files.items():
        mirror.put(SPEC_FOLDER + name, data)
    mirror.put(
        SPEC_FOLDER, iis_listing(SPEC_FOLDER, [(n, WHEN, len(d)) for n, d in files.items()]), "text/html"
    )
    sepwatch.configure({"3gpp": {"site_url": mirror.url, "specs": ["TS 23.501"], "spec_min_release": 17}})

    result = sepwatch.crawl("threegpp_specs")
    assert result["counts"]["spec_versions_listed"] == 2  # Rel-15 is older than spec_min_release
    versions = [d for d in sepwatch.export("documents") if d["number"] == "TS 23.501"]
    assert [(v["version"], v["label"], v["release"]) for v in versions] == [
        (1, "17.6.0", "Rel-17"),
        (2, "18.4.0", "Rel-18"),
    ]
    clause = next(s for s in versions[1]["sections"] if s["number"] == "5.41")
    assert clause["heading"] == "Support for RedCap" and "TS 38.300" in clause["text"]

    # A new version appears: only it is downloaded.
    mirror.put(SPEC_FOLDER + "23501-i50.zip", zip_of({"23501-i50.docx": spec_docx("18.5.0", "via MSG3")}))
    files["23501-i50.zip"] = mirror.files[SPEC_FOLDER + "23501-i50.zip"].body
    mirror.put(
        SPEC_FOLDER, iis_listing(SPEC_FOLDER, [(n, WHEN, len(d)) for n, d in files.items()]), "text/html"
    )
    mirror.log.clear()
    sepwatch.crawl("threegpp_specs")
    assert mirror.bodies(".zip") == [SPEC_FOLDER + "23501-i50.zip"]
    hits = sepwatch.search("RedCap MSG3", "--spec", "TS 23.501")["hits"]
    assert hits and hits[0]["label"] == "18.5.0"


def test_freeze_dates_layers(sepwatch: Sepwatch, mirror: Mirror) -> None:
    base = "/specifications-technologies/releases"
    mirror.put_file(base, FIXTURES / "releases_overview.html", "text/html; charset=utf-8")
    mirror.put_file(base + "/release-19", FIXTURES / "release_19.html", "text/html; charset=utf-8")
    sepwatch.configure(
        {
            "3gpp": {
                "site_url": mirror.url,
                "releases": [19, 20],  # release-20 is missing on the mirror: 404, noted
                "freeze_overrides": {"Rel-20": {"stage3": "2027-03-19"}},
            }
        }
    )
    result = sepwatch.crawl("threegpp_releases")
    assert result["status"] == "succeeded"
    freezes = {m["key"]: m for m in sepwatch.export("milestones", "--kind", "freeze")}
    override = freezes["3gpp:freeze:Rel-20:stage3"]
    assert override["date"] == "2027-03-19" and override["origin"] == "override"
    crawled = [m for m in freezes.values() if m["origin"] == "crawled"]
    defaults = [m for m in freezes.values() if m["origin"] == "default"]
    assert crawled and defaults
    assert freezes["3gpp:freeze:Rel-19:stage1"]["date"] == "2023-12-31"


def test_unreachable_source_is_retried_recorded_and_becomes_unhealthy(
    sepwatch: Sepwatch, mirror: Mirror
) -> None:
    mirror.reset = True
    sepwatch.configure(
        {"3gpp": {"site_url": mirror.url, "groups": ["RAN1"]}, "crawl": {"unhealthy_after_failures": 2}}
    )
    first = sepwatch.crawl("threegpp_meetings", ok=False)
    assert first["status"] == "failed"
    assert "Meetings-R1" in first["errors"][0]["url"]
    # one request and one retry (crawl.retries = 1)
    assert len([p for p in mirror.requested() if "Meetings-R1" in p]) == 2
    status = __import__("json").loads(sepwatch("status", "--json").stdout)
    health = {h["source"]: h for h in status["sources"]}
    assert health["threegpp_meetings"]["state"] == "failing"
    sepwatch.crawl("threegpp_meetings", ok=False)
    status = __import__("json").loads(sepwatch("status", "--json").stdout)
    health = {h["source"]: h for h in status["sources"]}
    assert health["threegpp_meetings"]["state"] == "unhealthy"
    assert health["threegpp_meetings"]["consecutive_failures"] == 2

    mirror.reset = False
    mirror.put_file("/dynareport?code=Meetings-R1.htm", FIXTURES / "meetings_r1.html", "text/html")
    assert sepwatch.crawl("threegpp_meetings")["status"] == "succeeded"
    out = sepwatch("status").stdout
    assert "threegpp_meetings: healthy" in out
