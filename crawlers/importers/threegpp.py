"""Importers for 3GPP files: TDoc lists, TDoc/CR/spec archives and documents, TDocs-by-Agenda pages.

They build items with the same code as the 3GPP spiders (:mod:`crawlers.threegpp.build`), so a
file imported by hand and the same file crawled give the same documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import ClassVar

from crawlers.extract import RejectedInput
from crawlers.importers import ImportContext, Importer, Item, register
from crawlers.items import StandardDocument

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
_AGENDA = re.compile(rb"<title>\s*Document List for meeting[^<]*Agenda", re.IGNORECASE)


@register
class TDocListImporter(Importer):
    kind: ClassVar[str] = "3gpp-tdoc-list"
    extensions: ClassVar[tuple[str, ...]] = (".xlsx",)
    containers: ClassVar[tuple[bytes, ...]] = (_ZIP,)
    description: ClassVar[str] = (
        "3GPP Portal TDoc list export (.xlsx): one document per TDoc, metadata only; "
        "a CNIPA status export (.xlsx) is read as such"
    )

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.threegpp.build import listed_tdoc
        from crawlers.threegpp.tdoclist import parse_tdoc_list

        try:
            listing = parse_tdoc_list(data, PurePath(ctx.origin).name)
        except RejectedInput as not_tdocs:
            # The other spreadsheet sepwatch reads: a CNIPA status export.
            from crawlers.importers.patents import cnipa_items

            try:
                return cnipa_items(self, data, ctx)
            except RejectedInput as not_cnipa:
                raise RejectedInput(
                    f"neither a 3GPP TDoc list ({not_tdocs.reason}) nor a CNIPA status export ({not_cnipa.reason})"
                ) from None
        self.problems.extend(listing.skipped)
        return [listed_tdoc(r, listing.meeting, ctx.origin) for r in listing.records]


@register
class AgendaImporter(Importer):
    kind: ClassVar[str] = "3gpp-tdocs-by-agenda"
    extensions: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = "3GPP 'TDocs by Agenda' page (.htm): one document per TDoc with its result"

    def sniff(self, head: bytes) -> bool:
        return _AGENDA.search(head) is not None

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.threegpp.agenda import parse_tdocs_by_agenda
        from crawlers.threegpp.build import agenda_tdoc

        page = parse_tdocs_by_agenda(data)
        return [agenda_tdoc(e, page.meeting, ctx.origin) for e in page.entries]


def _document(data: bytes, ctx: ImportContext, *, archive: bool) -> StandardDocument:
    from crawlers.threegpp import build

    name = PurePath(ctx.origin).name
    if archive:
        extracted, files = build.extract_archive(data, name)
    else:
        extracted, files = build.extract_member(data, name), [name]
    spec_file = build.spec_file_in(name)
    if spec_file is not None:
        return build.spec_version(spec_file, extracted, files, ctx.origin)
    number = build.tdoc_number_in(name)
    if number is None:
        raise RejectedInput(
            f"{name}: neither a TDoc number (R1-2506700) nor a spec version (38331-i40) in the file name"
        )
    return build.fetched_tdoc(number, extracted, files, ctx.origin)


@register
class ThreeGppArchiveImporter(Importer):
    kind: ClassVar[str] = "3gpp-archive"
    extensions: ClassVar[tuple[str, ...]] = (".zip",)
    containers: ClassVar[tuple[bytes, ...]] = (_ZIP,)
    description: ClassVar[str] = (
        "3GPP TDoc, CR or spec archive (.zip) named as 3GPP names them (R1-2506700.zip, 38331-i40.zip)"
    )

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        yield _document(data, ctx, archive=True)


@register
class WordImporter(Importer):
    kind: ClassVar[str] = "3gpp-word"
    extensions: ClassVar[tuple[str, ...]] = (".docx", ".doc")
    containers: ClassVar[tuple[bytes, ...]] = (_ZIP, _OLE)
    description: ClassVar[str] = (
        "Word document (.docx, legacy .doc via antiword): a TDoc or CR when its name holds a TDoc "
        "number, a spec version when named like 38331-i40, otherwise a plain document"
    )

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.threegpp import build

        name = PurePath(ctx.origin).name
        if build.spec_file_in(name) or build.tdoc_number_in(name):
            yield _document(data, ctx, archive=False)
            return
        extracted = build.extract_member(data, name)
        yield StandardDocument(
            source=ctx.source,
            number=ctx.number,
            kind="word",
            title=extracted.title,
            sections=extracted.sections,
            origin=ctx.origin,
            metadata=extracted.metadata,
        )
