"""Settlement: a contract from creation to fulfilment, cancellation or claim.

:mod:`.lifecycle` is the state machine as pure functions, :mod:`.service` the use
cases over the ports of :mod:`.ports` (a store, the consumers' payments, a clock,
a listener). Every step is idempotent and every save version-checked, so a
crash or retry never pays twice and never loses a contract.
"""

from plaza.market.settlement.errors import (
    ConcurrentUpdate,
    ContractNotFound,
    InvalidTransition,
    NotAParty,
    PaymentFailed,
    PaymentRejected,
    Rejection,
    SettlementError,
    TooEarly,
    WrongParty,
)
from plaza.market.settlement.memory import MemorySettlementStore
from plaza.market.settlement.model import (
    TERMINAL,
    UNPAID,
    Contract,
    Phase,
    PreparedPayment,
    ReportedTransfer,
    Settlement,
    SettlementPolicy,
)
from plaza.market.settlement.ports import (
    Clock,
    Payments,
    PaymentStatus,
    SettlementListener,
    SettlementStore,
)
from plaza.market.settlement.service import SettlementService, SweepReport

__all__ = [
    "TERMINAL",
    "UNPAID",
    "Clock",
    "ConcurrentUpdate",
    "Contract",
    "ContractNotFound",
    "InvalidTransition",
    "MemorySettlementStore",
    "NotAParty",
    "PaymentFailed",
    "PaymentRejected",
    "PaymentStatus",
    "Payments",
    "Phase",
    "PreparedPayment",
    "Rejection",
    "ReportedTransfer",
    "Settlement",
    "SettlementError",
    "SettlementListener",
    "SettlementPolicy",
    "SettlementService",
    "SettlementStore",
    "SweepReport",
    "TooEarly",
    "WrongParty",
]
