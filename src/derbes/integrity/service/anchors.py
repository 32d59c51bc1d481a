"""Use cases of anchors: anchor a chain's head, find the latest anchor, do it on a schedule.

:func:`anchor_chain` signs the head of the audit log or the consent ledger
and hands it to every configured sink (``integrity/adapters/anchor_sinks.py``). It
refuses — and writes nothing — when the head does not stand: the head row
names an entry that is not there or not authentic, or the chain no longer
holds the entry anchored last time. A scheduled run must never bless a chain
that was cut or reset since.

:class:`AnchorSchedule` runs it for both chains every N minutes in a
background thread (``derbes serve``: ``DERBES_ANCHOR_EVERY_MINUTES``).
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from derbes.consent.model.ledger import ledger_key
from derbes.errors import ConflictError, DerbesError
from derbes.integrity.model import anchor as anchors
from derbes.integrity.model.anchor import Anchor, Chain, Latest
from derbes.integrity.ports import AnchorFile, AnchorSink
from derbes.platform.chain import GENESIS, link
from derbes.platform.clock import Clock
from derbes.uow import UnitOfWork

__all__ = ["AnchorOutcome", "AnchorSchedule", "AnchorTargets", "anchor_chain", "latest"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnchorTargets:
    """The file anchors are read back from, and the other sinks that receive copies."""

    file: AnchorFile
    copies: tuple[AnchorSink, ...] = ()

    @property
    def sinks(self) -> tuple[AnchorSink, ...]:
        return (self.file, *self.copies)


@dataclass(frozen=True)
class AnchorOutcome:
    anchor: Anchor
    written: bool  # False: the head had not moved since the latest anchor
    sinks: tuple[str, ...] = ()


def _stored_hash(uow: UnitOfWork, chain: Chain) -> Callable[[int], str | None]:
    def fetch(seq: int) -> str | None:
        if chain is Chain.AUDIT:
            found = uow.audit.entry(seq)
        else:
            entry = uow.consent_ledger.entry(seq)
            return None if entry is None else entry.hash
        return None if found is None else found.hash

    return fetch


def _head(uow: UnitOfWork, chain: Chain) -> tuple[int, str]:
    return uow.audit.head() if chain is Chain.AUDIT else uow.consent_ledger.head()


def _authentic(uow: UnitOfWork, chain: Chain, audit_key: bytes, seq: int, digest: str) -> bool:
    """The entry at ``seq`` exists, has hash ``digest`` and that hash is its own."""
    if chain is Chain.AUDIT:
        entry = uow.audit.entry(seq)
        return entry is not None and hmac.compare_digest(entry.hash, digest) and \
            hmac.compare_digest(link(audit_key, seq, entry.prev_hash, entry.payload()), digest)
    found = uow.consent_ledger.entry(seq)
    return found is not None and hmac.compare_digest(found.hash, digest) and \
        found.authentic(ledger_key(audit_key))


def latest(audit_key: bytes, chain: Chain, targets: AnchorTargets) -> Latest:
    """The newest authentic anchor of this installation's ``chain`` in the anchor file."""
    return anchors.latest(anchors.anchor_key(audit_key), anchors.instance_id(audit_key), chain,
                          targets.file.lines())


def anchor_chain(uow: UnitOfWork, audit_key: bytes, chain: Chain, targets: AnchorTargets,
                 clock: Clock) -> AnchorOutcome:
    """Sign the chain's head and write it to every sink (none when it has not moved)."""
    previous = latest(audit_key, chain, targets).anchor
    with uow:
        seq, digest = _head(uow, chain)
        if seq == 0:
            if digest != GENESIS:
                raise ConflictError(f"the {chain.value} head row names no entry: run "
                                    f"`derbes {chain.value} verify`; nothing anchored",
                                    field="head")
        elif not _authentic(uow, chain, audit_key, seq, digest):
            raise ConflictError(f"the {chain.value} head row names entry {seq}, which is not "
                                f"there as recorded: run `derbes {chain.value} verify`; "
                                "nothing anchored", field="head")
        if previous is not None:
            broken = anchors.against_chain(previous, seq, _stored_hash(uow, chain))
            if broken is not None:
                raise ConflictError(f"{broken.message}; nothing anchored", field="head")
    if previous is not None and previous.head == (seq, digest):
        return AnchorOutcome(previous, written=False)
    signed = anchors.sign(anchors.anchor_key(audit_key), Anchor(
        chain, anchors.instance_id(audit_key), seq, digest, clock.now()))
    line = anchors.to_line(signed)
    delivered: list[str] = []
    failed: list[str] = []
    for sink in targets.sinks:
        try:
            sink.write(line)
            delivered.append(sink.name)
        except DerbesError as exc:
            log.error("anchor of the %s chain not delivered: %s", chain.value, exc.message)
            failed.append(exc.message)
    if failed:
        # The others got it; a sink that missed one is reported, not papered over.
        raise ConflictError("; ".join(failed), field="anchor")
    return AnchorOutcome(signed, written=True, sinks=tuple(delivered))


class AnchorSchedule:
    """Anchors both chains every ``minutes`` in a daemon thread until stopped (the first
    time one interval after :meth:`start`)."""

    def __init__(self, run: Callable[[Chain], object], minutes: float,
                 chains: Sequence[Chain] = (Chain.AUDIT, Chain.LEDGER)) -> None:
        if minutes <= 0:
            raise ValueError("an anchor schedule needs a positive interval")
        self._run = run
        self._seconds = minutes * 60
        self._chains = tuple(chains)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="derbes-anchors", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> None:
        for chain in self._chains:
            try:
                self._run(chain)
            except DerbesError as exc:
                log.error("anchoring the %s chain failed: %s", chain.value, exc.message)
            except Exception:  # a schedule that dies silently anchors nothing
                log.exception("anchoring the %s chain failed", chain.value)
        self.runs += 1

    def _loop(self) -> None:
        # The first run one interval after the start: a server restarted in a loop
        # does not write an anchor per start.
        while not self._stop.wait(self._seconds):
            self.run_once()
