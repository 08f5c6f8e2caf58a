"""Digital twins: each state of a record as a signed document on a channel on the ledger.

- :mod:`.staging`: :class:`StagedTwins`, the marketplace's recorder of orders, assets,
  contracts and settlements through the twin outbox (:mod:`.outbox`), which
  :mod:`.publisher`'s :class:`OutboxPublisher` writes to the ledger in batches;
- :mod:`.recorder`: :class:`ChannelTwins`, the same roles writing in the request;
- :mod:`.channels`: the twins' channels, shared by both writers;
- :mod:`.records`: :class:`RecordTwins`, per-record twins an agent writes (a vertical's
  devices), read and audited by key;
- :mod:`.documents`: the documents' schema and codec;
- :mod:`.lookup`: the announcement's tag, the parties' keys;
- :mod:`.ports`: the twin directory and keys; :mod:`.memory` adapts the directory and
  the outbox.
"""
