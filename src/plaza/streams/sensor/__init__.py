"""The sensor agent (``plaza sensor run``): a city sensor selling its readings by the period.

:class:`SensorAgent` runs one sensor from its data directory
(:class:`SensorHome`): it announces, publishes, and serves payments
(:class:`PaymentDesk`), keeping what it did in its :class:`SensorBook`.
"""

from plaza.streams.sensor.agent import SensorAgent, SensorConfig, SensorLedger
from plaza.streams.sensor.book import HandledPayment, SensorBook
from plaza.streams.sensor.home import SensorHome
from plaza.streams.sensor.payments import PaymentDesk

__all__ = [
    "HandledPayment",
    "PaymentDesk",
    "SensorAgent",
    "SensorBook",
    "SensorConfig",
    "SensorHome",
    "SensorLedger",
]
