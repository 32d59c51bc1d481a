"""Upgrade a register file of schema version 1 to version 2.

Version 2 says what the policy states, and only that (``statement.py``):

- ``clause`` becomes ``source`` everywhere (purposes, recipients, the policy
  change, minors), ``consent.withdrawal_clause`` becomes
  ``consent.withdrawal_source`` and ``policy.source`` (the URL) ``policy.url``;
- a purpose's ``sources`` become ``data_sources`` (singular kinds:
  ``credit_bureaus`` → ``credit_bureau``);
- a recipient in country ``ZZ`` ("unknown") loses its country: not stated;
- an empty list section loses the key: not stated (version 2 says "stated as
  none" with ``{none: true, source: …}``).

Version 1 *read* silence as facts: no ``minors`` block meant "minors are not
processed", no ``automated_decision`` meant "no", no ``sources`` meant "from the
subject", no ``methods`` "automated". Version 2 reads silence as silence; the
upgrade writes none of those guesses into the file and reports each place where
the meaning changed, so a DPO can add what the policy really says.

Pure: works on the parsed data and returns the edits; the adapter applies them
to the text so that comments survive.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

FROM_VERSION = 1
TO_VERSION = 2

_SOURCE_KINDS = {
    "credit_bureaus": "credit_bureau",
    "state_databases": "state_database",
    "third_parties": "third_party",
}
# Sections a notice turns into sentences: an empty list was "none" to schema 1.
_LIST_SECTIONS = (
    "recipients", "cookies", "request_channels", "operator.copies_abroad",
    "consent.channels", "consent.separate_scopes",
)


@dataclass(frozen=True)
class Rename:
    """Rename the key at ``path`` (dotted) to ``new_key``."""

    path: str
    new_key: str


@dataclass(frozen=True)
class Remove:
    """Remove the key at ``path`` with its value."""

    path: str


@dataclass(frozen=True)
class Replace:
    """Replace the value at ``path`` of the original text (a scalar, or the items of a
    list that differ)."""

    path: str
    old: Any
    new: Any


Edit = Rename | Remove | Replace


@dataclass(frozen=True)
class Upgrade:
    data: dict[str, Any]
    edits: tuple[Edit, ...]
    notes: tuple[str, ...]  # what now reads as "not stated"


def needs_upgrade(raw: Mapping[str, Any]) -> bool:
    return raw.get("schema_version") == FROM_VERSION


def upgrade(raw: Mapping[str, Any]) -> Upgrade:
    """The version 2 data of version 1 ``raw``, the edits that produce it, and notes."""
    data: dict[str, Any] = copy.deepcopy(dict(raw))
    edits: list[Edit] = [Replace("schema_version", FROM_VERSION, TO_VERSION)]
    notes: list[str] = []
    data["schema_version"] = TO_VERSION
    _policy(data, edits)
    _purposes(data, edits, notes)
    _recipients(data, edits, notes)
    _setup(data, edits, notes)
    for section in _LIST_SECTIONS:
        *parents, key = section.split(".")
        holder: Any = data
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and holder.get(key) == []:
            del holder[key]
            edits.append(Remove(section))
            notes.append(f"{section}: an empty list now reads as not stated; write "
                         "{none: true, source: <clause>} where the policy says there is none")
    return Upgrade(data, tuple(edits), tuple(notes))


def _entries(data: dict[str, Any], key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The path and mapping of each entry listed under ``key``; anything else (not a list,
    an entry not a mapping) is left for the schema check to report."""
    items = data.get(key)
    for i, entry in enumerate(items if isinstance(items, list) else []):
        if isinstance(entry, dict):
            yield f"{key}[{i}]", entry


def _rename(obj: dict[str, Any], path: str, old: str, new: str, edits: list[Edit]) -> None:
    if old in obj:
        obj[new] = obj.pop(old)
        edits.append(Rename(f"{path}.{old}" if path else old, new))


def _policy(data: dict[str, Any], edits: list[Edit]) -> None:
    policy = data.get("policy")
    if not isinstance(policy, dict):
        return
    _rename(policy, "policy", "source", "url", edits)
    change = policy.get("change")
    if isinstance(change, dict):
        _rename(change, "policy.change", "clause", "source", edits)


def _purposes(data: dict[str, Any], edits: list[Edit], notes: list[str]) -> None:
    for path, purpose in _entries(data, "purposes"):
        _rename(purpose, path, "clause", "source", edits)
        if "sources" in purpose:
            # Edits name the paths of the original text.
            kinds = purpose["sources"]
            mapped = [_SOURCE_KINDS.get(str(k), k) for k in kinds]
            if mapped != kinds:
                edits.append(Replace(f"{path}.sources", kinds, mapped))
            _rename(purpose, path, "sources", "data_sources", edits)
            purpose["data_sources"] = mapped
        else:
            notes.append(f"{path}: schema 1 read missing sources as 'from the subject'; "
                         "now not stated")
        if "methods" not in purpose:
            notes.append(f"{path}: schema 1 read missing methods as 'automated'; now not stated")
        if "automated_decision" not in purpose:
            notes.append(f"{path}: schema 1 read a missing automated_decision as false; "
                         "now not stated")


def _recipients(data: dict[str, Any], edits: list[Edit], notes: list[str]) -> None:
    for path, recipient in _entries(data, "recipients"):
        _rename(recipient, path, "clause", "source", edits)
        if str(recipient.get("country", "")).upper() == "ZZ":
            del recipient["country"]
            edits.append(Remove(f"{path}.country"))
            notes.append(f"{path}: country ZZ (unknown) is now 'not stated'")


def _setup(data: dict[str, Any], edits: list[Edit], notes: list[str]) -> None:
    consent = data.get("consent")
    if isinstance(consent, dict):
        _rename(consent, "consent", "withdrawal_clause", "withdrawal_source", edits)
    minors = data.get("minors")
    if isinstance(minors, dict):
        _rename(minors, "minors", "clause", "source", edits)
    else:
        notes.append("minors: schema 1 read a missing minors block as 'minors are not "
                     "processed'; now not stated")
