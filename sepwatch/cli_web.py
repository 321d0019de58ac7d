"""``sepwatch users …`` (accounts of the web UI) and ``sepwatch web`` (the web UI alone)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import TYPE_CHECKING

import click

from index import users as user_store
from index.users import ROLES, UserError

if TYPE_CHECKING:
    from sepwatch.cli import Context

# click.pass_obj hands over ctx.obj, the sepwatch.cli.Context (not imported at run time: cli imports this module).
pass_ctx = click.pass_obj


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.ClickException("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    value: str = click.prompt(
        f"password for {username}", hide_input=True, confirmation_prompt="repeat the password"
    )
    return value


@click.group("users")
def users_group() -> None:
    """Accounts of the web UI: add, change password, disable, list, API tokens."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--display-name", help="Name shown in the UI (default: NAME).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@click.option(
    "--no-password",
    is_flag=True,
    help="An account that signs in only through the trusted SSO proxy or API tokens.",
)
@pass_ctx
def users_add(
    ctx: Context, name: str, role: str, display_name: str | None, password_stdin: bool, no_password: bool
) -> None:
    """Add the user NAME (asks for the password unless --password-stdin or --no-password)."""
    from web import auth

    if password_stdin and no_password:
        raise click.UsageError("--password-stdin and --no-password exclude each other")
    with ctx.app() as app:
        try:
            name = user_store.normalise_username(name)
            if user_store.get_user(app.store, name) is not None:
                raise UserError(f"user {name!r} already exists")
            password = None if no_password else _read_password(password_stdin, name)
            user = auth.add_user(app.store, name, role=role, password=password, display_name=display_name)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"added {user.username} ({user.role})")


@users_group.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@pass_ctx
def users_passwd(ctx: Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; their sessions end."""
    from web import auth

    with ctx.app() as app:
        try:
            if user_store.get_user(app.store, name) is None:
                raise UserError(f"no user {name!r}")
            user = auth.change_password(app.store, name, _read_password(password_stdin, name))
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"changed the password of {user.username}; their sessions have ended")


@users_group.command("disable")
@click.argument("name")
@pass_ctx
def users_disable(ctx: Context, name: str) -> None:
    """Disable NAME: sessions end and API tokens and the calendar feed stop working at once."""
    _update(ctx, name, "disabled", disabled=True)


@users_group.command("enable")
@click.argument("name")
@pass_ctx
def users_enable(ctx: Context, name: str) -> None:
    """Enable NAME again."""
    _update(ctx, name, "enabled", disabled=False)


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_ctx
def users_role(ctx: Context, name: str, role: str) -> None:
    """Give NAME the role viewer, editor or admin."""
    _update(ctx, name, f"now {role}", role=role)


def _update(ctx: Context, name: str, done: str, **changes: object) -> None:
    with ctx.app() as app:
        try:
            user = user_store.update_user(app.store, name, **changes)  # type: ignore[arg-type]
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{user.username}: {done}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def users_list(ctx: Context, as_json: bool) -> None:
    """Every user: name, role, state, last sign-in."""
    with ctx.app() as app:
        rows = user_store.user_overview(app.store)
    if as_json:
        for row in rows:
            record = {
                "username": row.user.username,
                "display_name": row.user.display_name,
                "role": row.user.role,
                "disabled": row.user.disabled,
                "has_password": row.has_password,
                "created_at": row.created_at.isoformat(),
                "last_login_at": row.last_login_at.isoformat() if row.last_login_at else None,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if not rows:
        click.echo("no users yet: sepwatch users add NAME --role admin")
    for row in rows:
        state = "disabled" if row.user.disabled else "enabled"
        if not row.has_password:
            state += ", SSO only"
        last = row.last_login_at.strftime("%Y-%m-%d %H:%M") if row.last_login_at else "never signed in"
        click.echo(f"{row.user.username}\t{row.user.role}\t{state}\t{last}")


@users_group.command("token")
@click.argument("name")
@click.option("--name", "label", required=True, help="What the token is for (shown on the account page).")
@pass_ctx
def users_token(ctx: Context, name: str, label: str) -> None:
    """Create an API token for NAME and print it (only this once)."""
    from web import auth

    with ctx.app() as app:
        user = user_store.get_user(app.store, name)
        if user is None:
            raise click.ClickException(f"no user {name!r}")
        try:
            token, record = auth.create_api_token(app.store, user, label)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"API token {record.name!r} for {user.username} (shown only now):", err=True)
    click.echo(token)


@click.command("web")
@click.option("--host", help="Listen on this address instead of web.host.")
@click.option("--port", type=click.IntRange(0, 65535), help="Listen on this port instead of web.port.")
@pass_ctx
def _web_command(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve the web UI and JSON API alone, until stopped (Ctrl-C or SIGTERM)."""
    from web.server import WebServerError, serve_forever

    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with ctx.app() as app:
        try:
            serve_forever(app, stop, host=host, port=port)
        except WebServerError as exc:
            raise click.ClickException(str(exc)) from None


# Declared types: sepwatch.cli imports these while it is itself being imported.
users: click.Group = users_group
web_command: click.Command = _web_command
