"""``sepwatch alerts …``: the alert log, acknowledgements, test messages, retries, and one-shot
evaluation, relay and digest runs (for cron users and for tests)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from typing import TYPE_CHECKING, Any

import click

from index import alerts as store_alerts
from index.models import AlertRow, OutboxRow

if TYPE_CHECKING:
    from sepwatch.cli import Context

# sepwatch.cli imports this module to register the group: take the Context from click, not from it.
pass_ctx = click.pass_obj


def _terminal_safe(text: str) -> str:
    from sepwatch.cli import _terminal_safe as safe

    return safe(text)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def delivery_json(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "recipient": row.recipient,
        "channel": row.channel,
        "mode": row.mode,
        "status": row.status,
        "reason": row.reason,
        "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at),
        "sent_at": _iso(row.sent_at),
        "last_error": row.last_error,
        "digest_id": row.digest_id,
    }


def alert_json(alert: AlertRow, deliveries: list[OutboxRow]) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "title": alert.title,
        "thread": alert.thread,
        "created_at": _iso(alert.created_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "payload": alert.payload,
        "deliveries": [delivery_json(d) for d in deliveries],
    }


@click.group("alerts")
def alerts() -> None:
    """The alerts raised, their deliveries, and one-shot runs of the alert jobs."""


@alerts.command("list")
@click.option(
    "--kind", "kinds", multiple=True, help="Only this kind: linked, match, drift, deadline… (repeatable)."
)
@click.option("--unacknowledged", is_flag=True, help="Only alerts nobody acknowledged yet.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def list_(ctx: Context, kinds: tuple[str, ...], unacknowledged: bool, limit: int, as_json: bool) -> None:
    """Alerts, newest first, with who they went to and how the delivery stands."""
    with ctx.app() as app:
        rows = store_alerts.list_alerts(app.store, kinds=kinds, unacknowledged=unacknowledged, limit=limit)
        deliveries = store_alerts.deliveries_of(app.store, [a.id for a in rows])
    if as_json:
        click.echo(json.dumps([alert_json(a, deliveries[a.id]) for a in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no alerts")
        return
    for a in rows:
        ack = f"  [acknowledged by {a.acknowledged_by or '?'}]" if a.acknowledged_at else ""
        click.echo(f"#{a.id} {_iso(a.created_at)} {a.kind}: {_terminal_safe(a.title)}{ack}")
        sent = deliveries[a.id]
        if not sent:
            click.echo("    to nobody: no person or team follows what it concerns")
        for d in sent:
            line = f"    {d.status:<9} {d.channel} → {d.recipient} ({_terminal_safe(d.reason)})"
            if d.status in ("pending", "dead") and d.last_error:
                line += f"; {d.attempts} attempts, last error: {_terminal_safe(d.last_error)}"
            click.echo(line)


@alerts.command("ack")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--by", "by", help="Who acknowledges (default: $USER).")
@pass_ctx
def ack(ctx: Context, ids: tuple[int, ...], by: str | None) -> None:
    """Mark alerts acknowledged (seen and handled)."""
    import getpass

    who = by or getpass.getuser()
    with ctx.app() as app:
        found = store_alerts.acknowledge(app.store, ids, who)
    missing = sorted(set(ids) - set(found))
    if found:
        click.echo(
            f"acknowledged {len(found)} alert{'s' if len(found) != 1 else ''} by {who}: {', '.join(map(str, found))}"
        )
    if missing:
        click.echo(f"no such alert: {', '.join(map(str, missing))}", err=True)
        sys.exit(1)


@alerts.command("test")
@click.argument("channel")
@click.option("--to", "address", help="Email address (required for the email channel).")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@pass_ctx
def send_test(ctx: Context, channel: str, address: str | None, language: str) -> None:
    """Send a test message through CHANNEL now ("email" or a configured channel name)."""
    from alerts.channels import DeliveryError, build_channels
    from alerts.messages import probe_message

    settings = ctx.settings
    try:
        channels = build_channels(settings, strict=True)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    target = channels.get(channel)
    if target is None:
        known = ", ".join(sorted(channels)) or "none (set smtp.host or add channels)"
        raise click.ClickException(f"no channel named {channel!r}; channels: {known}")
    if target.kind == "email" and not address:
        raise click.UsageError("the email channel needs --to ADDRESS")
    message = probe_message(channel, language=language, key=f"test:{channel}:{uuid.uuid4().hex}")
    try:
        target.send(message, address if target.kind == "email" else None)
    except DeliveryError as exc:
        kind = "will not succeed on retry" if not exc.retryable else "may succeed later"
        click.echo(f"failed: {channel}: {_terminal_safe(exc.reason)} ({kind})", err=True)
        sys.exit(1)
    finally:
        close = getattr(target, "close", None)
        if callable(close):
            close()
    click.echo(f"sent: test message to {channel}" + (f" <{address}>" if target.kind == "email" else ""))


@alerts.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead delivery.")
@pass_ctx
def retry(ctx: Context, ids: tuple[int, ...], all_dead: bool) -> None:
    """Dead deliveries (outbox row IDs, as `sepwatch status` lists them) back to pending, due now."""
    if not ids and not all_dead:
        raise click.UsageError("give outbox row IDs or --dead")
    with ctx.app() as app:
        moved = store_alerts.retry(app.store, ids, dead=all_dead)
        others = store_alerts.outbox_rows(app.store, [i for i in ids if i not in moved])
    click.echo(
        f"{len(moved)} deliver{'ies' if len(moved) != 1 else 'y'} pending again"
        + (f": {', '.join(map(str, moved))}" if moved else "")
    )
    for row in others:
        click.echo(f"outbox row {row.id} is {row.status}, not dead: left as it is")
    missing = sorted(set(ids) - set(moved) - {r.id for r in others})
    if missing:
        click.echo(f"no such outbox row: {', '.join(map(str, missing))}", err=True)
        sys.exit(1)


@alerts.command("evaluate")
@click.option("--today", callback=_date, help="Compute reminders as of YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def evaluate(ctx: Context, today: dt.date | None, as_json: bool) -> None:
    """Raise the alerts of everything stored since the last run, and today's reminders (once)."""
    from alerts.pipeline import evaluate as run_evaluate
    from alerts.pipeline import remind

    with ctx.app() as app:
        report = run_evaluate(app, today=today).merge(remind(app, today=today))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.kinds.items()))
        click.echo(
            f"{report.events} events read; {len(report.alerts)} alerts raised"
            + (f" ({kinds})" if kinds else "")
            + f", {report.deliveries} deliveries queued"
        )
        if report.unrouted:
            click.echo(
                f"routed to nobody (kept, see `sepwatch alerts list`): {', '.join(map(str, report.unrouted))}"
            )
    for error in report.errors:
        click.echo(f"error: {_terminal_safe(error)}", err=True)
    if report.errors:
        sys.exit(1)


@alerts.command("relay")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def relay(ctx: Context, as_json: bool) -> None:
    """Deliver the outbox messages that are due, once (retries follow delivery.*)."""
    from alerts.relay import relay_due

    with ctx.app() as app:
        report = relay_due(app)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{report.sent} sent, {report.retrying} to retry, {report.dead} dead, "
        f"{report.deferred} left for the next pass (rate limit or channel down)"
    )
    for channel, error in sorted(report.errors.items()):
        click.echo(f"  {channel}: {_terminal_safe(error)}")


@alerts.command("digest")
@click.argument("period", type=click.Choice(["daily", "weekly"]))
@pass_ctx
def digest(ctx: Context, period: str) -> None:
    """Bundle the deliveries held for daily or weekly readers into one digest each (sent by the relay)."""
    from alerts.digest import build_digests

    with ctx.app() as app:
        made = build_digests(app, period)
    click.echo(f"{made} {period} digest{'s' if made != 1 else ''} queued")


def outbox_status(app: Any) -> dict[str, Any]:
    """What `sepwatch status` shows of the outbox: counts by status and the dead letters."""
    return {
        **store_alerts.outbox_counts(app.store),
        "dead_letters": [
            {
                "id": r.id,
                "alert_id": r.alert_id,
                "channel": r.channel,
                "recipient": r.recipient,
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in store_alerts.dead_letters(app.store)
        ],
    }


@click.command("calendar")
@click.option("--team", help="Only what this team follows (teams in the configuration).")
@click.option(
    "--within", "days", type=click.IntRange(1, 3660), default=365, show_default=True, help="Days ahead."
)
@click.option("--today", callback=_date, help="Compute as of YYYY-MM-DD (default: today).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout)."
)
@pass_ctx
def calendar(ctx: Context, team: str | None, days: int, today: dt.date | None, output: str | None) -> None:
    """Deadlines and milestones as an iCalendar (.ics) file, for a calendar client to import or subscribe to."""
    from alerts.calendar import upcoming
    from alerts.ics import calendar_ics, entries_for_team, team_patents

    with ctx.app() as app:
        entries = upcoming(app.store, app.settings, today or dt.date.today(), days)
        try:
            owned = team_patents(app.store, app.settings, team) if team else set()
            entries = entries_for_team(entries, app.settings, team, owned=owned)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        data = calendar_ics(entries, name=f"sepwatch — {team}" if team else "sepwatch")
    if output:
        with click.open_file(output, "wb") as fh:
            fh.write(data)
        click.echo(f"{len(entries)} events written to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)
