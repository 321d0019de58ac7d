"""Safe extraction of text and sections from files: one module per format.

Every extractor takes the raw bytes and the file name, and returns an :class:`Extracted` or raises
:class:`RejectedInput` with a reason a user can act on ("empty file", "binary content",
"truncated PDF: no %%EOF marker"…). Extractors never touch the network or the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawlers.items import Section


class RejectedInput(Exception):
    """The input cannot be accepted; ``reason`` says why in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Extracted:
    title: str | None
    sections: list[Section]
    metadata: dict[str, Any] = field(default_factory=dict)
