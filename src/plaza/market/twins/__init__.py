"""Digital twins: each state of a record as a signed document on a channel on the ledger.

- :mod:`.recorder`: :class:`ChannelTwins`, the marketplace's recorder of orders,
  assets, contracts and settlements;
- :mod:`.records`: :class:`RecordTwins`, per-record twins an agent writes (a vertical's
  devices), read and audited by key;
- :mod:`.documents`: the documents' schema and codec;
- :mod:`.lookup`: the announcement's tag, the parties' keys;
- :mod:`.ports`: the twin directory and keys; :mod:`.memory` adapts the directory.
"""
