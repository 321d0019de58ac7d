"""Opening untrusted zip archives: 3GPP TDoc and spec zips, and Office containers (.docx, .xlsx).

Nothing in a zip is trusted. Member names are checked before anything is read (absolute paths,
drive letters, ``..`` and backslash tricks are refused), encrypted members are refused, and every
member is stream-inflated with a byte cap derived from the limits: the declared sizes are only used
to refuse early, never to decide how much to inflate. A member may grow to at most ``max_ratio``
times its compressed size (members under :data:`RATIO_FLOOR` are exempt: small text compresses
well), ``max_member_bytes`` on its own, and ``max_total_bytes`` over the whole archive tree.

:func:`open_zip` returns every regular file, expanding nested ``.zip`` members up to ``max_depth``.
:func:`check_container` is for readers that need only a few named parts of an Office file: it checks
the whole directory up front and inflates parts on demand under the same limits.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

from crawlers.extract import RejectedInput

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RATIO_FLOOR = 1024 * 1024
"""Inflated bytes a member may reach before the compression ratio limit applies to it."""

_CHUNK = 256 * 1024
_JUNK_DIRS = frozenset(["__MACOSX"])
_JUNK_FILES = frozenset([".ds_store", "thumbs.db", "desktop.ini"])
_DRIVE = re.compile(r"^[A-Za-z]:")
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNICODE_PATH_EXTRA = 0x7075
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")
_CORRUPT = "truncated or corrupt zip archive"


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_total_bytes: int = 512 * 2**20
    max_member_bytes: int = 256 * 2**20
    max_ratio: float = 200.0
    max_entries: int = 2000
    max_depth: int = 2


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True, slots=True)
class Member:
    """A regular file of an archive; ``name`` is its path, nested archives joined with "/"."""

    name: str
    data: bytes


class _Budget:
    """What the whole archive tree may still use: entries and inflated bytes."""

    __slots__ = ("entries", "inflated", "limits")

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.entries = 0
        self.inflated = 0


def open_zip(data: bytes, name: str, limits: ArchiveLimits = ArchiveLimits()) -> list[Member]:
    """Every regular file of the zip ``data`` (called ``name`` in messages), nested zips expanded.

    Directories and desktop litter (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``, Word lock files
    ``~$…``) are skipped. Raises :class:`RejectedInput` naming the archive and the member for
    unsafe names, encryption, limits exceeded, and damaged archives.
    """
    budget = _Budget(limits)
    members: list[Member] = []
    _expand(data, name, "", 1, budget, members)
    return members


def _expand(data: bytes, label: str, prefix: str, depth: int, budget: _Budget, out: list[Member]) -> None:
    limits = budget.limits
    zf = _open(data, label)
    with zf:
        infos = zf.infolist()
        budget.entries += len(infos)
        if budget.entries > limits.max_entries:
            raise RejectedInput(
                f"too many entries in zip archive {label}: {len(infos)} here, over {limits.max_entries} in all"
            )
        checked = [(info, _member_name(info, label)) for info in infos]
        for info, path in checked:
            if path is not None:
                _check_declared(info, label, path, limits)
        for info, path in checked:
            if path is None:
                continue
            content = _inflate(zf, info, label, path, budget)
            if _is_nested_zip(path, content):
                if depth >= limits.max_depth:
                    raise RejectedInput(
                        f"zip archive nested more than {limits.max_depth} levels deep: {label}/{path}"
                    )
                _expand(content, f"{label}/{path}", f"{prefix}{path}/", depth + 1, budget, out)
            else:
                out.append(Member(prefix + path, content))


def _is_nested_zip(path: str, content: bytes) -> bool:
    return path.lower().endswith(".zip") and content[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _open(data: bytes, label: str) -> zipfile.ZipFile:
    if not data:
        raise RejectedInput(f"empty file: {label}")
    if data.startswith(OLE_MAGIC):
        raise RejectedInput(
            f"not a zip container: {label} is an OLE compound file "
            "(a legacy Office file, or a password-protected Office document)"
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error) as exc:
        raise RejectedInput(f"{_CORRUPT}: {label} ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _member_name(info: zipfile.ZipInfo, label: str) -> str | None:
    """The member's safe relative path, or None for directories and litter; unsafe names raise."""
    raw = _decoded_name(info)
    path = raw.replace("\\", "/")
    if "\x00" in path or path.startswith("/") or _DRIVE.match(path):
        raise RejectedInput(f"unsafe path in zip archive {label}: member {raw!r} is absolute")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise RejectedInput(f"unsafe path in zip archive {label}: member {raw!r} climbs out with '..'")
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise RejectedInput(f"encrypted member in zip archive {label}: {raw!r} (no password to open it)")
    if not parts or path.endswith("/"):
        return None  # a directory entry
    base = parts[-1]
    if _JUNK_DIRS.intersection(parts) or base.lower() in _JUNK_FILES or base.startswith("~$"):
        return None
    return "/".join(parts)


def _decoded_name(info: zipfile.ZipInfo) -> str:
    """The name as the archiver meant it: zipfile decodes unflagged names as cp437, but Windows
    tools write the local ANSI code page (GBK, Shift-JIS) or UTF-8 without the flag."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    unicode_path = _unicode_path_extra(info.extra)
    if unicode_path is not None:
        return unicode_path
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    if raw.isascii():
        return info.filename
    for encoding in ("utf-8", "cp932", "gb18030"):
        try:
            decoded = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp932" and _HALFWIDTH_KANA.search(decoded):
            continue  # GBK bytes read as Shift-JIS come out as half-width katakana
        return decoded
    return info.filename


def _unicode_path_extra(extra: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field (0x7075): a UTF-8 name beside the legacy one."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if kind == _UNICODE_PATH_EXTRA and len(body) > 5 and body[0] == 1:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        pos += 4 + size
    return None


def _check_declared(info: zipfile.ZipInfo, label: str, path: str, limits: ArchiveLimits) -> None:
    """Refuse early on what the directory admits to; the real sizes are enforced while inflating."""
    if info.file_size > limits.max_member_bytes:
        raise RejectedInput(_too_large(label, path, limits.max_member_bytes))
    if info.file_size > RATIO_FLOOR and info.file_size > info.compress_size * limits.max_ratio:
        raise RejectedInput(_bomb(label, path, limits.max_ratio))


def _too_large(label: str, path: str, limit: int) -> str:
    return f"zip member too large: {label}/{path} inflates to over {limit} bytes"


def _bomb(label: str, path: str, ratio: float) -> str:
    return f"zip bomb refused: {label}/{path} inflates to more than {ratio:g} times its compressed size"


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, path: str, budget: _Budget) -> bytes:
    return b"".join(_stream(zf, info, label, path, budget))


def _stream(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, path: str, budget: _Budget
) -> Iterator[bytes]:
    """Chunks of one member, refused as soon as any cap is passed."""
    limits = budget.limits
    ratio_cap = max(RATIO_FLOOR, int(info.compress_size * limits.max_ratio))
    size = 0
    try:
        with zf.open(info) as handle:
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    return
                size += len(chunk)
                budget.inflated += len(chunk)
                if size > limits.max_member_bytes:
                    raise RejectedInput(_too_large(label, path, limits.max_member_bytes))
                if size > ratio_cap:
                    raise RejectedInput(_bomb(label, path, limits.max_ratio))
                if budget.inflated > limits.max_total_bytes:
                    raise RejectedInput(
                        f"zip archive too large when inflated: {label} passes {limits.max_total_bytes} "
                        f"bytes at member {path}"
                    )
                yield chunk
    except RejectedInput:
        raise
    except NotImplementedError as exc:
        raise RejectedInput(f"unsupported zip compression in {label}: member {path} ({_why(exc)})") from None
    except RuntimeError as exc:  # zipfile's "password required" for an encrypted entry it detects late
        raise RejectedInput(f"encrypted member in zip archive {label}: {path!r} ({_why(exc)})") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, struct.error) as exc:
        raise RejectedInput(f"{_CORRUPT}: {label}, member {path} ({_why(exc)})") from None


class Container:
    """An Office container (or any zip) whose directory has passed the checks of :func:`open_zip`;
    parts inflate only when asked for, under the same caps. Part names match case-insensitively,
    as OPC part names do."""

    def __init__(self, zf: zipfile.ZipFile, name: str, limits: ArchiveLimits) -> None:
        self.name = name
        self.limits = limits
        self._zf = zf
        self._budget = _Budget(limits)
        self._parts: dict[str, tuple[zipfile.ZipInfo, str]] = {}
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise RejectedInput(
                f"too many entries in zip archive {name}: {len(infos)} (limit {limits.max_entries})"
            )
        for info in infos:
            path = _member_name(info, name)
            if path is None:
                continue
            _check_declared(info, name, path, limits)
            self._parts[path.lower()] = (info, path)

    @property
    def names(self) -> list[str]:
        """The regular files, in directory order."""
        return [path for _info, path in self._parts.values()]

    def __contains__(self, part: object) -> bool:
        return isinstance(part, str) and part.lstrip("/").lower() in self._parts

    def get(self, part: str) -> bytes | None:
        """The inflated part, or None when the container has no such part."""
        found = self._parts.get(part.lstrip("/").lower())
        if found is None:
            return None
        info, path = found
        return b"".join(_stream(self._zf, info, self.name, path, self._budget))

    def read(self, part: str) -> bytes:
        """The inflated part; a missing part is a :class:`RejectedInput`."""
        content = self.get(part)
        if content is None:
            raise RejectedInput(f"{self.name} has no part {part}: not a complete Office document")
        return content

    def stream(self, part: str) -> Iterator[bytes]:
        """The part in chunks, for incremental parsing; a missing part is a :class:`RejectedInput`."""
        found = self._parts.get(part.lstrip("/").lower())
        if found is None:
            raise RejectedInput(f"{self.name} has no part {part}: not a complete Office document")
        info, path = found
        return _stream(self._zf, info, self.name, path, self._budget)

    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def check_container(data: bytes, name: str, limits: ArchiveLimits = ArchiveLimits()) -> Container:
    """Open ``data`` as a zip container for reading a few named parts, with the whole directory
    checked first (entries, names, encryption, declared sizes and ratios). Use it as a context
    manager; :meth:`Container.read` and :meth:`Container.stream` inflate under the caps."""
    zf = _open(data, name)
    try:
        return Container(zf, name, limits)
    except BaseException:
        zf.close()
        raise
