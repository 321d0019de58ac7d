"""Bytes to text: BOM, strict UTF-8, then a guarded guess of a legacy encoding; and normalisation.

The guess uses charset_normalizer, but its ranking alone is not good enough for our documents
(short GB18030 text comes back as Big5 or CP949, Western European text as CP1250). Among the
candidates that score about as well as the best one, the encodings our users actually meet win:
GB18030, Big5, Shift-JIS, EUC-KR, Windows-1252. Anything that still decodes to control or private
characters is refused rather than stored as mojibake.
"""

from __future__ import annotations

import re
import unicodedata

from charset_normalizer import from_bytes

from crawlers.extract import RejectedInput

# UTF-32 first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)

# C0 controls that never occur in text files (tab, LF, VT, FF, CR and ESC are allowed), and DEL.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
# Category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_ODD_CONTROLS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_STRIPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
# What a wrong legacy decoding produces: replacement characters, C1 controls, private use.
_JUNK = re.compile("[\ufffd\x80-\x9f\ue000-\uf8ff\U000f0000-\U0010ffff]")
_MAX_CONTROL_SHARE = 0.05
_MAX_JUNK_SHARE = 0.02

# No BOM means no UTF-16/32: without a BOM those would have been rejected as binary (NUL bytes).
_EXCLUDED = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]
_PREFERRED = ("gb18030", "big5", "cp932", "shift_jis", "euc_jp", "cp949", "euc_kr", "cp1252", "cp1251")
_CHAOS_SLACK = 0.02

_BLANK_RUNS = re.compile(r"\n{3,}")

DEFAULT_MAX_BYTES = 200 * 1024 * 1024

EMPTY = "empty file"
EMPTY_TEXT = "empty file: no text"
BINARY = "binary content, not text"
UNDECODABLE = "undecodable: not UTF-8 and no reliable text encoding detected"


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse inputs larger than ``max_bytes`` before any parsing."""
    if len(data) > max_bytes:
        raise RejectedInput(f"too large: {len(data)} bytes (limit {max_bytes})")


def decode_text(data: bytes) -> str:
    """Decode ``data`` to text or raise :class:`RejectedInput` (empty, binary, undecodable)."""
    return decode_with_encoding(data)[0]


def decode_with_encoding(data: bytes) -> tuple[str, str]:
    """Like :func:`decode_text`, also returning the name of the encoding that was used."""
    if not data:
        raise RejectedInput(EMPTY)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise RejectedInput(UNDECODABLE) from None
            if encoding != "utf-8-sig":
                text = text.removeprefix("\ufeff")
            _check_controls(text)
            return text, encoding
    check_not_binary(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text, encoding = _guess(data)
    _check_controls(text)
    if _junk_share(text) > _MAX_JUNK_SHARE:
        raise RejectedInput(UNDECODABLE)
    return text, encoding


def check_not_binary(data: bytes) -> None:
    """Raise when BOM-less ``data`` holds NUL bytes or too many control bytes to be text."""
    if b"\x00" in data:
        raise RejectedInput(BINARY)
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(data):
        raise RejectedInput(BINARY)


def _check_controls(text: str) -> None:
    controls = len(_ODD_CONTROLS.findall(text))
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise RejectedInput(BINARY)


def _junk_share(text: str) -> float:
    """Share of characters that only show up when the wrong encoding was used."""
    if not text:
        return 0.0
    return len(_JUNK.findall(text)) / len(text)


def _guess(data: bytes) -> tuple[str, str]:
    results = list(from_bytes(data, cp_exclusion=_EXCLUDED))
    if not results:
        raise RejectedInput(UNDECODABLE)
    best = results[0]
    # Coherence (a language guess) is noise on short text; only the mess score decides "close".
    close = [r for r in results if r.chaos <= best.chaos + _CHAOS_SLACK]
    for preferred in _PREFERRED:
        for result in close:
            if preferred in result.could_be_from_charset:
                try:
                    return data.decode(preferred), preferred
                except (UnicodeDecodeError, LookupError):
                    break
    return str(best), best.encoding


def normalise_fragment(text: str) -> str:
    """Normalise a piece of text; unlike :func:`normalise` the result may be empty."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRIPPED.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def normalise(text: str) -> str:
    """NFC, LF line ends, no control characters but tab and LF, no trailing spaces, at most one
    blank line in a row, stripped. Raises ``RejectedInput("empty file: no text")`` if nothing is left.
    """
    result = normalise_fragment(text)
    if not result:
        raise RejectedInput(EMPTY_TEXT)
    return result
