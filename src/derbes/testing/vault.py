"""The vault's storage and keys in memory, for tests (production never imports this).

``InMemoryKeyStore`` keeps keys wrapped exactly as ``SqlKeyStore`` does, so KEK
mistakes and rotation behave the same; ``InMemoryEpochKeyring`` keeps epoch
keys in a dict with the contract of the directory keyring.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from derbes.errors import ConfigurationError, ConflictError
from derbes.platform.crypto import generate_key
from derbes.platform.memory import checkpoint
from derbes.platform.touched import Touched
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.key_epochs import EpochCipher, epoch_key_aad, unwrap_epoch_key
from derbes.vault.adapters.keystore_schema import (
    AUDIT_CHAIN,
    BLIND_INDEX,
    SYSTEM_KEY_NAMES,
    chunks,
    data_key_aad,
    replace_by_swap,
    system_key_aad,
    unique_ids,
    unwrap_key,
)
from derbes.vault.adapters.store import DUPLICATE_IDENTIFIER
from derbes.vault.ports import (
    ABORTED,
    COMMITTED,
    BlockedSubject,
    CardToken,
    CategoryBlock,
    KekCount,
    KeyEncryptionKey,
    Lookup,
    SealedValue,
    SubjectBatch,
    SubjectRecord,
    blocked_list,
)

__all__ = ["FakeKeySwapJournal", "FakeVaultRepository", "InMemoryEpochKeyring",
           "InMemoryKeyStore"]


@dataclass
class _FakeState:
    subjects: dict[str, SubjectRecord] = field(default_factory=dict)
    values: dict[tuple[str, str, int], SealedValue] = field(default_factory=dict)
    lookups: dict[tuple[str, str, str], Lookup] = field(default_factory=dict)
    cards: dict[str, CardToken] = field(default_factory=dict)
    blocks: builtins.list[CategoryBlock] = field(default_factory=list)
    imports: dict[tuple[str, int], int] = field(default_factory=dict)

    def copy(self) -> _FakeState:
        return _FakeState(dict(self.subjects), dict(self.values), dict(self.lookups),
                          dict(self.cards), builtins.list(self.blocks), dict(self.imports))


class FakeVaultRepository:
    """The vault in memory, for unit tests and the fake unit of work."""

    def __init__(self, touched: Touched | None = None) -> None:
        self._s = _FakeState()
        self._touched = touched if touched is not None else Touched()

    def add_many(
        self,
        subjects: Sequence[SubjectRecord],
        values: Sequence[SealedValue],
        lookups: Sequence[Lookup] = (),
        cards: Sequence[CardToken] = (),
    ) -> None:
        for s in subjects:
            if s.id in self._s.subjects:
                raise ConflictError("subject id exists already")
            self._s.subjects[s.id] = s
            self._touched.add(s.id)
        for v in values:
            self._require(v.subject_id)
            if v.key in self._s.values:
                raise ConflictError("value exists already")
            self._s.values[v.key] = v
        for c in cards:
            self._require(c.subject_id)
            self._s.cards[c.token] = c
        self.add_lookups(lookups)

    def add_batch(self, batch: SubjectBatch) -> None:
        self.add_many(batch.records(), batch.sealed_values(), batch.lookup_records(),
                      batch.cards)
        if batch.mark is not None:
            self._s.imports[(batch.mark.import_id, batch.mark.batch)] = len(batch.subject_ids)

    def taken_lookups(self, operator_id: str, pairs: Collection[tuple[str, str]]
                      ) -> set[tuple[str, str]]:
        return {(kind, digest) for kind, digest in pairs
                if (operator_id, kind, digest) in self._s.lookups}

    def imported_batches(self, import_id: str) -> set[int]:
        return {batch for (iid, batch) in self._s.imports if iid == import_id}

    def _require(self, subject_id: str) -> None:
        if subject_id not in self._s.subjects:
            raise ConflictError("no such subject (foreign key)")

    def get(self, subject_id: str, *, for_update: bool = False) -> SubjectRecord | None:
        return self._s.subjects.get(subject_id)

    def get_many(self, subject_ids: Collection[str]) -> dict[str, SubjectRecord]:
        return {sid: self._s.subjects[sid] for sid in subject_ids if sid in self._s.subjects}

    def values_of_many(self, subject_ids: Collection[str],
                       categories: Collection[str] | None = None,
                       ) -> dict[str, builtins.list[SealedValue]]:
        found = {sid: self.values(sid, categories) for sid in subject_ids}
        return {sid: values for sid, values in found.items() if values}

    def values(
        self, subject_id: str, categories: Collection[str] | None = None
    ) -> builtins.list[SealedValue]:
        return sorted(
            (v for v in self._s.values.values() if v.subject_id == subject_id
             and (categories is None or v.category in categories)),
            key=lambda v: (v.category, v.seq),
        )

    def put_values(self, values: Sequence[SealedValue]) -> None:
        for v in values:
            self._require(v.subject_id)
            self._s.values[v.key] = v

    def delete_values(
        self, subject_id: str, categories: Collection[str] | None = None,
        seqs: Collection[tuple[str, int]] | None = None,
    ) -> int:
        doomed = [k for k, v in self._s.values.items() if v.subject_id == subject_id
                  and (categories is None or v.category in categories)
                  and (seqs is None or (v.category, v.seq) in seqs)]
        for k in doomed:
            del self._s.values[k]
        return len(doomed)

    def add_lookups(self, lookups: Sequence[Lookup]) -> None:
        staged = dict(self._s.lookups)
        for x in lookups:
            self._require(x.subject_id)
            key = (x.operator_id, x.kind, x.digest)
            if key in staged:
                raise ConflictError(DUPLICATE_IDENTIFIER, field="identifiers")
            staged[key] = x
        self._s.lookups = staged

    def delete_lookups(
        self, subject_id: str, keys: Collection[tuple[str, str]] | None = None
    ) -> int:
        doomed = [k for k, x in self._s.lookups.items() if x.subject_id == subject_id
                  and (keys is None or (x.kind, x.digest) in keys)]
        for k in doomed:
            del self._s.lookups[k]
        return len(doomed)

    def find(self, kind: str, digest: str, operator_id: str | None = None) -> builtins.list[Lookup]:
        return sorted(
            (x for x in self._s.lookups.values() if x.kind == kind and x.digest == digest
             and (operator_id is None or x.operator_id == operator_id)),
            key=lambda x: x.operator_id,
        )

    def lookups(self, subject_id: str) -> builtins.list[Lookup]:
        return sorted((x for x in self._s.lookups.values() if x.subject_id == subject_id),
                      key=lambda x: (x.kind, x.digest))

    def cards(self, subject_id: str) -> builtins.list[CardToken]:
        return sorted((c for c in self._s.cards.values() if c.subject_id == subject_id),
                      key=lambda c: (c.created_at, c.token))

    def delete_cards(self, subject_id: str, tokens: Collection[str] | None = None) -> int:
        doomed = [t for t, c in self._s.cards.items() if c.subject_id == subject_id
                  and (tokens is None or t in tokens)]
        for t in doomed:
            del self._s.cards[t]
        return len(doomed)

    def set_block(self, subject_id: str, blocked_at: datetime | None, reason: str | None) -> None:
        self._touched.add(subject_id)
        current = self._s.subjects.get(subject_id)
        if current is not None:
            self._s.subjects[subject_id] = replace(current, blocked_at=blocked_at,
                                                   block_reason=reason)

    def add_category_blocks(self, blocks: Sequence[CategoryBlock]) -> None:
        for b in blocks:
            self._require(b.subject_id)
            self._touched.add(b.subject_id)
            self._s.blocks.append(replace(b, id=len(self._s.blocks) + 1))

    def category_blocks(
        self, subject_id: str, *, active_only: bool = True
    ) -> builtins.list[CategoryBlock]:
        return [b for b in self._s.blocks if b.subject_id == subject_id
                and (not active_only or b.unblocked_at is None)]

    def end_category_blocks(
        self, subject_id: str, categories: Collection[str] | None, at: datetime
    ) -> int:
        self._touched.add(subject_id)
        count = 0
        for i, b in enumerate(self._s.blocks):
            if (b.subject_id == subject_id and b.unblocked_at is None
                    and (categories is None or b.category in categories)):
                self._s.blocks[i] = replace(b, unblocked_at=at)
                count += 1
        return count

    def delete_category_blocks(self, subject_id: str) -> int:
        self._touched.add(subject_id)
        before = len(self._s.blocks)
        self._s.blocks = [b for b in self._s.blocks if b.subject_id != subject_id]
        return before - len(self._s.blocks)

    def blocked(self, operator_id: str, limit: int) -> builtins.list[BlockedSubject]:
        live = {sid for sid, s in self._s.subjects.items()
                if s.operator_id == operator_id and s.destroyed_at is None}
        return blocked_list(
            [(sid, s.blocked_at) for sid, s in self._s.subjects.items()
             if sid in live and s.blocked_at is not None],
            [(b.subject_id, b.blocked_at, b.category) for b in self._s.blocks
             if b.subject_id in live and b.unblocked_at is None], limit)

    def mark_destroyed(self, subject_id: str, at: datetime) -> None:
        self._touched.add(subject_id)
        current = self._s.subjects.get(subject_id)
        if current is not None:
            self._s.subjects[subject_id] = replace(current, destroyed_at=at, blocked_at=None,
                                                   block_reason=None)

    def count_values(self) -> int:
        return len(self._s.values)

    def all_subject_ids(self) -> Iterator[str]:
        """Every subject id (the fake seal repository pages through them)."""
        return iter(builtins.list(self._s.subjects))

    def all_values(self) -> Iterable[SealedValue]:
        """Every stored value (tests: tamper with or inspect ciphertexts)."""
        return builtins.list(self._s.values.values())

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "_s")


class FakeKeySwapJournal:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def commit(self, swap_id: str, subjects: int, at: datetime) -> None:
        if swap_id in self.rows:
            raise ConflictError(
                "this partial destruction was settled as interrupted by another process "
                "meanwhile; nothing of it was applied, run it again")
        self.rows[swap_id] = COMMITTED

    def claim_aborted(self, swap_id: str, at: datetime) -> str:
        return self.rows.setdefault(swap_id, ABORTED)

    def states(self, swap_ids: Collection[str]) -> dict[str, str]:
        return {s: self.rows[s] for s in swap_ids if s in self.rows}

    def swap_ids(self) -> builtins.list[str]:
        return sorted(self.rows)

    def forget(self, swap_ids: Collection[str]) -> None:
        for swap_id in swap_ids:
            self.rows.pop(swap_id, None)

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


class InMemoryEpochKeyring:
    """Epoch keys in a dict (unit tests, throw-away stores); same contract as the directory."""

    def __init__(self, kek: KeyEncryptionKey,
                 also_unwrap_with: Sequence[KeyEncryptionKey] = ()) -> None:
        self._keks: tuple[KeyEncryptionKey, ...] = (kek, *also_unwrap_with)
        self.stored: dict[int, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return "memory"

    def cipher(self, epoch: int) -> EpochCipher:
        found = self.stored.get(epoch)
        if found is None:
            raise ConfigurationError(f"the key of epoch {epoch} does not exist")
        kek_id, wrapped = found
        return EpochCipher(epoch, unwrap_epoch_key(self._keks, kek_id, wrapped,
                                               epoch_key_aad(epoch), f"epoch key {epoch}"))

    def create(self, epoch: int) -> EpochCipher:
        with self._lock:
            if epoch not in self.stored:
                kek = self._keks[0]
                self.stored[epoch] = (kek.kek_id, kek.wrap(generate_key(), epoch_key_aad(epoch)))
        return self.cipher(epoch)

    def destroy(self, epoch: int) -> bool:
        return self.stored.pop(epoch, None) is not None

    def epochs(self) -> list[int]:
        return sorted(self.stored)

    def kek_ids(self) -> dict[int, str]:
        return {epoch: kek_id for epoch, (kek_id, _w) in sorted(self.stored.items())}

    def rewrap(self, old: KeyEncryptionKey, new: KeyEncryptionKey) -> Iterator[int]:
        readers = (old, *self._keks)
        for epoch, (kek_id, wrapped) in sorted(self.stored.items()):
            if kek_id == new.kek_id:
                continue
            aad = epoch_key_aad(epoch)
            key = unwrap_epoch_key(readers, kek_id, wrapped, aad, f"epoch key {epoch}")
            self.stored[epoch] = (new.kek_id, new.wrap(key, aad))
            yield epoch


class InMemoryKeyStore:
    """The key store in a dict: same contract as ``SqlKeyStore``, for unit tests and demos.

    Keys are kept wrapped, exactly as the SQL store keeps them, so KEK
    mistakes and rotation behave the same. It has no key epochs.
    """

    def __init__(
        self,
        kek: KeyEncryptionKey | None = None,
        *,
        also_unwrap_with: Sequence[KeyEncryptionKey] = (),
    ) -> None:
        self._kek: KeyEncryptionKey = kek or LocalKek.generate()
        self._keks: tuple[KeyEncryptionKey, ...] = (self._kek, *also_unwrap_with)
        self.data: dict[str, tuple[str, bytes]] = {}  # subject id -> (kek_id, wrapped)
        self.system: dict[str, tuple[str, bytes]] = {}  # name -> (kek_id, wrapped)
        # subject id -> (swap id, kek_id, wrapped next key)
        self.swaps: dict[str, tuple[str, str, bytes]] = {}

    @property
    def kek(self) -> KeyEncryptionKey:
        return self._kek

    def create_keys(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        ids = unique_ids(subject_ids)
        if any(sid in self.data for sid in ids):
            raise ConflictError(
                "a data key already exists for one of these subjects; nothing was stored"
            )
        keys = {sid: generate_key() for sid in ids}
        kek_id = self._kek.kek_id
        for sid, key in keys.items():
            self.data[sid] = (kek_id, self._kek.wrap(key, data_key_aad(sid)))
        return keys

    def keys_for(self, subject_ids: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for sid in dict.fromkeys(subject_ids):
            stored = self.data.get(sid)
            if stored is not None:
                found[sid] = unwrap_key(self._keks, stored[0], stored[1], data_key_aad(sid))
        return found

    def candidate_keys(self, subject_ids: Sequence[str]) -> dict[str, tuple[bytes, ...]]:
        found: dict[str, tuple[bytes, ...]] = {}
        for sid, key in self.keys_for(subject_ids).items():
            pending = self.swaps.get(sid)
            found[sid] = (key,) if pending is None else (
                key, unwrap_key(self._keks, pending[1], pending[2], data_key_aad(sid)))
        return found

    def replace_key(self, subject_id: str) -> tuple[bytes, bytes]:
        return replace_by_swap(self, subject_id)

    def prepare_swaps(self, subject_ids: Sequence[str], swap_id: str
                      ) -> dict[str, tuple[bytes, bytes]]:
        ids = [sid for sid in dict.fromkeys(subject_ids) if sid in self.data]
        for sid in ids:
            pending = self.swaps.get(sid)
            if pending is not None and pending[0] != swap_id:
                raise ConflictError(
                    "another partial destruction of this subject is not finished "
                    "(a key swap is pending): settle it first", field="subject_id")
        swapped: dict[str, tuple[bytes, bytes]] = {}
        for sid in ids:
            aad = data_key_aad(sid)
            kek_id, wrapped = self.data[sid]
            old = unwrap_key(self._keks, kek_id, wrapped, aad)
            pending = self.swaps.get(sid)
            if pending is not None:
                swapped[sid] = (old, unwrap_key(self._keks, pending[1], pending[2], aad))
                continue
            new = generate_key()
            self.swaps[sid] = (swap_id, self._kek.kek_id, self._kek.wrap(new, aad))
            swapped[sid] = (old, new)
        return swapped

    def finish_swaps(self, swap_id: str, *, commit: bool) -> int:
        members = [sid for sid, (s, _k, _w) in self.swaps.items() if s == swap_id]
        for sid in members:
            _s, kek_id, wrapped = self.swaps.pop(sid)
            if commit and sid in self.data:
                self.data[sid] = (kek_id, wrapped)
        return len(members)

    def pending_swaps(self, subject_ids: Sequence[str] | None = None) -> list[str]:
        wanted = None if subject_ids is None else set(subject_ids)
        return sorted({s for sid, (s, _k, _w) in self.swaps.items()
                       if wanted is None or sid in wanted})

    def destroy(self, subject_ids: Sequence[str]) -> int:
        destroyed = 0
        for sid in dict.fromkeys(subject_ids):
            self.swaps.pop(sid, None)
            destroyed += self.data.pop(sid, None) is not None
        return destroyed

    def _system_key(self, name: str) -> bytes:
        stored = self.system.get(name)
        if stored is None:
            key = generate_key()
            self.system[name] = (self._kek.kek_id, self._kek.wrap(key, system_key_aad(name)))
            return key
        return unwrap_key(self._keks, stored[0], stored[1], system_key_aad(name))

    def index_key(self) -> bytes:
        return self._system_key(BLIND_INDEX)

    def audit_key(self) -> bytes:
        return self._system_key(AUDIT_CHAIN)

    def ensure_system_keys(self) -> tuple[str, ...]:
        created = tuple(name for name in SYSTEM_KEY_NAMES if name not in self.system)
        for name in SYSTEM_KEY_NAMES:
            self._system_key(name)
        return created

    def kek_counts(self) -> list[KekCount]:
        counts: list[KekCount] = []
        for kind, store in (("data", self.data), ("system", self.system)):
            per_kek: dict[str, int] = {}
            for kek_id, _wrapped in store.values():
                per_kek[kek_id] = per_kek.get(kek_id, 0) + 1
            counts.extend(KekCount(kind, k, n) for k, n in sorted(per_kek.items()))
        return counts

    def rewrap(
        self, old: KeyEncryptionKey, new: KeyEncryptionKey, *, batch_size: int = 1000
    ) -> Iterator[int]:
        if batch_size < 1:
            raise ValueError("batch_size is at least 1")
        new_id = new.kek_id
        readers = (old, *self._keks)
        system = [(n, s) for n, s in sorted(self.system.items()) if s[0] != new_id]
        rewrapped = {
            name: (new_id, new.wrap(unwrap_key(readers, k, w, aad), aad))
            for name, (k, w) in system
            for aad in [system_key_aad(name)]
        }
        self.system.update(rewrapped)
        if rewrapped:
            yield len(rewrapped)
        pending = sorted(sid for sid, (kek_id, _w) in self.data.items() if kek_id != new_id)
        for chunk in chunks(pending, batch_size):
            batch: dict[str, tuple[str, bytes]] = {}
            for sid in chunk:
                stored = self.data.get(sid)
                if stored is None or stored[0] == new_id:
                    continue
                aad = data_key_aad(sid)
                batch[sid] = (new_id, new.wrap(unwrap_key(readers, stored[0], stored[1], aad), aad))
            self.data.update(batch)  # all of a batch or nothing, like one transaction
            yield len(batch)
        for sid, (swap_id, kek_id, wrapped) in sorted(self.swaps.items()):
            if kek_id != new_id:
                aad = data_key_aad(sid)
                self.swaps[sid] = (swap_id, new_id,
                                   new.wrap(unwrap_key(readers, kek_id, wrapped, aad), aad))
