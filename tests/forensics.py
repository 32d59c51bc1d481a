"""What an attacker with raw files does: carve every candidate key and try it.

Wrapped keys are AES-256-GCM: a 12-byte nonce, 32 bytes of ciphertext and a
16-byte tag, 60 bytes in all, whether an epoch key or the KEK wraps them. A
raw key is 32 bytes. The carver takes EVERY 60-byte window (and every 32-byte
window) at every byte offset of the bytes it is given — no parsing of the
file format, so nothing is missed because a page was half-written or freed —
and tries to unwrap each with every wrapping key the attacker has, bound to
the subject ids whose data he wants. A key that unwraps is then tried on the
subject's sealed values from a backup of the data database.
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from derbes.platform import crypto
from derbes.vault.adapters.key_epochs import epoch_key_aad
from derbes.vault.adapters.keystore import data_key_aad

WRAPPED = 60  # nonce 12 + key 32 + tag 16
RAW = 32


@dataclass(frozen=True)
class Sealed:
    """One value of a subject, as a backup of the data database holds it."""

    subject_id: str
    category: str
    seq: int
    sealed: bytes

    def opens_with(self, key: bytes) -> bool:
        try:
            crypto.open_sealed(key, self.sealed, crypto.value_aad(self.subject_id, self.category,
                                                                  self.seq))
        except Exception:
            return False
        return True


@dataclass
class Findings:
    """What a carve found: how many windows were tried and which keys came out."""

    windows: int = 0
    unwrapped: dict[str, set[bytes]] = field(default_factory=dict)  # subject -> keys
    raw_hits: dict[str, set[bytes]] = field(default_factory=dict)

    def keys_of(self, subject_id: str) -> set[bytes]:
        return self.unwrapped.get(subject_id, set()) | self.raw_hits.get(subject_id, set())


def _windows(data: bytes, size: int) -> Iterable[tuple[bytes, bytes]]:
    view = memoryview(data)
    for start in range(len(data) - size + 1):
        yield bytes(view[start:start + 12]), bytes(view[start + 12:start + size])


def carve(blobs: Sequence[bytes], wrapping_keys: Sequence[bytes], subject_ids: Sequence[str],
          probes: dict[str, Sealed], *, stop_at_first: bool = False) -> Findings:
    """Unwrap every 60-byte window with every wrapping key for every subject, and try every
    32-byte window as a raw data key on one sealed value (``probes``) of each subject.

    ``stop_at_first``: return as soon as a key of every subject is found (a control
    that shows the attack works needs no more)."""
    found = Findings()
    ciphers = [AESGCM(key) for key in wrapping_keys]
    aads = [(sid, data_key_aad(sid)) for sid in subject_ids]
    for data in blobs:
        for nonce, body in _windows(data, WRAPPED):
            found.windows += 1
            for cipher in ciphers:
                for sid, aad in aads:
                    try:
                        key = cipher.decrypt(nonce, body, aad)
                    except InvalidTag:
                        continue
                    found.unwrapped.setdefault(sid, set()).add(key)
            if stop_at_first and all(sid in found.unwrapped for sid in subject_ids):
                return found
        view = memoryview(data)
        for start in range(len(data) - RAW + 1):
            found.windows += 1
            candidate = bytes(view[start:start + RAW])
            for sid, probe in probes.items():
                if probe.opens_with(candidate):
                    found.raw_hits.setdefault(sid, set()).add(candidate)
    return found


def epoch_keys_in(directory: Path, kek: bytes, up_to: int = 50) -> list[bytes]:
    """Every epoch key the KEK opens among the files of ``directory`` (parsed, and also
    carved window by window, in case a file is damaged or renamed)."""
    cipher = AESGCM(kek)
    keys: list[bytes] = []
    if not directory.is_dir():
        return keys
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        raw = path.read_bytes()
        blobs = [raw]
        for token in re.findall(rb"[A-Za-z0-9+/=]{40,}", raw):
            try:
                blobs.append(base64.b64decode(token))
            except ValueError:
                continue
        for blob in blobs:
            for nonce, body in _windows(blob, WRAPPED):
                for epoch in range(1, up_to + 1):
                    try:
                        keys.append(cipher.decrypt(nonce, body, epoch_key_aad(epoch)))
                    except InvalidTag:
                        continue
    return list(dict.fromkeys(keys))


def decrypted(keys: Iterable[bytes], values: Sequence[Sealed]) -> int:
    """How many of ``values`` open with any of ``keys``."""
    keys = list(keys)
    return sum(1 for value in values if any(value.opens_with(key) for key in keys))


def hex_blobs(text: bytes) -> list[bytes]:
    """The bytea values of a plain-format pg_dump (``\\x...`` hex) as bytes."""
    return [bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x([0-9a-f]{2,})", text)]


def pg_dump(pg_dump_bin: str, url: str, out: Path) -> bytes:
    subprocess.run([pg_dump_bin, "--no-owner", "--no-privileges", "-f", str(out), url],
                   check=True, capture_output=True)
    return out.read_bytes()
