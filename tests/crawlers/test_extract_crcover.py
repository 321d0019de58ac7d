"""CR cover pages: from table rows (as .docx gives them) and from converted plain text."""

from __future__ import annotations

import pytest

from crawlers.extract.crcover import REQUIRED_KEYS, read_cover, read_cover_text, split_cover_text

# The rows of a CR-Form-v12 cover page as the .docx reader hands them over: runs joined, cells with
# their tabs, several paragraphs of a cell separated by newlines.
FORM_ROWS = [
    ["\t3GPP TSG-RAN WG2 Meeting #125\tR2-2402345"],
    ["Athens, Greece, 26 Feb - 1 Mar 2024"],
    ["CR-Form-v12.3"],
    ["CHANGE REQUEST"],
    ["", "38.331", "CR", "4567", "\trev", "-", "\tCurrent version:", "18.0.0", ""],
    [
        "For HELP on using this form: comprehensive instructions can be found at http://www.3gpp.org/Change-Requests."
    ],
    [
        "\tProposed change affects:",
        "UICC apps",
        "",
        "ME",
        "X",
        "Radio Access Network",
        "X",
        "Core Network",
        "",
    ],
    ["\tTitle:\t", "Correction on  RRC\u00a0reconfiguration"],
    ["\tSource to WG:", "Ericsson,\nNokia"],
    ["\tSource to TSG:", "R2"],
    ["\tWork item code:", "NR_Mob_enh2-Core", "", "Date:", "2024-02-16"],
    ["\tCategory:", "A", "", "Release:", "Rel-18"],
    [
        "",
        "Use one of the following categories:\nF  (correction)\nA  (mirror corresponding to a change in an earlier release)\nB  (addition of feature)",
        "Use one of the following releases:\nRel-8\t(Release 8)\nRel-19\t(Release 19)",
    ],
    ["\tReason for change:", "The field is missing.\n\nIt is needed by the UE."],
    ["\tSummary of change:", "Add the field."],
    ["\tConsequences if not approved:", "The UE cannot be configured."],
    ["\tClauses affected:", "5.3.5.3,  6.3.2"],
    ["\t", "Y", "N", "\t", ""],
    ["\tOther specs", "X", "", "\t Other core specifications\t", "TS 38.300 CR 0999"],
    ["affected:", "", "X", " Test specifications", "TS/TR ... CR ... "],
    ["(show related CRs)", "", "X", " O&M Specifications", "TS/TR ... CR ... "],
    ["\tOther comments:", "Mirror of R2-2401234."],
    ["\tThis CR's revision history:", ""],
]

FORM_FIELDS = {
    "spec": "38.331",
    "cr": "4567",
    "revision": "-",
    "current_version": "18.0.0",
    "title": "Correction on RRC reconfiguration",
    "source_to_wg": "Ericsson, Nokia",
    "source_to_tsg": "R2",
    "work_item": "NR_Mob_enh2-Core",
    "date": "2024-02-16",
    "category": "A",
    "release": "Rel-18",
    "reason": "The field is missing.\nIt is needed by the UE.",
    "summary": "Add the field.",
    "consequences": "The UE cannot be configured.",
    "clauses_affected": "5.3.5.3, 6.3.2",
    "other_specs_affected": "Other core specifications: TS 38.300 CR 0999",
    "other_comments": "Mirror of R2-2401234.",
    "proposed_change_affects": "ME, Radio Access Network",
    "tdoc": "R2-2402345",
}


def test_form_rows() -> None:
    assert read_cover(FORM_ROWS) == FORM_FIELDS


def test_category_and_release_legends_are_not_values() -> None:
    rows = [row for row in FORM_ROWS if not any("Category" in cell for cell in row)]
    fields = read_cover(rows)
    assert fields is not None
    assert fields["category"] == ""
    assert fields["release"] == ""


def test_old_form_with_single_source_and_missing_fields() -> None:
    rows = [
        ["CHANGE REQUEST"],
        ["", "23.401", "CR", "3485", "rev", "", "Current version:", "15.5.0"],
        ["Title:", "Correction of Serving PLMN Rate Control"],
        ["Source:", "Huawei, HiSilicon"],
        ["Category:", "F"],
        ["Release:", "Rel-15"],
    ]
    fields = read_cover(rows)
    assert fields is not None
    assert set(fields) == set(REQUIRED_KEYS)
    assert (fields["cr"], fields["revision"], fields["source_to_wg"], fields["source_to_tsg"]) == (
        "3485",
        "",
        "Huawei, HiSilicon",
        "",
    )
    assert (fields["category"], fields["release"], fields["reason"]) == ("F", "Rel-15", "")


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [["Title:", "A discussion paper"], ["Source:", "Nokia"], ["Agenda item:", "8.1"]],
        [["CHANGE REQUEST"], ["Title:", "Only one field"]],
        [["1 Scope"], ["The present document specifies the RRC protocol."]],
    ],
)
def test_not_a_cover_page(rows: list[list[str]]) -> None:
    assert read_cover(rows) is None


# antiword's rendering: one "|cell |cell |" line per line of the row; a cell too wide for its
# column wraps onto the next lines, labels included, with the other cells left empty.
ANTIWORD_TEXT = """3GPP TSG-RAN WG2 Meeting #125\tR2-2402345
|CR-Form-v12.3        |
|CHANGE REQUEST       |
|                     |38.331               |CR                   |4567                 |rev                  |2                    |Current version:     |18.0.0               |
|Proposed change      |UICC apps            |                     |ME                   |X                    |Radio Access Network |X                    |Core Network         |X                    |
|affects:             |                     |                     |                     |                     |                     |                     |                     |                     |
|Title:               |Correction on RRC    |
|                     |reconfiguration      |
|Source to WG:        |Ericsson             |
|Source to TSG:       |R2                   |
|Work item code:      |NR_Mob_enh2-Core     |                     |Date:                |2024-02-16           |
|Category:            |F                    |                     |Release:             |Rel-18               |
|                     |Use one of the       |                     |                     |Use one of the       |
|                     |following categories:|                     |                     |following releases:  |
|                     |B  (addition of      |                     |                     |Rel-8 (Release 8)    |
|Reason for change:   |The field is         |
|                     |missing.             |
|Summary of change:   |Add the field.       |
|Consequences if not  |The UE cannot be     |
|approved:            |configured.          |
|Clauses affected:    |5.3.5.3              |
|                     |Y                    |N                    |                     |                     |
|Other specs          |                     |X                    |Other core           |TS/TR ... CR ...     |
|                     |                     |                     |specifications       |                     |
|affected:            |                     |X                    |Test specifications  |TS/TR ... CR ...     |
|(show related CRs)   |                     |X                    |O&M Specifications   |TS/TR ... CR ...     |
|Other comments:      |                     |
|This CR's revision   |                     |
|history:             |                     |



***** First change *****
5.3.5.3\tReception of the RRCReconfiguration by the UE
The UE shall perform the following actions.
"""


def test_antiword_text() -> None:
    found = split_cover_text(ANTIWORD_TEXT)
    assert found is not None
    fields, cover, rest = found
    assert fields == {
        "spec": "38.331",
        "cr": "4567",
        "revision": "2",
        "current_version": "18.0.0",
        "title": "Correction on RRC reconfiguration",
        "source_to_wg": "Ericsson",
        "source_to_tsg": "R2",
        "work_item": "NR_Mob_enh2-Core",
        "date": "2024-02-16",
        "category": "F",
        "release": "Rel-18",
        "reason": "The field is missing.",
        "summary": "Add the field.",
        "consequences": "The UE cannot be configured.",
        "clauses_affected": "5.3.5.3",
        "other_specs_affected": "none",
        "proposed_change_affects": "ME, Radio Access Network, Core Network",
        "tdoc": "R2-2402345",
    }
    assert cover.endswith("|history:             |                     |")
    assert rest.strip().split("\n")[0] == "***** First change *****"


def test_tab_separated_text() -> None:
    text = (
        "CHANGE REQUEST\n"
        "36.331\tCR\t1234\trev\t-\tCurrent version:\t16.2.0\n"
        "Title:\tAdding a field\n"
        "Source to WG:\tHuawei\n"
        "Category:\tF\tRelease:\tRel-16\n"
        "Reason for change:\tThe field is missing.\n"
        "Clauses affected:\t6.2.2\n"
    )
    fields = read_cover_text(text)
    assert fields is not None
    assert (fields["spec"], fields["cr"], fields["revision"], fields["current_version"]) == (
        "36.331",
        "1234",
        "-",
        "16.2.0",
    )
    assert (fields["title"], fields["category"], fields["release"], fields["clauses_affected"]) == (
        "Adding a field",
        "F",
        "Rel-16",
        "6.2.2",
    )


def test_plain_text_without_cover() -> None:
    assert split_cover_text("1\tScope\nThe present document.\n2\tReferences\n") is None
