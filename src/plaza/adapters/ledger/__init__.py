"""The ledger-access ports (:class:`plaza.ledger.ports.Ledger`), twice.

* :class:`~plaza.adapters.ledger.local.LocalLedger` drives a
  :class:`~plaza.node.NodeRuntime` in this process: agents that embed a node,
  the demo and tests;
* :class:`~plaza.adapters.ledger.remote.RemoteLedger` talks to a node over HTTP
  with a :class:`~plaza.clients.node.NodeClient`, doing the proof of work itself.

Each translates its own failures into
:class:`~plaza.ledger.errors.LedgerAccessError`, so the wallet, channels and the
market never know which one they run on. Import them from their modules: this
face imports neither (each pulls in its node or its HTTP client).
"""
