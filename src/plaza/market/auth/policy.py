"""Who may read and change what: pure functions over a principal and a record's owner.

Every guard raises :class:`~plaza.market.auth.errors.Forbidden` (with the action
and the reason) or returns ``None``; use cases call one before they act. The
rules, which ``tests/unit/market/auth/test_auth_policy.py`` checks as a matrix:

* **Public** records: anyone, even anonymous callers.
* **Private** records: their owner and parties (a contract's counterparty)
  holding ``market:read``, and anyone holding ``audit:read`` (auditors, operators).
* **Personal** records: their owner alone, with ``market:read``; not auditors.
* **Writes**: only the owner or a party, holding ``market:write``. Auditors and
  operators hold no write scope, so an auditor changes nothing and an operator
  cannot rewrite a participant's orders; operators administer participants
  through :func:`check_can_operate` instead.
* **Identity changes** (a participant's own keys): a signed request by that
  participant, never an API key: a leaked key must not redirect sealed replies.
"""

from __future__ import annotations

from collections.abc import Collection

from plaza.market.auth.errors import Forbidden
from plaza.market.auth.model import Principal, PrincipalKind, Role, Scope, Visibility

__all__ = [
    "check_can_audit",
    "check_can_operate",
    "check_can_read",
    "check_can_write",
    "check_is_self",
]


def _require(principal: Principal | None, action: str) -> Principal:
    if principal is None:
        raise Forbidden(action, "the caller is not authenticated")
    return principal


def _is_party(principal: Principal, record_owner: str, parties: Collection[str]) -> bool:
    who = principal.participant_id
    return who is not None and (who == record_owner or who in parties)


def check_can_read(
    principal: Principal | None,
    record_owner: str,
    visibility: Visibility,
    *,
    parties: Collection[str] = (),
) -> None:
    """Allow reading a record of ``record_owner`` (``parties`` share private records)."""
    action = f"read a {visibility} record of {record_owner}"
    if visibility is Visibility.PUBLIC:
        return
    caller = _require(principal, action)
    if visibility is Visibility.PERSONAL:
        parties = ()
    if _is_party(caller, record_owner, parties) and Scope.MARKET_READ in caller.scopes:
        return
    if visibility is Visibility.PRIVATE and Scope.AUDIT_READ in caller.scopes:
        return
    raise Forbidden(action, "it is not the caller's record and the caller may not audit it")


def check_can_write(
    principal: Principal | None, record_owner: str, *, parties: Collection[str] = ()
) -> None:
    """Allow creating or changing a record of ``record_owner``."""
    action = f"change a record of {record_owner}"
    caller = _require(principal, action)
    if Role.AUDITOR in caller.roles:  # defence in depth: auditors hold no write scope anyway
        raise Forbidden(action, "auditors change nothing")
    if Scope.MARKET_WRITE not in caller.scopes:
        raise Forbidden(action, f"the caller lacks the {Scope.MARKET_WRITE} scope")
    if not _is_party(caller, record_owner, parties):
        raise Forbidden(action, "it is not the caller's record")


def check_can_audit(principal: Principal | None) -> None:
    """Allow reading every participant's private records and listing participants."""
    caller = _require(principal, "audit the marketplace")
    if Scope.AUDIT_READ not in caller.scopes:
        raise Forbidden("audit the marketplace", f"the caller lacks the {Scope.AUDIT_READ} scope")


def check_can_operate(principal: Principal | None) -> None:
    """Allow administering participants: admit with privileged roles, exclude, reinstate."""
    action = "administer participants"
    caller = _require(principal, action)
    if Role.OPERATOR not in caller.roles or Scope.MARKET_OPERATE not in caller.scopes:
        raise Forbidden(action, f"the caller is not an operator holding {Scope.MARKET_OPERATE}")


def check_is_self(principal: Principal | None, participant_id: str) -> None:
    """Allow changing ``participant_id``'s own identity: only by its own signed request."""
    action = f"change the keys of {participant_id}"
    caller = _require(principal, action)
    if caller.kind is not PrincipalKind.PARTICIPANT or caller.participant_id != participant_id:
        raise Forbidden(action, "only the participant's own signed request may")
