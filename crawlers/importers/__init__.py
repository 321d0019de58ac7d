"""Importers: turn one local file into items, chosen by what the file is.

Every file kind sepwatch understands is an :class:`Importer` subclass registered with
:func:`register`. Built-in importers register the same way an extension does; a separately
installed package can add its own through the ``sepwatch.importers`` entry-point group.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import PurePath
from typing import ClassVar, TypeVar

from crawlers.extract import RejectedInput
from crawlers.items import Declaration, Milestone, PatentEvent, PatentRecord, StandardDocument

# Imported for their @register side effect, in this order (earlier wins on equal claims).
BUILTIN_MODULES = (
    "crawlers.importers.threegpp",
    "crawlers.importers.ietf",
    "crawlers.importers.patents",
    "crawlers.importers.files",
)

Item = StandardDocument | PatentRecord | PatentEvent | Declaration | Milestone


@dataclass(frozen=True, slots=True)
class ImportContext:
    """What an importer knows besides the bytes: where the file came from and the limits."""

    source: str
    number: str
    """The identity a single-document file gets: its path relative to the import root."""
    origin: str
    pdf_max_pages: int = 5000


class Importer(abc.ABC):
    """One kind of file. Subclasses declare ``kind`` and ``extensions`` and implement ``parse``."""

    kind: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    # Binary signatures (zip, OLE…) this importer reads when the file's extension is its own.
    containers: ClassVar[tuple[bytes, ...]] = ()

    def __init__(self) -> None:
        # Rows or entries skipped while the rest of the file went through ("row 7: no date").
        self.problems: list[str] = []

    def sniff(self, head: bytes) -> bool:
        """True when the first bytes of a file prove it is of this kind, whatever its name."""
        return False

    @abc.abstractmethod
    def parse(self, data: bytes, ctx: ImportContext) -> Iterable[Item]:
        """Items found in the file; raise :class:`RejectedInput` for a file that must be refused."""


_REGISTRY: list[type[Importer]] = []
_loaded = False
T = TypeVar("T", bound=type[Importer])

# Magic numbers of formats that no registered importer may take as text.
_BINARY_MAGIC = {
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"\x7fELF": "executable (ELF)",
    b"MZ": "executable (Windows)",
    b"\x1f\x8b": "gzip archive",
    b"PK\x03\x04": "zip archive or Office document",
    b"\xd0\xcf\x11\xe0": "legacy Office document",
    b"7z\xbc\xaf": "7-Zip archive",
    b"Rar!": "RAR archive",
}


def register(cls: T) -> T:
    if cls not in _REGISTRY:
        _REGISTRY.append(cls)
    return cls


def importers() -> list[type[Importer]]:
    global _loaded
    if not _loaded:
        for name in BUILTIN_MODULES:
            importlib.import_module(name)
        for ep in entry_points(group="sepwatch.importers"):
            ep.load()
        _loaded = True
    return list(_REGISTRY)


def choose(name: str, head: bytes) -> Importer:
    """The importer for a file: content signatures first, then the extension.

    Raises :class:`RejectedInput` naming the kinds that are supported when none fits.
    """
    classes = importers()
    for cls in classes:
        if cls().sniff(head):
            return cls()
    suffix = PurePath(name).suffix.lower()
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            for cls in classes:
                if suffix in cls.extensions and magic in cls.containers:
                    return cls()
            raise RejectedInput(f"unsupported file kind: {what}")
    for cls in classes:
        if suffix in cls.extensions:
            return cls()
    supported = ", ".join(sorted({e for c in classes for e in c.extensions if e}))
    raise RejectedInput(f"unsupported file kind {suffix!r} (supported: {supported})")
