"""The energy flexibility marketplace of the energy seed, built on Plaza's market and ledger.

Four modules, each a domain class served over HTTP by :mod:`plaza.api.energy` (and
opened by :mod:`plaza.bootstrap.energy_modules`, all in one process for ``plaza demo``):

* the **asset module** (:mod:`plaza.energy.asset`) on each producing or consuming
  device: its energy pool, offers and requests, contracts, payments, reminders;
* the **marketplace backend** (:mod:`plaza.energy.backend`): registration,
  offers and requests, contracts signed and sent to both parties, settlement relay;
* the **bid manager** (:mod:`plaza.energy.bidmanager`): matching, the seed's
  one-to-one policy by default;
* the **user module** (:mod:`plaza.energy.owner`): owners, their wallets and devices.

They talk in sealed, signed letters (:mod:`plaza.energy.envelope`), queued in an
outbox (:mod:`plaza.energy.link`); every transaction's states go to its digital
twin on the ledger (:mod:`plaza.energy.twins`). ``docs/energy.md`` is the protocol.
"""
