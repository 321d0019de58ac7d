"""Crash points for the crash-safety tests.

``SEPWATCH_FAULTPOINT=name`` (or ``name:N`` for the N-th time) makes the process SIGKILL itself
when it reaches :func:`checkpoint` ``(name)``: the tests use it to crash an import exactly between
two steps, as a power cut or an OOM kill would. Unset, a checkpoint costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

_spec = os.environ.get("SEPWATCH_FAULTPOINT", "")
_name, _, _nth = _spec.partition(":")
_remaining = int(_nth) if _nth.isdigit() else 1


def checkpoint(name: str) -> None:
    global _remaining
    if _name and name == _name:
        _remaining -= 1
        if _remaining <= 0:
            os.kill(os.getpid(), signal.SIGKILL)
