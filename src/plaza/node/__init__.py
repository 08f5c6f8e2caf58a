"""The node runtime: a tangle with its data directory, coordinator loop and live events.

Nothing here speaks HTTP; :mod:`plaza.api` serves a :class:`NodeRuntime`.
"""

from plaza.node.datadir import DataDir
from plaza.node.events import EventFilter, EventHub, Subscription
from plaza.node.ratelimit import TokenBucket
from plaza.node.runtime import NodeConfig, NodeRuntime
from plaza.node.verify import ThreadedVerifier

__all__ = [
    "DataDir",
    "EventFilter",
    "EventHub",
    "NodeConfig",
    "NodeRuntime",
    "Subscription",
    "ThreadedVerifier",
    "TokenBucket",
]
