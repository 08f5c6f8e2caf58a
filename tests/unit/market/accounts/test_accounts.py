"""Accounts: sign-up rules, lockout timing, the per-address limit, sessions, identities, keys.

Time is a FakeClock moved by hand: a lockout of 15 minutes is tested at 14:59 and 15:00.
"""

from __future__ import annotations

import pytest

from plaza.crypto.passwords import FAST_FOR_TESTS
from plaza.market.accounts import (
    Account,
    AccountKeys,
    AccountLocked,
    AccountService,
    InvalidInput,
    LoginPolicy,
    MemoryAccountStore,
    MemorySessionStore,
    SessionExpired,
    TooManyAttempts,
    WrongCredentials,
)
from plaza.market.accounts.model import email_problem, password_problem
from plaza.market.auth import (
    ApiKeyNotFound,
    ApiKeyService,
    Forbidden,
    InvalidApiKeyName,
    MemoryApiKeyStore,
    MemoryParticipantStore,
    Pepper,
    Role,
)
from plaza.testing import FakeClock

PASSWORD = "a long enough password"
HERE = "127.0.0.1"
MINUTE = 60_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def participants() -> MemoryParticipantStore:
    return MemoryParticipantStore()


@pytest.fixture
def service(clock: FakeClock, participants: MemoryParticipantStore) -> AccountService:
    stores = (MemoryAccountStore(), MemorySessionStore(), participants)
    return AccountService(*stores, clock, hasher=FAST_FOR_TESTS)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "use at least 10 characters"),
        (" " * 12, "use more than spaces"),
        ("x" * 201, "use at most 200 characters"),
        ("ten chars!", None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    assert password_problem(password) == problem


@pytest.mark.parametrize("email", ["", "plain", "a@b", "a b@c.de", "a@@c.de", "x@.de", "a@c.de."])
def test_emails_that_are_not(email: str) -> None:
    assert email_problem(email) is not None


def test_sign_up_names_every_field_to_fix_and_stores_nothing(service: AccountService) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.sign_up("not an email", "short", "short", address=HERE)
    assert set(refused.value.problems) == {"email", "password"}
    with pytest.raises(InvalidInput) as refused:
        service.sign_up("me@example.org", PASSWORD, PASSWORD + "!", address=HERE)
    assert refused.value.problems == {"confirm": "type the same password twice"}
    assert service.accounts.by_email("me@example.org") is None


def test_sign_up_makes_an_account_and_its_participant(
    service: AccountService, participants: MemoryParticipantStore
) -> None:
    account = service.sign_up(" Me@Example.org ", PASSWORD, PASSWORD, address=HERE)
    assert account.email == "me@example.org"
    assert account.password_hash is not None
    assert PASSWORD not in account.password_hash
    owner = participants.get(account.participant_id)
    assert owner is not None
    assert owner.roles == {Role.PROVIDER, Role.CONSUMER}
    assert owner.display_name == account.user_id  # the public record names no email
    with pytest.raises(InvalidInput, match="exists"):
        service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)


def test_log_in_right_and_wrong(service: AccountService) -> None:
    account = service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    logged_in = service.log_in("ME@example.org", PASSWORD, address=HERE)
    assert logged_in.account == account
    assert service.session(logged_in.token) == account
    with pytest.raises(WrongCredentials, match="email or the password is wrong"):
        service.log_in("me@example.org", PASSWORD + "x", address=HERE)
    with pytest.raises(WrongCredentials):
        service.log_in("nobody@example.org", PASSWORD, address=HERE)


def test_five_wrong_passwords_in_15_minutes_lock_for_15_minutes(
    service: AccountService, clock: FakeClock
) -> None:
    service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    for _ in range(4):
        with pytest.raises(WrongCredentials):
            service.log_in("me@example.org", "wrong password", address=HERE)
        clock.advance(ms=3 * MINUTE)
    locked_at = clock.now_ms()
    with pytest.raises(AccountLocked, match="Try again after") as locked:
        service.log_in("me@example.org", "wrong password", address=HERE)
    assert locked.value.retry_at_ms == locked_at + 15 * MINUTE
    clock.advance(ms=15 * MINUTE - 1)
    with pytest.raises(AccountLocked):  # the right password too, while locked
        service.log_in("me@example.org", PASSWORD, address=HERE)
    clock.advance(ms=1)
    assert service.log_in("me@example.org", PASSWORD, address=HERE).account.email


def test_failures_older_than_the_window_do_not_count(
    service: AccountService, clock: FakeClock
) -> None:
    service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    for _ in range(4):
        with pytest.raises(WrongCredentials):
            service.log_in("me@example.org", "wrong password", address=HERE)
    clock.advance(ms=15 * MINUTE + 1)
    with pytest.raises(WrongCredentials):  # the fifth, but the first four are too old
        service.log_in("me@example.org", "wrong password", address=HERE)


def test_a_login_clears_the_failures(service: AccountService) -> None:
    service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    for _ in range(2):
        for _ in range(4):
            with pytest.raises(WrongCredentials):
                service.log_in("me@example.org", "wrong password", address=HERE)
        service.log_in("me@example.org", PASSWORD, address=HERE)


def test_one_address_is_limited_whatever_the_accounts(clock: FakeClock) -> None:
    policy = LoginPolicy(attempts_per_address=3, address_window_ms=MINUTE)
    stores = (MemoryAccountStore(), MemorySessionStore(), MemoryParticipantStore())
    service = AccountService(*stores, clock, policy=policy, hasher=FAST_FOR_TESTS)
    for n in range(3):
        with pytest.raises(WrongCredentials):
            service.log_in(f"person{n}@example.org", PASSWORD, address="10.0.0.1")
    with pytest.raises(TooManyAttempts, match="Try again after") as refused:
        service.log_in("person9@example.org", PASSWORD, address="10.0.0.1")
    assert refused.value.retry_at_ms == clock.now_ms() + MINUTE
    with pytest.raises(WrongCredentials):  # another address is not limited
        service.log_in("person9@example.org", PASSWORD, address="10.0.0.2")
    clock.advance(ms=MINUTE)
    with pytest.raises(WrongCredentials):
        service.log_in("person9@example.org", PASSWORD, address="10.0.0.1")


def test_sessions_expire_and_log_out_ends_them(service: AccountService, clock: FakeClock) -> None:
    service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    first = service.log_in("me@example.org", PASSWORD, address=HERE)
    second = service.log_in("me@example.org", PASSWORD, address=HERE)
    assert first.session.expires_at_ms == clock.now_ms() + service.policy.session_ms
    service.log_out(second.token)
    assert service.session(second.token) is None
    clock.advance(ms=service.policy.session_ms)
    with pytest.raises(SessionExpired, match="log in again"):
        service.session(first.token)
    assert service.session(first.token) is None  # ended when found expired
    assert service.session("no such token") is None


def test_an_identity_links_by_email_or_creates(service: AccountService) -> None:
    mine = service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    linked = service.log_in_with_identity("https://id.example", "s1", "ME@example.org")
    assert linked.account == mine
    again = service.log_in_with_identity("https://id.example", "s1", None)
    assert again.account == mine
    new = service.log_in_with_identity("https://id.example", "s2", "new@example.org")
    assert new.account.email == "new@example.org"
    assert new.account.password_hash is None
    with pytest.raises(WrongCredentials):  # no password: only the provider logs it in
        service.log_in("new@example.org", "", address=HERE)
    with pytest.raises(InvalidInput, match="no usable email"):
        service.log_in_with_identity("https://id.example", "s3", None)


def test_an_account_manages_its_own_api_keys(
    service: AccountService, participants: MemoryParticipantStore, clock: FakeClock
) -> None:
    keys_service = ApiKeyService(
        MemoryApiKeyStore(participants), participants, Pepper.generate(), clock
    )
    keys = AccountKeys(keys_service, participants)
    mine = service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    theirs = service.sign_up("you@example.org", PASSWORD, PASSWORD, address=HERE)
    issued = keys.create(mine, "  my script ")
    assert issued.key.name == "my script"
    assert keys_service.authenticate(issued.secret.reveal()).participant_id == mine.participant_id
    assert [k.id for k in keys.list(mine)] == [issued.key.id]
    assert keys.list(theirs) == []
    with pytest.raises(ApiKeyNotFound):
        keys.revoke(theirs, issued.key.id)
    with pytest.raises(InvalidApiKeyName):
        keys.create(mine, "   ")
    assert keys.revoke(mine, issued.key.id).revoked
    assert not keys_service.is_active(issued.key.id)


def test_an_account_for_an_existing_participant(
    service: AccountService, participants: MemoryParticipantStore
) -> None:
    auditor = service.create("auditor@example.org", PASSWORD, roles=[Role.AUDITOR])
    owner = participants.get(auditor.participant_id)
    assert owner is not None
    assert owner.roles == {Role.AUDITOR}
    second = service.create("again@example.org", PASSWORD, participant_id=owner.id)
    assert second.participant_id == owner.id
    with pytest.raises(InvalidInput, match="no participant"):
        service.create("x@example.org", PASSWORD, participant_id="plz1nobody")


def test_expired_sessions_nobody_came_back_to_are_deleted_at_a_later_login(
    clock: FakeClock, participants: MemoryParticipantStore
) -> None:
    sessions = MemorySessionStore()
    service = AccountService(
        MemoryAccountStore(), sessions, participants, clock, hasher=FAST_FOR_TESTS
    )
    service.sign_up("me@example.org", PASSWORD, PASSWORD, address=HERE)
    abandoned = service.log_in("me@example.org", PASSWORD, address=HERE)
    clock.advance(ms=service.policy.session_ms)
    service.log_in("me@example.org", PASSWORD, address=HERE)
    assert sessions.get(abandoned.session.id_hash) is None


def test_only_an_operator_makes_an_auditor_and_an_auditor_only_audits(
    service: AccountService, participants: MemoryParticipantStore
) -> None:
    operator = service.create("operator@example.org", PASSWORD, roles=(Role.OPERATOR,))
    trader = service.sign_up("trader@example.org", PASSWORD, PASSWORD, address=HERE)
    other = service.sign_up("other@example.org", PASSWORD, PASSWORD, address=HERE)

    with pytest.raises(Forbidden):
        service.make_auditor(trader, "other@example.org")

    def roles_of(account: Account) -> frozenset[Role]:
        participant = participants.get(account.participant_id)
        assert participant is not None
        return participant.roles

    assert roles_of(other) == {Role.PROVIDER, Role.CONSUMER}, "a refusal changes nothing"

    with pytest.raises(InvalidInput) as unknown:
        service.make_auditor(operator, "nobody@example.org")
    assert unknown.value.problems == {"email": "no account has this email: they sign up first"}

    made = service.make_auditor(operator, " Other@Example.org ")
    assert made == other
    assert roles_of(other) == {Role.AUDITOR}
    assert service.make_auditor(operator, "other@example.org") == other  # again: no change
    assert roles_of(operator) == {Role.OPERATOR}
