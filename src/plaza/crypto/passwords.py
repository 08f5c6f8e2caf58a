"""Password hashes: Argon2id (libsodium's ``crypto_pwhash``, through PyNaCl).

People choose passwords, so unlike API keys (random 256-bit secrets, a keyed fast
hash is enough: :mod:`plaza.market.auth.apikeys`) a leaked hash must be slow to
guess against: Argon2id spends ``ops`` passes over ``mem`` bytes per try. The
stored text is libsodium's modular format (``$argon2id$v=19$m=…,t=…,p=1$salt$hash``),
which carries its own salt and costs, so costs can be raised later without
breaking older hashes.

:class:`PasswordHasher` also verifies a password against *no* hash
(:meth:`PasswordHasher.verify_nothing`) at the same cost, so a login for an
unknown email takes as long as a wrong password and says nothing about who
has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import nacl.exceptions
import nacl.pwhash

__all__ = ["FAST_FOR_TESTS", "INTERACTIVE", "PasswordHasher"]

_argon2id = nacl.pwhash.argon2id


@dataclass(frozen=True, slots=True)
class PasswordHasher:
    """Hashes and checks passwords at one cost (passes and memory)."""

    ops: int = _argon2id.OPSLIMIT_INTERACTIVE
    mem: int = _argon2id.MEMLIMIT_INTERACTIVE

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``, in libsodium's text format."""
        hashed: bytes = _argon2id.str(password.encode(), opslimit=self.ops, memlimit=self.mem)
        return hashed.decode("ascii")

    def verify(self, hashed: str, password: str) -> bool:
        """Whether ``password`` is the one ``hashed`` was made from (constant time)."""
        try:
            return bool(_argon2id.verify(hashed.encode("ascii"), password.encode()))
        except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError, UnicodeError):
            return False

    def verify_nothing(self, password: str) -> bool:
        """Spend what a verification costs and answer ``False``: for unknown accounts."""
        self.verify(self._decoy, password)
        return False

    @property
    def _decoy(self) -> str:
        return _decoy_for(self.ops, self.mem)


_DECOYS: dict[tuple[int, int], str] = {}


def _decoy_for(ops: int, mem: int) -> str:
    """One hash per cost of a password nobody has, made once."""
    key = (ops, mem)
    if key not in _DECOYS:
        _DECOYS[key] = _argon2id.str(b"\x00 no account \x00", opslimit=ops, memlimit=mem).decode()
    return _DECOYS[key]


#: libsodium's interactive cost (2 passes over 64 MiB): about a tenth of a second.
INTERACTIVE: Final = PasswordHasher()
#: The least libsodium allows: for tests that hash many passwords, never for people.
FAST_FOR_TESTS: Final = PasswordHasher(_argon2id.OPSLIMIT_MIN, _argon2id.MEMLIMIT_MIN)
