"""Signature verification on several cores.

PyNaCl's cffi calls release the GIL, so plain threads verify Ed25519 signatures
in parallel (measured here: 17.8k/s on one thread, 30.6k/s on two). Small
batches, such as one API submission, stay on the calling thread, where handing
work to a pool would cost more than it saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from plaza.ledger.validation import SerialVerifier, SignedItem

__all__ = ["ThreadedVerifier"]


class ThreadedVerifier:
    def __init__(self, workers: int, *, min_batch: int = 64) -> None:
        if workers < 1:
            raise ValueError(f"at least one worker is needed, got {workers}")
        self._workers = workers
        self._min_batch = min_batch
        self._serial = SerialVerifier()
        self._pool = (
            ThreadPoolExecutor(workers, thread_name_prefix="verify") if workers > 1 else None
        )

    @property
    def workers(self) -> int:
        return self._workers

    def verify_many(self, items: Sequence[SignedItem]) -> list[bool]:
        if self._pool is None or len(items) < self._min_batch:
            return self._serial.verify_many(items)
        size = -(-len(items) // self._workers)
        chunks = [items[start : start + size] for start in range(0, len(items), size)]
        verdicts = self._pool.map(self._serial.verify_many, chunks)
        return [verdict for chunk in verdicts for verdict in chunk]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
