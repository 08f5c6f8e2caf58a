"""Audit: what a twin on the ledger says against what the marketplace says.

- :mod:`.service`: :class:`Auditor`, the use case (one record, one report), and
  the protocols it reads through;
- :mod:`.checks`: the pure checks (a trail's signatures and steps, the differences);
- :mod:`.model`: trails, confirmations, differences and reports;
- :mod:`.channels`: the trails read from channels with an auditor's keys.
"""
