"""People's accounts on the market: sign-up and login (password or OpenID Connect),
lockout and rate limits, server-side sessions, and the account's API keys.

* :mod:`.model` - :class:`Account`, :class:`Session`, the rules sign-up fields follow;
* :mod:`.service` - :class:`AccountService` (sign up, log in, sessions, identities);
* :mod:`.keys` - :class:`AccountKeys` (the market's API keys, of the account's participant);
* :mod:`.guard` - the lockout figures and the per-address rate limit;
* :mod:`.backups` - :class:`WalletBackups` (the browser's locked seed, kept unopened);
* :mod:`.ports` / :mod:`.memory` - the stores and their in-memory adapters
  (SQL adapters: :mod:`plaza.market.sql.account_store`);
* :mod:`.errors` - the :class:`AccountError` family.
"""

from plaza.market.accounts.backups import (
    MemoryWalletBackupStore,
    WalletBackup,
    WalletBackups,
    WalletBackupStore,
    check_backup,
)
from plaza.market.accounts.errors import (
    AccountError,
    AccountLocked,
    AccountNotFound,
    IdentityTaken,
    InvalidInput,
    SessionExpired,
    TooManyAttempts,
    WrongCredentials,
)
from plaza.market.accounts.guard import AddressLimiter, LoginPolicy
from plaza.market.accounts.keys import AccountKeys
from plaza.market.accounts.memory import MemoryAccountStore, MemorySessionStore
from plaza.market.accounts.model import Account, Session
from plaza.market.accounts.ports import AccountStore, SessionStore
from plaza.market.accounts.service import AccountService, LoggedIn, session_hash

__all__ = [
    "Account",
    "AccountError",
    "AccountKeys",
    "AccountLocked",
    "AccountNotFound",
    "AccountService",
    "AccountStore",
    "AddressLimiter",
    "IdentityTaken",
    "InvalidInput",
    "LoggedIn",
    "LoginPolicy",
    "MemoryAccountStore",
    "MemorySessionStore",
    "MemoryWalletBackupStore",
    "Session",
    "SessionExpired",
    "SessionStore",
    "TooManyAttempts",
    "WalletBackup",
    "WalletBackupStore",
    "WalletBackups",
    "WrongCredentials",
    "check_backup",
    "session_hash",
]
