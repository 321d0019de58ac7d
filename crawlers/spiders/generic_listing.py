"""Configured HTML listing pages (``listings:``): one document per row, optionally the linked document.

The page parsing is :func:`crawlers.generic.listing.parse_listing`; this spider owns the walk and
the downloads. Pages are read one after the other from the configured URL along the "next page"
link, at most ``max_pages`` of them, each fetched conditionally. A page the server reports
unchanged (304, or the same bytes) ends the walk: the pages behind it were read when it last
changed, and the listings this is made for put new rows first.

With ``follow: true`` each entry's link is downloaded and its text extracted by what the file is
(:func:`extract_document`: PDF, Word .docx and .doc, HTML, Markdown, plain text, zip archives of
those). The download is stamped with what the row shows (date, number, title, extra fields), so a
later crawl downloads a document again only when its row changed. An entry whose document cannot
be fetched or read keeps its listing stand-in (``partial``) and is recorded on the run.

A layout change that makes a selector match nothing fails the run, naming the selector, so the
source shows as failing instead of quietly collecting nothing; so does a listing page that is not
there (404, 410) or is no HTML page.
"""

from __future__ import annotations

import email.message
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from config.schema import ListingSource
from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.archive import OLE_MAGIC, check_container, open_zip
from crawlers.extract.decode import DEFAULT_MAX_BYTES, check_not_binary
from crawlers.extract.pdf import DEFAULT_MAX_PAGES
from crawlers.generic.listing import (
    ListingEntry,
    ListingSpec,
    SelectorMatchedNothing,
    entry_document,
    parse_listing,
)
from crawlers.items import Section
from crawlers.spiders.base import SepwatchSpider
from crawlers.spiders.generic_feed import gone, header

__all__ = ["Spider", "UnsupportedDocument", "document_name", "extract_document", "page_markup", "row_stamp"]

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\x7fELF": "an executable",
    b"MZ": "an executable",
}
_BY_SUFFIX = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
    ".htm": "html",
    ".html": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".zip": "zip",
}
_BY_TYPE = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
}
# Kinds recognised by their signature, by the name used in messages.
_SIGNED = {"pdf": "PDF", "docx": "Word", "doc": "Word", "zip": "zip"}
# Links to these are not followed: no text can be extracted from them.
# fmt: off
_NOT_FOLLOWED = frozenset((
    ".pptx", ".ppt", ".pps", ".ppsx", ".xlsx", ".xls", ".xlsm", ".xlsb", ".ods", ".odp", ".png",
    ".jpg", ".jpeg", ".gif", ".svg", ".bmp", ".tif", ".tiff", ".mp3", ".wav", ".mp4", ".m4a", ".avi",
    ".mov", ".mkv", ".webm", ".exe", ".msi", ".dmg", ".iso", ".bin", ".tar", ".gz", ".tgz", ".bz2",
    ".xz", ".7z", ".rar",
))
# fmt: on
# Members of a zip archive worth reading, in the order they are read: the Word document first.
_ARCHIVE_ORDER = (".docx", ".doc", ".pdf", ".htm", ".html", ".md", ".txt")


class UnsupportedDocument(RejectedInput):
    """The document is of a kind sepwatch cannot read (a slide deck, a spreadsheet, an image)."""


class Spider(SepwatchSpider):
    name = "generic_listing"

    def __init__(self, *args: Any, listing: ListingSource, **kwargs: Any) -> None:
        # The configured name, not the module's: fetch states and run health are kept per source.
        super().__init__(*args, name=listing.name, **kwargs)
        self.listing = listing
        self.spec: ListingSpec | None = None
        self.spec_error: str | None = None
        try:
            self.spec = ListingSpec(
                name=listing.name,
                url=listing.url,
                row=listing.row,
                title=listing.title,
                link=listing.link,
                date=listing.date,
                number=listing.number,
                date_format=listing.date_format,
                next_page=listing.next_page,
                body=listing.body,
                group=listing.group,
                follow=listing.follow,
                max_pages=listing.max_pages,
                number_pattern=listing.number_pattern,
                number_format=listing.number_format,
                extra=dict(listing.extra),
            )
        except ValueError as exc:  # an invalid selector or pattern: reported by the run
            self.spec_error = str(exc)
        self.max_bytes = self.config.imports.max_file_mb * 1024 * 1024
        self._pages: set[str] = set()
        self._numbers: set[str] = set()
        # Entries waiting for the document at a URL (rows of one listing may share a link).
        self._following: dict[str, list[ListingEntry]] = {}

    async def start(self) -> AsyncIterator[Any]:
        if self.spec is None:
            self._source_failed(self.listing.name, self.spec_error or "invalid listing")
            return
        request = self._page(self.spec.url, 1)
        if request is not None:
            yield request

    def _page(self, url: str, number: int) -> Request | None:
        self._pages.add(url)
        return self.fetch(url, self.parse_page, meta={"listing_page": number})

    def parse_page(self, response: Response) -> Iterator[Any]:
        spec = self.spec
        assert spec is not None  # no request is made without one
        if self.unchanged(response):
            return
        try:
            page = parse_listing(page_markup(response), response.url, spec, max_bytes=self.max_bytes)
        except SelectorMatchedNothing as exc:
            self._source_failed(response.url, exc.reason)
            return
        except RejectedInput as exc:
            self._source_failed(response.url, f"not a listing page: {exc.reason}")
            return
        self.report.add("listing_pages")
        # Rows skipped or read in part are the page's own doing: noted, and a new fetch would not
        # change them, so they neither fail the run nor keep the page from being marked seen.
        for note in page.problems:
            self.report.add("listing_notes")
            self.report.error(response.url, note)
        for entry in page.entries:
            if entry.number in self._numbers:  # listed twice (the list moved while being read)
                self.report.add("listing_duplicates")
                continue
            self._numbers.add(entry.number)
            self.report.add("listing_entries")
            yield from self._entry(entry, spec)
        self.seen(response)
        number: int = response.meta["listing_page"]
        if page.next_url is None or page.next_url in self._pages:
            return
        if number >= spec.max_pages:
            self.report.add("listing_pages_beyond_max_pages")
            return
        request = self._page(page.next_url, number + 1)
        if request is not None:
            yield request

    def _entry(self, entry: ListingEntry, spec: ListingSpec) -> Iterator[Any]:
        if not spec.follow or entry.url is None:
            yield entry_document(entry, spec)
            return
        if PurePosixPath(unquote(urlsplit(entry.url).path)).suffix.lower() in _NOT_FOLLOWED:
            self.report.add("documents_not_followed")
            yield entry_document(entry, spec)
            return
        waiting = self._following.get(entry.url)
        if waiting is not None:
            waiting.append(entry)
            return
        request = self.fetch(
            entry.url, self.parse_document, stamp=row_stamp(entry), leaf=True, meta={"follow": entry.url}
        )
        if request is None:
            # Its row is as it was when the document was read: the stored text stays, while the
            # stand-in still brings the listing's metadata up to date.
            yield entry_document(entry, spec)
            return
        self._following[entry.url] = [entry]
        yield request

    def parse_document(self, response: Response) -> Iterator[Any]:
        spec = self.spec
        assert spec is not None
        entries = self._following.pop(response.meta["follow"], [])
        if self.unchanged(response):
            yield from (entry_document(entry, spec) for entry in entries)
            return
        try:
            extracted = extract_document(
                response.body,
                document_name(response),
                header(response, b"Content-Type"),
                max_bytes=self.max_bytes,
                pdf_max_pages=self.config.imports.pdf_max_pages,
            )
        except UnsupportedDocument as exc:
            # Fetching it again would not help: noted, and seen so that it is not downloaded again
            # until its row changes.
            self.report.add("documents_unsupported")
            self.report.error(response.url, exc.reason)
            yield from (entry_document(entry, spec) for entry in entries)
            self.seen(response)
            return
        except RejectedInput as exc:
            self.problem(response.url, exc.reason)
            yield from (entry_document(entry, spec) for entry in entries)
            return
        self.report.add("documents_followed")
        yield from (entry_document(entry, spec, extracted=extracted) for entry in entries)
        self.seen(response)

    def failed(self, failure: Failure) -> Iterator[Any]:  # type: ignore[override]
        super().failed(failure)
        request = getattr(failure, "request", None)
        if request is None:
            return
        if "listing_page" in request.meta and gone(failure):
            self.report.failed_requests += 1  # a listing page that is not there: the source is broken
        if self.spec is not None and "follow" in request.meta:
            for entry in self._following.pop(request.meta["follow"], []):
                yield entry_document(entry, self.spec)

    def _source_failed(self, where: str, reason: str) -> None:
        """The listing itself cannot be read: the run fails, so the source shows as failing."""
        self.problem(where, reason)
        self.report.failed_requests += 1


def row_stamp(entry: ListingEntry) -> str:
    """What the listing shows about an entry's document: a change re-fetches the document."""
    shown = json.dumps([entry.title, entry.extra], ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(shown.encode("utf-8")).hexdigest()[:16]
    return f"{entry.date.isoformat() if entry.date else '-'}|{entry.number}|{digest}"


def page_markup(response: Response) -> bytes | str:
    """The page as the browser reads it: decoded by the charset of the Content-Type header when
    it names one (it overrides the page's own ``<meta charset>``), else the bytes as they came."""
    body = response.body
    charset = _charset(header(response, b"Content-Type"))
    if charset is None or body.startswith(_BOMS):
        return body
    check_not_binary(body)
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):  # a wrong header: let the page's own signals decide
        return body


def document_name(response: Response) -> str:
    """The downloaded file's name: Content-Disposition's filename, else the URL's last segment."""
    disposition = header(response, b"Content-Disposition")
    if disposition:
        message = email.message.Message()
        message["content-disposition"] = disposition
        filename = message.get_filename()
        if filename:
            name = PurePosixPath(filename.replace("\\", "/")).name
            if name:
                return name
    return PurePosixPath(unquote(urlsplit(response.url).path)).name or "document"


def extract_document(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    pdf_max_pages: int = DEFAULT_MAX_PAGES,
) -> Extracted:
    """Text and sections of a downloaded document, read by what it is.

    The content decides first (a PDF, Word or zip signature), then the Content-Type header, then
    the extension of ``name``. Raises :class:`UnsupportedDocument` for kinds that hold no text
    sepwatch can read and :class:`RejectedInput` for a document that is broken.
    """
    kind = _kind(data, name, content_type)
    if kind == "zip":
        return _archive(data, name, max_bytes=max_bytes, pdf_max_pages=pdf_max_pages)
    return _extract(kind, data, name, max_bytes=max_bytes, pdf_max_pages=pdf_max_pages)


def _kind(data: bytes, name: str, content_type: str | None) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    mime = _mime(content_type)
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(OLE_MAGIC):
        if suffix in _NOT_FOLLOWED:
            raise UnsupportedDocument(f"unsupported document kind: {name} is a legacy Office file, not Word")
        return "doc"
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data, name)
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedDocument(f"unsupported document kind: {name} is {what}")
    by_type, by_suffix = _BY_TYPE.get(mime or ""), _BY_SUFFIX.get(suffix)
    for said in (by_suffix, by_type):
        if said in _SIGNED:  # named or served as one, but without its signature
            sent = f"; the server sent {mime}" if mime else ""
            raise RejectedInput(
                f"{name}: not a {_SIGNED[said]} file (it does not start like one{sent}: an error page?)"
            )
    kind = by_type or by_suffix
    if kind is not None:
        return kind
    if _looks_like_html(data):
        return "html"
    if mime is None or mime.startswith("text/") or mime == "application/octet-stream":
        return "text"  # the text extractor refuses binary content with its own reason
    raise UnsupportedDocument(f"unsupported document kind: {name} is {mime}")


def _zip_kind(data: bytes, name: str) -> str:
    with check_container(data, name) as container:
        if "word/document.xml" in container or "word/document2.xml" in container:
            return "docx"
        if "[Content_Types].xml" in container or "mimetype" in container:
            raise UnsupportedDocument(
                f"unsupported document kind: {name} is an Office document other than Word"
            )
    return "zip"


def _extract(kind: str, data: bytes, name: str, *, max_bytes: int, pdf_max_pages: int) -> Extracted:
    if kind == "pdf":
        from crawlers.extract import pdf

        return pdf.extract(data, name, max_bytes=max_bytes, max_pages=pdf_max_pages)
    if kind == "docx":
        from crawlers.extract import docx

        return docx.extract(data, name, max_bytes=max_bytes)
    if kind == "doc":
        from crawlers.extract import doc

        return doc.extract(data, name, max_bytes=max_bytes)
    if kind == "html":
        from crawlers.extract import html

        return html.extract(data, name, max_bytes=max_bytes)
    if kind == "markdown":
        from crawlers.extract import markdown

        return markdown.extract(data, name, max_bytes=max_bytes)
    from crawlers.extract import text

    return text.extract(data, name, max_bytes=max_bytes)


def _archive(data: bytes, name: str, *, max_bytes: int, pdf_max_pages: int) -> Extracted:
    """Every readable document of a zip, Word first; several are kept apart by a "File:" heading."""
    members = [
        member
        for member in open_zip(data, name)
        if PurePosixPath(member.name).suffix.lower() in _ARCHIVE_ORDER
    ]
    if not members:
        raise UnsupportedDocument(f"unsupported document kind: {name} holds no document sepwatch can read")
    members.sort(key=lambda m: (_ARCHIVE_ORDER.index(PurePosixPath(m.name).suffix.lower()), m.name))
    parts: list[tuple[str, Extracted]] = []
    problems: list[str] = []
    for member in members:
        try:
            kind = _kind(member.data, member.name, None)
            parts.append(
                (
                    member.name,
                    _extract(
                        kind, member.data, member.name, max_bytes=max_bytes, pdf_max_pages=pdf_max_pages
                    ),
                )
            )
        except RejectedInput as exc:
            problems.append(f"{member.name}: {exc.reason}")
    if not parts:
        raise RejectedInput(f"{name}: no document in the archive could be read ({'; '.join(problems)})")
    if len(parts) == 1:
        combined = parts[0][1]
    else:
        sections: list[Section] = []
        metadata: dict[str, Any] = {}
        for member_name, part in parts:
            sections.append(Section(None, f"File: {PurePosixPath(member_name).name}", ""))
            sections.extend(part.sections)
        for _member_name, part in reversed(parts):
            metadata.update(part.metadata)
        combined = Extracted(parts[0][1].title, sections, metadata)
    combined.metadata["archive_members"] = [member_name for member_name, _part in parts]
    if problems:
        combined.metadata["unreadable_members"] = problems
    return combined


def _looks_like_html(data: bytes) -> bool:
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _mime(content_type: str | None) -> str | None:
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime or None


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    if not isinstance(charset, str):
        return None
    return charset.strip().strip('"') or None
