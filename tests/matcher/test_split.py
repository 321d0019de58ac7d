"""Claim splitting: English and Chinese 3GPP-style claims (RRC reconfiguration, paging, beam failure
recovery, RedCap), dependent claims, the preamble rule, "and/or" alternatives, unsplittable claims."""

from __future__ import annotations

import pytest

from matcher.split import UNSPLIT_FLAG, SplitResult, detect_language, find_alternatives, split_claim

# (claim text, number, parent, preamble, preamble is a feature, features, alternatives per feature, flag)
CASES: list[
    tuple[
        str,
        int | None,
        int | None,
        str | None,
        bool,
        list[str],
        list[tuple[tuple[str, ...], ...]],
        str | None,
    ]
] = [
    (
        "1. A method performed by a user equipment (UE), the method comprising: receiving, from a base "
        "station, a radio resource control (RRC) reconfiguration message including a conditional "
        "reconfiguration; evaluating an execution condition for a candidate target cell; and in response "
        "to the execution condition being fulfilled, applying the stored RRC reconfiguration for the "
        "candidate target cell, wherein the execution condition is based on at least one of a reference "
        "signal received power (RSRP), a reference signal received quality (RSRQ), or a signal to "
        "interference plus noise ratio (SINR).",
        1,
        None,
        "A method performed by a user equipment (UE)",
        True,
        [
            "A method performed by a user equipment (UE)",
            "receiving, from a base station, a radio resource control (RRC) reconfiguration message including "
            "a conditional reconfiguration",
            "evaluating an execution condition for a candidate target cell",
            "in response to the execution condition being fulfilled, applying the stored RRC reconfiguration "
            "for the candidate target cell",
            "the execution condition is based on at least one of a reference signal received power (RSRP), a "
            "reference signal received quality (RSRQ), or a signal to interference plus noise ratio (SINR)",
        ],
        [
            (),
            (),
            (),
            (),
            (
                (
                    "a reference signal received power (RSRP)",
                    "a reference signal received quality (RSRQ)",
                    "a signal to interference plus noise ratio (SINR)",
                ),
            ),
        ],
        None,
    ),
    (
        "2. The method of claim 1, wherein the RRC reconfiguration message further includes a "
        "reconfigurationWithSync information element and/or a list of candidate cells.",
        2,
        1,
        "The method of claim 1",
        False,
        [
            "the RRC reconfiguration message further includes a reconfigurationWithSync information element "
            "and/or a list of candidate cells"
        ],
        [(("a reconfigurationWithSync information element", "a list of candidate cells"),)],
        None,
    ),
    (
        # apparatus claim: boilerplate purpose only, so the preamble is context; "configured to:" opens a list
        "10. A user equipment (UE) for wireless communication, comprising: a transceiver; and a processor "
        "coupled to the transceiver and configured to: receive a paging early indication (PEI) before a "
        "paging occasion (PO); determine, based on the PEI, whether to monitor a physical downlink control "
        "channel (PDCCH) in the PO; and monitor the PDCCH in the PO when the PEI indicates that a paging "
        "subgroup of the UE is paged.",
        10,
        None,
        "A user equipment (UE) for wireless communication",
        False,
        [
            "a transceiver",
            "a processor coupled to the transceiver and configured to",
            "receive a paging early indication (PEI) before a paging occasion (PO)",
            "determine, based on the PEI, whether to monitor a physical downlink control channel (PDCCH) in the PO",
            "monitor the PDCCH in the PO when the PEI indicates that a paging subgroup of the UE is paged",
        ],
        [(), (), (), (), ()],
        None,
    ),
    (
        # EPO two-part form: the characterising clause is a feature of its own
        "1. A method for beam failure recovery, performed by a terminal device, comprising: detecting a beam "
        "failure on a serving cell; and transmitting a beam failure recovery request, characterized in that "
        "the beam failure recovery request is transmitted via a medium access control control element (MAC "
        "CE) on a physical uplink shared channel (PUSCH) and indicates a candidate beam.",
        1,
        None,
        "A method for beam failure recovery, performed by a terminal device",
        True,
        [
            "A method for beam failure recovery, performed by a terminal device",
            "detecting a beam failure on a serving cell",
            "transmitting a beam failure recovery request",
            "the beam failure recovery request is transmitted via a medium access control control element (MAC "
            "CE) on a physical uplink shared channel (PUSCH) and indicates a candidate beam",
        ],
        [(), (), (), ()],
        None,
    ),
    (
        "20. The method as claimed in any one of claims 1 to 3, characterised in that the beam failure "
        "recovery request indicates at least one of a candidate beam index, a cell identity, or a reference "
        "signal received power of the candidate beam.",
        20,
        1,
        "The method as claimed in any one of claims 1 to 3",
        False,
        [
            "the beam failure recovery request indicates at least one of a candidate beam index, a cell "
            "identity, or a reference signal received power of the candidate beam"
        ],
        [
            (
                (
                    "a candidate beam index",
                    "a cell identity",
                    "a reference signal received power of the candidate beam",
                ),
            )
        ],
        None,
    ),
    (
        "6. A method for RedCap indication, comprising: transmitting, by a UE, an early indication of reduced "
        "capability in a random access preamble, wherein the random access preamble is selected from a "
        "preamble group dedicated to RedCap UEs.",
        6,
        None,
        "A method for RedCap indication",
        True,
        [
            "A method for RedCap indication",
            "transmitting, by a UE, an early indication of reduced capability in a random access preamble",
            "the random access preamble is selected from a preamble group dedicated to RedCap UEs",
        ],
        [(), (), ()],
        None,
    ),
    (
        "4. The UE of claim 3, wherein the processor is further configured to report the RedCap capability "
        "in Msg3 or MsgA.",
        4,
        3,
        "The UE of claim 3",
        False,
        ["the processor is further configured to report the RedCap capability in Msg3 or MsgA"],
        [(("Msg3", "MsgA"),)],
        None,
    ),
    (
        # method steps in one sentence, joined by commas and a final "and"
        "3. A method of paging, comprising receiving a paging message from a network node, determining a "
        "paging occasion, and monitoring a PDCCH in the paging occasion.",
        3,
        None,
        "A method of paging",
        True,
        [
            "A method of paging",
            "receiving a paging message from a network node",
            "determining a paging occasion",
            "monitoring a PDCCH in the paging occasion",
        ],
        [(), (), (), ()],
        None,
    ),
    (
        # the DESIGN.md example shape: the preamble ends at "wherein"
        "1. A data transmission method, wherein terminal A sends message M to base station B; and base "
        "station B replies with message N.",
        1,
        None,
        "A data transmission method",
        False,
        ["terminal A sends message M to base station B", "base station B replies with message N"],
        [(), ()],
        None,
    ),
    (
        "15. A non-transitory computer-readable medium storing instructions that, when executed by a "
        "processor, cause the processor to perform the method of claim 1.",
        15,
        1,
        None,
        False,
        [
            "A non-transitory computer-readable medium storing instructions that, when executed by a "
            "processor, cause the processor to perform the method of claim 1"
        ],
        [()],
        UNSPLIT_FLAG,
    ),
    (
        "1、一种数据传输方法，其特征在于，所述方法包括：终端A向基站B发送RRC重配置完成消息；所述基站B接收所述RRC"
        "重配置完成消息后，向所述终端A发送确认信息；其中，所述RRC重配置完成消息携带条件重配置的标识。",
        1,
        None,
        "一种数据传输方法",
        False,
        [
            "终端A向基站B发送RRC重配置完成消息",
            "所述基站B接收所述RRC重配置完成消息后，向所述终端A发送确认信息",
            "所述RRC重配置完成消息携带条件重配置的标识",
        ],
        [(), (), ()],
        None,
    ),
    (
        "2、根据权利要求1所述的方法，其特征在于，所述确认信息通过媒体接入控制控制单元和/或下行控制信息携带。",
        2,
        1,
        "根据权利要求1所述的方法",
        False,
        ["所述确认信息通过媒体接入控制控制单元和/或下行控制信息携带"],
        [(("媒体接入控制控制单元", "下行控制信息"),)],
        None,
    ),
    (
        # RedCap: "应用于终端设备" limits the claim, so the preamble is the first feature
        "1. 一种能力指示方法，应用于终端设备，所述方法包括：在随机接入过程中，通过消息3或消息A向网络设备发送第一指示"
        "信息，所述第一指示信息用于指示所述终端设备为降低能力终端；接收所述网络设备发送的针对降低能力终端的初始带宽"
        "部分配置。",
        1,
        None,
        "一种能力指示方法，应用于终端设备",
        True,
        [
            "一种能力指示方法，应用于终端设备",
            "在随机接入过程中，通过消息3或消息A向网络设备发送第一指示信息，所述第一指示信息用于指示所述终端设备为降低能力终端",
            "接收所述网络设备发送的针对降低能力终端的初始带宽部分配置",
        ],
        [(), (("消息3", "消息A"),), ()],
        None,
    ),
    (
        "1、一种波束失败恢复方法，包括：终端设备检测到服务小区的波束失败；所述终端设备在候选波束中选择满足门限的目"
        "标波束；以及所述终端设备在与所述目标波束关联的随机接入资源上发送随机接入前导码。",
        1,
        None,
        "一种波束失败恢复方法",
        False,
        [
            "终端设备检测到服务小区的波束失败",
            "所述终端设备在候选波束中选择满足门限的目标波束",
            "所述终端设备在与所述目标波束关联的随机接入资源上发送随机接入前导码",
        ],
        [(), (), ()],
        None,
    ),
    (
        "5、如权利要求1至4中任一项所述的方法，其中，所述第一指示信息承载于消息3中的逻辑信道标识、公共控制信道消息或"
        "随机接入前导码中的至少一种。",
        5,
        1,
        "如权利要求1至4中任一项所述的方法",
        False,
        ["所述第一指示信息承载于消息3中的逻辑信道标识、公共控制信道消息或随机接入前导码中的至少一种"],
        [(("逻辑信道标识", "公共控制信道消息", "随机接入前导码"),)],
        None,
    ),
    (
        "2、根据权利要求1所述的方法，其特征在于，所述执行条件基于参考信号接收功率和/或参考信号接收质量确定。",
        2,
        1,
        "根据权利要求1所述的方法",
        False,
        ["所述执行条件基于参考信号接收功率和/或参考信号接收质量确定"],
        [(("参考信号接收功率", "参考信号接收质量"),)],
        None,
    ),
    (
        # paging: no transition, no separator
        "一种寻呼方法，网络设备在寻呼时机之前发送寻呼提前指示。",
        None,
        None,
        None,
        False,
        ["一种寻呼方法，网络设备在寻呼时机之前发送寻呼提前指示"],
        [()],
        UNSPLIT_FLAG,
    ),
]


@pytest.mark.parametrize(
    ("text", "number", "parent", "preamble", "preamble_feature", "features", "alternatives", "flag"), CASES
)
def test_split_claim(
    text: str,
    number: int | None,
    parent: int | None,
    preamble: str | None,
    preamble_feature: bool,
    features: list[str],
    alternatives: list[tuple[tuple[str, ...], ...]],
    flag: str | None,
) -> None:
    result = split_claim(text)
    assert result.language == detect_language(text)
    assert (result.number, result.parent, result.preamble, result.preamble_feature) == (
        number,
        parent,
        preamble,
        preamble_feature,
    )
    assert result.features == features
    assert result.alternatives == alternatives
    assert result.flag == flag


def test_languages() -> None:
    assert split_claim(CASES[0][0]).language == "en"
    assert split_claim(CASES[10][0]).language == "zh"
    # a Chinese claim full of English acronyms is still Chinese
    assert detect_language("一种RRC重配置方法，UE接收RRCReconfiguration消息") == "zh"


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_claim(text: str) -> None:
    assert split_claim(text) == SplitResult(None, [], "en", "empty claim text", [])


def test_transition_with_nothing_after_it_is_one_flagged_feature() -> None:
    result = split_claim("A method comprising:")
    assert (result.features, result.flag, result.preamble_feature) == (["A method"], UNSPLIT_FLAG, True)


def test_line_breaks_and_full_width_numbering() -> None:
    text = "3．一种终端设备，其特征在于，包括：\n  接收模块，用于接收寻呼提前指示；\n  处理模块，用于在寻呼时机监听PDCCH。"
    result = split_claim(text)
    assert result.number == 3
    assert result.preamble == "一种终端设备"
    assert result.features == ["接收模块，用于接收寻呼提前指示", "处理模块，用于在寻呼时机监听PDCCH"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "transmitting a PDCCH order or a random access response",
            (("a PDCCH order", "a random access response"),),
        ),
        ("on an uplink and/or downlink bandwidth part", (("uplink", "downlink"),)),
        ("transmit or receive a signal", ()),  # a clause-level "or" is not recorded
        ("终端向基站发送第一消息和/或第二消息", (("第一消息", "第二消息"),)),
        ("所述终端和/或所述基站发送寻呼消息", (("所述终端", "所述基站"),)),
        ("no alternative here", ()),
    ],
)
def test_find_alternatives(text: str, expected: tuple[tuple[str, ...], ...]) -> None:
    assert find_alternatives(text) == expected
