"""Sign up, log in (password or OpenID Connect), sessions, and the account's API keys.

Every account acts in the market as a participant of its own: sign-up makes one
(a fresh key pair whose private half is not kept: the account acts through its
API keys, made here with the market's :class:`~plaza.market.auth.ApiKeyService`, so
a key made on the web works on the market API). An account for an existing
participant (the demo's owners, an auditor) is made with :meth:`AccountService.create`.

Nothing here knows HTTP: the web app passes the client address, keeps the session
token in a cookie, and shows :mod:`~plaza.market.accounts.errors`' messages.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from plaza.clock import Clock
from plaza.crypto import Identity, blake2b
from plaza.crypto.passwords import INTERACTIVE, PasswordHasher
from plaza.market.accounts.errors import (
    AccountLocked,
    AccountNotFound,
    InvalidInput,
    SessionExpired,
    WrongCredentials,
)
from plaza.market.accounts.guard import AddressLimiter, LoginPolicy
from plaza.market.accounts.model import (
    MAX_PASSWORD,
    Account,
    Session,
    email_problem,
    new_user_id,
    normalise_email,
    password_problem,
)
from plaza.market.accounts.ports import AccountStore, SessionStore
from plaza.market.auth import (
    Participant,
    ParticipantStore,
    Principal,
    Role,
    check_can_operate,
    participant_id_for,
)

__all__ = ["AccountService", "LoggedIn"]

_SESSION_PERSON = b"plaza-session"
_PURGE_INTERVAL_MS = 60_000


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A new session: ``token`` goes into the browser's cookie and nowhere else."""

    account: Account
    session: Session
    token: str


def session_hash(token: str) -> bytes:
    """What the store keeps of a session token: tokens are 256-bit random, so a fast hash."""
    return blake2b(token.encode(), size=32, person=_SESSION_PERSON)


class AccountService:
    """The accounts of one market: ``participants`` is the market's participant store."""

    def __init__(
        self,
        accounts: AccountStore,
        sessions: SessionStore,
        participants: ParticipantStore,
        clock: Clock,
        *,
        policy: LoginPolicy | None = None,
        hasher: PasswordHasher = INTERACTIVE,
    ) -> None:
        self.accounts = accounts
        self._sessions = sessions
        self._participants = participants
        self._clock = clock
        self.policy = policy or LoginPolicy()
        self._hasher = hasher
        self._next_purge_ms = 0
        self._addresses = AddressLimiter(
            clock, limit=self.policy.attempts_per_address, window_ms=self.policy.address_window_ms
        )

    # -- signing up ------------------------------------------------------------------

    def sign_up(self, email: str, password: str, confirm: str, *, address: str) -> Account:
        """A new account and participant, or :class:`InvalidInput` naming each field to fix."""
        self._addresses.attempt(address)
        email = normalise_email(email)
        problems = {"email": email_problem(email), "password": password_problem(password)}
        if problems["password"] is None and confirm != password:
            problems["confirm"] = "type the same password twice"
        found = {field: why for field, why in problems.items() if why is not None}
        if not found and self.accounts.by_email(email) is not None:
            found["email"] = "an account with this email exists: log in instead"
        if found:
            raise InvalidInput(found)
        return self.create(email, password)

    def create(
        self,
        email: str,
        password: str | None,
        *,
        participant_id: str | None = None,
        roles: Iterable[Role] = (Role.PROVIDER, Role.CONSUMER),
    ) -> Account:
        """An account for ``email`` acting as ``participant_id`` (``None``: a new participant
        with ``roles``), on the composition root's authority: roles are not checked here."""
        email = normalise_email(email)
        if (why := email_problem(email)) is not None:
            raise InvalidInput({"email": why})
        user_id = new_user_id()
        if participant_id is None:
            participant_id = self._new_participant(user_id, frozenset(roles)).id
        elif self._participants.get(participant_id) is None:
            raise InvalidInput({"participant": f"there is no participant {participant_id}"})
        account = Account(
            user_id=user_id,
            email=email,
            participant_id=participant_id,
            created_at_ms=self._clock.now_ms(),
            password_hash=None if password is None else self._hasher.hash(password),
        )
        if not self.accounts.add(account):
            raise InvalidInput({"email": "an account with this email exists: log in instead"})
        return account

    def _new_participant(self, user_id: str, roles: frozenset[Role]) -> Participant:
        identity = Identity.generate()
        participant = Participant(
            id=participant_id_for(identity.signing.public_key),
            signing_key=identity.signing.public_key,
            encryption_key=identity.encryption.public_key,
            display_name=user_id,  # public, as every participant's name: not the email
            roles=roles,
            registered_at_ms=self._clock.now_ms(),
        )
        self._participants.add(participant)
        return participant

    # -- logging in and out --------------------------------------------------------------

    def log_in(self, email: str, password: str, *, address: str) -> LoggedIn:
        """A session for the right password; otherwise why not (wrong, locked, too many)."""
        self._addresses.attempt(address)
        account = self.accounts.by_email(normalise_email(email))
        if account is None or account.password_hash is None or len(password) > MAX_PASSWORD:
            self._hasher.verify_nothing(password[:MAX_PASSWORD])  # as slow as a wrong password
            raise WrongCredentials
        now_ms = self._clock.now_ms()
        if account.locked(now_ms):
            assert account.locked_until_ms is not None
            raise AccountLocked(account.locked_until_ms)
        if not self._hasher.verify(account.password_hash, password):
            self._failed(account, now_ms)
            raise WrongCredentials
        self.accounts.clear_failures(account.user_id)
        return self.open_session(account)

    def _failed(self, account: Account, now_ms: int) -> None:
        """Count a wrong password; the last one allowed locks the account (and says so)."""
        policy = self.policy
        since_ms = now_ms - policy.window_ms
        if self.accounts.record_failure(account.user_id, now_ms, since_ms=since_ms) < (
            policy.max_failures
        ):
            return
        until_ms = now_ms + policy.lock_ms
        self.accounts.update(dataclasses.replace(account, locked_until_ms=until_ms))
        self.accounts.clear_failures(account.user_id)
        raise AccountLocked(until_ms)

    def open_session(self, account: Account) -> LoggedIn:
        """A new session for ``account`` (after a password or an OpenID Connect login); at
        most once a minute, the expired sessions nobody came back to are deleted first."""
        token = secrets.token_urlsafe(32)
        now_ms = self._clock.now_ms()
        if now_ms >= self._next_purge_ms:
            self._next_purge_ms = now_ms + _PURGE_INTERVAL_MS
            self._sessions.purge_expired(now_ms)
        session = Session(
            id_hash=session_hash(token),
            user_id=account.user_id,
            created_at_ms=now_ms,
            expires_at_ms=now_ms + self.policy.session_ms,
        )
        self._sessions.add(session)
        return LoggedIn(account, session, token)

    def session(self, token: str) -> Account | None:
        """The account a session token is logged in as; ``None`` for no such session,
        :class:`SessionExpired` for one whose time is up (and it is ended)."""
        id_hash = session_hash(token)
        session = self._sessions.get(id_hash)
        if session is None:
            return None
        if session.expired(self._clock.now_ms()):
            self._sessions.delete(id_hash)
            raise SessionExpired
        return self.accounts.get(session.user_id)

    def log_out(self, token: str) -> None:
        self._sessions.delete(session_hash(token))

    def purge_sessions(self) -> int:
        """End every expired session (the periodic round's job); how many ended."""
        return self._sessions.purge_expired(self._clock.now_ms())

    # -- OpenID Connect ------------------------------------------------------------------

    def log_in_with_identity(self, issuer: str, subject: str, email: str | None) -> LoggedIn:
        """A session for a provider's verified identity: the account linked to it, else the
        account with its email (then linked), else a new account (no password)."""
        account = self.accounts.by_identity(issuer, subject)
        if account is None:
            account = self._account_for_email(email, issuer)
            self.accounts.link_identity(issuer, subject, account.user_id)
        return self.open_session(account)

    def _account_for_email(self, email: str | None, issuer: str) -> Account:
        known = None if email is None else self.accounts.by_email(normalise_email(email))
        if known is not None:
            return known
        if email is None or email_problem(normalise_email(email)) is not None:
            raise InvalidInput({"email": f"the provider {issuer} gave no usable email"})
        return self.create(email, None)

    def get(self, user_id: str) -> Account:
        account = self.accounts.get(user_id)
        if account is None:
            raise AccountNotFound(user_id)
        return account

    # -- roles -----------------------------------------------------------------------------

    def make_auditor(self, operator: Account, email: str) -> Account:
        """Make the account with ``email`` an auditor (its participant's only role: the market
        keeps auditors apart from traders), on an operator's authority, checked here
        (:class:`~plaza.market.auth.Forbidden` for anyone else); the same again changes
        nothing."""
        acting = self._participants.get(operator.participant_id)
        check_can_operate(None if acting is None else Principal.of_participant(acting))
        target = self.accounts.by_email(normalise_email(email))
        if target is None:
            raise InvalidInput({"email": "no account has this email: they sign up first"})
        participant = self._participants.get(target.participant_id)
        if participant is None:
            raise InvalidInput({"email": "this account acts as no participant of this market"})
        if participant.roles != {Role.AUDITOR}:
            self._participants.update(
                dataclasses.replace(participant, roles=frozenset({Role.AUDITOR}))
            )
        return target
