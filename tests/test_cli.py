"""The command line end to end, as a user runs it: real processes, real files, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fpdf import FPDF

SEPWATCH = [sys.executable, "-m", "sepwatch"]


@pytest.fixture
def env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **settings_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}


def sw(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*SEPWATCH, *args], env=env, capture_output=True, text=True, timeout=120)
    if ok and proc.returncode != 0:
        pytest.fail(f"sepwatch {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def search_json(env: dict[str, str], *args: str) -> dict:  # type: ignore[type-arg]
    """The JSON answer, with each hit's number shortened to the file's name for readable asserts."""
    result: dict = json.loads(sw(env, "search", "--json", *args).stdout)  # type: ignore[type-arg]
    for hit in result["hits"]:
        hit["path"], hit["number"] = hit["number"], short(hit["number"])
    return result


def short(number: str) -> str:
    """``/tmp/…/docs/sub/legacy-gb.txt`` → ``sub/legacy-gb.txt`` (files directly in docs/: the name)."""
    path = Path(number)
    return f"{path.parent.name}/{path.name}" if path.parent.name == "sub" else path.name


def english_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in [
        "1 Scope",
        "This specification defines paging for devices in idle mode.",
        "",
        "2 Paging procedure",
        "The network sends a paging message when downlink data arrives for the terminal.",
    ]:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "spec.txt").write_text(
        "Radio Resource Control\n\n1 Scope\n\nThis document specifies the RRC protocol.\n\n"
        "5.3.5 RRC reconfiguration\n\nThe UE shall apply the received configurations.\n",
        encoding="utf-8",
    )
    (docs / "patent.md").write_text(
        "# 一种数据传输方法\n\n## 1 技术领域\n\n本发明涉及通信领域，尤其涉及标准必要专利。\n\n"
        "## 2 背景技术\n\n终端向基站发送消息。\n",
        encoding="utf-8",
    )
    (docs / "sub" / "legacy-gb.txt").write_bytes(
        "第一章 总则\n\n本标准规定了专利信息的著录要求。\n".encode("gb18030")
    )
    (docs / "page.html").write_text(
        "<html><head><title>Meeting <i>notes</i></title><script>alert('x')</script></head>"
        "<body><h1>Agenda</h1><p>Discussion of the <b>paging</b> enhancement.</p></body></html>",
        encoding="utf-8",
    )
    english_pdf(docs / "paging.pdf")
    return docs


def test_import_search_export_in_english_and_chinese(
    env: dict[str, str], corpus: Path, tmp_path: Path
) -> None:
    proc = sw(env, "import", str(corpus))
    lines = proc.stdout.splitlines()
    assert len(lines) == 5 and all(line.startswith("imported: ") for line in lines), proc.stdout
    assert "5 files: 5 imported, 0 unchanged, 0 rejected" in proc.stderr
    assert any(f"local:{corpus.resolve()}/sub/legacy-gb.txt," in line for line in lines)

    zh = search_json(env, "专利")
    assert {h["number"] for h in zh["hits"]} == {"patent.md", "sub/legacy-gb.txt"}
    for hit in zh["hits"]:
        assert "<mark>专利</mark>" in hit["sections"][0]["snippet"]
    assert {h["number"] for h in search_json(env, "标准")["hits"]} == {"patent.md", "sub/legacy-gb.txt"}
    assert [h["number"] for h in search_json(env, "数据传输")["hits"]] == ["patent.md"]

    en = search_json(env, "configuration")  # stemmed: "configurations"
    assert [h["number"] for h in en["hits"]] == ["spec.txt"]
    assert en["hits"][0]["sections"][0]["number"] == "5.3.5"
    assert en["hits"][0]["sections"][0]["heading"] == "RRC reconfiguration"
    paging = search_json(env, "paging", "--facets")
    assert {h["number"] for h in paging["hits"]} == {"paging.pdf", "page.html"}
    assert {f["value"]: f["count"] for f in paging["facets"]["kind"]} == {"pdf": 1, "html": 1}
    assert [h["number"] for h in search_json(env, "paging", "--kind", "pdf")["hits"]] == ["paging.pdf"]
    assert search_json(env, "alert")["total"] == 0  # script text is not document text

    human = sw(env, "search", "RRC").stdout
    assert f"local:{corpus.resolve()}/spec.txt" in human and "5.3.5 RRC reconfiguration" in human

    out = tmp_path / "export.jsonl"
    sw(env, "export", "documents", "--format", "jsonl", "-o", str(out))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_number = {short(r["number"]): r for r in records}
    assert set(by_number) == {"spec.txt", "patent.md", "sub/legacy-gb.txt", "page.html", "paging.pdf"}
    patent = by_number["patent.md"]
    assert patent["title"] == "一种数据传输方法" and patent["kind"] == "markdown" and patent["version"] == 1
    assert {
        "number": "1",
        "heading": "技术领域",
        "text": "本发明涉及通信领域，尤其涉及标准必要专利。",
    } in patent["sections"]
    assert by_number["page.html"]["title"] == "Meeting <i>notes</i>"  # literal text, never markup
    stdout_export = sw(env, "export", "documents", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in stdout_export] == records


def test_bad_files_are_rejected_with_reasons_and_the_rest_goes_through(
    env: dict[str, str], tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("1 Scope\n\nA perfectly good document about handover.\n", encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "blank.md").write_text("   \n\n  \t\n", encoding="utf-8")
    (docs / "random.txt").write_bytes(os.urandom(4096))
    (docs / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    (docs / "archive.zip").write_bytes(b"PK\x03\x04" + os.urandom(100))
    (docs / "truncated.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")
    (docs / "fake.pdf").write_text("this is not a PDF at all", encoding="utf-8")
    (docs / "data.xyz").write_text("unknown kind", encoding="utf-8")
    (docs / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me handover".encode("latin-1"))
    missing = tmp_path / "missing.txt"

    proc = sw(env, "import", str(docs), str(missing), ok=False)
    assert proc.returncode == 1
    lines = {line.split(": ")[1]: line for line in proc.stdout.splitlines()}
    expected = {
        "good.txt": "imported",
        "latin1.txt": "imported",
        "empty.txt": "rejected: {}: empty file",
        "blank.md": "rejected: {}: empty file: no text",
        "random.txt": "rejected: {}: binary content, not text",
        "image.png": "rejected: {}: unsupported file kind: PNG image",
        "archive.zip": "rejected: {}: truncated or corrupt zip archive: archive.zip",
        "truncated.pdf": "rejected: {}: truncated PDF: no %%EOF marker",
        "fake.pdf": "rejected: {}: not a PDF: missing %PDF- header",
        "data.xyz": "rejected: {}: unsupported file kind '.xyz'",
    }
    for name, want in expected.items():
        line = lines[str(docs / name)]
        if want == "imported":
            assert line.startswith("imported: "), line
        else:
            assert line.startswith(want.format(docs / name)), line
    assert lines[str(missing)] == f"rejected: {missing}: no such file"
    assert "11 files: 2 imported, 0 unchanged, 9 rejected" in proc.stderr
    assert {h["number"] for h in search_json(env, "handover")["hits"]} == {"good.txt", "latin1.txt"}


def test_file_over_the_size_limit_is_rejected(env: dict[str, str], tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000, encoding="utf-8")  # 1.5 MB
    proc = sw({**env, "SEPWATCH_IMPORT__MAX_FILE_MB": "1"}, "import", str(big), ok=False)
    assert proc.returncode == 1
    assert (
        "rejected: " in proc.stdout
        and "too large: 1.4 MiB, the limit is 1 MiB (import.max_file_mb)" in proc.stdout
    )


def test_reimport_unchanged_then_changed_file(env: dict[str, str], tmp_path: Path) -> None:
    doc = tmp_path / "cr.txt"
    doc.write_text(
        "1 Scope\n\nOld wording about timers.\n\n2 Procedure\n\nThe UE starts T310.\n", encoding="utf-8"
    )
    sw(env, "import", str(doc))
    assert "unchanged: " in sw(env, "import", str(doc)).stdout
    doc.write_text(
        "1 Scope\n\nNew wording about counters.\n\n2 Procedure\n\nThe UE starts T310.\n\n3 Annex\n\nExtra.\n",
        encoding="utf-8",
    )
    out = sw(env, "import", str(doc)).stdout
    assert "new version 2" in out and "(1 added, 1 changed, 0 removed)" in out
    assert search_json(env, "timers")["total"] == 0
    assert search_json(env, "counters")["hits"][0]["number"] == "cr.txt"
    every = search_json(env, "wording", "--all-versions")
    assert every["total"] == 2
    status = json.loads(sw(env, "status", "--json").stdout)
    assert status["store"]["documents"] == 1 and status["store"]["versions"] == 2
    assert status["store"]["changes"] == 2 and status["store"]["index_pending"] == 0
    assert [r["status"] for r in status["runs"]] == ["succeeded"] * 3


def test_reindex_rebuilds_the_same_answers_even_from_nothing(env: dict[str, str], corpus: Path) -> None:
    sw(env, "import", str(corpus))
    before = [search_json(env, q) for q in ("专利", "paging", "RRC")]
    (Path(env["SEPWATCH_DATA_DIR"]) / "search.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        (Path(env["SEPWATCH_DATA_DIR"]) / f"search.sqlite{suffix}").unlink(missing_ok=True)
    assert search_json(env, "paging")["total"] == 0  # an empty index is just empty
    assert "reindexed 5 versions: 5 documents" in sw(env, "reindex").stdout
    assert [search_json(env, q) for q in ("专利", "paging", "RRC")] == before


def test_init_writes_the_starter_file_and_creates_the_store(env: dict[str, str], tmp_path: Path) -> None:
    cfg = tmp_path / "sepwatch.yaml"
    out = sw(env, "init", str(cfg)).stdout
    assert f"wrote the starter configuration {cfg}" in out and "store ready" in out
    assert "# sepwatch configuration" in cfg.read_text(encoding="utf-8")
    assert (Path(env["SEPWATCH_DATA_DIR"]) / "search.sqlite").exists()
    assert "kept the existing configuration" in sw(env, "init", str(cfg)).stdout
    status = sw(env, "--config", str(cfg), "status").stdout
    assert f"config:  {cfg}" in status and re.search(r"schema \d{4}, up to date", status)


def test_configuration_errors_name_the_file_and_key(env: dict[str, str], tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("store:\n  urll: sqlite:///x.db\nimport:\n  max_file_mb: -5\n", encoding="utf-8")
    proc = sw(env, "--config", str(cfg), "status", ok=False)
    assert proc.returncode != 0
    assert f"{cfg}: store.urll (line 2): unknown key; expected one of: url, auto_migrate" in proc.stderr
    assert f"{cfg}: import.max_file_mb (line 4)" in proc.stderr


def test_search_filters_by_date_and_rejects_bad_dates(env: dict[str, str], corpus: Path) -> None:
    sw(env, "import", str(corpus))
    proc = sw(env, "search", "paging", "--from", "2025-13-01", ok=False)
    assert proc.returncode == 2 and "expected a date as YYYY-MM-DD" in proc.stderr
    assert search_json(env, "--source", "nowhere", "paging")["total"] == 0
    assert search_json(env, "--source", "local", "paging")["total"] == 2


def test_progress_bar_on_request(env: dict[str, str], corpus: Path) -> None:
    proc = sw(env, "import", "--progress", str(corpus))
    assert "importing" in proc.stderr
    assert proc.stdout == ""  # with the bar, only rejected files are listed


def test_same_file_name_in_different_folders_stays_two_documents(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    for project, word in (("projA", "alpha"), ("projB", "bravo")):
        (work / project).mkdir(parents=True)
        (work / project / "notes.txt").write_text(f"1 Scope\n\nThe {word} design.\n", encoding="utf-8")
    out = sw(env, "import", str(work / "projA"), str(work / "projB")).stdout
    assert out.count("new document") == 2
    assert search_json(env, "alpha")["total"] == 1 and search_json(env, "bravo")["total"] == 1
    # The same file reached through another folder is the same document.
    again = sw(env, "import", str(work)).stdout.splitlines()
    assert len(again) == 2 and all(line.startswith("unchanged: ") for line in again)


def test_query_syntax_on_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("1 Scope\n\nContent about alpha and zulu.\n", encoding="utf-8")
    (docs / "b.txt").write_text("1 Scope\n\nContent about alpha only.\n", encoding="utf-8")
    sw(env, "import", str(docs))
    assert [h["number"] for h in search_json(env, "content", "-zulu")["hits"]] == ["b.txt"]
    assert search_json(env, "alpha", "OR", "zulu")["total"] == 2
    proc = sw(env, "search", "NOT", "zulu", ok=False)
    assert proc.returncode == 1 and "nothing to search for" in proc.stderr
    assert "no documents beyond the 2 found" in sw(env, "search", "alpha", "--offset", "5").stdout


def test_crawl_of_an_unknown_source_names_the_sources(env: dict[str, str]) -> None:
    proc = sw(env, "crawl", "nosuch", ok=False)
    assert proc.returncode == 2
    assert "no source named 'nosuch'" in proc.stderr and "threegpp_tdocs" in proc.stderr
