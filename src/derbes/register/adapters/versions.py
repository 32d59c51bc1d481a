"""Stored register versions as the use cases read them: parsed, and their policy hash.

Parsing and validating a register costs far more than the request that needs it,
and rendering its notice (for the policy hash) more still; a stored version never
changes. So both are kept in caches bounded to :data:`CACHED_VERSIONS` entries,
least recently used first out: parsed versions keyed by the operator and the
SHA-256 of the version's text, policy hashes by the SHA-256 alone. The register
stores (``register/adapters/store.py``) answer ``parsed`` and ``policy_hash``
from here.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import StoredRegister

__all__ = ["CACHED_VERSIONS", "cached", "parsed", "policy_hash"]

# Several operators, each with a version or two in flight around a publication.
CACHED_VERSIONS = 64

K = TypeVar("K")
V = TypeVar("V")


class _Bounded(Generic[K, V]):
    """A thread-safe cache of at most ``size`` entries; a value is computed outside the lock."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        value = compute()
        with self._lock:
            value = self._items.setdefault(key, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def peek(self, key: K) -> V | None:
        """The value cached for ``key``, or None (nothing is computed)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def __len__(self) -> int:
        return len(self._items)


_PARSED: _Bounded[tuple[str, str], LoadedRegister] = _Bounded(CACHED_VERSIONS)
_HASHES: _Bounded[str, str] = _Bounded(CACHED_VERSIONS)


def parsed(stored: StoredRegister) -> LoadedRegister:
    """A stored register version, parsed (once per process while it stays cached)."""
    from derbes.register.adapters.yaml import parse_register

    return _PARSED.get(
        (stored.operator_id, stored.sha256),
        lambda: parse_register(stored.source_text,
                               f"{stored.operator_id}@{stored.sha256[:12]}"))


def cached(operator_id: str, sha256: str) -> LoadedRegister | None:
    """The version of ``operator_id`` whose text has this SHA-256, if already parsed."""
    return _PARSED.peek((operator_id, sha256))


def policy_hash(loaded: LoadedRegister) -> str:
    """SHA-256 of the generated notice (ru, HTML) of this register: the policy text a
    consent records and a new version is compared with.

    Rendered on the shipped regime table, so the hash names the register's text
    alone: a consent given and a version published later compare equal whatever
    regime file each process was started with.
    """
    def render() -> str:
        from derbes.deadlines.adapters.regime_yaml import load_regime
        from derbes.platform.labels import Lang
        from derbes.register.adapters.notice.render import render_notice
        from derbes.register.model.notice_format import NoticeFormat

        html = render_notice(loaded, Lang.RU, NoticeFormat.HTML, load_regime())
        return hashlib.sha256(html).hexdigest()

    return _HASHES.get(loaded.sha256, render)
