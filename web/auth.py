"""Sign-in: password hashing (argon2id), sessions, API tokens, feed tokens, failed sign-in limits.

Secrets handed to people (session cookie values, API tokens, calendar feed tokens) are 256-bit
random strings; the store keeps only their SHA-256, which is enough for values that cannot be
guessed (no salt or slow hash needed, unlike passwords).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from index import users
from index.models import utcnow
from index.store import Store
from index.users import ROLES, ApiToken, Role, User, UserError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "ApiToken",
    "LoginLimiter",
    "PasswordError",
    "Role",
    "User",
    "UserError",
    "add_user",
    "change_password",
    "check_password",
    "create_api_token",
    "hash_secret",
    "new_session",
    "regenerate_ics_token",
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
API_TOKEN_PREFIX = "swt_"  # noqa: S105 (a prefix, not a secret)
SESSION_PREFIX = "sws_"
ICS_TOKEN_PREFIX = "swc_"  # noqa: S105
LOGIN_WINDOW_S = 15 * 60

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" parameters
# A hash of a random password: checked when the user does not exist, so both cases take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordError(UserError):
    """A password that is not accepted (too short, too long, the user name)."""


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def check_new_password(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(
            f"the password of {username!r} is too short: at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(
            f"the password of {username!r} is too long: at most {MAX_PASSWORD_LENGTH} characters"
        )
    if password.strip().lower() == username.strip().lower():
        raise PasswordError(f"the password of {username!r} must not be the user name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_user(
    store: Store,
    username: str,
    *,
    role: str = "viewer",
    password: str | None,
    display_name: str | None = None,
    language: str | None = None,
) -> User:
    """A new account; without a password it signs in only through the trusted proxy header or API tokens."""
    name = users.normalise_username(username)
    users.check_role(role)
    if password is not None:
        check_new_password(name, password)
    return users.add_user(
        store,
        name,
        role=role,
        password_hash=hash_password(password) if password is not None else None,
        display_name=display_name,
        language=language,
    )


def change_password(store: Store, username: str, password: str) -> User:
    """Set a new password; every session of the user ends."""
    check_new_password(users.normalise_username(username), password)
    return users.set_password_hash(store, username, hash_password(password))


def check_password(store: Store, username: str, password: str) -> User | None:
    """The user when *password* is theirs and the account is enabled, else None (same time either way)."""
    found = users.password_hash(store, username)
    stored = found[1] if found else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return None
    if found is None or stored is None:
        return None
    user = found[0]
    if user.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        users.set_password_hash(store, user.username, hash_password(password), end_sessions=False)
    return user


def new_session(store: Store, user: User, hours: float) -> str:
    """Start a session for *user*; returns the cookie value (only its hash is stored)."""
    token = _new_secret(SESSION_PREFIX)
    users.create_session(store, user.id, hash_secret(token), utcnow() + dt.timedelta(hours=hours))
    users.record_login(store, user.id)
    return token


def session_user(store: Store, token: str) -> User | None:
    if not token.startswith(SESSION_PREFIX):
        return None
    return users.session_user(store, hash_secret(token))


def end_session(store: Store, token: str) -> None:
    users.delete_session(store, hash_secret(token))


def create_api_token(store: Store, user: User, name: str) -> tuple[str, ApiToken]:
    """A new API token for *user*: the token itself (shown once) and its record."""
    token = _new_secret(API_TOKEN_PREFIX)
    record = users.add_token(store, user.id, name, hash_secret(token), token[: len(API_TOKEN_PREFIX) + 6])
    return token, record


def api_token_user(store: Store, token: str) -> User | None:
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    return users.token_user(store, hash_secret(token))


def regenerate_ics_token(store: Store, user: User) -> str:
    """A new personal calendar feed token for *user*; the previous one stops working."""
    token = _new_secret(ICS_TOKEN_PREFIX)
    users.set_ics_token(store, user.id, hash_secret(token))
    return token


def ics_token_user(store: Store, token: str) -> User | None:
    if not token.startswith(ICS_TOKEN_PREFIX):
        return None
    return users.ics_user(store, hash_secret(token))


class LoginLimiter:
    """Failed sign-ins per (user name, client address) in a sliding window; thread-safe, per process.

    After *limit* failures within *window_s* seconds, that user name from that address is refused
    until the oldest failure leaves the window. Other addresses and other user names are unaffected,
    so one attacker cannot lock a colleague out from elsewhere.
    """

    def __init__(
        self, limit: int, window_s: float = LOGIN_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ):
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        now = self.clock()
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if failures:
            self._failures[key] = failures
        else:
            self._failures.pop(key, None)
        return failures

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until this user name may try again from this address; 0 when it may now."""
        key = (username.strip().lower(), address)
        with self._lock:
            failures = self._recent(key)
            if len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[-self.limit] + self.window_s - self.clock())

    def failed(self, username: str, address: str) -> None:
        key = (username.strip().lower(), address)
        with self._lock:
            self._recent(key)
            self._failures.setdefault(key, deque()).append(self.clock())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.strip().lower(), address), None)
