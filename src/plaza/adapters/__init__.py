"""Adapters: the ports of Plaza's domain packages, implemented over a technology.

The domain packages (ledger, wallet, channels, market) name what they need as
``typing.Protocol`` ports; the modules here implement the ones that cross a
package's edge, and only the composition root (:mod:`plaza.bootstrap`), the CLI,
the benchmarks, the energy apps and tests choose and build them.

* :mod:`plaza.adapters.ledger`: the ledger-access ports of
  :mod:`plaza.ledger.ports`, over an in-process node or a node's HTTP API.
"""
