"""Accounts of the web UI in the store of record: users, API tokens, sign-in sessions, feed tokens.

This module stores and finds; it never sees a password or a token in the clear. Callers (web.auth)
hash passwords with argon2 and pass SHA-256 digests of tokens, so the tables hold nothing that
lets a reader of the database in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from index.models import ApiTokenRow, UserRow, WebSessionRow, utcnow
from index.store import Store

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@+-]{0,99}$")
# Last-seen and last-used times are written at most this often, so reading pages is not a write each time.
TOUCH_INTERVAL = dt.timedelta(minutes=5)


class UserError(ValueError):
    """A user operation that cannot be done; the message names the user and the reason."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    language: Language | None
    disabled: bool

    def can(self, role: str) -> bool:
        """Whether this user has *role* or a higher one (viewer < editor < admin)."""
        return ROLES.index(self.role) >= ROLES.index(check_role(role))


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def normalise_username(name: str) -> str:
    """User names are case-insensitive: stored and looked up in lower case; UserError when malformed."""
    cleaned = name.strip().lower()
    if not USERNAME.match(cleaned):
        raise UserError(
            f"user name {name!r} is not valid: 1-100 characters, letters, digits and _ . @ + -, "
            "starting with a letter or digit"
        )
    return cleaned


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def _user(row: UserRow) -> User:
    language = row.language if row.language in LANGUAGES else None
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=check_role(row.role),
        language=language,
        disabled=row.disabled,
    )


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created_at=_aware(row.created_at),
        last_used_at=_aware(row.last_used_at) if row.last_used_at else None,
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _row(s: Session, username: str) -> UserRow:
    row = s.scalar(select(UserRow).where(UserRow.username == normalise_username(username)))
    if row is None:
        raise UserError(f"no user {username!r}")
    return row


# --- users ----------------------------------------------------------------------------------------


def add_user(
    store: Store,
    username: str,
    *,
    role: str = "viewer",
    password_hash: str | None,
    display_name: str | None = None,
    language: str | None = None,
) -> User:
    name = normalise_username(username)
    row = UserRow(
        username=name,
        display_name=(display_name or "").strip()[:200] or name,
        role=check_role(role),
        language=language if language in LANGUAGES else None,
        password_hash=password_hash,
        disabled=False,
        created_at=utcnow(),
    )
    try:
        with store.session(write=True) as s:
            s.add(row)
            s.flush()
            return _user(row)
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None


def get_user(store: Store, username: str) -> User | None:
    try:
        name = normalise_username(username)
    except UserError:
        return None
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == name))
        return _user(row) if row else None


def get_user_by_id(store: Store, user_id: int) -> User | None:
    with store.session() as s:
        row = s.get(UserRow, user_id)
        return _user(row) if row else None


def list_users(store: Store) -> list[User]:
    with store.session() as s:
        return [_user(row) for row in s.scalars(select(UserRow).order_by(UserRow.username))]


def password_hash(store: Store, username: str) -> tuple[User, str | None] | None:
    """The user and their stored password hash, for checking a sign-in; None when there is no such user."""
    try:
        name = normalise_username(username)
    except UserError:
        return None
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == name))
        return (_user(row), row.password_hash) if row else None


def set_password_hash(
    store: Store, username: str, new_hash: str | None, *, end_sessions: bool = True
) -> User:
    """Replace the password hash; every session of the user ends (a stolen session dies with the old password)."""
    with store.session(write=True) as s:
        row = _row(s, username)
        row.password_hash = new_hash
        if end_sessions:
            s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
        return _user(row)


def update_user(
    store: Store,
    username: str,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    display_name: str | None = None,
    language: str | Literal["keep"] | None = "keep",
) -> User:
    """Change a user's role, state, name or language; disabling ends their sessions at once."""
    with store.session(write=True) as s:
        row = _row(s, username)
        if role is not None:
            row.role = check_role(role)
        if display_name is not None:
            row.display_name = display_name.strip()[:200] or row.username
        if language != "keep":
            if language is not None and language not in LANGUAGES:
                raise UserError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
            row.language = language
        if disabled is not None:
            row.disabled = disabled
            if disabled:
                s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
        return _user(row)


def admins_left(store: Store, *, without: str) -> int:
    """How many enabled admins there are besides *without* (the last admin must not lock everyone out)."""
    with store.session() as s:
        rows = s.scalars(
            select(UserRow.username).where(UserRow.role == "admin", UserRow.disabled.is_(False))
        ).all()
        return len([name for name in rows if name != normalise_username(without)])


def record_login(store: Store, user_id: int) -> None:
    with store.session(write=True) as s:
        s.execute(update(UserRow).where(UserRow.id == user_id).values(last_login_at=utcnow()))


# --- sessions -------------------------------------------------------------------------------------


def create_session(store: Store, user_id: int, session_hash: str, expires_at: dt.datetime) -> None:
    now = utcnow()
    with store.session(write=True) as s:
        # Expired sign-ins of everyone are cleared on the way; the index on expires_at makes this cheap.
        s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        s.add(
            WebSessionRow(
                session_hash=session_hash,
                user_id=user_id,
                created_at=now,
                expires_at=expires_at,
                last_seen_at=now,
            )
        )


def session_user(store: Store, session_hash: str) -> User | None:
    """The enabled user of an unexpired session, else None."""
    now = utcnow()
    with store.session() as s:
        found = s.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.session_hash == session_hash)
        ).first()
        if found is None:
            return None
        session, row = found
        if _aware(session.expires_at) <= now or row.disabled:
            return None
        stale = now - _aware(session.last_seen_at) > TOUCH_INTERVAL
        user = _user(row)
    if stale:
        with store.session(write=True) as s:
            s.execute(
                update(WebSessionRow)
                .where(WebSessionRow.session_hash == session_hash)
                .values(last_seen_at=now)
            )
    return user


def delete_session(store: Store, session_hash: str) -> None:
    with store.session(write=True) as s:
        s.execute(delete(WebSessionRow).where(WebSessionRow.session_hash == session_hash))


def session_count(store: Store, user_id: int) -> int:
    now = utcnow()
    with store.session() as s:
        return len(
            s.scalars(
                select(WebSessionRow.id).where(
                    WebSessionRow.user_id == user_id, WebSessionRow.expires_at > now
                )
            ).all()
        )


# --- API tokens -----------------------------------------------------------------------------------


def add_token(store: Store, user_id: int, name: str, token_hash: str, prefix: str) -> ApiToken:
    label = name.strip()
    if not label or len(label) > 100:
        raise UserError("a token needs a name of 1-100 characters")
    with store.session(write=True) as s:
        row = ApiTokenRow(
            user_id=user_id, name=label, token_hash=token_hash, prefix=prefix, created_at=utcnow()
        )
        s.add(row)
        s.flush()
        return _token(row)


def list_tokens(store: Store, user_id: int, *, include_revoked: bool = False) -> list[ApiToken]:
    with store.session() as s:
        query = select(ApiTokenRow).where(ApiTokenRow.user_id == user_id)
        if not include_revoked:
            query = query.where(ApiTokenRow.revoked_at.is_(None))
        return [_token(row) for row in s.scalars(query.order_by(ApiTokenRow.id))]


def revoke_token(store: Store, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when the user has no such live token."""
    with store.session(write=True) as s:
        result = s.execute(
            update(ApiTokenRow)
            .where(
                ApiTokenRow.id == token_id, ApiTokenRow.user_id == user_id, ApiTokenRow.revoked_at.is_(None)
            )
            .values(revoked_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0))


def token_user(store: Store, token_hash: str) -> User | None:
    """The enabled user of a live (not revoked) token, else None."""
    now = utcnow()
    with store.session() as s:
        found = s.execute(
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == token_hash)
        ).first()
        if found is None:
            return None
        token, row = found
        if token.revoked_at is not None or row.disabled:
            return None
        stale = token.last_used_at is None or now - _aware(token.last_used_at) > TOUCH_INTERVAL
        user, token_id = _user(row), token.id
    if stale:
        with store.session(write=True) as s:
            s.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now))
    return user


# --- personal calendar feed -----------------------------------------------------------------------


def set_ics_token(store: Store, user_id: int, token_hash: str | None) -> None:
    with store.session(write=True) as s:
        s.execute(
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(ics_token_hash=token_hash, ics_token_created_at=utcnow() if token_hash else None)
        )


def ics_token_created(store: Store, user_id: int) -> dt.datetime | None:
    with store.session() as s:
        value = s.scalar(select(UserRow.ics_token_created_at).where(UserRow.id == user_id))
        return _aware(value) if value else None


def ics_user(store: Store, token_hash: str) -> User | None:
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.ics_token_hash == token_hash))
        return _user(row) if row is not None and not row.disabled else None


@dataclass(frozen=True, slots=True)
class UserOverview:
    """A user as the admin page lists them."""

    user: User
    has_password: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


def user_overview(store: Store) -> list[UserOverview]:
    with store.session() as s:
        return [
            UserOverview(
                user=_user(row),
                has_password=row.password_hash is not None,
                created_at=_aware(row.created_at),
                last_login_at=_aware(row.last_login_at) if row.last_login_at else None,
            )
            for row in s.scalars(select(UserRow).order_by(UserRow.username))
        ]
