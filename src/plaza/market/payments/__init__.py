"""Payments on the ledger: what settlement's payments need from it and do on it.

- :mod:`.ports`: :class:`TransferLedger`, the ledger ports a payment needs
  (read, compose apart from submit);
- :mod:`.service`: :class:`LedgerPayments` (settlement's ``Payments`` on the
  ledger), the funders and :func:`check_ledger_payment`.
"""
