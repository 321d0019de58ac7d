"""Plain text (.txt and text of unknown kind): decode, normalise, split at numbered clauses."""

from __future__ import annotations

from crawlers.extract import Extracted
from crawlers.extract.decode import DEFAULT_MAX_BYTES, check_size, decode_with_encoding, normalise
from crawlers.extract.sections import split_numbered

MAX_TITLE_CHARS = 200


def extract(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_chars: int = 1500,
    **_other_limits: int,
) -> Extracted:
    """Title (first line when short), numbered sections (else paragraph chunks), encoding."""
    check_size(data, max_bytes)
    raw, encoding = decode_with_encoding(data)
    text = normalise(raw)
    return Extracted(
        title=first_line_title(text),
        sections=split_numbered(text, chunk_chars),
        metadata={"encoding": encoding, "chars": len(text)},
    )


def first_line_title(text: str) -> str | None:
    """The first non-empty line when it is short enough to be a title."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line if len(line) < MAX_TITLE_CHARS else None
    return None
