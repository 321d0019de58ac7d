"""3GPP items from parsed inputs: the same builders serve the spiders and ``sepwatch import``.

Every TDoc and spec is a document of source ``3gpp`` whose number is its official identity
(``R1-2506700``, ``TS 38.331``), so a file downloaded by hand and the same file crawled land on the
same document. A TDoc list row is a *partial* document (metadata and a stand-in text) until the
TDoc's archive is fetched; the archive's text then becomes a version and keeps the list's metadata.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import Any

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.archive import ArchiveLimits, open_zip
from crawlers.items import Milestone, Section, StandardDocument
from crawlers.threegpp.agenda import AgendaEntry
from crawlers.threegpp.groups import TDOC_RE, group_for_tdoc, normalise_tdoc
from crawlers.threegpp.meetings import Meeting
from crawlers.threegpp.tdoclist import TDocRecord
from crawlers.threegpp.versions import SpecFile, decode_spec_filename, spec_number

SOURCE = "3gpp"
BODY = "3GPP"
# Members of a TDoc or spec archive that hold its text, best first.
_TEXT_SUFFIXES = (".docx", ".doc", ".pdf", ".txt", ".htm", ".html", ".md")


def spec_label(number: str) -> str:
    """``38.331`` → ``TS 38.331``; 3GPP numbers reports (TR) xx.7yy–xx.9yy."""
    _, _, rest = number.partition(".")
    return f"TR {number}" if rest[:1] in {"7", "8", "9"} else f"TS {number}"


def release_label(release: str | int | None) -> str | None:
    if release is None or release == "":
        return None
    text = str(release).strip()
    if text.isdigit():
        return f"Rel-{int(text)}"
    if text.lower().startswith("rel"):
        digits = "".join(ch for ch in text if ch.isdigit())
        return f"Rel-{int(digits)}" if digits else text
    return text


def meeting_label(meeting: Meeting) -> str:
    """``3GPPRAN5#119`` → ``RAN5#119``: how delegates write a meeting."""
    title = meeting.title.strip()
    return title[4:].strip() if title.upper().startswith("3GPP") else title


def meeting_milestone(meeting: Meeting, group: str, origin: str) -> Milestone:
    return Milestone(
        source=SOURCE,
        key=f"3gpp:meeting:{meeting.mtg_id or meeting.code}",
        kind="meeting",
        title=f"{meeting_label(meeting)} ({group})",
        date=meeting.start,
        end=meeting.end,
        body=BODY,
        group=group,
        status="cancelled" if meeting.cancelled else None,
        origin=origin,
        metadata={
            "code": meeting.code,
            "mtg_id": meeting.mtg_id,
            "meeting": meeting_label(meeting),
            "location": meeting.location,
            "folder_url": meeting.folder_url,
            "tdoc_list_url": meeting.tdoc_list_url,
            "tdoc_range": meeting.tdoc_range,
        },
    )


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", (), [])}


def listed_tdoc(record: TDocRecord, meeting: str | None, origin: str) -> StandardDocument:
    """A TDoc list row: metadata, and a stand-in text (title, sources, agenda, abstract)."""
    group = group_for_tdoc(record.tdoc)
    agenda = " ".join(filter(None, [record.agenda_item, record.agenda_description]))
    lines = [
        record.title or record.tdoc,
        f"Source: {', '.join(record.sources)}" if record.sources else "",
        f"Agenda item: {agenda}" if agenda else "",
        f"Type: {record.type}" if record.type else "",
        f"For: {record.for_}" if record.for_ else "",
        record.abstract or "",
    ]
    metadata = _compact(
        {
            "type": record.type,
            "for": record.for_,
            "status": record.status,
            "sources": list(record.sources),
            "contact": record.contact,
            "agenda_item": record.agenda_item,
            "agenda_description": record.agenda_description,
            "abstract": record.abstract,
            "secretary_remarks": record.secretary_remarks,
            "reservation_date": _iso(record.reservation_date),
            "uploaded": _iso(record.uploaded),
            "is_revision_of": record.is_revision_of,
            "revised_to": record.revised_to,
            "release": release_label(record.release),
            "spec": record.spec,
            "version": record.version,
            "related_wis": list(record.related_wis),
            "cr": record.cr,
            "cr_revision": record.cr_revision,
            "cr_category": record.cr_category,
            "tsg_cr_pack": record.tsg_cr_pack,
            "clauses_affected": record.clauses_affected,
            "meeting": meeting,
            "tdoc_list": dict(record.columns),
        }
    )
    spec = spec_number(record.spec) if record.spec else None
    return StandardDocument(
        source=SOURCE,
        number=record.tdoc,
        kind="tdoc",
        title=record.title,
        sections=[Section(None, None, "\n".join(line for line in lines if line))],
        body=BODY,
        group=group.name if group else None,
        meeting=meeting,
        release=release_label(record.release),
        spec=spec_label(spec) if spec else None,
        date=_day(record.reservation_date or record.uploaded),
        origin=origin,
        metadata=metadata,
        partial=True,
    )


def agenda_tdoc(entry: AgendaEntry, meeting: str | None, origin: str) -> StandardDocument:
    """A row of a TDocs-by-Agenda page: like a TDoc list row, with the meeting's result."""
    group = group_for_tdoc(entry.tdoc)
    agenda = " ".join(filter(None, [entry.agenda_item, entry.agenda_title]))
    lines = [
        entry.title or entry.tdoc,
        f"Source: {entry.source}" if entry.source else "",
        f"Agenda item: {agenda}" if agenda else "",
        f"Type: {entry.type}" if entry.type else "",
    ]
    return StandardDocument(
        source=SOURCE,
        number=entry.tdoc,
        kind="tdoc",
        title=entry.title,
        sections=[Section(None, None, "\n".join(line for line in lines if line))],
        body=BODY,
        group=group.name if group else None,
        meeting=meeting,
        origin=origin,
        metadata=_compact(
            {
                "type": entry.type,
                "sources": [s.strip() for s in (entry.source or "").split(",") if s.strip()],
                "agenda_item": entry.agenda_item,
                "agenda_description": entry.agenda_title,
                "status": entry.result.lower() if entry.result else None,
                "comments": entry.comments,
                "is_revision_of": entry.revision_of,
                "revised_to": entry.revised_to,
                "meeting": meeting,
            }
        ),
        partial=True,
    )


def tdoc_number_in(name: str) -> str | None:
    """The TDoc number a file name carries (``R1-2506700.zip``, ``CR_S2-2209002_23501….docx``)."""
    match = TDOC_RE.search(PurePosixPath(name).name)
    return normalise_tdoc(match.group(0)) if match else None


def extract_member(data: bytes, name: str) -> Extracted:
    """Text and sections of one file from a 3GPP archive, by its kind."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".docx":
        from crawlers.extract import docx

        return docx.extract(data, name)
    if suffix == ".doc":
        from crawlers.extract import doc

        return doc.extract(data, name)
    if suffix == ".pdf":
        from crawlers.extract import pdf

        return pdf.extract(data, name)
    if suffix in (".htm", ".html"):
        from crawlers.extract import html

        return html.extract(data, name)
    if suffix == ".md":
        from crawlers.extract import markdown

        return markdown.extract(data, name)
    from crawlers.extract import text

    return text.extract(data, name)


def extract_archive(
    data: bytes, name: str, limits: ArchiveLimits | None = None
) -> tuple[Extracted, list[str]]:
    """The text of a TDoc or spec archive: every document in it, in name order, Word first.

    Returns the combined extraction and the member names read. Members of kinds that hold no
    text (images, spreadsheets of figures) are left out; an archive without any is refused.
    """
    members = open_zip(data, name, limits or ArchiveLimits())
    readable = [m for m in members if PurePosixPath(m.name).suffix.lower() in _TEXT_SUFFIXES]
    readable.sort(key=lambda m: (_TEXT_SUFFIXES.index(PurePosixPath(m.name).suffix.lower()), m.name))
    if not readable:
        names = ", ".join(m.name for m in members[:5]) or "nothing"
        raise RejectedInput(f"{name}: no document in the archive (it holds {names})")
    parts: list[Extracted] = []
    problems: list[str] = []
    for member in readable:
        try:
            parts.append(extract_member(member.data, member.name))
        except RejectedInput as exc:
            problems.append(f"{member.name}: {exc.reason}")
    if not parts:
        raise RejectedInput(f"{name}: no member could be read ({'; '.join(problems)})")
    read = [m.name for m in readable]
    if len(parts) == 1:
        combined = parts[0]
    else:
        sections: list[Section] = []
        for member, part in zip([m for m in readable if not _failed(m.name, problems)], parts, strict=True):
            sections.append(Section(None, f"File: {PurePosixPath(member.name).name}", ""))
            sections.extend(part.sections)
        metadata: dict[str, Any] = {}
        for part in reversed(parts):
            metadata.update(part.metadata)
        combined = Extracted(parts[0].title, sections, metadata)
    if problems:
        combined.metadata["unreadable_members"] = problems
    return combined, read


def _failed(member: str, problems: list[str]) -> bool:
    return any(p.startswith(member + ": ") for p in problems)


def fetched_tdoc(
    number: str,
    extracted: Extracted,
    files: list[str],
    origin: str,
    *,
    meeting: str | None = None,
    modified: dt.datetime | None = None,
) -> StandardDocument:
    """A TDoc's own text; CR cover-page fields become its metadata."""
    group = group_for_tdoc(number)
    metadata: dict[str, Any] = {"files": files, **extracted.metadata}
    # The cover page as read goes under cr_cover; "cr" is the CR number, as in the TDoc list.
    cover = metadata.pop("cr", None)
    spec = release = None
    title = extracted.title
    if isinstance(cover, dict):
        metadata["cr_cover"] = cover
        spec = spec_number(cover.get("spec") or "") if cover.get("spec") else None
        release = release_label(cover.get("release"))
        title = cover.get("title") or title
        metadata.update(
            _compact(
                {
                    "type": "CR",
                    "spec": spec,
                    "cr": cover.get("cr"),
                    "cr_revision": cover.get("revision"),
                    "cr_category": cover.get("category"),
                    "version": cover.get("current_version"),
                    "release": release,
                    "clauses_affected": cover.get("clauses_affected"),
                    "work_item": cover.get("work_item"),
                }
            )
        )
    if modified is not None:
        metadata["file_date"] = modified.isoformat()
    return StandardDocument(
        source=SOURCE,
        number=number,
        kind="tdoc",
        title=title,
        sections=extracted.sections,
        body=BODY,
        group=group.name if group else None,
        meeting=meeting,
        release=release,
        spec=spec_label(spec) if spec else None,
        origin=origin,
        metadata=metadata,
    )


def spec_version(
    spec_file: SpecFile, extracted: Extracted, files: list[str], origin: str
) -> StandardDocument:
    """One version of a specification, e.g. TS 38.331 v18.4.0 from ``38331-i40.zip``."""
    label = spec_label(spec_file.spec)
    return StandardDocument(
        source=SOURCE,
        number=label,
        kind="spec",
        title=extracted.title,
        sections=extracted.sections,
        body=BODY,
        release=f"Rel-{spec_file.release}",
        spec=label,
        version_label=spec_file.version,
        origin=origin,
        metadata={
            "version": spec_file.version,
            "files": files,
            **{k: v for k, v in extracted.metadata.items() if k != "cr"},
        },
    )


def spec_file_in(name: str) -> SpecFile | None:
    return decode_spec_filename(PurePosixPath(name).name)
