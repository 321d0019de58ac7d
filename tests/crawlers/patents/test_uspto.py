"""USPTO parsers against the real ODP, Global Dossier and Assignment samples, both ODP generations
(field names renamed from the samples), and hostile input."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest

from crawlers.extract import RejectedInput
from crawlers.items import PatentEvent
from crawlers.patents import uspto
from tests.conftest import realdata

D = dt.date
APP_URL = "https://api.uspto.gov/api/v1/patent/applications/15123456"


def sample(name: str) -> bytes:
    return realdata("uspto", name).read_bytes()


def sample_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(name))
    return loaded


def dump(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


# ----------------------------------------------------------------------------------------------------
# Full application record (beta "patentBag" capture)


def test_application_record_from_the_sample() -> None:
    records, _events = uspto.parse_application(sample("odp_application.json"), "odp_application.json")
    assert len(records) == 1
    r = records[0]
    assert (r.source, r.office, r.application) == ("uspto_odp", "US", "US15123456")
    assert r.title == "TONGUE RETRACTORS FOR FRENOTOMIES"
    assert r.applicants == ["The General Hospital Corporation"]
    assert r.filing_date == D(2016, 9, 2)
    assert r.priority_date == D(2014, 4, 23)  # the provisional the PCT parent claims
    assert r.publications == ["US20170071586A1"]
    assert r.grant_date is None
    # "Abandoned  --  Failure..." in the answer: double spaces normalised
    assert r.status == "Abandoned -- Failure to Respond to an Office Action"
    assert r.kind == "invention"
    assert r.parents == ["WOUS2015027322", "US61983088"]
    assert r.children == ["US16132008"]
    m = r.metadata
    assert m["status_code"] == 161
    assert m["status_date"] == "2018-10-02"
    assert m["first_inventor_to_file"] is True
    assert m["entity_status"] == "Small"
    assert m["small_entity"] is False  # the answer contradicts itself; both are kept as given
    assert m["application_type"] == "UTL"
    assert m["national_stage"] is True
    assert m["docket_number"] == "29539-0122US1"
    assert m["group_art_unit"] == "3775"
    assert m["inventors"] == ["Marvin Wang"]
    assert m["cpc"][:2] == ["A61B13/00", "A61B2017/320052"]
    assert len(m["cpc"]) == 6
    assert m["continuity"] == [
        {
            "relation": "parent",
            "application": "WOUS2015027322",
            "of": "US15123456",
            "type": "NST",
            "description": "is a National Stage Entry of",
            "filing_date": "2015-04-23",
            "status_code": 161,
            "status": "Abandoned -- Failure to Respond to an Office Action",
        },
        {
            "relation": "parent",
            "application": "US61983088",
            "of": "WOUS2015027322",
            "type": "PRO",
            "description": "Claims priority from a provisional application",
            "filing_date": "2014-04-23",
            "status_code": 159,
            "status": "Provisional Application Expired",
        },
        {
            "relation": "child",
            "application": "US16132008",
            "of": "US15123456",
            "type": "CON",
            "description": "is a Continuation of",
            "filing_date": "2018-09-14",
            "status_code": 160,
            "status": "Abandoned -- Incomplete Application (Pre-examination)",
        },
    ]
    assert m["assignments"] == [
        {
            "reel_frame": "047305/0442",
            "conveyance": "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).",
            "recorded_date": "2018-10-25",
            "received_date": "2018-10-25",
            "mailed_date": "2018-10-26",
            "execution_date": "2018-09-23",
            "assignors": [
                {"name": "WANG, MARVIN", "execution_date": "2018-09-23"}
            ],  # "WANG, MARVIN " in the answer
            "assignees": [
                {"name": "THE GENERAL HOSPITAL CORPORATION", "address": "55 FRUIT STREET, BOSTON, MA, 02114"}
            ],
            "correspondent": "J. P. FASSE",
            "pages": 4,
        }
    ]
    json.dumps(m)  # metadata is stored as JSON


def test_application_events_from_the_sample() -> None:
    _records, events = uspto.parse_application(sample("odp_application.json"), "odp_application.json")
    assert len(events) == 46
    assert {(e.source, e.office, e.application, e.kind) for e in events} == {
        ("uspto_odp", "US", "US15123456", "transaction")
    }
    assert events[0] == PatentEvent(
        source="uspto_odp",
        office="US",
        application="US15123456",
        code="IEXX",
        date=D(2016, 9, 2),
        text="Initial Exam Team nn",
        kind="transaction",
        known=False,
    )
    known = [(e.code, e.date, e.text) for e in events if e.known]
    assert known == [
        ("CTNF", D(2018, 2, 28), "Non-Final Rejection"),
        ("MCTNF", D(2018, 3, 14), "Mail Non-Final Rejection"),
        ("MABN2", D(2018, 10, 10), "Mail Abandonment for Failure to Respond to Office Action"),
        ("ABN2", D(2018, 10, 2), "Aband. for Failure to Respond to O. A."),
    ]
    counts = Counter(e.code for e in events)
    assert (counts["WIDS"], counts["EML_NTR"], counts["M844"], counts["IDSC"]) == (5, 5, 4, 4)
    assert events[-1].code == "IDSC" and events[-1].date == D(2020, 10, 21)


def test_parse_any_reads_the_application_like_parse_application() -> None:
    data = sample("odp_application.json")
    assert uspto.parse_any(data, "odp_application.json") == uspto.parse_application(
        data, "odp_application.json"
    )


def _current_generation(doc: dict[str, Any]) -> dict[str, Any]:
    """The beta capture rewritten in the current ODP shape: patentFileWrapperDataBag with
    applicationMetaData, eventDataBag and top-level continuity bags with prefixed field names."""
    item = copy.deepcopy(doc["patentBag"][0])
    continuity = item.pop("continuityBag")
    events = [
        {
            "eventCode": t["caseActionCode"],
            "eventDate": t["recordedDate"],
            "eventDescriptionText": t["caseActionDescriptionText"],
        }
        for t in item.pop("transactionContentBag")
    ]
    assignments = item.pop("assignmentBag")
    entity = {
        "smallEntityStatusIndicator": item.pop("smallEntityStatusIndicator"),
        "businessEntityStatusCategory": item.pop("businessEntityStatusCategory"),
    }
    number = item.pop("applicationNumberText")
    for a in item["applicantBag"]:
        a["applicantNameText"] = a.pop("applicant")
    parents = [
        {
            "parentApplicationNumberText": p["parentApplicationNumberText"],
            "childApplicationNumberText": p["childApplicationNumberText"],
            "parentApplicationFilingDate": p["filingDate"],
            "parentApplicationStatusCode": p["applicationStatusCode"],
            "parentApplicationStatusDescriptionText": p["applicationStatusDescriptionText"],
            "claimParentageTypeCode": p["claimParentageTypeCode"],
            "claimParentageTypeCodeDescription": p["claimParentageTypeCodeDescription"],
        }
        for p in continuity["parentContinuityBag"]
    ]
    children = [
        {
            "parentApplicationNumberText": c["parentApplicationNumberText"],
            "childApplicationNumberText": c["childApplicationNumberText"],
            "childApplicationFilingDate": c["filingDate"],
            "childApplicationStatusCode": c["applicationStatusCode"],
            "childApplicationStatusDescriptionText": c["applicationStatusDescriptionText"],
            "claimParentageTypeCode": c["claimParentageTypeCode"],
            "claimParentageTypeCodeDescription": c["claimParentageTypeCodeDescription"],
        }
        for c in continuity["childContinuityBag"]
    ]
    return {
        "count": 1,
        "patentFileWrapperDataBag": [
            {
                "applicationNumberText": number,
                "applicationMetaData": {**item, "entityStatusData": entity},
                "assignmentBag": assignments,
                "parentContinuityBag": parents,
                "childContinuityBag": children,
                "eventDataBag": events,
            }
        ],
    }


def test_both_odp_generations_give_the_same_items() -> None:
    beta = sample_json("odp_application.json")
    current = dump(_current_generation(beta))
    assert uspto.parse_application(current, "current.json") == uspto.parse_application(
        dump(beta), "beta.json"
    )
    assert uspto.parse_any(current, "current.json") == uspto.parse_application(dump(beta), "beta.json")


def test_current_generation_fields_that_the_beta_lacks() -> None:
    doc = _current_generation(sample_json("odp_application.json"))
    meta = doc["patentFileWrapperDataBag"][0]["applicationMetaData"]
    meta.update(patentNumber="10123456", grantDate="2018-11-13", pctPublicationNumber="WO 2015/164642")
    doc["patentFileWrapperDataBag"][0]["foreignPriorityBag"] = [
        {"ipOfficeName": "FRANCE", "filingDate": "2013-12-19", "applicationNumberText": "1262321"}
    ]
    (r,), _events = uspto.parse_application(dump(doc), "current.json")
    assert r.publications == ["US20170071586A1", "US10123456"]
    assert r.grant_date == D(2018, 11, 13)
    assert r.priority_date == D(2013, 12, 19)  # the foreign priority is earlier than the provisional
    assert r.metadata["pct_publication"] == "WO2015164642"
    assert r.metadata["foreign_priorities"] == [
        {"office": "FRANCE", "application": "1262321", "filing_date": "2013-12-19"}
    ]


# ----------------------------------------------------------------------------------------------------
# Biblio, search


def test_biblio_sample() -> None:
    (r,) = uspto.parse_biblio(sample("odp_biblio.json"), "odp_biblio.json")
    assert r.application == "US15123456"
    assert r.title == "TONGUE RETRACTORS FOR FRENOTOMIES"
    assert r.applicants == ["The General Hospital Corporation"]  # from firstApplicantName
    assert r.filing_date == D(2016, 9, 2)
    assert r.publications == ["US20170071586A1"]
    assert r.status == "Abandoned -- Failure to Respond to an Office Action"
    assert r.kind is None  # the biblio answer has no applicationTypeCode
    assert (r.parents, r.children, r.priority_date) == ([], [], None)
    assert r.metadata["entity_status"] == "Small"
    assert r.metadata["earliest_publication_date"] == "2017-03-16"
    assert r.metadata["inventors"] == ["Marvin Wang"]


def test_search_sample() -> None:
    records = uspto.parse_search(sample("odp_search.json"), "odp_search.json")
    assert len(records) == 25
    assert (records[0].application, records[0].filing_date, records[0].title) == (
        "US90019421",
        D(2024, 2, 15),
        "SPLATTER REDUCTION IN A SMALL HEAD CONTRA-ANGLE PROPHY",
    )
    assert (records[7].application, records[7].title) == ("US18457687", "IMMUNOSILENCING Fc VARIANTS")
    assert (records[-1].application, records[-1].filing_date) == ("US18254336", D(2024, 2, 2))
    assert all(r.source == "uspto_odp" and r.metadata == {} for r in records)


def test_search_without_hits_is_empty() -> None:
    assert uspto.parse_search(b'{"count": 0, "patentFileWrapperDataBag": []}', "none.json") == []
    assert uspto.parse_any(b'{"count": 0, "patentBag": null}', "none.json") == ([], [])


# ----------------------------------------------------------------------------------------------------
# Transactions


def test_transactions_sample_takes_the_application_from_the_request_url() -> None:
    events = uspto.parse_transactions(sample("odp_transactions.json"), f"{APP_URL}/transactions")
    _records, from_application = uspto.parse_application(
        sample("odp_application.json"), "odp_application.json"
    )
    assert events == from_application  # the same 46 transactions as the full record
    assert uspto.parse_any(sample("odp_transactions.json"), f"{APP_URL}/transactions") == ([], events)


@pytest.mark.parametrize(
    ("name", "application"),
    [
        ("odp_transactions.json", "15/123,456"),
        ("15123456_transactions.json", None),
        ("/data/us/15-123456/15123456.json", None),
        ("https://api.uspto.gov/api/v1/patent/applications/15%2F123%2C456/transactions", None),
    ],
)
def test_transactions_application_given_or_in_the_file_name(name: str, application: str | None) -> None:
    events = uspto.parse_transactions(sample("odp_transactions.json"), name, application=application)
    assert len(events) == 46 and {e.application for e in events} == {"US15123456"}


@pytest.mark.parametrize(
    "name", ["odp_transactions.json", "https://api.uspto.gov/api/v1/patent/applications/search?q=x"]
)
def test_transactions_without_any_application_are_refused(name: str) -> None:
    with pytest.raises(RejectedInput, match="the transactions do not say which application"):
        uspto.parse_any(sample("odp_transactions.json"), name)


def test_transactions_of_another_application_are_refused() -> None:
    doc = {"count": 1, "patentFileWrapperDataBag": [{"applicationNumberText": "12620694", "eventDataBag": [
        {"eventCode": "ELC_RVW", "eventDescriptionText": "Electronic  Review ", "eventDate": "2018-10-18"}]}]}  # fmt: skip
    (event,) = uspto.parse_transactions(dump(doc), "t.json")
    assert (event.application, event.code, event.text, event.date) == (
        "US12620694",
        "ELC_RVW",
        "Electronic Review",
        D(2018, 10, 18),
    )
    with pytest.raises(RejectedInput, match="are for US12620694, not US15123456"):
        uspto.parse_transactions(dump(doc), "t.json", application="US15123456")


# ----------------------------------------------------------------------------------------------------
# Continuity


def test_continuity_sample() -> None:
    assert uspto.parse_continuity(sample("odp_continuity.json"), f"{APP_URL}/continuity") == (
        ["WOUS2015027322", "US61983088"],
        ["US16132008"],
    )


def test_continuity_record_infers_its_application_and_keeps_this_captures_dates() -> None:
    (r,), events = uspto.parse_any(sample("odp_continuity.json"), "odp_continuity.json")
    assert events == []
    assert r.application == "US15123456"  # the one child of the parent entries that is nobody's parent
    assert (r.parents, r.children) == (["WOUS2015027322", "US61983088"], ["US16132008"])
    # This capture dates every relative one day earlier than the full-record capture does.
    assert [e["filing_date"] for e in r.metadata["continuity"]] == ["2015-04-22", "2014-04-22", "2018-09-13"]


def test_continuity_with_current_field_names() -> None:
    beta = sample_json("odp_continuity.json")
    bag = beta["patentBag"][0]["continuityBag"]
    renamed: dict[str, list[dict[str, Any]]] = {"parentContinuityBag": [], "childContinuityBag": []}
    for relation in ("parent", "child"):
        for entry in bag[f"{relation}ContinuityBag"]:
            e = dict(entry)
            e[f"{relation}ApplicationFilingDate"] = e.pop("filingDate")
            e[f"{relation}ApplicationStatusCode"] = e.pop("applicationStatusCode")
            e[f"{relation}ApplicationStatusDescriptionText"] = e.pop("applicationStatusDescriptionText")
            renamed[f"{relation}ContinuityBag"].append(e)
    renamed["childContinuityBag"][0]["childPatentNumber"] = "10902286"
    current = {"count": 1, "patentFileWrapperDataBag": [{"applicationNumberText": "15123456", **renamed}]}
    data = dump(current)
    assert uspto.parse_continuity(data, "c.json") == uspto.parse_continuity(
        sample("odp_continuity.json"), "c.json"
    )
    (r,), _ = uspto.parse_any(data, "c.json")
    (beta_record,), _ = uspto.parse_any(sample("odp_continuity.json"), "odp_continuity.json")
    assert [e["filing_date"] for e in r.metadata["continuity"]] == ["2015-04-22", "2014-04-22", "2018-09-13"]
    assert [e["status_code"] for e in r.metadata["continuity"]] == [161, 159, 160]
    assert r.metadata["continuity"][2]["patent"] == "US10902286"
    assert [
        {k: v for k, v in e.items() if k != "patent"} for e in r.metadata["continuity"]
    ] == beta_record.metadata["continuity"]


# ----------------------------------------------------------------------------------------------------
# Documents


def test_documents_sample() -> None:
    events = uspto.parse_documents(sample("odp_documents.json"), "odp_documents.json")
    assert len(events) == 117
    assert {(e.application, e.kind, e.source) for e in events} == {("US16330077", "document", "uspto_odp")}
    by_code = {e.code: e for e in events if e.code in ("CTNF", "CTFR", "CTAV", "NOA")}
    assert {c: (e.date, e.text, e.known) for c, e in by_code.items()} == {
        "CTNF": (D(2022, 5, 24), "Non-Final Rejection", True),
        "CTFR": (D(2022, 12, 2), "Final Rejection", True),
        "CTAV": (D(2023, 2, 28), "Advisory Action (PTOL-303)", False),  # meaning UNVERIFIED: office text only
        "NOA": (D(2023, 5, 18), "Notice of Allowance and Fees Due (PTOL-85)", True),
    }
    noa = by_code["NOA"].metadata
    assert noa["document_id"] == "LHQBSH7UGREENX1"
    assert noa["direction"] == "OUTGOING"
    assert noa["official_date"] == "2023-05-18T05:44:07.000-0400"
    assert (
        noa["url"] == "https://beta-api.uspto.gov/api/v1/download/applications/16330077/LHQBSH7UGREENX1.pdf"
    )
    assert noa["pages"] == 7
    assert [d["format"] for d in noa["downloads"]] == ["PDF", "XML", "MS_WORD"]
    assert Counter(e.metadata["direction"] for e in events) == {
        "INCOMING": 63,
        "OUTGOING": 32,
        "INTERNAL": 22,
    }
    # "Communication - Re:  Power of Attorney (PTOL-308)" in the answer
    assert {e.text for e in events if e.code == "N570"} == {
        "Communication - Re: Power of Attorney (PTOL-308)"
    }
    assert (min(e.date for e in events if e.date), max(e.date for e in events if e.date)) == (
        D(2019, 3, 2),
        D(2023, 12, 12),
    )
    assert uspto.parse_any(sample("odp_documents.json"), "odp_documents.json") == ([], events)


def test_document_date_is_the_printed_eastern_date_not_utc() -> None:
    doc = {"documentBag": [{"applicationNumberText": "16330077", "officialDate": "2023-03-27T21:30:00.000-0400",
                            "documentCode": "CTNF", "documentCodeDescriptionText": "Non-Final Rejection"}]}  # fmt: skip
    (event,) = uspto.parse_documents(dump(doc), "d.json")
    assert event.date == D(2023, 3, 27)  # 2023-03-28 in UTC


def test_documents_with_newer_field_names() -> None:
    doc = sample_json("odp_documents.json")
    for entry in doc["documentBag"]:
        entry["documentDirectionCategory"] = entry.pop("directionCategory")
        for option in entry["downloadOptionBag"]:
            option["downloadURI"] = option.pop("downloadUrl")
    newer = uspto.parse_documents(dump(doc), "d.json")
    assert newer == uspto.parse_documents(sample("odp_documents.json"), "d.json")


# ----------------------------------------------------------------------------------------------------
# Global Dossier


def test_global_dossier_sample() -> None:
    records = uspto.parse_global_dossier(sample("global_dossier_app_16123456.json"), "gd.json")
    summary = [
        (r.source, r.office, r.application, r.filing_date, r.priority_date, r.publications, r.grant_date)
        for r in records
    ]
    assert summary == [
        ("uspto_global_dossier", "JP", "JP2017187096", D(2017, 9, 27), None, ["JP2019061579A", "JP6768620B2"], D(2020, 10, 14)),
        ("uspto_global_dossier", "US", "US16123456", D(2018, 9, 6), D(2017, 9, 27), ["US20190095759A1", "US10902286B2"], D(2021, 1, 26)),
        ("uspto_global_dossier", "US", "US17130468", D(2020, 12, 22), D(2017, 9, 27), ["US20210110206A1"], None),
    ]  # fmt: skip
    assert records[2].metadata == {
        "family_of": "US16123456",
        "kind_code": "A",
        "ip5": True,
        "priority_claims": ["US16123456", "US17130468", "JP2017187096"],
        "publication_dates": [{"number": "US20210110206A1", "kind": "A1", "date": "2021-04-15"}],
    }
    assert uspto.parse_any(sample("global_dossier_app_16123456.json"), "gd.json") == (records, [])


@pytest.mark.parametrize("keep", ["epoch", "string"])
def test_global_dossier_dates_in_either_form(keep: str) -> None:
    """The sample carries both forms; each alone gives the same dates."""
    doc = sample_json("global_dossier_app_16123456.json")
    for member in doc["list"]:
        member.pop("appDateStr" if keep == "epoch" else "appDate")
        member["docNum"]["date"] = None
        for p in member["pubList"]:
            p.pop("pubDateStr" if keep == "epoch" else "pubDate")
    records = uspto.parse_global_dossier(dump(doc), "gd.json")
    assert [(r.filing_date, r.grant_date) for r in records] == [
        (D(2017, 9, 27), D(2020, 10, 14)),
        (D(2018, 9, 6), D(2021, 1, 26)),
        (D(2020, 12, 22), None),
    ]
    assert records[0].metadata["publication_dates"][0] == {
        "number": "JP2019061579A",
        "kind": "A",
        "date": "2019-04-18",
    }


# ----------------------------------------------------------------------------------------------------
# Assignments


def test_assignment_sample() -> None:
    (a,) = uspto.parse_assignments(sample("assignment_search_1.xml"), "assignment_search_1.xml")
    assert a["reel_frame"] == "018247/0405"
    assert a["conveyance"] == "NUNC PRO TUNC ASSIGNMENT (SEE DOCUMENT FOR DETAILS)."
    assert (a["recorded_date"], a["execution_date"]) == ("2006-09-14", "2006-09-14")
    assert a["assignors"] == [
        {"name": "REALTIME DATA COMPRESSION SYSTEMS, INC.", "execution_date": "2006-09-14"}
    ]
    # "NULL" address parts are dropped
    assert a["assignees"] == [
        {"name": "REALTIME DATA LLC", "address": "15 WEST 36TH STREET, NEW YORK, NEW YORK, 10018"}
    ]
    assert (a["correspondent"], a["attorney_docket"], a["pages"]) == ("JEFFREY H. INGERMAN", "103532-0002", 6)
    assert [p["application"] for p in a["properties"]] == [
        "US10628795",
        "US11400674",
        "US09210491",
        "US09705446",
        "US09266394",
    ]
    assert a["properties"][0] == {
        "application": "US10628795",
        "filing_date": "2003-07-28",
        "patent": "US7130913",
        "issue_date": "2006-10-31",
        "publication": "US20040073746",
        "publication_date": "2004-04-15",
        "title": "SYSTEM AND METHODS FOR ACCELERATED DATA STORAGE AND RETRIEVAL",
    }
    # "NULL" publication and the year-1 null date are absent, not strings
    assert "publication" not in a["properties"][2] and "publication_date" not in a["properties"][2]
    json.dumps(a)


_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<response><result name="response"><doc><str name="conveyanceText">&lol2;</str></doc></result></response>"""
_EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<response><result name="response"><doc><str name="corrName">&x;</str></doc></result></response>"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_LAUGHS, "a.xml: XML with a DTD or entity declarations refused"),
        (_EXTERNAL, "a.xml: XML with a DTD or entity declarations refused"),
        (b"<response><result name='response'><doc><str name='id'>1", "a.xml: malformed or truncated XML"),
        (b"<html><body>Service unavailable</body></html>", r"a.xml: not a USPTO assignment search answer \(root element <html>\)"),
        (b"<response><lst name='responseHeader'/></response>", r"a.xml: not a USPTO assignment search answer \(no <result>"),
        (b"", "a.xml: empty file"),
    ],
)  # fmt: skip
def test_hostile_assignment_xml_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        uspto.parse_assignments(data, "a.xml")


def test_truncated_assignment_sample_is_refused() -> None:
    data = sample("assignment_search_1.xml")
    with pytest.raises(RejectedInput, match="malformed or truncated XML"):
        uspto.parse_assignments(data[: len(data) // 2], "a.xml")


# ----------------------------------------------------------------------------------------------------
# Sniffing, codes, hostile JSON


@pytest.mark.parametrize(
    "name",
    [
        "odp_application.json",
        "odp_biblio.json",
        "odp_continuity.json",
        "odp_documents.json",
        "odp_search.json",
        "odp_transactions.json",
        "global_dossier_app_16123456.json",
    ],
)
def test_is_odp_json_on_every_json_sample(name: str) -> None:
    assert uspto.is_odp_json(sample(name)[:4096])


@pytest.mark.parametrize(
    "head",
    [
        b'{"count": 1, "results": []}',
        b"<response/>",
        b'["patentBag"]',
        b"IPRD_ID,IPRD_REFERENCE\n",
    ],
)
def test_is_odp_json_refuses_other_files(head: bytes) -> None:
    assert not uspto.is_odp_json(head)


def test_is_odp_json_refuses_the_assignment_sample() -> None:
    assert not uspto.is_odp_json(sample("assignment_search_1.xml")[:4096])


def test_known_codes() -> None:
    assert {"CTNF", "CTFR", "CTRS", "NOA", "ABN"} <= set(uspto.KNOWN_CODES)
    assert "CTAV" not in uspto.KNOWN_CODES  # UNVERIFIED in the fact sheet


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "x.json: empty file"),
        (b"  \n ", "x.json: empty file"),
        (b"<!DOCTYPE html><html>Forbidden</html>", "x.json: markup, not JSON"),
        (b'{"count": 1, "patentBag": [{"applicationNumberText": "1512', r"x.json: truncated or invalid JSON \(line 1"),
        (b"[1, 2]", "x.json: JSON list, not the object"),
        (b"\xff\xfe{\x00}\x00", "x.json: not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "x.json: JSON nested too deeply"),
        (b'{"code": 404, "message": "No matching  records found"}', "x.json: the ODP answered with an error: No matching records found"),
        (b'{"foo": 1}', r"x.json: JSON, but not a USPTO ODP or Global Dossier answer \(keys: foo\)"),
        (b'{"patentBag": {"a": 1}}', "x.json: patentBag is a JSON dict, not a list"),
        (b'{"patentBag": [{"something": 1}]}', r"x.json: no ODP application data, events or continuity in it \(keys: something\)"),
        (b'{"patentBag": [{"inventionTitle": "X"}]}', r"x.json: no application \(no applicationNumberText\)"),
        (b'{"patentBag": [{"applicationNumberText": "EP1234", "inventionTitle": "X"}]}', "x.json: 'EP1234' is not a US application number"),
    ],
)  # fmt: skip
def test_hostile_json_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedInput, match=reason):
        uspto.parse_any(data, "x.json")


def test_truncated_application_sample_is_refused() -> None:
    data = sample("odp_application.json")
    with pytest.raises(RejectedInput, match=r"odp_application\.json: truncated or invalid JSON"):
        uspto.parse_application(data[:1000], "odp_application.json")


def test_wrong_endpoint_parsers_refuse() -> None:
    with pytest.raises(RejectedInput, match="not an ODP documents answer"):
        uspto.parse_documents(sample("odp_biblio.json"), "b.json")
    with pytest.raises(RejectedInput, match="not a Global Dossier application list"):
        uspto.parse_global_dossier(sample("odp_biblio.json"), "b.json")
    with pytest.raises(RejectedInput, match=r"no application \(no applicationNumberText\)"):
        uspto.parse_biblio(sample("odp_continuity.json"), "c.json")
