"""Assets: what an order may name, registered by its owner, in states with versions.

- :mod:`.service`: :class:`AssetRegistry`, the use cases (register, describe,
  disable, enable, remove), each state stored, recorded on its twin and heard;
- :mod:`.model`: the changes and queries, and the rules of each state change;
- :mod:`.ports`: the directory of states, the twins, the listener;
  :mod:`.memory` adapts them (:mod:`plaza.market.sql.asset_store` too).

:class:`~plaza.market.model.Asset` itself is the market's (orders name it).
"""
