"""Claim maps: the fixtures load to exact values, every malformed map gives file:line:key messages
(all problems at once), load_dir goes on past bad files, dump round-trips, the digest ignores layout."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from crawlers.extract import RejectedInput
from matcher.claimmap import (
    Claim,
    ClaimMap,
    ClaimMapError,
    Feature,
    MapsTo,
    Problem,
    auto_feature_id,
    dump,
    load,
    load_dir,
    loads,
)
from matcher.split import UNSPLIT_FLAG
from tests.conftest import REPO

MAPS = REPO / "tests" / "fixtures" / "claims" / "maps"
CN = MAPS / "cn113765432a_cho.yaml"
US = MAPS / "us11223344b2_pei.yaml"
BROKEN = MAPS / "zz_broken_relation.yaml"

HEAD = 'patent: CN112345678A\nclaims:\n  - number: 1\n    text: "1. A method comprising: receiving X; and sending Y."\n'


def summary(cm: ClaimMap) -> list[tuple[int, int | None, str | None, list[tuple[str, bool, str]]]]:
    return [
        (c.number, c.parent, c.split_flag, [(f.id, f.auto, f.text) for f in c.features]) for c in cm.claims
    ]


# ----------------------------------------------------------------------------------------------------
# Fixtures


def test_chinese_map() -> None:
    cm = load(CN)
    assert (cm.patent, cm.family, cm.title, cm.owners, cm.standards, cm.path) == (
        "CN113765432A",
        ("WO2021208456A1", "EP4124567A1", "US2023080123A1"),
        "一种条件重配置方法及装置",
        ("ip-wireless", "std-ran2"),
        ("3GPP TS 38.331",),
        str(CN),
    )
    assert summary(cm) == [
        (
            1,
            None,
            None,
            [
                (
                    "1A",
                    False,
                    "终端设备接收网络设备发送的RRC重配置消息，所述RRC重配置消息包括候选小区的条件重配置信息",
                ),
                ("1B", False, "评估所述候选小区的执行条件"),
                (
                    "1C",
                    False,
                    "在所述执行条件满足时，应用所述候选小区对应的RRC重配置，并向所述候选小区发送RRC重配置完成消息",
                ),
            ],
        ),
        (2, 1, None, [("2A", True, "所述执行条件基于参考信号接收功率和/或参考信号接收质量确定")]),
        (
            3,
            1,
            None,
            [
                ("3A", True, "所述RRC重配置完成消息通过信令无线承载1发送"),
                ("3B", True, "所述信令无线承载1为专用控制信道上的信令无线承载"),
            ],
        ),
    ]
    first = cm.claims[0]
    assert first.preamble == "一种条件重配置方法，应用于终端设备"
    assert first.features[0].terms == (
        "RRCReconfiguration",
        "conditionalReconfiguration",
        "condReconfigToAddModList",
    )
    assert first.features[0].maps_to == (
        MapsTo(
            "3GPP TS 38.331",
            "5.3.5.13.2",
            "17.6.0",
            "direct",
            False,
            "条件重配置为可选特性（UE能力 condHandover）",
        ),
        MapsTo("3GPP TS 38.331", "6.3.2", "17.6.0", "direct", False, "ConditionalReconfiguration 信息元素"),
    )
    assert first.features[2].maps_to == (
        MapsTo(
            "3GPP TS 38.331",
            "5.3.5.13.5",
            "17.6.0",
            "interpretation",
            False,
            "标准表述为UE应用存储的condRRCReconfig，经解释后对应",
        ),
    )
    assert cm.claims[1].features[0].alternatives == (("参考信号接收功率", "参考信号接收质量"),)
    assert len(cm.digest) == 64 and int(cm.digest, 16) >= 0
    assert cm.targets() == ("3GPP TS 38.331",)


def test_english_map() -> None:
    cm = load(US)
    assert (cm.patent, cm.family, cm.standards) == (
        "US11223344B2",
        ("CN114567890A", "EP4098765A1"),
        ("3GPP TS 38.304", "3GPP TS 38.213"),
    )
    assert cm.claims[0].text.startswith(
        "1. A method performed by a user equipment (UE), the method comprising: receiving"
    )
    assert [m.clause for m in cm.claims[0].features[1].maps_to] == ["7.5", "10.4A"]
    assert summary(cm)[1:] == [
        (
            2,
            1,
            None,
            [
                (
                    "2A",
                    True,
                    "the paging subgroup is determined based on a UE identity and/or a subgroup identifier "
                    "assigned by a core network",
                )
            ],
        ),
        (
            11,
            None,
            None,
            [
                ("11A", True, "a transceiver"),
                ("11B", True, "a processor coupled to the transceiver and configured to"),
                ("11C", True, "receive a PEI before a paging occasion"),
                (
                    "11D",
                    True,
                    "skip monitoring the paging occasion when the PEI indicates that no paging subgroup of the UE is paged",
                ),
            ],
        ),
    ]
    assert cm.claims[1].features[0].alternatives == (("a UE identity", "a subgroup identifier"),)
    # every spec mapped, in order of first mention after the declared targets
    assert cm.targets() == ("3GPP TS 38.304", "3GPP TS 38.213", "3GPP TS 38.331")


def test_unsplittable_claim_is_one_flagged_feature() -> None:
    cm = loads(
        "patent: CN1\nclaims:\n  - number: 1\n    text: 一种寻呼方法，网络设备在寻呼时机之前发送寻呼提前指示。\n",
        "flag.yaml",
    )
    (claim,) = cm.claims
    assert claim.split_flag == UNSPLIT_FLAG
    assert [(f.id, f.auto, f.text) for f in claim.features] == [
        ("1A", True, "一种寻呼方法，网络设备在寻呼时机之前发送寻呼提前指示")
    ]


def test_auto_ids_skip_ids_the_user_took() -> None:
    text = (
        HEAD
        + "    features:\n      - {id: 2A, text: receiving X}\n  - number: 2\n    text: '2. The method of claim 1, wherein X is Y; and Z is W.'\n"
    )
    cm = loads(text, "ids.yaml")
    assert [f.id for f in cm.claims[1].features] == ["2B", "2C"]


def test_auto_feature_ids() -> None:
    assert [auto_feature_id(3, i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "3A",
        "3B",
        "3Z",
        "3AA",
        "3AB",
        "3ZZ",
        "3AAA",
    ]


def test_scalars_are_read_as_written() -> None:
    text = (
        HEAD
        + "    features:\n      - id: 1\n        text: receiving X\n        maps_to:\n"
        + "          - {spec: 3GPP TS 38.331, clause: 5.10, version: V18.10.0, mandatory: yes}\n"
        + "          - {spec: RFC 9000, clause: 4, version: 18.10}\n"
    )
    feature = loads(text, "scalars.yaml").claims[0].features[0]
    assert feature.id == "1"
    assert feature.maps_to == (
        MapsTo("3GPP TS 38.331", "5.10", "18.10.0", None, True, None),  # not the float 5.1
        MapsTo("RFC 9000", "4", "18.10", None, None, None),
    )


def test_claim_numbers_as_written() -> None:
    cm = loads("patent: CN1\nclaims:\n  - {number: '3', text: x}\n  - {number: 12, text: y}\n", "n.yaml")
    assert [c.number for c in cm.claims] == [3, 12]
    with pytest.raises(ClaimMapError) as caught:
        loads("patent: CN1\nclaims:\n  - {number: 0x8, text: x}\n  - {number: 1.5, text: y}\n", "n.yaml")
    assert str(caught.value).splitlines() == [
        "n.yaml:3: claims[0].number: must be a whole number from 1 (got '0x8')",
        "n.yaml:4: claims[1].number: must be a whole number from 1 (got '1.5')",
    ]


def test_single_string_is_a_list_of_one() -> None:
    cm = loads(
        "patent: CN1\nowners: ip-wireless\nstandards: 3GPP TS 38.331\n" + HEAD.split("\n", 1)[1], "one.yaml"
    )
    assert (cm.owners, cm.standards) == (("ip-wireless",), ("3GPP TS 38.331",))


# ----------------------------------------------------------------------------------------------------
# Malformed maps

FEATURE = HEAD + "    features:\n      - id: 1A\n        text: receiving X\n"
BAD: list[tuple[str, str, list[str]]] = [
    (
        "bad YAML",
        "patent: CN1\nclaims:\n  - number: 1\n    text: [unclosed\n",
        [
            "claims/x.yaml:5: invalid YAML: while parsing a flow sequence (line 4): expected ',' or ']', "
            "but got '<stream end>'"
        ],
    ),
    (
        "tab indentation",
        "patent: CN1\nclaims:\n\t- number: 1\n",
        [
            "claims/x.yaml:3: invalid YAML: while scanning for the next token: found character '\\t' that cannot start any token"
        ],
    ),
    (
        "unknown key",
        "patent: CN1\nclaim:\n  - number: 1\n",
        [
            "claims/x.yaml:1: claims: required",
            "claims/x.yaml:2: claim: unknown key (expected one of: patent, family, title, owners, standards, claims)",
        ],
    ),
    (
        "unknown nested key",
        FEATURE + "        maps-to: []\n",
        [
            "claims/x.yaml:8: claims[0].features[0].maps-to: unknown key (expected one of: id, text, terms, maps_to)"
        ],
    ),
    (
        "wrong relation",
        FEATURE
        + '        maps_to:\n          - {spec: "3GPP TS 38.331", clause: "5.3.5.1", relation: directly}\n',
        [
            "claims/x.yaml:9: claims[0].features[0].maps_to[0].relation: must be one of direct, indirect, "
            "interpretation (got 'directly')"
        ],
    ),
    (
        "duplicate feature id",
        FEATURE + "      - id: 1A\n        text: sending Y\n",
        ["claims/x.yaml:8: claims[0].features[1].id: feature id '1A' is already used at line 6"],
    ),
    (
        "duplicate feature id in another claim",
        FEATURE + "  - number: 2\n    text: x\n    features:\n      - {id: 1A, text: y}\n",
        ["claims/x.yaml:11: claims[1].features[0].id: feature id '1A' is already used at line 6"],
    ),
    (
        "duplicate key",
        "patent: CN1\ntitle: a\ntitle: b\nclaims:\n  - number: 1\n    text: x\n    number: 2\n",
        [
            "claims/x.yaml:3: title: duplicate key (first at line 2)",
            "claims/x.yaml:7: claims[0].number: duplicate key (first at line 5)",
        ],
    ),
    (
        "missing clause",
        FEATURE + "        maps_to:\n          - spec: 3GPP TS 38.331\n            version: 18.4.0\n",
        ["claims/x.yaml:9: claims[0].features[0].maps_to[0].clause: required"],
    ),
    (
        "clause that is not a clause number",
        FEATURE + "        maps_to:\n          - {spec: 3GPP TS 38.331, clause: see 5.3}\n",
        [
            "claims/x.yaml:9: claims[0].features[0].maps_to[0].clause: must be a clause number such as "
            "5.3.5.1, A.2 or 4 (got 'see 5.3')"
        ],
    ),
    (
        "mandatory not a boolean",
        FEATURE + "        maps_to:\n          - {spec: S, clause: '4', mandatory: maybe}\n",
        ["claims/x.yaml:9: claims[0].features[0].maps_to[0].mandatory: must be true or false (got 'maybe')"],
    ),
    (
        "claim numbers",
        "patent: CN1\nclaims:\n  - number: one\n    text: x\n  - number: 0\n    text: y\n"
        "  - number: 2\n    text: z\n  - number: 2\n    text: w\n",
        [
            "claims/x.yaml:3: claims[0].number: must be a whole number from 1 (got 'one')",
            "claims/x.yaml:5: claims[1].number: must be a whole number from 1 (got '0')",
            "claims/x.yaml:9: claims[3].number: claim 2 is already defined at line 7",
        ],
    ),
    (
        "empty feature list",
        HEAD + "    features: []\n",
        [
            "claims/x.yaml:5: claims[0].features: must list at least one feature (leave the key out to split "
            "the claim automatically)"
        ],
    ),
    ("no claims", "patent: CN1\nclaims: []\n", ["claims/x.yaml:2: claims: must list at least one claim"]),
    ("no patent", "claims:\n  - number: 1\n    text: x\n", ["claims/x.yaml:1: patent: required"]),
    (
        "wrong types",
        "patent: [a]\nfamily: {a: 1}\nclaims:\n  - text: ''\n  - 5\n",
        [
            "claims/x.yaml:1: patent: must be text (got a list)",
            "claims/x.yaml:2: family: must be a list of text (got a mapping)",
            "claims/x.yaml:4: claims[0].number: required",
            "claims/x.yaml:4: claims[0].text: must not be empty",
            "claims/x.yaml:5: claims[1]: must be a mapping of number, text, features (got '5')",
        ],
    ),
    (
        "feature ids",
        HEAD + "    features:\n      - id: 'bad id'\n        text: receiving X\n      - text: no id\n",
        [
            "claims/x.yaml:6: claims[0].features[0].id: must be a short mark such as 1A or 2b.1 (got 'bad id')",
            "claims/x.yaml:8: claims[0].features[1].id: required",
        ],
    ),
    (
        "merge key",
        "patent: CN1\nclaims:\n  - number: 1\n    text: x\n    features:\n      - id: 1A\n        text: t\n"
        "        maps_to:\n          - <<: {spec: S}\n            clause: '4'\n",
        [
            "claims/x.yaml:9: claims[0].features[0].maps_to[0]: merge keys (<<) are not supported: write the keys out",
            "claims/x.yaml:9: claims[0].features[0].maps_to[0].spec: required",
        ],
    ),
    (
        "top level is a list",
        "- patent: x\n",
        [
            "claims/x.yaml:1: must be a mapping of patent, family, title, owners, standards, claims (got a list)"
        ],
    ),
    (
        "two documents",
        "patent: a\nclaims: []\n---\npatent: b\n",
        ["claims/x.yaml:3: a second YAML document starts here (one claim map per file)"],
    ),
    ("empty file", "", ["claims/x.yaml: empty file: no claim map in it"]),
    ("only a comment", "# nothing yet\n", ["claims/x.yaml: empty file: no claim map in it"]),
]


@pytest.mark.parametrize(("case", "text", "messages"), BAD, ids=[case for case, _t, _m in BAD])
def test_malformed_maps(case: str, text: str, messages: list[str]) -> None:
    with pytest.raises(ClaimMapError) as caught:
        loads(text, "claims/x.yaml")
    error = caught.value
    assert str(error).splitlines() == messages
    assert error.path == "claims/x.yaml"
    assert isinstance(error, RejectedInput) and error.reason == str(error)


def test_every_problem_is_reported_with_its_line() -> None:
    text = (
        "patent: CN1\n"  # 1
        "colour: red\n"  # 2
        "claims:\n"  # 3
        "  - number: 1\n"  # 4
        "    text: x\n"  # 5
        "    features:\n"  # 6
        "      - id: 1A\n"  # 7
        "        text: a\n"  # 8
        "        maps_to:\n"  # 9
        "          - {spec: S, clause: '5.x', relation: Direct}\n"  # 10
        "      - id: 1A\n"  # 11
        "        text: b\n"  # 12
    )
    with pytest.raises(ClaimMapError) as caught:
        loads(text, "m.yaml")
    assert caught.value.problems == [
        Problem(
            2, "colour", "unknown key (expected one of: patent, family, title, owners, standards, claims)"
        ),
        Problem(
            10,
            "claims[0].features[0].maps_to[0].clause",
            "must be a clause number such as 5.3.5.1, A.2 or 4 (got '5.x')",
        ),
        Problem(
            10,
            "claims[0].features[0].maps_to[0].relation",
            "must be one of direct, indirect, interpretation (got 'Direct')",
        ),
        Problem(11, "claims[0].features[1].id", "feature id '1A' is already used at line 7"),
    ]


def test_alias_expansion_is_not_followed() -> None:
    # a "billion laughs" built from aliases: the schema walk never expands a list inside a list
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        lines.append(
            f"l{level}: &l{level} [{', '.join(['*' + ('a' if level == 1 else f'l{level - 1}')] * 10)}]"
        )
    text = (
        "\n".join(lines)
        + "\npatent: CN1\nclaims:\n  - number: 1\n    text: x\n    features:\n      - {id: 1A, text: t, terms: *l8}\n"
    )
    started = time.perf_counter()
    with pytest.raises(ClaimMapError) as caught:
        loads(text, "laughs.yaml")
    assert time.perf_counter() - started < 2
    problems = caught.value.problems
    assert problems[0] == Problem(
        1, "a", "unknown key (expected one of: patent, family, title, owners, standards, claims)"
    )
    # one problem per item of the aliased list; an alias reports the line of the list it names (l7)
    terms = [f"claims[0].features[0].terms[{i}]" for i in range(10)]
    assert [p.key for p in problems] == ["a", *(f"l{i}" for i in range(1, 8)), *terms, "l8"]
    assert problems[-2] == Problem(8, "claims[0].features[0].terms[9]", "must be text (got a list)")


def test_file_level_problems(tmp_path: Path) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\x02patent")
    with pytest.raises(ClaimMapError) as caught:
        load(binary)
    assert str(caught.value) == f"{binary}: binary content, not text"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (5 * 2**20 + 1))
    with pytest.raises(ClaimMapError) as caught:
        load(big)
    assert str(caught.value) == f"{big}: too large for a claim map: 5242881 bytes (limit 5242880)"


def test_gbk_encoded_map(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(
        "patent: CN1\ntitle: 一种寻呼方法\nclaims:\n  - number: 1\n    text: 一种寻呼方法，其特征在于，包括：接收寻呼提前指示；监听寻呼时机。\n".encode(
            "gbk"
        )
    )
    cm = load(path)
    assert cm.title == "一种寻呼方法"
    assert [f.text for f in cm.claims[0].features] == ["接收寻呼提前指示", "监听寻呼时机"]


# ----------------------------------------------------------------------------------------------------
# load_dir


def test_load_dir_goes_on_past_a_bad_map() -> None:
    maps, errors = load_dir([MAPS])
    assert [cm.patent for cm in maps] == ["CN113765432A", "US11223344B2"]
    assert [str(e) for e in errors] == [
        f"{BROKEN}:11: claims[0].features[0].maps_to[0].relation: must be one of direct, indirect, "
        "interpretation (got 'directly')"
    ]


def test_load_dir_files_folders_duplicates_and_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub" / "a.yml").write_text(CN.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CN.read_text(encoding="utf-8"), encoding="utf-8")  # same patent again
    (tmp_path / ".git" / "c.yaml").write_text("not: a map", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    maps, errors = load_dir([tmp_path, US, tmp_path / "missing.yaml", US])
    assert [(cm.patent, cm.path) for cm in maps] == [
        ("CN113765432A", str(tmp_path / "b.yaml")),
        ("US11223344B2", str(US)),
    ]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'sub' / 'a.yml'}:3: patent: CN113765432A is already mapped in {tmp_path / 'b.yaml'}",
        f"{tmp_path / 'missing.yaml'}: no such file or folder",
    ]


# ----------------------------------------------------------------------------------------------------
# dump and digest


@pytest.mark.parametrize("path", [CN, US])
def test_dump_round_trips(path: Path) -> None:
    cm = load(path)
    again = loads(dump(cm), "again.yaml")
    assert replace(again, path=cm.path) == cm
    assert again.digest == cm.digest


def test_dump_with_auto_features_writes_them_out() -> None:
    cm = load(CN)
    text = dump(cm, include_auto_features=True)
    assert "id: 3B" in text and "id: 3B" not in dump(cm)
    again = loads(text, "explicit.yaml")
    assert [(f.id, f.text, f.auto) for f in again.claims[2].features] == [
        ("3A", "所述RRC重配置完成消息通过信令无线承载1发送", False),
        ("3B", "所述信令无线承载1为专用控制信道上的信令无线承载", False),
    ]


def test_dump_layout() -> None:
    cm = ClaimMap(
        "CN112345678A",
        ("EP3456789A1",),
        "一种数据传输方法",
        ("ip-wireless",),
        ("3GPP TS 38.331",),
        (
            Claim(
                1,
                "1. A data transmission method, wherein terminal A sends message M to base station B.",
                (
                    Feature(
                        "1A",
                        "terminal A sends message M to base station B",
                        ("RRC message", "UE"),
                        (
                            MapsTo(
                                "3GPP TS 38.331", "5.3.5.1", "18.4.0", "direct", True, "RRCReconfiguration"
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    assert dump(cm) == (
        "patent: CN112345678A\n"
        "family: [EP3456789A1]\n"
        "title: 一种数据传输方法\n"
        "owners: [ip-wireless]\n"
        "standards: [3GPP TS 38.331]\n"
        "claims:\n"
        "  - number: 1\n"
        "    text: 1. A data transmission method, wherein terminal A sends message M to base station B.\n"
        "    features:\n"
        "      - id: 1A\n"
        "        text: terminal A sends message M to base station B\n"
        "        terms: [RRC message, UE]\n"
        "        maps_to:\n"
        "          - {spec: 3GPP TS 38.331, clause: 5.3.5.1, version: 18.4.0, relation: direct, mandatory: true,\n"
        "            note: RRCReconfiguration}\n"
    )


def test_digest_ignores_layout_and_follows_content() -> None:
    block = FEATURE + "        maps_to:\n          - spec: 3GPP TS 38.331\n            clause: 5.3.5.1\n"
    flow = (
        "# the same map, written differently\nclaims:\n  - {number: 1, text: '1. A method comprising: receiving X; and sending Y.',\n"
        "     features: [{id: 1A, maps_to: [{clause: '5.3.5.1', spec: 3GPP TS 38.331}], text: receiving X}]}\n"
        "patent: CN112345678A\n"
    )
    a, b = loads(block, "a.yaml"), loads(flow, "b.yaml")
    assert a.digest == b.digest
    changed = loads(block.replace("5.3.5.1", "5.3.5.2"), "c.yaml")
    assert changed.digest != a.digest


@pytest.mark.parametrize("module", ["matcher.claimmap", "matcher.split", "matcher.tables"])
def test_public_names_exist(module: str) -> None:
    imported = __import__(module, fromlist=["__all__"])
    assert [name for name in imported.__all__ if not hasattr(imported, name)] == []
