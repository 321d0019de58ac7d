"""Importers for patent data: EPO OPS and USPTO ODP responses saved as files, CNIPA status exports
(CSV/XLSX) and ETSI IPR declaration exports (CSV). Each yields patent records, status events or
declarations; malformed rows are skipped and reported with their row numbers (``problems``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import ClassVar

from crawlers.importers import ImportContext, Importer, Item, register


@register
class EpoOpsImporter(Importer):
    kind: ClassVar[str] = "epo-ops"
    description: ClassVar[str] = (
        "EPO OPS XML response (register biblio/events/procedural steps, INPADOC legal, family)"
    )

    def sniff(self, head: bytes) -> bool:
        from crawlers.patents.epo import is_ops_xml

        return is_ops_xml(head)

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.patents.epo import parse_any

        records, events = parse_any(data, PurePath(ctx.origin).name)
        for r in records:
            r.source, r.origin = "epo_ops", r.origin or ctx.origin
        for e in events:
            e.source, e.origin = "epo_ops", e.origin or ctx.origin
        return [*records, *events]


@register
class UsptoOdpImporter(Importer):
    kind: ClassVar[str] = "uspto-odp"
    description: ClassVar[str] = (
        "USPTO Open Data Portal JSON (application, transactions, continuity, documents)"
    )

    def sniff(self, head: bytes) -> bool:
        from crawlers.patents.uspto import is_odp_json

        return is_odp_json(head)

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.patents.uspto import parse_any

        records, events = parse_any(data, PurePath(ctx.origin).name)
        for r in records:
            r.origin = r.origin or ctx.origin
        for e in events:
            e.origin = e.origin or ctx.origin
        return [*records, *events]


@register
class EtsiDeclarationsImporter(Importer):
    kind: ClassVar[str] = "etsi-ipr-declarations"
    description: ClassVar[str] = "ETSI IPR declaration export (ISLD .csv, comma or semicolon)"

    def sniff(self, head: bytes) -> bool:
        from crawlers.patents.etsi import looks_like_isld

        return looks_like_isld(head)

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.patents.etsi import parse_isld_export

        result = parse_isld_export(data, PurePath(ctx.origin).name)
        self.problems.extend(result.problems)
        for d in result.declarations:
            d.origin = d.origin or ctx.origin
        return list(result.declarations)


@register
class CnipaCsvImporter(Importer):
    kind: ClassVar[str] = "cnipa-export"
    description: ClassVar[str] = "CNIPA status/notice export (.csv; .xlsx via the spreadsheet importer)"

    def sniff(self, head: bytes) -> bool:
        from crawlers.patents.cnipa import looks_like_cnipa

        return looks_like_cnipa(head, "export.csv")

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        return cnipa_items(self, data, ctx)


def cnipa_items(importer: Importer, data: bytes, ctx: ImportContext) -> list[Item]:
    from crawlers.patents.cnipa import parse_export

    result = parse_export(data, PurePath(ctx.origin).name)
    importer.problems.extend(result.problems)
    for r in result.records:
        r.origin = r.origin or ctx.origin
    for e in result.events:
        e.origin = e.origin or ctx.origin
    return [*result.records, *result.events]
