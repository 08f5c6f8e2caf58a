"""Python clients of Plaza's HTTP APIs, side by side.

- :mod:`plaza.clients.node`: a node's API (messages, balances, the event stream);
  it sits with the network layer, below the wallet and the ledger adapters.
- :mod:`plaza.clients.market`: the marketplace's API, signing every request with
  the market's own code; it sits above :mod:`plaza.market`, beside :mod:`plaza.api`.
- :mod:`plaza.clients.errors`: the one error family both raise (a stable
  ``code`` per answer, grouped by what a caller does next).

This face imports neither client: each is imported from its own package, so
code that talks to a node loads nothing of the market.
"""
