"""The trust layer: a tangle of signed messages, confirmed by milestones, with balances.

Start at :mod:`plaza.ledger.service` (the :class:`~plaza.ledger.service.Tangle`),
:mod:`plaza.ledger.model` (the values) and :mod:`plaza.ledger.errors` (why
something is refused). The binary format is specified in ``docs/protocol.md``.
"""
