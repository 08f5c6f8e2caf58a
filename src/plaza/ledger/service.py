"""The tangle: the ledger's use cases over a store, a clock and the network's rules.

:class:`Tangle` admits messages (decode, validate, deduplicate, solidify, store),
applies milestones in index order, and answers lookups. It holds in memory only
what the hot path needs: unconfirmed solid messages (for white-flag traversal
and tip selection), held messages, and balances; everything else is read from
the store. One lock serialises writers, so the store sees one writer at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence

from plaza.ledger.admission import AdmissionContext, IngestResult, admit
from plaza.ledger.carriers import attached_events, confirmed_events, file_carried
from plaza.ledger.codec import decode_message
from plaza.ledger.confirmation import PendingEntry, white_flag_order
from plaza.ledger.errors import InvalidMilestone, LedgerError, MessageRejected
from plaza.ledger.events import (
    EventSink,
    LedgerEvent,
    MessageAttached,
    MessageConfirmed,
    MilestoneApplied,
)
from plaza.ledger.genesis import Genesis
from plaza.ledger.lookups import StoredLookups
from plaza.ledger.model import (
    Conflict,
    Message,
    MilestonePayload,
    MilestoneRecord,
)
from plaza.ledger.ports import Clock, ParentInfo, TangleStore
from plaza.ledger.solidifier import LOCAL, RESTORED, HeldPolicy, Solidifier, Submitter
from plaza.ledger.startup import GenesisMismatch, load_state, open_genesis
from plaza.ledger.state import MilestoneOutcome
from plaza.ledger.tips import TipPool
from plaza.ledger.validation import MessageValidator, check_parent_times

__all__ = ["GenesisMismatch", "Tangle"]

log = logging.getLogger(__name__)


class _NullSink:
    def publish(self, event: LedgerEvent) -> None:
        pass


class Tangle(StoredLookups):
    """One node's view of the tangle and the ledger state it confirms."""

    def __init__(
        self,
        *,
        store: TangleStore,
        genesis: Genesis,
        validator: MessageValidator,
        clock: Clock,
        tips: TipPool | None = None,
        held: HeldPolicy | None = None,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._genesis = genesis
        self._validator = validator
        self._clock = clock
        self._tips = tips or TipPool()
        self._events: EventSink = events or _NullSink()
        self._held = Solidifier(held)
        self._pending: dict[bytes, PendingEntry] = {}
        self._waiting_milestones: dict[int, list[Message]] = {}
        self._lock = threading.RLock()
        self._invalid_milestones = 0
        self._latest = open_genesis(store, genesis)
        self._message_count = store.message_count()  # counted once; kept up to date after
        self._state = load_state(store, genesis, self._latest)
        self._recover_unconfirmed()

    # -- properties ---------------------------------------------------------------------

    @property
    def genesis(self) -> Genesis:
        return self._genesis

    @property
    def validator(self) -> MessageValidator:
        return self._validator

    @property
    def latest_milestone(self) -> MilestoneRecord:
        return self._latest

    def state_root(self) -> bytes:
        with self._lock:
            return self._state.root()

    def ledger_state_bytes(self) -> bytes:
        """The canonical confirmed state: identical on every node at the same milestone."""
        with self._lock:
            return self._state.canonical_bytes()

    def balance(self, address: bytes) -> int:
        with self._lock:
            return self._state.balance(address)

    def balance_at(self, address: bytes) -> tuple[int, int]:
        """The confirmed balance and the index of the milestone it is read at, together."""
        with self._lock:
            return self._state.balance(address), self._state.index

    def balances(self) -> dict[bytes, int]:
        with self._lock:
            return self._state.balances()

    def held(self) -> int:
        """The total of the open holds: with the balances, always the supply."""
        with self._lock:
            return self._state.held()

    # -- ingest -------------------------------------------------------------------------

    def submit(self, raw: bytes, submitter: Submitter = LOCAL) -> IngestResult:
        """Admit one message, raising its specific :class:`LedgerError` if refused."""
        result = self.ingest([raw], submitter)[0]
        if result.error is not None:
            raise result.error
        return result

    def ingest(
        self, raws: Sequence[bytes], submitter: Submitter | Sequence[Submitter] = LOCAL
    ) -> list[IngestResult]:
        """Admit a batch; each message gets its own result, a bad one never spoils the rest.

        ``submitter`` sent them all, or ``submitter[i]`` sent ``raws[i]``: a held message
        counts against its sender's share of the held set. A message reported ``stored``
        or ``held`` is durable when this returns.
        """
        senders = [submitter] * len(raws) if isinstance(submitter, Submitter) else submitter
        with self._lock:
            now_ms = self._clock.now_ms()
            self._forget_held(self._held.expire(now_ms))
            admitted = admit(raws, self._admission_context(), now_ms, senders)
            if admitted.new:
                self._store.add_messages(admitted.new)
                self._message_count += len(admitted.new)
            evicted: list[Message] = []
            for message in admitted.held:
                missing, sender = admitted.missing[message.id], admitted.submitters[message.id]
                evicted.extend(self._held.hold(message, missing, sender, now_ms))
            self._forget_held(evicted)
            self._attach_cascade([record.message for record in admitted.new if record.solid])
            self._apply_waiting_milestones()
            return admitted.results

    def _forget_held(self, dropped: list[Message]) -> None:
        """Delete held messages the held set let go (expired or evicted) from the store."""
        if dropped:
            log.info("dropped %d held messages (expired or evicted)", len(dropped))
            self._store.discard([message.id for message in dropped])
            self._message_count -= len(dropped)

    def _admission_context(self) -> AdmissionContext:
        return AdmissionContext(
            validator=self._validator,
            store=self._store,
            pending=self._pending,
            held=self._held,
            genesis_id=self._genesis.id,
            genesis_time_ms=self._genesis.timestamp_ms,
        )

    def _attach_cascade(self, solid: list[Message]) -> None:
        """Attach newly solid messages (filing what carriers carry), then release and check
        what waited on them."""
        while solid:
            released: list[Message] = []
            filed = file_carried(self._store, solid)
            for message in solid:
                self._attach(message, filed.get(message.id, ()))
                released.extend(self._held.release(message.id))
            solid = self._check_released(released)

    def _check_released(self, released: list[Message]) -> list[Message]:
        valid: list[Message] = []
        invalid: list[bytes] = []
        infos = self._parent_infos({p for message in released for p in message.parents})
        for message in released:
            try:
                check_parent_times(message, {p: i.issued_at_ms for p, i in infos.items()})
                valid.append(message)
            except MessageRejected as error:
                log.info("dropping held message %s: %s", message.id.hex(), error)
                invalid.extend(dropped.id for dropped in self._held.drop(message.id))
                invalid.append(message.id)
        if invalid:
            self._store.discard(invalid)
            self._message_count -= len(invalid)
        if valid:
            self._store.mark_solid([message.id for message in valid])
        return valid

    def _parent_infos(self, ids: set[bytes]) -> dict[bytes, ParentInfo]:
        infos = {i: ParentInfo(e.issued_at_ms, None) for i in ids if (e := self._pending.get(i))}
        missing = ids - infos.keys() - {self._genesis.id}
        if missing:
            infos.update(self._store.parent_info(missing))
        if self._genesis.id in ids:
            infos[self._genesis.id] = ParentInfo(self._genesis.timestamp_ms, 0)
        return infos

    def _attach(
        self, message: Message, carried: tuple[Message, ...] = (), *, announce: bool = True
    ) -> None:
        """``carried``: the messages filed under ``message``, a carrier, as it attached."""
        root_index = self._root_index(message.parents)
        entry = PendingEntry.of(message, root_index, carried)
        self._pending[message.id] = entry
        self._tips.add(message.id, message.parents, root_index, self._latest.index)
        if isinstance(message.payload, MilestonePayload):
            # A list: another message claiming the same index (a bad one, say) must not
            # push the valid milestone out.
            self._waiting_milestones.setdefault(message.payload.index, []).append(message)
        if announce:
            self._events.publish(MessageAttached(message, entry.addresses))
            for event in attached_events(message.id, carried):
                self._events.publish(event)

    def _root_index(self, parents: Sequence[bytes]) -> int:
        roots: list[int] = []
        confirmed: list[bytes] = []
        for parent in parents:
            entry = self._pending.get(parent)
            if entry is not None:
                roots.append(entry.root_index)
            else:
                confirmed.append(parent)
        if confirmed:
            infos = self._parent_infos(set(confirmed))
            roots.extend(info.milestone_index or 0 for info in infos.values())
        return min(roots, default=self._latest.index)

    # -- confirmation -------------------------------------------------------------------

    def select_parents(self, count: int = 4, *, oldest: int = 0) -> list[bytes]:
        """Parents for a new message: non-lazy tips (``oldest`` of them the nearest to going
        lazy, see :meth:`TipPool.select`), or the latest milestone if none."""
        with self._lock:
            tips = self._tips.select(count, self._latest.index, oldest=oldest)
            return tips or [self._latest.message_id]

    def prepare_milestone(
        self, parents: Sequence[bytes], now_ms: int
    ) -> tuple[MilestoneOutcome, int]:
        """What a milestone on ``parents`` issued at ``now_ms`` (or at its latest parent's
        time, if later) would confirm, and that issue time."""
        with self._lock:
            infos = self._parent_infos(set(parents))
            issued_at_ms = max(now_ms, *(info.issued_at_ms for info in infos.values()))
            order = white_flag_order(sorted(parents), self._pending)
            return self._evaluate(self._latest.index + 1, order, issued_at_ms), issued_at_ms

    def _evaluate(self, index: int, order: list[bytes], timestamp_ms: int) -> MilestoneOutcome:
        actions = {i: a for i in order if (a := self._pending[i].action) is not None}
        return self._state.evaluate(index, order, actions, timestamp_ms)

    def _apply_waiting_milestones(self) -> None:
        waiting = self._waiting_milestones
        while (candidates := waiting.pop(self._latest.index + 1, None)) is not None:
            for message in candidates:
                try:
                    self._apply_milestone(message)
                except InvalidMilestone as error:
                    self._invalid_milestones += 1
                    log.error("milestone %s not applied: %s", message.id.hex(), error)
                else:
                    break
        for index in [i for i in self._waiting_milestones if i <= self._latest.index]:
            del self._waiting_milestones[index]

    def _apply_milestone(self, message: Message) -> None:
        payload = message.payload
        assert isinstance(payload, MilestonePayload)
        if payload.previous != self._latest.message_id:
            raise InvalidMilestone(f"previous milestone is not {self._latest.message_id.hex()}")
        order = white_flag_order(message.parents, self._pending)
        outcome = self._evaluate(payload.index, order, message.issued_at_ms)
        if outcome.inclusion_root != payload.inclusion_root:
            raise InvalidMilestone("inclusion root differs from this node's white-flag order")
        if outcome.state_root != payload.state_root:
            raise InvalidMilestone("state root differs from this node's ledger state")
        record = MilestoneRecord(
            index=payload.index,
            message_id=message.id,
            timestamp_ms=message.issued_at_ms,
            inclusion_root=outcome.inclusion_root,
            state_root=outcome.state_root,
            confirmed_count=len(order),
        )
        confirmed = (*outcome.confirmed, (message.id, Conflict.NONE))
        holds = list(outcome.holds.values())
        self._store.apply_milestone(record, confirmed, outcome.changed_balances, holds)
        self._state.commit(outcome)
        self._latest = record
        self._finish_confirmation(record, confirmed, outcome.parties)

    def _finish_confirmation(
        self,
        record: MilestoneRecord,
        confirmed: Sequence[tuple[bytes, Conflict]],
        parties: Mapping[bytes, tuple[bytes, ...]],
    ) -> None:
        for message_id, conflict in confirmed:
            entry = self._pending.pop(message_id)
            addresses = parties.get(message_id, entry.addresses)
            event = MessageConfirmed(message_id, record.index, conflict, entry.tag, addresses)
            self._events.publish(event)
            for carried_event in confirmed_events(entry, record.index):
                self._events.publish(carried_event)
        self._tips.confirm((message_id for message_id, _ in confirmed), record.index)
        self._tips.prune(record.index)
        self._events.publish(MilestoneApplied(record))

    # -- startup --------------------------------------------------------------------------

    def _recover_unconfirmed(self) -> None:
        """Rebuild memory from the store after a restart (or a crash) in causal order."""
        stored = [(decode_message(raw), solid) for raw, solid in self._store.unconfirmed()]
        filed = file_carried(self._store, [m for m, solid in stored if solid])  # idempotent
        waiting = Solidifier.unbounded()
        for message in (m for m, solid in stored if solid):
            missing = self._missing_parents(message)
            if missing:
                waiting.hold(message, missing)
                continue
            queue = [message]
            while queue:
                current = queue.pop()
                self._attach(current, filed.get(current.id, ()), announce=False)
                queue.extend(waiting.release(current.id))
        late_solid, beyond_share = self._restore_held([m for m, solid in stored if not solid])
        self._forget_held(beyond_share)
        self._attach_cascade(self._check_released(late_solid))
        self._apply_waiting_milestones()
        if self._state.root() != self._latest.state_root:
            raise LedgerError("stored balances do not match the latest milestone's state root")

    def _restore_held(self, stored: list[Message]) -> tuple[list[Message], list[Message]]:
        """Hold stored held messages again, within one client's share (who sent them is not
        stored, so a flood before a restart cannot fill the set after it); they age from now.

        Returns the messages that turned out solid and those beyond the share."""
        now_ms = self._clock.now_ms()
        late_solid: list[Message] = []
        beyond_share: list[Message] = []
        for message in stored:
            missing = self._missing_parents(message)
            if not missing:  # the crash fell between storing its last parent and marking it
                late_solid.append(message)
            elif self._held.held_by(RESTORED) >= self._held.policy.quota(RESTORED):
                beyond_share.append(message)
            else:
                self._held.hold(message, missing, RESTORED, now_ms)
        return late_solid, beyond_share

    def _missing_parents(self, message: Message) -> set[bytes]:
        """Parents not attached yet: neither genesis, nor in memory, nor confirmed in the store.

        A stored, solid but unconfirmed parent counts as missing until recovery has
        attached it, so a child stored before its parent is attached after it.
        """
        candidates = {p for p in message.parents if p not in self._pending}
        candidates.discard(self._genesis.id)
        if not candidates:
            return set()
        infos = self._store.parent_info(candidates)
        return {p for p in candidates if p not in infos or infos[p].milestone_index is None}

    def wanted(self) -> set[bytes]:
        """Parents that held messages wait for and nobody has sent: ask peers for these."""
        with self._lock:
            return self._held.missing()

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {
                "messages": self._message_count,
                "pending": len(self._pending),
                "latest_milestone": self._latest.index,
                "invalid_milestones": self._invalid_milestones,
                **self._held.statistics(),
                **self._tips.statistics(),
                **self._state.statistics(),
            }
