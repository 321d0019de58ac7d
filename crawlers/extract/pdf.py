"""PDF with pypdf: text of every page, normalised, split at numbered clauses (else paragraph chunks).

Cheap structural checks come first (header, end marker, size), then pypdf with its own limits on
stream decompression (a decompression bomb is refused, not decoded into memory). Page contents are
also capped per page and in total, so one hostile file cannot hold a worker for minutes.
"""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.decode import DEFAULT_MAX_BYTES, check_size, normalise_fragment
from crawlers.extract.sections import split_numbered
from crawlers.extract.text import first_line_title

NOT_PDF = "not a PDF: missing %PDF- header"
TRUNCATED = "truncated PDF: no %%EOF marker"
ENCRYPTED = "encrypted PDF"
NO_TEXT = "PDF has no extractable text (scanned image?)"
UNREADABLE = "damaged PDF: no page could be read"
BOMB = "PDF stream too large when decompressed (decompression bomb?)"

DEFAULT_MAX_PAGES = 5000
DEFAULT_MAX_PAGE_CONTENT = 8 * 1024 * 1024
DEFAULT_MAX_TOTAL_CONTENT = 512 * 1024 * 1024
_EOF_WINDOW = 2048
_MAX_MESSAGE = 120
_FILE_NAME_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint|excel)\s*-"
    r"|.*\.(?:docx?|pdf|rtf|txt|pptx?|xlsx?|odt|tex|dvi|ps|indd)$)",
    re.IGNORECASE,
)
_EMPTY_TITLES = frozenset(("untitled", "title", "document", "no title", "untitled document"))


def extract(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_page_content: int = DEFAULT_MAX_PAGE_CONTENT,
    max_total_content: int = DEFAULT_MAX_TOTAL_CONTENT,
    chunk_chars: int = 1500,
    **_other_limits: int,
) -> Extracted:
    """Title (document info /Title if meaningful, else first short line), sections, page count."""
    check_size(data, max_bytes)
    if not data.startswith(b"%PDF-"):
        raise RejectedInput(NOT_PDF)
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise RejectedInput(TRUNCATED)
    try:
        reader = _open(data)
        pages = len(reader.pages)
    except RejectedInput:
        raise
    except LimitReachedError:
        raise RejectedInput(BOMB) from None
    except Exception as exc:  # pypdf raises many types on damaged files
        raise RejectedInput(_damaged(exc)) from None
    if pages > max_pages:
        raise RejectedInput(f"too many pages: {pages} (limit {max_pages})")
    texts, failed = _page_texts(reader, max_page_content, max_total_content)
    text = normalise_fragment("\n".join(texts))
    if not text and len(failed) == pages:
        raise RejectedInput(UNREADABLE)
    if not text:
        raise RejectedInput(NO_TEXT)
    metadata: dict[str, Any] = {"pages": pages}
    if failed:
        metadata["pages_failed"] = failed
    return Extracted(
        title=_info_title(reader) or first_line_title(text),
        sections=split_numbered(text, chunk_chars),
        metadata=metadata,
    )


def _open(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (FileNotDecryptedError, DependencyError, NotImplementedError):
            raise RejectedInput(ENCRYPTED) from None
        if not opened:
            raise RejectedInput(ENCRYPTED)
    return reader


def _page_texts(reader: PdfReader, max_page: int, max_total: int) -> tuple[list[str], list[int]]:
    """Text of each page; pages that fail to extract are listed (1-based), the rest still count."""
    texts: list[str] = []
    failed: list[int] = []
    total = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            contents = page.get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > max_page:
                raise RejectedInput(f"PDF page {number} content too large: {size} bytes")
            total += size
            if total > max_total:
                raise RejectedInput(f"PDF content too large: over {max_total} bytes")
            texts.append(page.extract_text() or "")
        except RejectedInput:
            raise
        except LimitReachedError:
            raise RejectedInput(BOMB) from None
        except (MemoryError, RecursionError):
            raise RejectedInput(f"PDF page {number} is too complex to read") from None
        except Exception:  # one broken page does not lose the document
            failed.append(number)
    return texts, failed


def _info_title(reader: PdfReader) -> str | None:
    try:
        info = reader.metadata
        raw = info.title if info is not None else None
    except Exception:  # a broken info dictionary only costs the title
        return None
    if not isinstance(raw, str):
        return None
    title = " ".join(normalise_fragment(raw).split())
    if not title or title.lower() in _EMPTY_TITLES or _FILE_NAME_TITLE.match(title):
        return None
    return title


def _damaged(exc: Exception) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return f"damaged PDF: {message}"
