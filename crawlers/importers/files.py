"""Importers for ordinary documents: plain text, Markdown, HTML and PDF."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from crawlers.extract import Extracted
from crawlers.importers import ImportContext, Importer, Item, register
from crawlers.items import StandardDocument


def _document(kind: str, extracted: Extracted, ctx: ImportContext) -> StandardDocument:
    return StandardDocument(
        source=ctx.source,
        number=ctx.number,
        kind=kind,
        title=extracted.title,
        sections=extracted.sections,
        origin=ctx.origin,
        metadata=extracted.metadata,
    )


@register
class TextImporter(Importer):
    kind: ClassVar[str] = "text"
    # "" is a file without extension (README, NOTES): taken as text.
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".text", "")
    description: ClassVar[str] = "plain text in any common encoding (UTF-8/16, GB18030, Big5, …)"

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.extract import text

        yield _document(self.kind, text.extract(data, ctx.number), ctx)


@register
class MarkdownImporter(Importer):
    kind: ClassVar[str] = "markdown"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")
    description: ClassVar[str] = "Markdown, split at its headings"

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.extract import markdown

        yield _document(self.kind, markdown.extract(data, ctx.number), ctx)


@register
class HtmlImporter(Importer):
    kind: ClassVar[str] = "html"
    extensions: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")
    description: ClassVar[str] = "HTML pages, split at h1–h6 (scripts and styles dropped)"

    def sniff(self, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
        return start.startswith((b"<!doctype html", b"<html"))

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.extract import html  # BeautifulSoup and lxml load only when needed

        yield _document(self.kind, html.extract(data, ctx.number), ctx)


@register
class PdfImporter(Importer):
    kind: ClassVar[str] = "pdf"
    extensions: ClassVar[tuple[str, ...]] = (".pdf",)
    description: ClassVar[str] = "PDF with a text layer, split at numbered clauses"

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"%PDF-")

    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        from crawlers.extract import pdf  # pypdf loads only when needed

        yield _document(self.kind, pdf.extract(data, ctx.number, max_pages=ctx.pdf_max_pages), ctx)
