"""EPO OPS parsers: exact values from every real sample, prefix independence, code flags, hostile XML."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from crawlers.extract import RejectedInput
from crawlers.items import PatentEvent, PatentRecord
from crawlers.patents import epo
from tests.conftest import realdata


def sample(name: str) -> bytes:
    return realdata("epo", name).read_bytes()


def as_ns2_ns3(data: bytes) -> bytes:
    """The same response with OPS's newer generated prefixes (ns2 = ops, ns3 = register)."""
    for old, new in ((b"ops", b"ns2"), (b"reg", b"ns3")):
        data = data.replace(b"xmlns:" + old + b"=", b"xmlns:" + new + b"=")
        data = data.replace(b"<" + old + b":", b"<" + new + b":").replace(
            b"</" + old + b":", b"</" + new + b":"
        )
    return data


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# EP Register: biblio


def test_register_biblio_ep3000000() -> None:
    records = epo.parse_register_biblio(sample("ops_register_biblio_EP3000000.xml"))
    assert len(records) == 1
    record = records[0]
    assert (record.source, record.office, record.application, record.kind) == (
        "epo_ops",
        "EP",
        "EP14735465",
        "invention",
    )
    assert record.title == "SYSTEM AND METHOD FOR DETECTING SHAPING"
    assert record.applicants == ["Trumpf Werkzeugmaschinen GmbH + Co. KG"]
    assert record.filing_date == d("2014-06-12")
    assert record.priority_date == d("2013-06-24")
    assert record.publications == ["WO2014206532A1", "EP3000000A1", "EP3000000B1"]
    assert record.grant_date == d("2017-05-17")  # the B1 publication: mention of the grant
    assert record.status == "No opposition filed within time limit"
    assert record.family is None
    assert (record.parents, record.children) == ([], [])
    meta = record.metadata
    assert (meta["status_code"], meta["status_date"]) == ("7", "2018-03-23")
    assert [s["code"] for s in meta["status_history"]] == ["7", "8", "12"]
    assert meta["priorities"] == [{"number": "DE201310211960", "date": "2013-06-24", "kind": "national"}]
    assert meta["other_applications"] == ["WOEP2014001597"]
    assert meta["publication_dates"] == {
        "WO2014206532A1": "2014-12-31",
        "EP3000000A1": "2016-03-30",
        "EP3000000B1": "2017-05-17",
    }
    assert meta["titles"]["de"] == "SYSTEM UND VERFAHREN ZUR ERKENNUNG VON UMFORMUNGEN"
    assert meta["inventors"] == ["KOEHLER, Uwe", "BAIERL-MÖHLER, Monika"]
    assert meta["representatives"] == ["Prüfer & Partner mbB Patentanwälte · Rechtsanwälte"]
    states = meta["designated_states"]
    assert (len(states), states[0], states[-1]) == (38, "AL", "TR")
    assert "EP" not in states  # the region element is not a designated state
    # latest of the 16 term-of-grant change sets (2020/34): 30 states, HU lapsed at filing
    lapsed = meta["lapsed_states"]
    assert len(lapsed) == 30
    assert (lapsed["HU"], lapsed["AL"], lapsed["IS"]) == ("2014-06-12", "2017-05-17", "2017-09-17")
    assert not {"AT", "CH", "DE", "GB", "NL", "SE", "TR"} & lapsed.keys()
    assert meta["dates_rights_effective"] == {
        "request-for-examination": "2015-12-22",
        "first-examination-report-despatched": "2016-12-09",
    }
    assert meta["opposition_not_filed"] == "2018-02-20"
    assert (meta["register_id"], meta["dtd_version"], meta["language_of_filing"]) == (
        "EP14735465P",
        "1.3.2",
        "de",
    )
    assert meta["ipc"] == ["G05B19/4093, G05B19/4097"]


def test_register_biblio_same_under_generated_prefixes() -> None:
    data = sample("ops_register_biblio_EP3000000.xml")
    assert b"<ns3:bibliographic-data" in as_ns2_ns3(data)
    assert epo.parse_register_biblio(as_ns2_ns3(data)) == epo.parse_register_biblio(data)


SYNTHETIC_REGISTER = b"""<?xml version="1.0" encoding="UTF-8"?>
<w:world-patent-data xmlns:w="http://ops.epo.org" xmlns:r="http://www.epo.org/register">
 <w:register-search total-result-count="1">
  <w:query syntax="CQL">publication=EP2400812</w:query>
  <r:register-documents>
   <r:register-document status="Examination is in progress">
    <r:ep-patent-statuses>
     <r:ep-patent-status change-date="" status-code="14">  Examination is in progress </r:ep-patent-status>
     <r:ep-patent-status change-date="20120101" status-code="16">The application has been published</r:ep-patent-status>
    </r:ep-patent-statuses>
    <r:bibliographic-data id="EP10167109P">
     <r:publication-reference><r:document-id>
      <r:country>EP</r:country><r:doc-number>  2400812</r:doc-number><r:kind>A1 </r:kind><r:date> 20111228</r:date>
     </r:document-id></r:publication-reference>
     <r:application-reference><r:document-id>
      <r:country>EP</r:country><r:doc-number>   10167109</r:doc-number><r:date>20100624</r:date>
     </r:document-id></r:application-reference>
     <r:parties>
      <r:applicants change-date="20111228" change-gazette-num="2011/52">
       <r:applicant><r:addressbook><r:name>Old Name Oy</r:name></r:addressbook></r:applicant>
      </r:applicants>
      <r:applicants change-date="20191018" change-gazette-num="2019/47">
       <r:applicant><r:addressbook><r:name>  9Solutions Oy </r:name></r:addressbook></r:applicant>
      </r:applicants>
     </r:parties>
     <r:invention-title lang="en" change-gazette-num="2011/52">Bluetooth networking</r:invention-title>
     <r:invention-title lang="de" change-gazette-num="2019/30">BLUETOOTH-VERNETZUNG</r:invention-title>
     <r:invention-title lang="en" change-gazette-num="2019/30">BLUETOOTH NETWORKING</r:invention-title>
     <r:related-documents><r:division><r:relation>
      <r:parent-doc>
       <r:document-id document-id-type="application number"><r:country>EP</r:country><r:doc-number>20090123456</r:doc-number><r:kind>D</r:kind></r:document-id>
       <r:document-id document-id-type="publication number"><r:country>EP</r:country><r:doc-number>2100000</r:doc-number><r:kind>D</r:kind></r:document-id>
      </r:parent-doc>
      <r:child-doc><r:document-id><r:country></r:country><r:doc-number></r:doc-number></r:document-id></r:child-doc>
     </r:relation></r:division></r:related-documents>
    </r:bibliographic-data>
    <r:procedural-data>
     <r:procedural-step id="STEP_X_1" procedure-step-phase="examination">
      <r:procedural-step-code> ZZQQ </r:procedural-step-code>
      <r:procedural-step-text step-text-type="STEP_DESCRIPTION">A step sepwatch has never seen</r:procedural-step-text>
      <r:procedural-step-date step-date-type="DATE_OF_REQUEST"><r:date>20200102</r:date></r:procedural-step-date>
      <r:procedural-step-date step-date-type="DATE_OF_PAYMENT"><r:date>20200303</r:date></r:procedural-step-date>
     </r:procedural-step>
    </r:procedural-data>
    <r:events-data>
     <r:dossier-event id="EVT_1" event-type="new">
      <r:event-date><r:date>  20190626 </r:date></r:event-date>
      <r:event-code>   0009250  </r:event-code>
      <r:event-text event-text-type="DESCRIPTION">Lapse of the patent in a contracting state</r:event-text>
     </r:dossier-event>
    </r:events-data>
    <r:events-data>
     <r:dossier-event id="EVT_2" event-type="new">
      <r:event-date><r:date>20190627</r:date></r:event-date>
      <r:event-code>EPIDOSNIGR9</r:event-code>
      <r:event-text event-text-type="DESCRIPTION">New entry: something new</r:event-text>
     </r:dossier-event>
    </r:events-data>
   </r:register-document>
  </r:register-documents>
 </w:register-search>
</w:world-patent-data>
"""


def test_register_padding_empty_change_date_and_latest_sets() -> None:
    [record] = epo.parse_register_biblio(SYNTHETIC_REGISTER, "synthetic.xml")
    assert record.application == "EP10167109"  # left-padded doc-number
    assert record.publications == ["EP2400812A1"]  # padded number and kind
    assert record.metadata["publication_dates"] == {"EP2400812A1": "2011-12-28"}
    # empty change-date: the first status listed (OPS lists the newest first) is the current one
    assert record.status == "Examination is in progress"
    assert (record.metadata["status_code"], record.metadata["status_date"]) == ("14", None)
    assert record.applicants == ["9Solutions Oy"]  # the 2019/47 set, not the 2011/52 one
    assert record.title == "BLUETOOTH NETWORKING"  # the newest English title
    assert record.parents == ["EP09123456"]  # epodoc year form of the divisional parent
    assert record.children == []


def test_register_events_and_steps_take_the_application_from_the_biblio() -> None:
    records, events = epo.parse_any(SYNTHETIC_REGISTER, "synthetic.xml")
    assert [r.application for r in records] == ["EP10167109"]
    assert [(e.kind, e.code, e.application, e.publication, e.known) for e in events] == [
        ("register-event", "0009250", "EP10167109", "EP2400812A1", True),
        ("register-event", "EPIDOSNIGR9", "EP10167109", "EP2400812A1", False),
        ("procedural-step", "ZZQQ", "EP10167109", "EP2400812A1", False),
    ]
    lapse, unknown_event, unknown_step = events
    assert lapse.date == d("2019-06-26")  # padded date
    assert (unknown_event.text, unknown_event.date) == ("New entry: something new", d("2019-06-27"))
    # unknown codes are kept with the XML's own text; payment beats the first (request) date
    assert (unknown_step.text, unknown_step.date) == ("A step sepwatch has never seen", d("2020-03-03"))
    assert unknown_step.metadata["dates"] == {
        "DATE_OF_REQUEST": "2020-01-02",
        "DATE_OF_PAYMENT": "2020-03-03",
    }
    assert "application_unknown" not in lapse.metadata


# ---------------------------------------------------------------------------------------------
# EP Register: dossier events


def test_register_events_ep1000000() -> None:
    events = epo.parse_register_events(sample("ops_register_events_EP1000000.xml"))
    assert len(events) == 32
    assert {(e.source, e.office, e.kind, e.application, e.publication) for e in events} == {
        ("epo_ops", "EP", "register-event", "", "EP1000000")
    }
    assert all(e.metadata["application_unknown"] for e in events)
    assert Counter(e.code for e in events) == {
        "0009250": 14,
        "EPIDOS IGRA": 2,
        "EPIDOS AGRA": 2,
        "EPIDOS RFEE": 2,
        "EPIDOSDTIPA": 1,
        "0009299LAPS": 1,
        "EPIDOSNTIPA": 1,
        "0009299FREP": 1,
        "0009261": 1,
        "0009210": 1,
        "0009185": 1,
        "EPIDOS EXPT": 1,
        "0009084": 1,
        "0009171": 1,
        "0009199FREP": 1,
        "0009012": 1,
    }
    assert all(e.known for e in events)
    first, second = events[0], events[1]
    assert (first.code, first.date, first.text) == (
        "EPIDOSDTIPA",
        d("2014-06-07"),
        "Deletion: Observations by third parties",
    )
    assert "gazette" not in first.metadata
    assert first.metadata["event_id"] == "EVT_242405912"
    assert (second.code, second.date, second.text) == (
        "0009250",
        d("2013-03-15"),
        "Lapse of the patent in a contracting state",
    )
    assert second.metadata["gazette"] == {"number": "2013/16", "date": "2013-04-17"}
    renewal = next(e for e in events if e.code == "EPIDOS RFEE")  # inner space kept verbatim
    assert (renewal.date, renewal.text) == (d("2002-12-06"), "Renewal fee")
    last = events[-1]
    assert (last.code, last.date, last.text, last.metadata["gazette"]) == (
        "0009012",
        d("2000-03-31"),
        "Publication in section I.1 EP Bulletin",
        {"number": "2000/20", "date": "2000-05-17"},
    )
    assert sum("gazette" in e.metadata for e in events) == 22
    assert [e.date for e in events] == sorted(
        (e.date for e in events), key=lambda x: x or dt.date.min, reverse=True
    )


def test_register_events_application_given_by_the_caller() -> None:
    events = epo.parse_register_events(sample("ops_register_events_EP1000000.xml"), application="99203729")
    assert {e.application for e in events} == {"EP99203729"}
    assert not any("application_unknown" in e.metadata for e in events)


def test_parse_any_passes_the_callers_application_to_register_events_and_steps() -> None:
    _records, steps = epo.parse_any(
        sample("ops_register_procedural_steps_EP2400812_2025.xml"), "steps.xml", application="EP10167109"
    )
    assert {(s.application, s.publication) for s in steps} == {("EP10167109", "EP2400812")}


def test_register_events_application_from_an_application_query() -> None:
    data = sample("ops_register_events_EP1000000.xml").replace(
        b"publication=EP1000000", b"application=EP99203729"
    )
    events = epo.parse_register_events(data)
    assert {(e.application, e.publication) for e in events} == {("EP99203729", None)}


# ---------------------------------------------------------------------------------------------
# EP Register: procedural steps


def test_procedural_steps_ep1000000_ops_reg_prefixes() -> None:
    steps = epo.parse_procedural_steps(sample("ops_register_procedural_steps_EP1000000.xml"))
    assert [(s.code, s.date, s.text) for s in steps] == [
        ("RFEE", d("2001-11-28"), "Renewal fee payment (year 3)"),
        ("RFEE", d("2002-11-28"), "Renewal fee payment (year 4)"),
        ("AGRA", d("2002-04-23"), "Announcement of grant (old EPC before 1 July 2002)"),
        ("IGRA", d("2002-08-07"), "Intention to grant the patent"),
        ("PROL", None, "Language of the procedure"),
        ("ISAT", None, "International searching authority"),
    ]
    assert {(s.kind, s.office, s.application, s.publication, s.known) for s in steps} == {
        ("procedural-step", "EP", "", "EP1000000", True)
    }
    rfee, _, agra, igra, prol, isat = steps
    assert rfee.metadata["dates"] == {"DATE_OF_PAYMENT": "2001-11-28"}
    assert rfee.metadata["texts"] == {"STEP_DESCRIPTION": "Renewal fee payment", "YEAR": "03"}
    assert (rfee.metadata["fee_year"], rfee.metadata["phase"]) == (3, "undefined")
    assert agra.metadata["texts"]["approval"] == "yes"
    assert igra.metadata["dates"] == {  # dispatch chosen over the fee dates
        "DATE_OF_DISPATCH": "2002-08-07",
        "GRANT_FEE_PAID": "2002-08-24",
        "PRINT_FEE_PAID": "2002-08-24",
    }
    assert prol.metadata["texts"] == {
        "STEP_DESCRIPTION": "Language of the procedure",
        "procedure language": "en",
    }
    assert (prol.metadata["dates"], isat.metadata["texts"]) == (
        {},
        {"STEP_DESCRIPTION": "International searching authority"},
    )


def test_procedural_steps_ep2400812_ns2_ns3_prefixes() -> None:
    steps = epo.parse_procedural_steps(sample("ops_register_procedural_steps_EP2400812_2025.xml"))
    assert len(steps) == 19
    assert Counter(s.code for s in steps) == {
        "RFEE": 8,
        "EXRE": 3,
        "EXPT": 3,
        "ABEX": 1,
        "IGRA": 1,
        "DDIV": 1,
        "PROL": 1,
        "ISAT": 1,
    }
    assert {(s.application, s.publication) for s in steps} == {("", "EP2400812")}
    renewals = [s for s in steps if s.code == "RFEE"]
    assert [s.metadata["fee_year"] for s in renewals] == list(range(3, 11))
    assert (renewals[-1].date, renewals[-1].text) == (d("2019-06-24"), "Renewal fee payment (year 10)")
    exre = [s for s in steps if s.code == "EXRE"]
    assert [(s.date, s.metadata["time_limit"]) for s in exre] == [
        (d("2017-02-01"), {"value": 4, "unit": "months"}),
        (d("2018-03-15"), {"value": 6, "unit": "months"}),
        (d("2019-01-03"), {"value": 4, "unit": "months"}),
    ]
    assert exre[0].metadata["dates"] == {"DATE_OF_DISPATCH": "2017-02-01", "DATE_OF_REPLY": "2017-06-01"}
    abex = next(s for s in steps if s.code == "ABEX")
    assert (abex.date, abex.text, abex.metadata["texts"]["Kind of amendment"]) == (
        d("2012-06-05"),
        "Amendments",
        "(claims and/or description)",
    )
    assert [s.metadata["texts"]["Extension states"] for s in steps if s.code == "EXPT"] == ["BA", "ME", "RS"]
    igra = next(s for s in steps if s.code == "IGRA")
    assert (igra.date, igra.metadata["dates"]["TRANSLATION_CLAIMS"]) == (d("2019-06-27"), "2019-10-16")
    ddiv = next(s for s in steps if s.code == "DDIV")
    assert ddiv.metadata["texts"]["APPLICATION_NUMBER"] == "10167109"
    assert ddiv.metadata["step_id"] == "STEP_DDIV2849836"


def _shape(event: PatentEvent) -> tuple[Any, ...]:
    return (
        event.source,
        event.office,
        event.kind,
        type(event.date),
        event.known,
        sorted(event.metadata),
        sorted(event.metadata["texts"]),
        sorted(event.metadata["dates"]),
    )


def test_both_procedural_step_samples_parse_to_the_same_structure() -> None:
    old = epo.parse_procedural_steps(sample("ops_register_procedural_steps_EP1000000.xml"))
    new = epo.parse_procedural_steps(sample("ops_register_procedural_steps_EP2400812_2025.xml"))
    for code in ("RFEE", "IGRA", "PROL", "ISAT"):
        old_shape = _shape(next(s for s in old if s.code == code))
        new_shape = _shape(next(s for s in new if s.code == code))
        if code == "IGRA":  # the 2025 response adds a TRANSLATION_CLAIMS date
            assert old_shape[:-1] == new_shape[:-1]
            assert set(old_shape[-1]) < set(new_shape[-1])
        else:
            assert old_shape == new_shape


def test_procedural_steps_identical_under_generated_prefixes() -> None:
    data = sample("ops_register_procedural_steps_EP1000000.xml")
    rewritten = as_ns2_ns3(data)
    assert b"<ns3:procedural-step " in rewritten and b"reg:" not in rewritten.split(b"?>", 2)[-1]
    assert epo.parse_procedural_steps(rewritten) == epo.parse_procedural_steps(data)
    assert epo.parse_register_events(as_ns2_ns3(sample("ops_register_events_EP1000000.xml"))) == (
        epo.parse_register_events(sample("ops_register_events_EP1000000.xml"))
    )


# ---------------------------------------------------------------------------------------------
# INPADOC legal status


def test_legal_events_ep1000000() -> None:
    events = epo.parse_legal_events(sample("ops_legal_example_1.xml"))
    assert len(events) == 50
    assert {(e.source, e.kind, e.office, e.application, e.publication) for e in events} == {
        ("epo_ops", "legal-event", "EP", "EP99203729", "EP1000000A1")  # L003EP is "    99203729"
    }
    codes = Counter(e.code for e in events)
    assert (codes["PG25"], codes["PGFP"], codes["REG"], codes["AK"], codes["17Q"]) == (19, 3, 6, 2, 1)
    assert sum(codes.values()) == 50 and len(codes) == 22
    # only the facts sheet's EP codes are known; 17Q, AK, 26N… are kept, flagged, with the XML's text
    assert {e.code for e in events if e.known} == {"PG25", "PGFP"}
    assert len([e for e in events if not e.known]) == 28
    first = events[0]
    assert (first.code, first.date, first.text) == (
        "17Q",
        d("2002-04-23"),
        "FIRST EXAMINATION REPORT DESPATCHED",
    )
    assert first.metadata == {
        "authority": "EP",
        "impact": "positive",
        "gazette_date": "2002-06-05",
        "effective_date": "2002-04-23",
        "family": "19768124",
    }
    lapse = events[15]
    assert (lapse.code, lapse.date, lapse.known) == ("PG25", d("2003-02-12"), True)
    assert lapse.text == (
        "LAPSED IN A CONTRACTING STATE [ANNOUNCED VIA POSTGRANT INFORMATION FROM NATIONAL OFFICE TO EPO]"
    )
    assert (lapse.metadata["ref_country"], lapse.metadata["impact"]) == ("CH", "negative")
    assert lapse.metadata["free_text"] == (
        "LAPSE BECAUSE OF FAILURE TO SUBMIT A TRANSLATION OF THE DESCRIPTION OR TO PAY THE FEE "
        "WITHIN THE PRESCRIBED TIME-LIMIT"
    )
    assert [e.metadata["ref_country"] for e in events if e.code == "PG25"] == [
        "CH", "CY", "DE", "DK", "ES", "FI", "FR", "GR", "IE", "LI", "LU", "MC", "PT", "SE",
        "BE", "NL", "GB", "IT", "AT",
    ]  # fmt: skip
    fee = events[30]
    assert (fee.code, fee.date) == ("PGFP", d("2010-04-30"))  # no effective date: the gazette date
    assert (
        fee.text
        == "ANNUAL FEE PAID TO NATIONAL OFFICE [ANNOUNCED VIA POSTGRANT INFORMATION FROM NATIONAL OFFICE TO EPO]"
    )
    assert (fee.metadata["ref_country"], fee.metadata["payment_date"], fee.metadata["fee_year"]) == (
        "GB",
        "2009-11-30",
        11,
    )
    assert fee.metadata["impact"] == "positive"
    reg = events[2]
    assert (reg.code, reg.metadata["impact"], reg.metadata["ref_country"]) == ("REG", "neutral", "CH")
    assert reg.metadata["ref_legal_event"] == {
        "code": "EP",
        "description": "EUROPEAN PATENT TAKES EFFECT AS A NATIONAL PATENT IN CH/LI",
        "impact": "positive",
    }
    assert events[1].metadata["designated_states"] == [
        "AT", "BE", "CH", "CY", "DE", "DK", "ES", "FI", "FR", "GB", "GR", "IE", "IT", "LI", "LU", "MC",
        "NL", "PT", "SE",
    ]  # fmt: skip
    ref = events[3]
    assert (ref.code, ref.text, ref.metadata["ref_document_number"], ref.metadata["ref_document_date"]) == (
        "REF",
        "CORRESPONDS TO:",
        "69905327",
        "2003-03-20",
    )
    translation = events[11]
    assert (translation.code, translation.text, translation.metadata["impact"]) == (
        "EN",
        "FR: TRANSLATION NOT FILED",
        "negative",
    )
    assert "other_fields" not in translation.metadata  # the empty L500EP block is no field
    no_opposition = events[13]
    assert (no_opposition.code, no_opposition.date, no_opposition.metadata["gazette_date"]) == (
        "26N",
        d("2003-11-13"),
        "2004-02-04",
    )
    assert events[-1].metadata["free_text"] == "ORIGINAL CODE: 0009261"


def test_legal_event_of_another_authority_is_not_known_even_with_an_ep_code() -> None:
    data = sample("ops_legal_example_1.xml").replace(
        b'<ops:L001EP desc="Country Code">EP</ops:L001EP>',
        b'<ops:L001EP desc="Country Code">DE</ops:L001EP>',
        1,
    )
    data = data.replace(b'code="17Q "', b'code="PG25"', 1)
    first = epo.parse_legal_events(data)[0]
    assert (first.code, first.office, first.known, first.metadata["authority"]) == ("PG25", "DE", False, "DE")
    assert first.application == "DE99203729"


# ---------------------------------------------------------------------------------------------
# Family


def test_family_ep1000000() -> None:
    records = epo.parse_family(sample("ops_family_input.xml"))
    assert [(r.office, r.application, r.publications, r.filing_date, r.kind) for r in records] == [
        ("EP", "EP99203729", ["EP1000000A1", "EP1000000B1"], d("1999-11-08"), "invention"),
        ("AT", "AT99203729", ["AT232441T"], d("1999-11-08"), None),
        ("DE", "DE69905327", ["DE69905327D1"], d("1999-11-08"), None),
        ("NL", "NL1010536", ["NL1010536C2"], d("1998-11-12"), None),
        ("US", "US20685698", ["US6093011A"], d("1998-12-08"), "invention"),
    ]
    assert {(r.source, r.family, r.priority_date) for r in records} == {
        ("epo_ops", "19768124", d("1998-11-12"))
    }
    ep = records[0]
    assert ep.grant_date == d("2003-02-12")
    assert ep.metadata["priorities"] == [
        {"number": "NL1010536", "date": "1998-11-12", "kind": "national", "active": True}
    ]
    assert ep.metadata["publication_dates"] == {"EP1000000A1": "2000-05-17", "EP1000000B1": "2003-02-12"}
    assert (ep.metadata["docdb_application_id"], ep.metadata["representative"]) == ("17397285", True)
    assert "representative" not in records[1].metadata
    assert records[4].grant_date is None  # a pre-2001 US grant has kind A, not B


# ---------------------------------------------------------------------------------------------
# Published data (exchange documents)


def test_published_biblio_cn104968889a() -> None:
    [record] = epo.parse_published_biblio(sample("ops_published_biblio_CN104968889A.xml"))
    assert (record.source, record.office, record.application, record.kind, record.family) == (
        "epo_ops",
        "CN",
        "CN201380062258",  # original "2013800622588": check digit dropped
        "invention",
        "50474376",
    )
    assert record.publications == ["CN104968889A"]
    assert record.title == "Attitude reference for tieback/overlap processing"
    assert record.applicants == ["SCIENT DRILLING INT"]
    assert (record.filing_date, record.priority_date, record.grant_date) == (
        d("2013-10-11"),
        d("2012-10-12"),
        None,
    )
    assert record.metadata["priorities"] == [
        {"number": "WOUS2013064552", "date": "2013-10-11", "kind": "national"},
        {"number": "US61713164", "date": "2012-10-12", "kind": "national"},
    ]
    assert record.metadata["application_ids"] == {
        "docdb": "201380062258",
        "epodoc": "CN20138062258",
        "original": "2013800622588",
    }
    assert record.metadata["ipc"] == ["E21B 47/0228", "E21B 47/024"]
    assert record.metadata["abstract"].startswith(
        "A method for calculating orientation changes within a borehole"
    )


def test_published_biblio_us10047600b2() -> None:
    [record] = epo.parse_published_biblio(sample("ops_published_biblio_US10047600B2.xml"))
    assert (record.office, record.application, record.publications, record.kind) == (
        "US",
        "US15044813",
        ["US10047600B2"],
        "invention",
    )
    assert record.applicants == ["Scientific Drilling International, Inc"]  # original spelling
    assert record.metadata["applicants_epodoc"] == ["SCIENT DRILLING INTERNATIONAL INC [US]"]
    assert record.metadata["inventors"] == [
        "VanSteenwyk Brett",
        "VanSteenwyk, Brett",
    ]  # trailing ", " trimmed
    assert (record.filing_date, record.priority_date, record.grant_date) == (
        d("2016-02-16"),
        d("2012-10-12"),
        d("2018-08-14"),
    )
    assert [p["number"] for p in record.metadata["priorities"]] == ["US15044813", "US14052000", "US61713164"]
    assert record.metadata["ipc"] == [
        "E21B 44/00", "E21B 7/04", "E21B 47/022", "E21B 47/024", "G01C 5/00", "G01V 3/08", "G01V 9/00",
    ]  # fmt: skip
    assert record.family == "50474376"


def test_cn_and_us_members_share_the_family_and_priority() -> None:
    cn = epo.parse_published_biblio(sample("ops_published_biblio_CN104968889A.xml"))[0]
    us = epo.parse_published_biblio(sample("ops_published_biblio_US10047600B2.xml"))[0]
    assert (cn.family, cn.priority_date) == (us.family, us.priority_date)


# ---------------------------------------------------------------------------------------------
# parse_any and is_ops_xml


@pytest.mark.parametrize(
    ("name", "records", "events"),
    [
        ("ops_register_biblio_EP3000000.xml", ["EP14735465"], 0),
        ("ops_register_events_EP1000000.xml", [], 32),
        ("ops_register_procedural_steps_EP1000000.xml", [], 6),
        ("ops_register_procedural_steps_EP2400812_2025.xml", [], 19),
        ("ops_legal_example_1.xml", ["EP99203729"], 50),
        ("ops_family_input.xml", ["EP99203729", "AT99203729", "DE69905327", "NL1010536", "US20685698"], 0),
        ("ops_published_biblio_CN104968889A.xml", ["CN201380062258"], 0),
        ("ops_published_biblio_US10047600B2.xml", ["US15044813"], 0),
    ],
)
def test_parse_any_dispatches_every_sample(name: str, records: list[str], events: int) -> None:
    data = sample(name)
    assert epo.is_ops_xml(data[: epo.HEAD_BYTES])
    got_records, got_events = epo.parse_any(data, name)
    assert [r.application for r in got_records] == records
    assert len(got_events) == events
    assert all(isinstance(r, PatentRecord) for r in got_records)


def test_parse_any_kinds_match_the_dedicated_parsers() -> None:
    data = sample("ops_register_procedural_steps_EP2400812_2025.xml")
    assert epo.parse_any(data, "x")[1] == epo.parse_procedural_steps(data)
    legal = sample("ops_legal_example_1.xml")
    assert epo.parse_any(legal, "x")[1] == epo.parse_legal_events(legal)


def test_the_search_result_sample_is_json_and_refused() -> None:
    data = sample("ops_published_search_result.xml")
    assert not epo.is_ops_xml(data[: epo.HEAD_BYTES])
    with pytest.raises(
        RejectedInput, match=r"search_result\.xml: not an EPO OPS response: the content is not XML"
    ):
        epo.parse_any(data, "ops_published_search_result.xml")


SEARCH_WITHOUT_BIBLIO = b"""<?xml version="1.0" encoding="UTF-8"?>
<ops:world-patent-data xmlns="http://www.epo.org/exchange" xmlns:ops="http://ops.epo.org">
  <ops:biblio-search total-result-count="10000"><ops:query syntax="CQL">ti = battery</ops:query>
    <ops:search-result><ops:publication-reference family-id="77199274">
      <document-id document-id-type="docdb"><country>HR</country><doc-number>P20251003</doc-number><kind>T1</kind></document-id>
    </ops:publication-reference></ops:search-result>
  </ops:biblio-search>
</ops:world-patent-data>"""


def test_search_result_without_biblio_is_refused_with_a_reason() -> None:
    with pytest.raises(
        RejectedInput, match=r"search\.xml: an OPS search result that lists publication numbers only"
    ):
        epo.parse_any(SEARCH_WITHOUT_BIBLIO, "search.xml")
    assert epo.parse_published_biblio(SEARCH_WITHOUT_BIBLIO, "search.xml") == []


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<?xml version="1.0"?><ops:world-patent-data xmlns:ops="http://ops.epo.org">', True),
        (b"<ns2:world-patent-data xmlns:ns6='x' xmlns:ns2='http://ops.epo.org'>", True),
        (b'\xef\xbb\xbf<!-- c --><world-patent-data xmlns="http://ops.epo.org"/>', True),
        (b'<ops:world-patent-data xmlns:ops="http://example.com/ops">', False),  # prefix bound elsewhere
        (b'<ns2:world-patent-data xmlns:ops="http://ops.epo.org">', False),
        (b'<world-patent-data xmlns="http://www.epo.org/exchange">', False),
        (b'<ops:fault xmlns:ops="http://ops.epo.org">', False),
        (b'<!DOCTYPE x><ops:world-patent-data xmlns:ops="http://ops.epo.org">', False),
        (b'{"query": "ti = plastic"}', False),
        (b"", False),
        (b"<?xml version='1.0'?>", False),
    ],
)
def test_is_ops_xml(head: bytes, expected: bool) -> None:
    assert epo.is_ops_xml(head) is expected


# ---------------------------------------------------------------------------------------------
# Code table


def test_known_codes_cover_the_facts_sheet_and_invent_nothing() -> None:
    assert epo.KNOWN_CODES["RFEE"] == "Renewal fee payment"
    assert {
        "PG25",
        "PGFP",
        "PGRI",
        "EXAM",
        "IGRA",
        "ABEX",
        "ADWI",
        "AGRA",
        "EXRE",
        "EXPT",
    } <= epo.KNOWN_CODES.keys()
    assert epo.KNOWN_CODES["EXAM"] == ""  # label UNVERIFIED in the facts sheet: no meaning invented
    assert not {"17P", "AK", "18D", "26N"} & epo.KNOWN_CODES.keys()  # UNVERIFIED INPADOC meanings
    total = len(epo._STEP_CODES) + len(epo._REGISTER_EVENT_CODES) + len(epo._INPADOC_EP_CODES)
    assert len(epo.KNOWN_CODES) == total  # the three tables do not collide


# ---------------------------------------------------------------------------------------------
# Hostile and broken input

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ops:world-patent-data xmlns:ops="http://ops.epo.org">&lol9;</ops:world-patent-data>"""

EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<ops:world-patent-data xmlns:ops="http://ops.epo.org"><ops:x>&xxe;</ops:x></ops:world-patent-data>'
)
EXTERNAL_DTD_AFTER_COMMENT = (
    b'<?xml version="1.0"?><!-- innocent --><!DOCTYPE w SYSTEM "http://example.invalid/evil.dtd">'
    b'<ops:world-patent-data xmlns:ops="http://ops.epo.org"/>'
)
UNDECLARED_ENTITY = b'<ops:world-patent-data xmlns:ops="http://ops.epo.org">&xxe;</ops:world-patent-data>'
OPS_FAULT = (
    b'<?xml version="1.0" encoding="UTF-8"?><fault xmlns="http://ops.epo.org">'
    b"<code>SERVER.EntityNotFound</code><message>No results found</message></fault>"
)

PARSERS: list[Callable[[bytes, str], object]] = [
    epo.parse_register_biblio,
    epo.parse_register_events,
    epo.parse_procedural_steps,
    epo.parse_legal_events,
    epo.parse_family,
    epo.parse_published_biblio,
    epo.parse_any,
]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "the XML declares a DOCTYPE"),
        (EXTERNAL_ENTITY, "the XML declares a DOCTYPE"),
        (EXTERNAL_DTD_AFTER_COMMENT, "the XML declares a DOCTYPE"),
        (UNDECLARED_ENTITY, "malformed or truncated XML"),
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (b'<?xml version="1.0"?>', "truncated XML: the file ends before the root element"),
        (b"%PDF-1.7 binary", "not an EPO OPS response: the content is not XML"),
        (b"<rss version='2.0'><channel/></rss>", "not an EPO OPS response: the root element is {}rss"),
        (b'<ops:world-patent-data xmlns:ops="http://example.com/ops"/>', "not an EPO OPS response"),
        (OPS_FAULT, r"an EPO OPS error response, not data \(SERVER.EntityNotFound: No results found\)"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "undeclared-entity",
        "empty",
        "blank",
        "prolog-only",
        "binary",
        "rss",
        "foreign-namespace",
        "ops-fault",
    ],
)
def test_hostile_and_foreign_input_is_rejected_naming_the_file(
    parse: Callable[[bytes, str], object], data: bytes, reason: str
) -> None:
    with pytest.raises(RejectedInput, match=f"^hostile.xml: {reason}"):
        parse(data, "hostile.xml")


@pytest.mark.parametrize(
    "name",
    [
        "ops_register_biblio_EP3000000.xml",
        "ops_register_procedural_steps_EP2400812_2025.xml",
        "ops_legal_example_1.xml",
        "ops_published_biblio_US10047600B2.xml",
    ],
)
def test_truncated_samples_are_rejected(name: str) -> None:
    data = sample(name)
    with pytest.raises(RejectedInput, match=f"^{name}: malformed or truncated XML"):
        epo.parse_any(data[: len(data) // 2], name)


@pytest.mark.parametrize(
    ("parse", "name", "reason"),
    [
        (epo.parse_register_events, "ops_legal_example_1.xml", "not an EPO OPS register response"),
        (epo.parse_procedural_steps, "ops_family_input.xml", "not an EPO OPS register response"),
        (
            epo.parse_register_biblio,
            "ops_published_biblio_CN104968889A.xml",
            "not an EPO OPS register response",
        ),
        (
            epo.parse_legal_events,
            "ops_register_events_EP1000000.xml",
            "not an EPO OPS family or legal response",
        ),
        (
            epo.parse_family,
            "ops_published_biblio_US10047600B2.xml",
            "not an EPO OPS family or legal response",
        ),
        (epo.parse_published_biblio, "ops_family_input.xml", "not an EPO OPS published-data response"),
    ],
)
def test_a_response_of_another_kind_is_refused(
    parse: Callable[[bytes, str], object], name: str, reason: str
) -> None:
    with pytest.raises(RejectedInput, match=f"^{name}: {reason}"):
        parse(sample(name), name)


def test_register_responses_without_the_asked_constituent_give_nothing() -> None:
    assert epo.parse_register_biblio(sample("ops_register_events_EP1000000.xml")) == []
    assert epo.parse_procedural_steps(sample("ops_register_events_EP1000000.xml")) == []
    assert epo.parse_register_events(sample("ops_register_biblio_EP3000000.xml")) == []
