"""`sepwatch import` of 3GPP files goes through the same builders as the spiders: TDoc lists,
TDocs-by-Agenda pages, CR/TDoc documents (.docx, legacy .doc, .zip) and spec archives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config import load_settings
from sepwatch.app import App
from sepwatch.importing import import_paths
from tests.conftest import realdata
from tests.crawlers.spiders.conftest import docx_of, zip_of
from tests.fixtures.word.make_doc import word97


@pytest.fixture
def app(settings_env: dict[str, str]) -> App:
    with App.open(load_settings(None, env=settings_env)) as application:
        yield application


def latest(app: App) -> dict[str, dict]:  # type: ignore[type-arg]
    out: dict[str, dict] = {}  # type: ignore[type-arg]
    for record in app.store.export_versions():
        out[record["number"]] = record
    return out


def test_tdoc_list_then_agenda_page_then_the_cr_itself(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(realdata("3gpp", "TDoc_List_Meeting_RAN1#100.xlsx"), folder)
    summary = import_paths(app, [folder / "TDoc_List_Meeting_RAN1#100.xlsx"])
    assert summary.ok
    assert summary.reports[0].detail == "3gpp-tdoc-list, 146 documents: 146 new, 0 new versions, 0 unchanged"
    docs = latest(app)
    assert len(docs) == 146 and all(d["partial"] and d["source"] == "3gpp" for d in docs.values())
    assert {d["metadata"]["status"] for d in docs.values()} == {"withdrawn"}
    assert {d["meeting"] for d in docs.values()} == {"RAN1#100"}

    shutil.copy(realdata("3gpp", "TdocsByAgenda_SA2-137E_2020-02-24.htm"), folder)
    summary = import_paths(app, [folder / "TdocsByAgenda_SA2-137E_2020-02-24.htm"])
    assert summary.reports[0].status == "imported", summary.reports[0].detail
    assert "544 documents" in summary.reports[0].detail

    cr = folder / "CR_S2-2209002_23501_Correction_RedCap.docx"
    shutil.copy(realdata("3gpp", cr.name), cr)
    (report,) = import_paths(app, [cr]).reports
    assert report.status == "imported", report.detail
    record = latest(app)["S2-2209002"]
    assert record["kind"] == "tdoc" and record["spec"] == "TS 23.501" and record["release"] == "Rel-17"
    assert record["metadata"]["cr_cover"]["category"] == "F"
    assert record["metadata"]["cr_cover"]["clauses_affected"] == "5.41"
    assert [s["number"] for s in record["sections"] if s["number"]] == ["5.41"]
    # A second import of the same file changes nothing.
    assert import_paths(app, [cr]).reports[0].status == "unchanged"


def test_legacy_doc_zip_and_spec_archive(app: App, tmp_path: Path) -> None:
    doc = word97(["1 Introduction", "The UE shall report the beam failure.", "2 Proposal", "Adopt the TP."])
    (tmp_path / "R1-2501234.zip").write_bytes(zip_of({"R1-2501234.doc": doc}))
    spec = docx_of(
        [
            ("H1", "1 Scope"),
            ("", "This specification defines RRC."),
            ("H2", "5.3.5 RRC reconfiguration"),
            ("", "The UE shall apply the configuration."),
        ]
    )
    (tmp_path / "38331-i40.zip").write_bytes(zip_of({"38331-i40.docx": spec}))
    (tmp_path / "notes.zip").write_bytes(zip_of({"readme.txt": b"hello"}))
    reports = {r.path.name: r for r in import_paths(app, [tmp_path]).reports}
    assert reports["R1-2501234.zip"].status == "imported", reports["R1-2501234.zip"].detail
    assert reports["38331-i40.zip"].status == "imported", reports["38331-i40.zip"].detail
    assert reports["notes.zip"].status == "rejected"
    assert "neither a TDoc number" in reports["notes.zip"].detail
    docs = latest(app)
    assert [s["heading"] for s in docs["R1-2501234"]["sections"] if s["number"]] == [
        "Introduction",
        "Proposal",
    ]
    assert docs["R1-2501234"]["group"] == "RAN1"
    spec_doc = docs["TS 38.331"]
    assert (spec_doc["kind"], spec_doc["label"], spec_doc["release"]) == ("spec", "18.4.0", "Rel-18")
    assert any(s["number"] == "5.3.5" for s in spec_doc["sections"])


def test_hostile_archive_is_rejected_and_the_batch_goes_on(app: App, tmp_path: Path) -> None:
    (tmp_path / "R1-2500001.zip").write_bytes(zip_of({"../../etc/passwd.docx": b"x"}))
    (tmp_path / "R1-2500002.zip").write_bytes(zip_of({"R1-2500002.docx": b"\0" * (300 * 1024 * 1024 // 100)}))
    (tmp_path / "R1-2500003.docx").write_bytes(docx_of([("H1", "1 Scope"), ("", "Fine.")]))
    reports = {r.path.name: r for r in import_paths(app, [tmp_path]).reports}
    assert (
        reports["R1-2500001.zip"].status == "rejected"
        and "R1-2500001.zip" in reports["R1-2500001.zip"].detail
    )
    assert reports["R1-2500002.zip"].status == "rejected"
    assert reports["R1-2500003.docx"].status == "imported"
