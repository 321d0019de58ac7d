"""Importers for IETF files: Internet-Drafts and RFCs as plain text and as xml2rfc v2/v3 XML.

Both are chosen by content only (no file extension of their own): the plain text importer claims
a file whose first 4 KB show an I-D/RFC title page, the XML importer one whose root element is
``<rfc>``. Any other text or XML file is left to the ordinary importers. The document is built by
:func:`crawlers.ietf.build.imported_document`, as the IETF spiders build it: source ``ietf``,
number = the draft name without revision (``version_label`` = the revision) or ``RFC nnnn``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import ClassVar

from crawlers.importers import ImportContext, Importer, Item, register


@register
class IetfTextImporter(Importer):
    kind: ClassVar[str] = "ietf-text"
    description: ClassVar[str] = (
        "Internet-Draft or RFC in plain text (recognised by its title page): one document, "
        "numbered by its draft name or RFC number"
    )

    def sniff(self, head: bytes) -> bool:
        from crawlers.ietf.build import is_ietf_text

        return is_ietf_text(head)

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.ietf import build, drafttext

        yield build.imported_document(drafttext.extract(data, PurePath(ctx.origin).name), ctx.origin)


@register
class IetfXmlImporter(Importer):
    kind: ClassVar[str] = "ietf-xml"
    description: ClassVar[str] = (
        "Internet-Draft or RFC as xml2rfc v2/v3 XML (root element <rfc>): one document, "
        "numbered by its draft name or RFC number"
    )

    def sniff(self, head: bytes) -> bool:
        from crawlers.ietf.build import is_rfc_xml

        return is_rfc_xml(head)

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.ietf import build, rfcxml

        yield build.imported_document(rfcxml.extract(data, PurePath(ctx.origin).name), ctx.origin)
