"""Plaza: a decentralized marketplace where machines trade with machines.

The package is layered (see ``docs/architecture.md``): primitives (``crypto``,
``encoding``), the trust layer (``ledger``), adapters (``storage``), the node
runtime (``node``), and interfaces (``api``, ``client``, ``cli``).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
