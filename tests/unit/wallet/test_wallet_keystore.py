"""The wallet file: encrypted, atomic, private, and silent about its secrets."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from plaza.crypto import Seed, blake2b_256
from plaza.wallet import (
    Account,
    CorruptWallet,
    KdfParams,
    Keystore,
    WalletExists,
    WalletNotFound,
    WalletUnreadable,
    WrongPassword,
)
from plaza.wallet.model import WalletContents

PASSWORD = "correct horse battery staple"
SEED = Seed(bytes(range(32)))


def contents() -> WalletContents:
    return WalletContents(SEED, (Account("main", 0, 3), Account("savings", 4, 1)))


def created(tmp_path: Path) -> Keystore:
    keystore = Keystore(tmp_path / "wallet.json")
    keystore.create(contents(), PASSWORD, KdfParams.MINIMUM)
    return keystore


def rewrite(path: Path, change: dict[str, object], *, fix_checksum: bool) -> None:
    """Edit the file's JSON; with ``fix_checksum`` as an attacker would, recomputing it."""
    document = json.loads(path.read_text())
    document.update(change)
    if fix_checksum:
        header = {name: document[name] for name in ("format", "version", "kdf", "cipher")}
        canonical = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        document["checksum"] = blake2b_256(canonical + bytes.fromhex(document["ciphertext"])).hex()
    path.write_text(json.dumps(document))


def test_roundtrip(tmp_path: Path) -> None:
    keystore = created(tmp_path)

    opened, _key = Keystore(keystore.path).unlock(PASSWORD)

    assert opened.seed == SEED
    assert opened.accounts == contents().accounts


def test_save_keeps_the_password_and_changes_the_contents(tmp_path: Path) -> None:
    keystore = created(tmp_path)
    _, key = keystore.unlock(PASSWORD)
    before = keystore.path.read_text()

    keystore.save(contents().replace_account(Account("bills", 7)), key)

    opened, _ = keystore.unlock(PASSWORD)
    assert [a.name for a in opened.accounts] == ["main", "savings", "bills"]
    assert json.loads(before)["ciphertext"] != json.loads(keystore.path.read_text())["ciphertext"]


def test_password_is_normalised(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path / "w.json")
    keystore.create(contents(), "caf\u00e9 au lait", KdfParams.MINIMUM)  # precomposed é

    opened, _ = keystore.unlock("cafe\u0301 au lait")  # e + combining accent

    assert opened.seed == SEED


def test_wrong_password(tmp_path: Path) -> None:
    keystore = created(tmp_path)

    with pytest.raises(WrongPassword) as raised:
        keystore.unlock("not the password")

    assert "not the password" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_accidental_damage_is_corrupt_not_wrong_password(tmp_path: Path) -> None:
    keystore = created(tmp_path)
    document = json.loads(keystore.path.read_text())
    flipped = document["ciphertext"][:-2] + ("00" if document["ciphertext"][-2:] != "00" else "01")

    rewrite(keystore.path, {"ciphertext": flipped}, fix_checksum=False)

    with pytest.raises(CorruptWallet, match="checksum"):
        keystore.unlock(PASSWORD)


def test_deliberate_tampering_is_refused_as_wrong_password(tmp_path: Path) -> None:
    keystore = created(tmp_path)
    document = json.loads(keystore.path.read_text())
    flipped = document["ciphertext"][:-2] + ("00" if document["ciphertext"][-2:] != "00" else "01")

    rewrite(keystore.path, {"ciphertext": flipped}, fix_checksum=True)

    with pytest.raises(WrongPassword):
        keystore.unlock(PASSWORD)


def test_header_is_authenticated(tmp_path: Path) -> None:
    """Swapping in other KDF parameters (with a valid checksum) cannot pass as the owner's."""
    keystore = Keystore(tmp_path / "w.json")
    keystore.create(contents(), PASSWORD, KdfParams.INTERACTIVE)
    kdf = json.loads(keystore.path.read_text())["kdf"]
    weaker = {**kdf, "opslimit": KdfParams.MINIMUM.opslimit, "memlimit": KdfParams.MINIMUM.memlimit}

    rewrite(keystore.path, {"kdf": weaker}, fix_checksum=True)

    with pytest.raises(WrongPassword):
        keystore.unlock(PASSWORD)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ('{"format": "other"}', "not a plaza-wallet"),
        ('{"format": "plaza-wallet", "version": 99}', "unsupported version"),
        ('{"format": "plaza-wallet", "version": 1}', "missing or malformed"),
    ],
)
def test_not_a_wallet_file(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(text)

    with pytest.raises(CorruptWallet, match=reason):
        Keystore(path).unlock(PASSWORD)


def test_absurd_kdf_cost_is_refused_before_deriving(tmp_path: Path) -> None:
    keystore = created(tmp_path)
    kdf = json.loads(keystore.path.read_text())["kdf"]

    rewrite(keystore.path, {"kdf": {**kdf, "memlimit": 2**40}}, fix_checksum=True)

    with pytest.raises(CorruptWallet):
        keystore.unlock(PASSWORD)


def test_missing_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(WalletNotFound):
        Keystore(tmp_path / "nothing.json").unlock(PASSWORD)
    with pytest.raises(WalletUnreadable):
        Keystore(tmp_path).unlock(PASSWORD)  # a directory


def test_create_never_overwrites(tmp_path: Path) -> None:
    keystore = created(tmp_path)
    before = keystore.path.read_bytes()

    with pytest.raises(WalletExists):
        keystore.create(contents(), "another password", KdfParams.MINIMUM)

    assert keystore.path.read_bytes() == before


def test_file_is_private_and_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "dir"
    keystore = Keystore(folder / "wallet.json")
    key = keystore.create(contents(), PASSWORD, KdfParams.MINIMUM)
    keystore.save(contents(), key)

    assert stat.S_IMODE(keystore.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == ["wallet.json"]


def test_no_secret_in_file_reprs_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keystore = created(tmp_path)
    opened, key = keystore.unlock(PASSWORD)
    with pytest.raises(WrongPassword) as raised:
        keystore.unlock(PASSWORD + "!")

    secrets = [PASSWORD, SEED.hex(), SEED.to_mnemonic()]
    shown = [keystore.path.read_text(), repr(opened), repr(key), repr(keystore), str(raised.value)]
    shown += [caplog.text]
    for text in shown:
        for secret in secrets:
            assert secret not in text
