"""The cover page of a 3GPP Change Request (CR form): spec, CR number, version, title, reasons…

The cover page is a table. :func:`read_cover` reads it from rows of cell texts, as the .docx reader
sees them (each cell's runs already joined, its paragraphs separated by newlines). :func:`read_cover_text`
and :func:`split_cover_text` read it from plain text as converters print it: antiword draws table
rows as ``|cell |cell |`` lines and wraps long cells onto continuation lines whose label cells are
empty; other converters separate cells with tabs.

Fields are read by their labels ("Title:", "Reason for change:"…), never by position, except the
first row (``23.501 CR 3712 rev - Current version: 17.6.0``) and the Y/N marks of "Other specs
affected". The category and release legends beside the real values are never taken for values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

REQUIRED_KEYS = (
    "spec",
    "cr",
    "revision",
    "current_version",
    "title",
    "source_to_wg",
    "source_to_tsg",
    "work_item",
    "date",
    "category",
    "release",
    "reason",
    "summary",
    "consequences",
    "clauses_affected",
)
"""Always present in a cover read from a document (empty when the form leaves the field out)."""

_LABELS = {
    "title": "title",
    "source to wg": "source_to_wg",
    "source to tsg": "source_to_tsg",
    "source": "source_to_wg",  # CR forms before v8 had one "Source:" line
    "work item code": "work_item",
    "work item": "work_item",
    "date": "date",
    "category": "category",
    "release": "release",
    "reason for change": "reason",
    "summary of change": "summary",
    "consequences if not approved": "consequences",
    "clauses affected": "clauses_affected",
    "other comments": "other_comments",
    "this cr's revision history": "revision_history",
    "proposed change affects": "affects",
    "other specs affected": "other_specs",
    "other specs": "other_specs",
}
_MULTILINE = frozenset(["reason", "summary", "consequences", "other_comments", "revision_history"])
_LABEL_PREFIX = re.compile(
    r"(?P<label>" + "|".join(re.escape(label) for label in sorted(_LABELS, key=len, reverse=True)) + r")"
    r"\s*:\s*(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)
_HEADER = re.compile(
    r"(?:\b(?:3GPP\s+)?T[SR]\s*)?(?P<spec>\d{2}\.\d{3}(?:-\d{1,2})?)\s+CR\s*(?P<cr>.*?)\s*\brev\b\s*(?P<rev>.*?)"
    r"\s*Current\s+version\s*:?\s*(?P<version>\d+\.\d+\.\d+)?",
    re.IGNORECASE,
)
_TDOC = re.compile(r"\b[A-Z]{1,2}\d?-\d{6,7}\b")
_CATEGORY = re.compile(r"([A-F])(?![\w])")
_RELEASE = re.compile(r"\bRel-\d{1,2}\b|\bR\d{2}\b|\bRelease\s+\d{1,2}\b", re.IGNORECASE)
_VERSION = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}")
_MARK = frozenset(["x", "✓", "✔", "☒", "y", "yes"])
_OTHER_SPEC_KINDS = ("other core specifications", "test specifications", "o&m specifications")
_PLACEHOLDER = re.compile(r"\.\.\.|…")
_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200b\u3000]+")


def read_cover(rows: Iterable[Sequence[str]]) -> dict[str, str] | None:
    """The CR cover fields from table rows (a paragraph outside a table is a row of one cell).

    Returns None unless the rows hold a CR form: the "spec CR n rev r Current version" row or the
    "CHANGE REQUEST" banner, plus at least three labelled fields. Keys are :data:`REQUIRED_KEYS`,
    plus ``other_specs_affected``, ``other_comments``, ``proposed_change_affects`` and ``tdoc``
    when the form has them.
    """
    table = [[_clean(cell) for cell in row] for row in rows]
    header: re.Match[str] | None = None
    banner = False
    tdoc: str | None = None
    found: dict[str, str] = {}
    yn_columns: tuple[int, int] | None = None
    other_specs: list[str] = []
    other_specs_marked = False
    for row in table:
        joined = " ".join(cell for cell in row if cell)
        if not joined:
            continue
        if "CHANGE REQUEST" in joined.upper():
            banner = True
        if not banner and header is None and tdoc is None:
            tdoc_match = _TDOC.search(joined)
            tdoc = tdoc_match.group(0) if tdoc_match else None
        if header is None:
            header = _HEADER.search(joined)
            if header is not None:
                continue
        stripped = [cell.strip() for cell in row]
        if "Y" in stripped and "N" in stripped and stripped.index("N") == stripped.index("Y") + 1:
            yn_columns = (stripped.index("Y"), stripped.index("N"))
            continue
        if yn_columns is not None:
            marked = _other_spec_row(stripped, yn_columns)
            if marked is not None:
                entry, affected = marked
                other_specs_marked = True
                if affected:
                    other_specs.append(entry)
        for key, value in _labelled(row):
            if key not in found or (not found[key] and value):
                found[key] = value
    if header is None and not banner:
        return None
    if sum(1 for key in found if key in REQUIRED_KEYS) < 3:
        return None
    return _fields(header, found, tdoc, other_specs, other_specs_marked)


def read_cover_text(text: str) -> dict[str, str] | None:
    """The CR cover fields from plain text (see :func:`split_cover_text`)."""
    found = split_cover_text(text)
    return None if found is None else found[0]


def split_cover_text(text: str, *, max_lines: int = 400) -> tuple[dict[str, str], str, str] | None:
    """Find a CR cover page at the start of converted text: ``(fields, cover_text, rest)``, where
    ``cover_text`` runs to the end of the cover table and ``rest`` is the text after it; None when
    the first ``max_lines`` lines hold no cover page."""
    lines = text.split("\n")
    rows: list[list[str]] = []
    last_cover_line = -1
    for number, line in enumerate(lines[:max_lines]):
        if not line.strip():
            continue
        cells = _split_line(line)
        if rows and _continues(rows[-1], cells):
            # antiword wraps long cells, labels included, onto lines of their own.
            rows[-1] = [f"{old} {new.strip()}".strip() for old, new in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
        if any(_label_key(cell) is not None for cell in rows[-1]) or (
            _is_table_line(line) and last_cover_line >= 0
        ):
            last_cover_line = number
    fields = read_cover(rows)
    if fields is None:
        return None
    cut = sum(len(line) + 1 for line in lines[: last_cover_line + 1])
    return fields, text[:cut].rstrip("\n"), text[cut:]


def _continues(previous: list[str], cells: list[str]) -> bool:
    """Is the line ``cells`` the wrapped rest of the row ``previous`` (same cells, and either the
    label cells are empty, or the first cell completes a label that the previous line began)?"""
    if len(cells) != len(previous) or any(_label_key(cell) is not None for cell in cells):
        return False
    labels = [i for i, cell in enumerate(previous) if _label_key(cell) is not None]
    if labels:
        return all(not cells[i].strip() for i in labels)
    head, tail = _norm(previous[0]), _norm(cells[0])
    if not head or not tail:
        return False
    joined = f"{head} {tail}".removesuffix(":").strip()
    return any(label.startswith(joined) for label in _LABELS)


def _is_table_line(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("|") and stripped.endswith("|")


def _split_line(line: str) -> list[str]:
    stripped = line.strip()
    if _is_table_line(line):
        return stripped[1:-1].split("|")
    return re.split(r"\t+| {3,}", stripped)


def _clean(cell: str) -> str:
    """Whitespace collapsed within lines, blank lines dropped, lines kept."""
    lines = (_SPACES.sub(" ", line).strip() for line in cell.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _norm(cell: str) -> str:
    return _SPACES.sub(" ", cell).strip().replace("’", "'").lower()


def _label_key(cell: str) -> str | None:
    return _LABELS.get(_norm(cell).removesuffix(":").strip())


def _labelled(row: Sequence[str]) -> list[tuple[str, str]]:
    """(key, value) for each label cell: the value is the following cells up to the next label;
    a cell "Label: value" holds both."""
    out: list[tuple[str, str]] = []
    key: str | None = None
    values: list[str] = []
    for cell in row:
        found = _label_key(cell)
        rest = ""
        if found is None:
            m = _LABEL_PREFIX.fullmatch(cell.strip())
            if m is not None and not (key is not None and key in _MULTILINE):
                found = _LABELS[_SPACES.sub(" ", m["label"]).lower()]
                rest = m["rest"].strip()
        if found is not None:
            if key is not None:
                out.append((key, "\n".join(values)))
            key, values = found, [rest] if rest else []
        elif key is not None and cell:
            values.append(cell)
    if key is not None:
        out.append((key, "\n".join(values)))
    return out


def _other_spec_row(cells: Sequence[str], columns: tuple[int, int]) -> tuple[str, bool] | None:
    """For a row of the "Other specs affected" block: ("kind: references", affected?)."""
    for i, cell in enumerate(cells):
        kind = cell.lower().strip()
        if kind not in _OTHER_SPEC_KINDS:
            continue
        y_col, n_col = columns
        yes = y_col < len(cells) and cells[y_col].lower() in _MARK
        no = n_col < len(cells) and cells[n_col].lower() in _MARK
        if not yes and not no:
            return None
        refs = " ".join(c for c in cells[i + 1 :] if c and not _PLACEHOLDER.search(c))
        return (f"{cell}: {refs}" if refs else cell), yes
    return None


def _fields(
    header: re.Match[str] | None,
    found: dict[str, str],
    tdoc: str | None,
    other_specs: list[str],
    other_specs_marked: bool,
) -> dict[str, str]:
    fields = dict.fromkeys(REQUIRED_KEYS, "")
    if header is not None:
        fields["spec"] = header["spec"]
        fields["cr"] = _one_line(header["cr"])
        fields["revision"] = _one_line(header["rev"])
        fields["current_version"] = header["version"] or ""
    for key in ("title", "source_to_wg", "source_to_tsg", "work_item", "date", "clauses_affected"):
        fields[key] = _one_line(found.get(key, ""))
    for key in ("reason", "summary", "consequences"):
        fields[key] = found.get(key, "")
    category = found.get("category", "").strip()
    m = _CATEGORY.match(category)
    fields["category"] = m.group(1) if m else _one_line(category)
    release = found.get("release", "")
    m = _RELEASE.search(release)
    fields["release"] = m.group(0) if m else _one_line(release)
    if not fields["current_version"]:
        m = _VERSION.search(found.get("current_version", ""))
        fields["current_version"] = m.group(0) if m else ""
    if other_specs:
        fields["other_specs_affected"] = "; ".join(other_specs)
    elif other_specs_marked:
        fields["other_specs_affected"] = "none"
    if found.get("other_comments"):
        fields["other_comments"] = found["other_comments"]
    affects = _affects(found.get("affects", ""))
    if affects:
        fields["proposed_change_affects"] = affects
    if tdoc:
        fields["tdoc"] = tdoc
    return fields


def _affects(value: str) -> str:
    """ "UICC apps\\nME\\nX\\nRadio Access Network\\nX\\nCore Network" → "ME, Radio Access Network"."""
    cells = value.split("\n")
    chosen = [
        cell
        for cell, following in zip(cells, [*cells[1:], ""], strict=True)
        if cell.lower() not in _MARK and following.lower() in _MARK
    ]
    return ", ".join(chosen)


def _one_line(value: str) -> str:
    return " ".join(value.split())
