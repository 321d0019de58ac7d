"""Legacy Word 97-2003 (.doc): text through antiword in a confined subprocess, split at clauses.

antiword (the Debian package ``antiword``) runs on a private temporary copy with CPU-time, address
space, output-size and wall-clock limits, so a hostile file can cost at most those. Its output is
UTF-8 without wrapping; tables come out as ``|cell |cell |`` lines. A 3GPP CR cover page at the
start is read into ``metadata["cr"]`` and kept as a first section of its own; the rest is split at
numbered clauses.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawlers.extract import Extracted, RejectedInput
from crawlers.extract.archive import OLE_MAGIC
from crawlers.extract.crcover import split_cover_text
from crawlers.extract.decode import DEFAULT_MAX_BYTES, check_size, normalise_fragment
from crawlers.extract.sections import split_numbered
from crawlers.items import Section

CONVERTER = "antiword"
NOT_INSTALLED = "antiword is not installed: install the Debian package antiword"
COVER_HEADING = "CR cover page"
MAX_OUTPUT_BYTES = 256 * 1024 * 1024
_STDERR_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"


def extract(
    data: bytes,
    name: str,
    *,
    timeout_s: float = 60,
    memory_mb: int = 512,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunk_chars: int = 1500,
    **_other_limits: int,
) -> Extracted:
    """Sections (a CR cover page first when there is one) and metadata from a Word 97-2003 file."""
    check_size(data, max_bytes)
    if not data:
        raise RejectedInput(f"empty file: {name}")
    _check_magic(data, name)
    text = normalise_fragment(_convert(data, name, timeout_s, memory_mb))
    if not text:
        raise RejectedInput(f"empty document: {name} has no text")
    metadata: dict[str, Any] = {"converter": CONVERTER, "chars": len(text)}
    title: str | None = None
    found = split_cover_text(text)
    if found is None:
        sections = split_numbered(text, chunk_chars)
    else:
        fields, cover, rest = found
        metadata["cr"] = fields
        title = fields.get("title") or None
        sections = [Section(None, COVER_HEADING, normalise_fragment(cover))]
        if rest.strip():
            sections.extend(split_numbered(rest.strip("\n"), chunk_chars))
    return Extracted(title=title, sections=sections, metadata=metadata)


def _check_magic(data: bytes, name: str) -> None:
    if data.startswith(OLE_MAGIC):
        return
    if data.startswith(_ZIP_MAGIC):
        raise RejectedInput(f"not a legacy Word file: {name} is a zip container (a .docx?)")
    if data.lstrip()[:5] == b"{\\rtf":
        raise RejectedInput(f"not a legacy Word file: {name} is RTF")
    raise RejectedInput(f"not a legacy Word file: {name} has no OLE compound file signature")


def _convert(data: bytes, name: str, timeout_s: float, memory_mb: int) -> str:
    program = shutil.which(CONVERTER)
    if program is None:
        raise RejectedInput(NOT_INSTALLED)
    cpu_s = max(1, math.ceil(timeout_s))
    memory = memory_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="sepwatch-doc-") as tmp:
        source = Path(tmp) / "input.doc"
        source.write_bytes(data)
        command = [program, "-w", "0", "-m", "UTF-8.txt", str(source)]
        preexec: Callable[[], None] | None = None
        prlimit = shutil.which("prlimit")
        if prlimit is not None:
            command = [
                prlimit,
                f"--cpu={cpu_s}",
                f"--as={memory}",
                f"--fsize={MAX_OUTPUT_BYTES}",
                "--core=0",
                "--",
                *command,
            ]
        else:  # prlimit (util-linux) is missing: set the limits in the child before exec
            preexec = _limiter(cpu_s, memory)
        out_path = Path(tmp) / "out.txt"
        err_path = Path(tmp) / "err.txt"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                completed = subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    timeout=timeout_s,
                    preexec_fn=preexec,
                    cwd=tmp,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LC_ALL": "C.UTF-8"},
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise RejectedInput(f"legacy Word conversion timed out after {timeout_s:g} s") from None
            except OSError as exc:
                raise RejectedInput(
                    f"legacy Word conversion could not start: {exc.strerror or exc}"
                ) from None
        with err_path.open("rb") as err_file:
            stderr = err_file.read(_STDERR_BYTES).decode("utf-8", "replace")
        if completed.returncode != 0:
            raise RejectedInput(_failure(name, completed.returncode, stderr, timeout_s, memory_mb))
        return out_path.read_bytes().decode("utf-8", "replace")


def _limiter(cpu_s: int, memory: int) -> Callable[[], None]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return limit


def _failure(name: str, code: int, stderr: str, timeout_s: float, memory_mb: int) -> str:
    if code < 0:
        sig = -code
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return f"legacy Word conversion timed out after {timeout_s:g} s of CPU time"
        if sig == signal.SIGXFSZ:
            return f"legacy Word conversion of {name} produced more than {MAX_OUTPUT_BYTES} bytes"
        return f"legacy Word conversion of {name} crashed (signal {sig})"
    lowered = stderr.lower()
    if "encrypt" in lowered:
        return f"encrypted Word document: {name}"
    if "memory" in lowered:
        return f"legacy Word conversion of {name} ran out of memory (limit {memory_mb} MB)"
    detail = " ".join(stderr.split())[:200] or f"exit status {code}"
    if "not a word document" in lowered:
        return f"not a Word document: {name} ({detail})"
    return f"legacy Word conversion of {name} failed: {detail}"
