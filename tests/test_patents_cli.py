"""Patents end to end: the shared samples and CNIPA rows imported, then `sepwatch deadlines`,
`sepwatch patents` and declarations — the dates below are computed by hand in the comments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import realdata
from tests.test_cli import sw

CNIPA_ROWS = """申请号,发明创造名称,申请人,申请日,通知书名称,通知书编码,发文日,送达方式
202310123456.1,一种波束管理方法,示例通信有限公司,2023-03-01,发明专利申请进入实质审查阶段通知书,210307,2024-09-20,电子
202310123456.1,一种波束管理方法,示例通信有限公司,2023-03-01,第一次审查意见通知书,210401,2024-09-10,电子
202310654321.2,一种寻呼方法,示例通信有限公司,2023-05-04,第一次审查意见通知书,210401,2024-09-10,纸件
202310999999.9,坏行,示例通信有限公司,2023-05-04,第一次审查意见通知书,210401,2024-02-30,电子
"""


@pytest.fixture
def env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    import os

    return {**os.environ, **settings_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}


def test_portfolio_deadlines_from_samples_and_cnipa_rows(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for sub, name in [
        ("uspto", "odp_documents.json"),
        ("epo", "ops_register_biblio_EP3000000.xml"),
        ("epo", "ops_legal_example_1.xml"),
        ("other", "etsi_isld_export_subset_NTT_100rows.csv"),
    ]:
        shutil.copy(realdata(sub, name), folder / name)
    (folder / "cnipa.csv").write_text(CNIPA_ROWS, encoding="utf-8-sig")
    config = tmp_path / "sepwatch.yaml"
    config.write_text(
        "portfolio:\n  own: [CN202310123456, CN202310654321, US16330077, EP3000000]\n", encoding="utf-8"
    )

    out = sw(env, "--config", str(config), "import", str(folder)).stdout
    assert "row 5: unparsable date '2024-02-30' in column 发文日" in out  # header is row 1
    again = sw(env, "--config", str(config), "import", str(folder)).stderr
    assert "5 files: 0 imported, 5 unchanged, 0 rejected" in again  # nothing stored twice

    due = json.loads(
        sw(
            env, "--config", str(config), "deadlines", "--today", "2024-10-01", "--within", "120d", "--json"
        ).stdout
    )
    by = {(d["subject"], d.get("rule")): d for d in due if d["kind"] == "deadline"}
    # Voluntary amendment (Rule 57(1)): e-notice 210307 of 2024-09-20, after 2024-01-20 → served
    # that day; + 3 months = 2024-12-20 (a Friday).
    assert by[("CN202310123456", "cn-voluntary-amendment-invention")]["date"] == "2024-12-20"
    # First OA, electronic, 2024-09-10 → + 4 months = 2025-01-10 (Friday).
    assert by[("CN202310123456", "cn-oa-response-first")]["date"] == "2025-01-10"
    # First OA on paper, 2024-09-10 → received 2024-09-25 → + 4 months = 2025-01-25, a Saturday;
    # 2025-01-26 is a Sunday worked in lieu (春节调休), so the deadline is that Sunday.
    assert by[("CN202310654321", "cn-oa-response-first")]["date"] == "2025-01-26"
    assert by[("CN202310654321", "cn-oa-response-first")]["own"] is True
    assert by[("CN202310654321", "cn-oa-response-first")]["verified"] is False  # 3rd-party source

    us = json.loads(
        sw(
            env, "--config", str(config), "deadlines", "--today", "2022-06-01", "--within", "90d", "--json"
        ).stdout
    )
    ctnf = next(d for d in us if d["subject"] == "US16330077" and d["rule"] == "us-ctnf-response")
    # CTNF mailed 2022-05-24 → 3 months = 2022-08-24; extendable to 6 months = 2022-11-24.
    assert (ctnf["date"], ctnf["max_extended_due"]) == ("2022-08-24", "2022-11-24")
    assert ctnf["legal_basis"].startswith("35 USC 133")

    families = json.loads(sw(env, "--config", str(config), "patents", "--json").stdout)
    apps = {a["application"]: a for f in families for a in f["applications"]}
    assert set(apps) == {"CN202310123456", "CN202310654321", "EP14735465"}
    assert apps["EP14735465"]["publications"][:2] == ["WO2014206532A1", "EP3000000A1"]
    assert apps["CN202310654321"]["last_event"]["code"] == "210401"

    declarations = [
        json.loads(line)
        for line in sw(
            env, "--config", str(config), "export", "declarations", "--spec", "TS 25.309"
        ).stdout.splitlines()
    ]
    first = next(d for d in declarations if d["key"] == "etsi:1140:27176")
    assert first["declarant"] == "NTT DOCOMO INC" and first["date"] == "2011-09-03"
    assert "3GPP TS 25.309" in first["specs"] and "ETSI TS 125 309" in first["deliverables"]
    assert first["patents"][:3] == ["EP1848154A1", "EP1848154A4", "EP1848154B1"]
