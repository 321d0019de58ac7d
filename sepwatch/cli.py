"""The ``sepwatch`` command line."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from config import ConfigError, Settings, load_settings, starter_yaml
from index import migrate
from index.search.base import SearchError, SearchFilters, SearchQuery, SearchResult
from sepwatch import __version__, logs
from sepwatch.app import App

# Batches at least this large get a progress bar (when stderr is a terminal).
PROGRESS_MIN_FILES = 20


class Context:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(f"configuration: {exc}") from exc
            logs.configure(self._settings.logging.level, self._settings.logging.format)
        return self._settings

    @contextmanager
    def app(self) -> Iterator[App]:
        app = App.open(self.settings)
        try:
            yield app
        finally:
            app.close()


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration file (default: $SEPWATCH_CONFIG, ./sepwatch.yaml, ~/.config/sepwatch/sepwatch.yaml).",
)
@click.version_option(__version__, prog_name="sepwatch")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """sepwatch: standards, patents and the claims that link them."""
    ctx.obj = Context(config_path)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="sepwatch.yaml")
@pass_ctx
def init(ctx: Context, path: Path, force: bool) -> None:
    """Write a commented starter configuration to PATH and create the store."""
    if path.exists() and not force:
        click.echo(f"kept the existing configuration {path} (use --force to overwrite)")
    else:
        path.write_text(starter_yaml(), encoding="utf-8")
        click.echo(f"wrote the starter configuration {path}")
    if ctx.config_path is None:
        ctx.config_path = path
    with ctx.app() as app:
        counts = app.store.counts()
        click.echo(f"store ready: {app.settings.redacted_store_url()} ({counts['documents']} documents)")
        click.echo(f"search index ready: {app.search.name} ({app.search.counts()['sections']} sections)")


@cli.command()
@pass_ctx
def run(ctx: Context) -> None:
    """Run the service until stopped: crawls on schedule, alerts, delivery (Ctrl-C or SIGTERM)."""
    from scheduler.daemon import AlreadyRunning
    from sepwatch.service import handle_signals, serve
    from web.server import WebServerError, WebService

    stop = threading.Event()
    handle_signals(stop)
    with ctx.app() as app:
        try:
            serve(app, stop, extras=[WebService(app)] if app.settings.web.enabled else [])
        except (AlreadyRunning, WebServerError) as exc:
            raise click.ClickException(str(exc)) from None


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--source", default="local", show_default=True, help="Source name the documents are filed under."
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on large batches on a terminal)."
)
@pass_ctx
def import_(ctx: Context, paths: tuple[Path, ...], source: str, progress: bool | None) -> None:
    """Import local files and folders: one line per file, exit status 1 if any was rejected."""
    from sepwatch.importing import FileReport, expand, import_paths

    total = sum(1 for _ in expand(paths))
    show_bar = progress if progress is not None else (total >= PROGRESS_MIN_FILES and sys.stderr.isatty())
    with ctx.app() as app:
        if show_bar:
            with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:

                def report(r: FileReport) -> None:
                    bar.update(1)
                    if r.status == "rejected":
                        click.echo(_terminal_safe(r.line()))

                summary = import_paths(app, paths, source=source, on_report=report)
        else:
            summary = import_paths(
                app, paths, source=source, on_report=lambda r: click.echo(_terminal_safe(r.line()))
            )
    click.echo(
        f"{len(summary.reports)} files: {summary.count('imported')} imported, "
        f"{summary.count('unchanged')} unchanged, {summary.count('rejected')} rejected",
        err=True,
    )
    if not summary.ok:
        sys.exit(1)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


# ignore_unknown_options: "-word" (exclude a word) is query syntax, not an option.
@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option("--source", multiple=True, help="Only this source (repeatable).")
@click.option(
    "--kind", multiple=True, help="Only this kind: text, markdown, html, pdf, tdoc, spec… (repeatable)."
)
@click.option("--body", multiple=True, help="Only this standards body, e.g. 3GPP, IETF (repeatable).")
@click.option("--group", multiple=True, help="Only this working group, e.g. RAN1 (repeatable).")
@click.option("--meeting", multiple=True, help="Only this meeting, e.g. RAN1#122-bis (repeatable).")
@click.option("--release", multiple=True, help="Only this release, e.g. Rel-18 (repeatable).")
@click.option("--spec", multiple=True, help="Only this specification, e.g. 'TS 38.331' (repeatable).")
@click.option("--from", "date_from", callback=_date, help="Documents dated on or after YYYY-MM-DD.")
@click.option("--to", "date_to", callback=_date, help="Documents dated on or before YYYY-MM-DD.")
@click.option(
    "--all-versions", is_flag=True, help="Search every version, not only the latest of each document."
)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option(
    "--facets",
    is_flag=True,
    help="Also count the hits per source, kind, body, group, meeting, release, spec.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON output (snippets are HTML: escaped, matches in <mark>)."
)
@pass_ctx
def search(ctx: Context, /, query: tuple[str, ...], as_json: bool, **opts: Any) -> None:
    """Search everything collected.

    QUERY: words (all must match), "exact phrase", OR between alternatives, -word to exclude,
    word* for a prefix. Chinese works as typed: 专利, 标准必要专利.
    """
    filters = SearchFilters(
        **{k: tuple(opts.pop(k)) for k in ("source", "kind", "body", "group", "meeting", "release", "spec")},
        date_from=opts.pop("date_from"),
        date_to=opts.pop("date_to"),
    )
    q = SearchQuery(text=" ".join(query), filters=filters, **opts)
    with ctx.app() as app:
        try:
            result = app.search.search(q)
        except SearchError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(_result_json(result), ensure_ascii=False, indent=2))
    else:
        _print_result(result, q)


def _result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "total": result.total,
        "hits": [
            {
                **{
                    k: getattr(h, k)
                    for k in ("document_id", "version_id", "source", "number", "kind", "title")
                },
                **{k: getattr(h, k) for k in ("body", "group", "meeting", "release", "spec", "label")},
                "date": h.date.isoformat() if h.date else None,
                "score": round(h.score, 4),
                "matched_sections": h.matched_sections,
                "sections": [
                    {
                        "ord": s.ord,
                        "number": s.number,
                        "heading": s.heading,
                        "snippet": s.snippet,
                        "score": round(s.score, 4),
                    }
                    for s in h.sections
                ],
            }
            for h in result.hits
        ],
        "facets": {k: [{"value": v, "count": n} for v, n in vals] for k, vals in result.facets.items()},
    }


# C0/C1 controls (escape sequences) and the bidirectional overrides that can reorder a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _terminal_safe(text: str) -> str:
    """Text from documents may hold escape sequences: never let them reach the terminal."""
    return _CONTROL.sub("", text)


def _snippet_for_terminal(snippet_html: str) -> str:
    parts: list[str] = []
    pos = 0
    for m in _MARK.finditer(snippet_html):
        parts.append(_terminal_safe(html.unescape(snippet_html[pos : m.start()])))
        parts.append(click.style(_terminal_safe(html.unescape(m.group(1))), bold=True, fg="yellow"))
        pos = m.end()
    parts.append(_terminal_safe(html.unescape(snippet_html[pos:])))
    return "".join(parts)


def _print_result(result: SearchResult, query: SearchQuery) -> None:
    if not result.hits:
        click.echo(f"no documents beyond the {result.total} found" if result.total else "no documents found")
        return
    first = query.offset + 1
    click.echo(f"{result.total} documents; showing {first}–{query.offset + len(result.hits)}")
    for i, h in enumerate(result.hits, start=first):
        facets = " · ".join(
            str(x) for x in (h.kind, h.body, h.group, h.meeting, h.release, h.spec, h.date) if x
        )
        click.echo("")
        click.echo(
            click.style(f"{i}. {_terminal_safe(h.source)}:{_terminal_safe(h.number)}", bold=True)
            + f"  [{facets}]"
        )
        if h.title:
            click.echo(f"   {_terminal_safe(h.title)}")
        for s in h.sections:
            where = " ".join(x for x in (s.number, s.heading) if x) or f"section {s.ord + 1}"
            click.echo(f"   § {_terminal_safe(where)}: {_snippet_for_terminal(s.snippet)}")
        if h.matched_sections > len(h.sections):
            click.echo(f"   (+{h.matched_sections - len(h.sections)} more matching sections)")
    for name, values in result.facets.items():
        if values:
            click.echo(f"\n{name}: " + ", ".join(f"{_terminal_safe(v)} ({n})" for v, n in values))


@cli.command()
@click.argument("source")
@click.option("--full", is_flag=True, help="Fetch everything again, ignoring what earlier crawls saw.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@pass_ctx
def crawl(ctx: Context, source: str, full: bool, as_json: bool) -> None:
    """Crawl one source now (a built-in spider, or a configured feed or listing)."""
    from crawlers.runner import crawl as run_crawl
    from crawlers.sources import UnknownSource, resolve

    try:
        resolve(ctx.settings, source)
    except UnknownSource as exc:
        raise click.UsageError(str(exc)) from None
    with ctx.app() as app:
        result = run_crawl(app, source, full=full)
    report = result.report
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run": result.run_id,
                    "source": result.source,
                    "status": result.status,
                    "counts": report.counts,
                    "errors": report.errors,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "nothing new"
        click.echo(f"crawl {source}: {result.status} (run {result.run_id}): {counts}")
        for error in report.errors:
            click.echo(
                f"  error: {_terminal_safe(error['url'])}: {_terminal_safe(error['reason'])}", err=True
            )
    if result.status == "failed":
        sys.exit(1)


def _days(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    text = value.strip().lower()
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    try:
        if text[-1:] in units:
            return int(text[:-1]) * units[text[-1]]
        return int(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a span like 90d, 12w, 6m or 1y") from None


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--all", "show_all", is_flag=True, help="Every stored application, not only the portfolio's own."
)
@pass_ctx
def patents(ctx: Context, as_json: bool, show_all: bool) -> None:
    """Status per family: each application's status, last event and open deadlines."""
    from alerts.calendar import own_applications, patent_deadlines
    from index import patents as store_patents

    with ctx.app() as app:
        rows = store_patents.patents(app.store)
        own = own_applications(app.store, ctx.settings)
        deadlines = patent_deadlines(app.store, ctx.settings, dt.date.today())
        events = store_patents.events(app.store)
        declared = store_patents.declarations(app.store)
    last: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for e in events:
        counts[e.application] = counts.get(e.application, 0) + 1
        if e.date and (e.application not in last or e.date >= last[e.application].date):
            last[e.application] = e
    families: dict[str, list[dict[str, Any]]] = {}
    for p in rows:
        if not show_all and p.application not in own:
            continue
        open_ = [d for d in deadlines if d.application == p.application and d.status in ("open", "overdue")]
        event = last.get(p.application)
        pubs = set(p.publications) | {p.application}
        families.setdefault(p.family or p.application, []).append(
            {
                "application": p.application,
                "office": p.office,
                "title": p.title,
                "applicants": p.applicants,
                "filing_date": store_patents.iso(p.filing_date),
                "priority_date": store_patents.iso(p.priority_date),
                "grant_date": store_patents.iso(p.grant_date),
                "publications": p.publications,
                "status": p.status,
                "own": p.application in own,
                "competitor": p.meta.get("competitor"),
                "events": counts.get(p.application, 0),
                "last_event": {
                    "code": event.code,
                    "date": store_patents.iso(event.date),
                    "text": event.text,
                    "known": event.known,
                }
                if event
                else None,
                "open_deadlines": [
                    {
                        "window": d.window,
                        "label": d.label,
                        "due": store_patents.iso(d.due),
                        "status": d.status,
                    }
                    for d in open_
                ],
                "declarations": [d.key for d in declared if pubs.intersection(d.patents)],
            }
        )
    if as_json:
        click.echo(
            json.dumps(
                [{"family": k, "applications": v} for k, v in families.items()], ensure_ascii=False, indent=2
            )
        )
        return
    if not families:
        click.echo(
            "no applications stored yet (portfolio.own, then `sepwatch crawl epo_ops` / `uspto_odp` or `sepwatch import`)"
        )
    for family, members in families.items():
        click.echo(f"family {_terminal_safe(family)}")
        for m in members:
            ev = m["last_event"]
            last_text = f"{ev['date']} {ev['code']} {ev['text']}" if ev else "no events"
            click.echo(
                f"  {m['application']}  {_terminal_safe(m['status'] or '-')}  last: {_terminal_safe(last_text)}"
            )
            for d in m["open_deadlines"]:
                click.echo(
                    f"      {d['status']:8} {d['due'] or 'while pending':>13}  {_terminal_safe(d['label'])}"
                )


@cli.command()
@click.option(
    "--within", "days", default="90d", callback=_days, show_default=True, help="How far ahead: 90d, 12w, 6m."
)
@click.option(
    "--today", "today", callback=_date, help="Compute as of this date (YYYY-MM-DD) instead of today."
)
@click.option("--no-milestones", is_flag=True, help="Patent deadlines only.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def deadlines(ctx: Context, days: int, today: dt.date | None, no_milestones: bool, as_json: bool) -> None:
    """What is due: patent deadlines (with legal basis) and standards milestones, soonest first."""
    from alerts.calendar import upcoming

    as_of = today or dt.date.today()
    with ctx.app() as app:
        entries = upcoming(app.store, ctx.settings, as_of, days, milestones_too=not no_milestones)
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo(f"nothing due in the {days} days from {as_of.isoformat()}")
    for e in entries:
        when = e.date.isoformat() if e.date else "while pending"
        what = _terminal_safe(e.title)
        if e.kind == "deadline":
            basis = e.details.get("legal_basis") or ""
            flag = "" if e.details.get("verified") else " [unverified rule]"
            click.echo(f"{when}  {e.status:8} {e.subject}  {what}  ({_terminal_safe(basis)}){flag}")
        else:
            click.echo(f"{when}  {e.details.get('milestone', 'milestone'):8} {what}")


def _claim_maps(ctx: Context, paths: tuple[Path, ...]) -> tuple[list[Any], list[Any]]:
    """Claim maps from ``paths`` or, when none are given, from ``matcher.claims_dir``."""
    from matcher.claimmap import load_dir

    folder = ctx.settings.matcher.claims_dir
    chosen = list(paths) or ([folder] if folder else [])
    if not chosen:
        raise click.UsageError("name claim map files or folders, or set matcher.claims_dir")
    return load_dir(chosen)


@cli.group()
def claims() -> None:
    """Claim maps: validate, import from and export to the B.1/B.2 tables, check declarations."""


@claims.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_ctx
def claims_validate(ctx: Context, paths: tuple[Path, ...]) -> None:
    """Check claim maps; each problem is printed as FILE:LINE: KEY: MESSAGE. Exit 1 if any."""
    maps, errors = _claim_maps(ctx, paths)
    for cm in maps:
        flagged = [c.number for c in cm.claims if c.split_flag]
        note = f"; claims {flagged} could not be split (matched as one feature)" if flagged else ""
        features = sum(len(c.features) for c in cm.claims)
        click.echo(f"ok: {cm.path}: {cm.patent}, {len(cm.claims)} claims, {features} features{note}")
    for error in errors:
        click.echo(_terminal_safe(str(error)), err=True)
    click.echo(f"{len(maps)} valid, {len(errors)} invalid", err=True)
    if errors:
        sys.exit(1)


@claims.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the YAML maps (default matcher.claims_dir).",
)
@click.option("--force", is_flag=True, help="Overwrite existing maps of the same patent.")
@pass_ctx
def claims_import(ctx: Context, files: tuple[Path, ...], output: Path | None, force: bool) -> None:
    """Claim maps from B.1/B.2 spreadsheets (.xlsx), written as one YAML file per patent."""
    from crawlers.extract import RejectedInput
    from matcher.claimmap import dump
    from matcher.tables import read_tables_xlsx

    folder = output or ctx.settings.matcher.claims_dir
    if folder is None:
        raise click.UsageError("give -o FOLDER or set matcher.claims_dir")
    folder.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in files:
        try:
            result = read_tables_xlsx(path, path.name)
        except (RejectedInput, OSError) as exc:
            click.echo(f"rejected: {path}: {getattr(exc, 'reason', exc)}", err=True)
            failed = True
            continue
        for problem in result.problems:
            click.echo(f"  {path.name}: {_terminal_safe(problem)}", err=True)
        for cm in result.maps:
            target = folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', cm.patent)}.yaml"
            if target.exists() and not force:
                click.echo(f"kept: {target} exists (use --force to overwrite)", err=True)
                continue
            target.write_text(dump(cm), encoding="utf-8")
            features = sum(len(c.features) for c in cm.claims)
            click.echo(
                f"imported: {path}: {cm.patent}, {len(cm.claims)} claims, {features} features -> {target}"
            )
        if not result.maps:
            click.echo(f"rejected: {path}: no claim map found", err=True)
            failed = True
    if failed:
        sys.exit(1)


@claims.command("export")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--table", type=click.Choice(["b1", "b2", "all"]), default="all", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx"]), default="xlsx", show_default=True)
@click.option("--language", type=click.Choice(["zh", "en", "zh+en"]), default="zh+en", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@pass_ctx
def claims_export(
    ctx: Context, paths: tuple[Path, ...], table: str, fmt: str, language: str, output: Path
) -> None:
    """The correspondence tables (B.1, B.2) of the maps, pinned to the stored spec versions cited."""
    from matcher import tables
    from matcher.runner import pinned_evidence

    maps, errors = _claim_maps(ctx, paths)
    for error in errors:
        click.echo(_terminal_safe(str(error)), err=True)
    if not maps:
        raise click.UsageError("no valid claim map to export")
    with ctx.app() as app:
        evidence = pinned_evidence(app.store, maps)
    lang: Any = language
    if fmt == "docx":
        if table == "b1":
            raise click.UsageError("B.1 is exported as .xlsx; the .docx export is the B.2 table")
        tables.export_b2_docx(maps, evidence, output, language="zh" if lang == "zh+en" else lang)
    elif table == "b1":
        tables.export_b1_xlsx(maps, None, output, language=lang)
    elif table == "b2":
        tables.export_b2_xlsx(maps, evidence, output, language=lang)
    else:
        tables.export_tables_xlsx(maps, None, evidence, output, language=lang)
    pinned = sum(1 for rows in evidence.values() for r in rows if r.document_version_id)
    click.echo(f"wrote {output}: {len(maps)} maps, {pinned} cited clauses pinned to stored versions")
    if errors:
        sys.exit(1)


@claims.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def claims_check(ctx: Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Declarations against claim maps and legal status: declared but lapsed, mapped but never
    declared, declared spec no longer holding a mapped clause."""
    from matcher.declcheck import check

    maps, errors = _claim_maps(ctx, paths)
    for error in errors:
        click.echo(_terminal_safe(str(error)), err=True)
    with ctx.app() as app:
        findings = check(app.store, maps)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
        return
    for f in findings:
        where = f" ({f.declaration})" if f.declaration else ""
        click.echo(f"{f.kind}: {f.patent}{where}: {_terminal_safe(f.detail)}")
    click.echo(f"{len(findings)} findings", err=True)


@cli.command()
@click.option(
    "--claims",
    "claim_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Claim map file or folder (repeatable; default matcher.claims_dir).",
)
@click.option(
    "--top", type=click.IntRange(1, 200), default=10, show_default=True, help="Documents per claim."
)
@click.option(
    "--new",
    "new_only",
    is_flag=True,
    help="Instead: match the versions stored since the last run and record matches and drift.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def match(ctx: Context, claim_paths: tuple[Path, ...], top: int, new_only: bool, as_json: bool) -> None:
    """Rank documents for every claim of the given maps, with per-feature evidence (all-elements
    verdict per document); with --new, process the change log and store matches and drift."""
    from matcher.runner import corpus_search, process_new

    maps, errors = _claim_maps(ctx, claim_paths)
    for error in errors:
        click.echo(_terminal_safe(str(error)), err=True)
    with ctx.app() as app:
        if new_only:
            from index import matches as records

            report = process_new(app.store, ctx.settings, maps)
            new_matches = set(report.matches)
            new_drift = set(report.drift)
            numbers = _document_numbers(app)
            result: Any = {
                "versions": report.versions,
                "skipped_partial": report.skipped_partial,
                "new_matches": [
                    {
                        "id": m.id,
                        "patent": m.patent,
                        "claim": m.claim,
                        "document": numbers.get(m.document_id),
                        "version_id": m.version_id,
                        "score": round(m.score, 4),
                        "covered": m.covered,
                        "features": m.features,
                        "all_elements": m.all_elements,
                        "evidence": m.evidence,
                    }
                    for m in records.matches(app.store)
                    if m.id in new_matches
                ],
                "new_drift_events": [
                    {
                        "id": d.id,
                        "patent": d.patent,
                        "claim": d.claim,
                        "feature": d.feature,
                        "spec": d.spec,
                        "clause": d.clause,
                        "kind": d.kind,
                        "document": numbers.get(d.document_id),
                        "version_id": d.version_id,
                        "previous_version_id": d.previous_version_id,
                        "still_reads": d.still_reads,
                        "diff": d.diff,
                        "details": d.details,
                    }
                    for d in records.drift_events(app.store)
                    if d.id in new_drift
                ],
            }
        else:
            result = corpus_search(app.store, maps, top)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif new_only:
        click.echo(
            f"matched {result['versions']} new versions: {len(result['new_matches'])} new matches, "
            f"{len(result['new_drift_events'])} drift events"
        )
    else:
        for claim in result:
            flag = f"  [{claim['split_flag']}]" if claim["split_flag"] else ""
            click.echo(f"{claim['patent']} claim {claim['claim']} ({len(claim['features'])} features){flag}")
            for d in claim["documents"]:
                verdict = (
                    "all elements"
                    if d["all_elements"]
                    else f"{d['covered']}/{len(claim['features'])} features"
                )
                click.echo(
                    f"  {d['score']:.3f}  {_terminal_safe(d['number'])}  {verdict}  {_terminal_safe(d['title'] or '')}"
                )
                for e in d["evidence"]:
                    if e["covered"]:
                        click.echo(
                            f"      {e['feature']}: §{e['section'] or '-'}  {_terminal_safe((e['quote'] or '')[:140])}"
                        )
    if errors:
        sys.exit(1)


def _document_numbers(app: App) -> dict[int, str]:
    from sqlalchemy import select

    from index.models import Document

    with app.store.session() as s:
        return {int(i): str(n) for i, n in s.execute(select(Document.id, Document.number)).all()}


@cli.group()
def export() -> None:
    """Export what the store holds."""


@export.command("documents")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default stdout)."
)
@click.option("--source", help="Only this source.")
@pass_ctx
def export_documents(ctx: Context, fmt: str, output: Path | None, source: str | None) -> None:
    """Every document version with its metadata and sections, one JSON object per line."""
    with ctx.app() as app:
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            n = 0
            for record in app.store.export_versions(source=source):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        finally:
            if output:
                out.close()
    click.echo(f"exported {n} versions", err=True)


@export.command("milestones")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--kind", multiple=True, help="Only this kind: meeting, freeze, expiry… (repeatable).")
@click.option("--source", help="Only this source.")
@pass_ctx
def export_milestones(ctx: Context, fmt: str, kind: tuple[str, ...], source: str | None) -> None:
    """Meetings, freeze dates and expiries with their dates and history, one JSON object per line."""
    from index import milestones

    with ctx.app() as app:
        rows = milestones.between(app.store, kinds=kind, source=source)
        for row in rows:
            click.echo(json.dumps(milestones.as_dict(row), ensure_ascii=False))
    click.echo(f"exported {len(rows)} milestones", err=True)


@export.command("declarations")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--spec", help="Only declarations naming this specification, e.g. 'TS 36.300'.")
@click.option("--patent", help="Only declarations naming this publication or application number.")
@pass_ctx
def export_declarations(ctx: Context, fmt: str, spec: str | None, patent: str | None) -> None:
    """SEP declarations (ETSI, IETF): declarant, patents, specifications, licensing, one per line."""
    from index import patents as store_patents

    with ctx.app() as app:
        rows = store_patents.declarations(app.store, spec=spec, patent=patent)
    for r in rows:
        record = {
            "key": r.key,
            "source": r.source,
            "declarant": r.declarant,
            "patents": r.patents,
            "specs": r.specs,
            "deliverables": r.deliverables,
            "family": r.family,
            "licensing": r.licensing,
            "date": store_patents.iso(r.date),
            "origin": r.origin,
            "metadata": r.meta,
        }
        click.echo(json.dumps(record, ensure_ascii=False))
    click.echo(f"exported {len(rows)} declarations", err=True)


@cli.command()
@pass_ctx
def reindex(ctx: Context) -> None:
    """Rebuild the search index from the store of record."""
    with ctx.app() as app:
        n = app.indexer.rebuild()
        counts = app.search.counts()
    click.echo(f"reindexed {n} versions: {counts['documents']} documents, {counts['sections']} sections")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Configuration, store, search index, source health and recent runs at a glance."""
    from crawlers.sources import available
    from scheduler.requests import next_crawls

    settings = ctx.settings
    with ctx.app() as app:
        info: dict[str, Any] = {
            "version": __version__,
            "config_file": str(settings.config_file) if settings.config_file else None,
            "data_dir": str(settings.data_dir),
            "store": {
                "url": settings.redacted_store_url(),
                "schema": migrate.current_revision(app.store.engine),
                "schema_head": migrate.head_revision(app.store.engine),
                **app.store.counts(),
            },
            "search": {"backend": app.search.name, **app.search.counts()},
            "runs": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "source": r.source,
                    "status": r.status,
                    "started_at": r.started_at.isoformat() if r.started_at else None,
                    "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                    "counts": r.counts,
                }
                for r in app.store.recent_runs(10)
            ],
            "sources": app.store.source_health(available(settings), settings.crawl.unhealthy_after_failures),
            "outbox": outbox_status(app),
        }
        upcoming = next_crawls(app.store)
        for h in info["sources"]:
            when = upcoming.get(h["source"])
            h["next_crawl"] = when.isoformat(timespec="seconds") if when else None
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    store, search_ = info["store"], info["search"]
    click.echo(f"sepwatch {info['version']}")
    click.echo(f"config:  {info['config_file'] or '(none: built-in defaults)'}")
    click.echo(f"data:    {info['data_dir']}")
    up_to_date = "up to date" if store["schema"] == store["schema_head"] else f"needs {store['schema_head']}"
    click.echo(f"store:   {store['url']} (schema {store['schema']}, {up_to_date})")
    click.echo(
        f"         {store['documents']} documents, {store['versions']} versions, "
        f"{store['sections']} sections, {store['changes']} changes"
    )
    click.echo(
        f"search:  {search_['backend']}: {search_['documents']} documents, {search_['sections']} sections; "
        f"{store['index_pending']} versions waiting to be indexed"
    )
    box = info["outbox"]
    click.echo(
        f"outbox:  {box['pending']} pending, {box['held']} held for digests, {box['sent']} sent, {box['dead']} dead"
    )
    for d in box["dead_letters"]:
        click.echo(
            f"  dead #{d['id']} {d['channel']} → {_terminal_safe(d['recipient'])} after {d['attempts']} attempts: "
            f"{_terminal_safe(d['last_error'] or '')} (`sepwatch alerts retry {d['id']}`)"
        )
    crawled = [h for h in info["sources"] if h["state"] != "never run" or h["next_crawl"]]
    click.echo("sources:" if crawled else "sources: none crawled yet")
    for h in crawled:
        line = f"  {h['source']}: {h['state']}"
        if h["last_run"]:
            line += f", last run {h['last_run']} {h['last_status']}"
        if h["consecutive_failures"]:
            line += (
                f", {h['consecutive_failures']} failures in a row: {_terminal_safe(h['last_error'] or '')}"
            )
        if h["next_crawl"]:
            line += f", next crawl {h['next_crawl']}"
        click.echo(line)
    click.echo("runs:" if info["runs"] else "runs:    none yet")
    for r in info["runs"]:
        counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items())
        source = _terminal_safe(r["source"] or "")
        click.echo(f"  #{r['id']} {r['kind']} {source} {r['status']} {r['started_at']}  {counts}")


from sepwatch.cli_web import users, web_command  # noqa: E402  (it needs Context from above)

cli.add_command(users)
cli.add_command(web_command)

from sepwatch.cli_alerts import alerts, calendar, outbox_status  # noqa: E402  (it needs Context from above)

cli.add_command(alerts)
cli.add_command(calendar)


def main() -> None:
    cli(prog_name="sepwatch")
