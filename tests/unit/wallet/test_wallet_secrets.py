"""No password, recovery phrase, seed or key reaches a log, an error or a repr."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from wallet_support import PASSWORD, in_process_node

from plaza.crypto import Identity, Seed
from plaza.wallet import KdfParams, Wallet, WalletError


def test_a_whole_session_logs_and_shows_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with in_process_node() as node:
        wallet, phrase = Wallet.create(
            tmp_path / "w.json",
            PASSWORD,
            gateway=node.gateway(),
            clock=node.clock,
            kdf=KdfParams.MINIMUM,
        )
        wallet.request_faucet(wait=True)
        payment = wallet.send(wallet.receive_address(new=True).address, 5, wait=True)
        shown += [repr(wallet), repr(phrase), str(phrase), repr(payment), repr(wallet.balance())]
        shown += [repr(wallet._contents), repr(wallet._key), repr(wallet.history(None))]
        for attempt in (
            lambda: Wallet.open(
                wallet.path, "wrong password", gateway=node.gateway(), clock=node.clock
            ),
            lambda: wallet.send("plz1" + phrase.reveal().split()[0], 1),
            lambda: wallet.send(wallet.receive_address().address, 10**12),
        ):
            with pytest.raises(WalletError) as raised:
                attempt()
            shown.append(str(raised.value))
        words = phrase.reveal()
        seed = Seed.from_mnemonic(words)

    keys = [Identity.from_seed(seed, account=0, index=i).signing.seed_bytes.hex() for i in (0, 1)]
    secrets = [PASSWORD, words, seed.hex(), *keys, *words.split()[:1]]
    shown.append(caplog.text)
    assert "transfer" in caplog.text  # the session did log
    for text in shown:
        for secret in secrets[:-1]:
            assert secret not in text
    assert f" {secrets[-1]} " not in caplog.text
