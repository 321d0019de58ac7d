"""The matcher end to end through the command line: a new spec version that reads on a claim gives
a stored match with per-feature evidence; a later version that changes the mapped clause gives a
drift event with a diff; corpus search ranks the right document first; declarations are checked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.crawlers.spiders.conftest import docx_of, zip_of
from tests.test_cli import sw

CLAIM_MAP = (REPO / "tests" / "fixtures" / "claims" / "redcap" / "cn112345678a.yaml").read_text(
    encoding="utf-8"
)


def spec_zip(version_code: str, clause_text: str) -> bytes:
    body = docx_of(
        [
            ("", "3GPP TS 23.501 System architecture for the 5G System (5GS); Stage 2"),
            ("H1", "1 Scope"),
            ("", "The present document defines the Stage 2 system architecture for the 5G System."),
            ("H2", "5.40 Support for satellite access"),
            ("", "The 5GS supports satellite access with NR."),
            ("H2", "5.41 Support for RedCap"),
            ("", clause_text),
            ("H2", "5.42 Support for network slicing"),
            ("", "Network slices are identified by S-NSSAI in the registration request."),
        ]
    )
    return zip_of({f"23501-{version_code}.docx": body})


@pytest.fixture
def env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **settings_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}


def test_match_then_drift_then_corpus_search(env: dict[str, str], tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "cn112345678.yaml").write_text(CLAIM_MAP, encoding="utf-8")
    (maps / "broken.yaml").write_text("patent: X\nclaims:\n  - number: one\n    text: t\n", encoding="utf-8")
    config = tmp_path / "sepwatch.yaml"
    config.write_text(f"matcher:\n  claims_dir: {maps}\n", encoding="utf-8")
    cfg = ["--config", str(config)]

    invalid = sw(env, *cfg, "claims", "validate", ok=False)
    assert invalid.returncode == 1
    assert "ok: " in invalid.stdout and "CN112345678A, 1 claims, 2 features" in invalid.stdout
    assert "broken.yaml:3" in invalid.stderr and "claims[0].number" in invalid.stderr

    v1 = (
        "An NR RedCap UE using NR shall provide an NR RedCap indication to the NG-RAN during the "
        "Random Access procedure. A RedCap UE is identified by the network from a RedCap specific "
        "LCID indicated for CCCH identification."
    )
    (tmp_path / "23501-h60.zip").write_bytes(spec_zip("h60", v1))
    sw(env, *cfg, "import", str(tmp_path / "23501-h60.zip"))
    first = json.loads(sw(env, *cfg, "match", "--new", "--json", ok=False).stdout)
    (m,) = first["new_matches"]
    assert (m["patent"], m["claim"], m["document"], m["all_elements"]) == (
        "CN112345678A",
        1,
        "TS 23.501",
        True,
    )
    evidence = {e["feature"]: e for e in m["evidence"]}
    assert evidence["1A"]["section"] == "5.41" and evidence["1A"]["quote"] in v1
    assert evidence["1A"]["normative"]["level"] == "mandatory"  # "shall"
    # Nothing new: no new match.
    assert json.loads(sw(env, *cfg, "match", "--new", "--json", ok=False).stdout)["new_matches"] == []

    v2 = (
        "An NR RedCap UE using NR may provide an NR RedCap indication to the NG-RAN in RRC signalling. "
        "A RedCap UE is identified by the network from a RedCap specific LCID indicated for CCCH identification."
    )
    (tmp_path / "23501-h70.zip").write_bytes(spec_zip("h70", v2))
    sw(env, *cfg, "import", str(tmp_path / "23501-h70.zip"))
    second = json.loads(sw(env, *cfg, "match", "--new", "--json", ok=False).stdout)
    (drift,) = second["new_drift_events"]
    assert (drift["patent"], drift["feature"], drift["clause"], drift["kind"]) == (
        "CN112345678A",
        "1A",
        "5.41",
        "spec-version",
    )
    assert drift["still_reads"] is False
    assert "Random Access procedure" in drift["diff"] and "RRC signalling" in drift["diff"]
    assert drift["details"]["version"] == "17.7.0"

    ranked = json.loads(
        sw(env, *cfg, "match", "--claims", str(maps / "cn112345678.yaml"), "--top", "3", "--json").stdout
    )
    (claim,) = ranked
    assert claim["documents"][0]["number"] == "TS 23.501" and claim["documents"][0]["label"] == "17.7.0"

    findings = json.loads(sw(env, *cfg, "claims", "check", str(maps / "cn112345678.yaml"), "--json").stdout)
    assert [f["kind"] for f in findings] == ["mapped-not-declared"]


def test_import_b1_b2_spreadsheet_then_export_pinned_tables(env: dict[str, str], tmp_path: Path) -> None:
    from docx import Document as WordDocument
    from openpyxl import load_workbook

    from tests.conftest import REPO

    workbook = REPO / "tests" / "fixtures" / "claims" / "b1_b2_cn113765432a.xlsx"
    maps = tmp_path / "maps"
    out = sw(env, "claims", "import", str(workbook), "-o", str(maps))
    assert "imported: " in out.stdout and "CN113765432A" in out.stdout
    assert "row 12: cannot read a clause number in '见上文'" in out.stderr  # reported, the rest imported
    assert "ok: " in sw(env, "claims", "validate", str(maps)).stdout

    v = "Upon receiving the RRCReconfiguration message the UE shall perform conditional handover."
    body = docx_of(
        [("H1", "1 Scope"), ("", "RRC protocol."), ("H2", "5.3.5.13.2 Conditional reconfiguration"), ("", v)]
    )
    (tmp_path / "38331-i40.zip").write_bytes(zip_of({"38331-i40.docx": body}))
    sw(env, "import", str(tmp_path / "38331-i40.zip"))

    xlsx = tmp_path / "tables.xlsx"
    written = sw(env, "claims", "export", str(maps), "-o", str(xlsx)).stdout
    assert "pinned to stored versions" in written
    sheets = load_workbook(xlsx, read_only=True).sheetnames
    assert any(name.startswith("B.1") for name in sheets) and any(name.startswith("B.2") for name in sheets)

    docx_path = tmp_path / "b2.docx"
    sw(env, "claims", "export", str(maps), "--format", "docx", "--table", "b2", "-o", str(docx_path))
    cells = [c.text for t in WordDocument(str(docx_path)).tables for row in t.rows for c in row.cells]
    # The clause text quoted is the stored version's (v18.4.0, the only one stored), pinned to it.
    assert any("5.3.5.13.2" in c and "conditional handover" in c for c in cells)
