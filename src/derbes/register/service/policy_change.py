"""Policy changes: compare register versions, publish one, ask for consent again.

:func:`diff_files` / :func:`diff_loaded` classify what changed between two
register versions (``register/model/diff.py`` holds the rules and explains
each change). :func:`publish_with_diff` publishes a new version and, when it
widens processing, marks the consents it touches as needing re-consent, in the
same transaction:

- ``consents.needs_reconsent_since`` is set to the publication instant (an
  earlier mark is kept: the consent stopped counting then) on every active
  consent of the operator that a re-consent scope touches, except consents
  given on the notice of this very version (same policy hash);
- a ``reconsent_required`` event is appended to the consent ledger for each
  marked consent, naming the scopes and the changes that caused it (kinds and
  YAML paths, old and new policy versions and register hashes; no PD).

Silence never counts as consent (Law 94-V Art. 8): nothing here ever treats a
subject who did not answer as having agreed. A marked consent does not count
as consent, for anything it covers, from ``needs_reconsent_since`` until the
subject gives a fresh consent; the decision point (``decisions/service.py``)
reads the column. The marks are the consent slice's
(``consent/service/reconsent.py``); which consents a scope touches is the table in the
docstring of ``register/model/diff.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derbes.consent.service.reconsent import ReconsentMark, Versions, ask_again, would_ask
from derbes.errors import ConflictError, NotFoundError, RegisterError
from derbes.platform.clock import Clock
from derbes.register.model.diff import Change, RegisterDiff, Side, diff
from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import RegisterReader, StoredRegister
from derbes.uow import UnitOfWork


@dataclass(frozen=True)
class FileDiff:
    """A diff of two loaded register files, able to say on which line a change is."""

    old: LoadedRegister
    new: LoadedRegister
    diff: RegisterDiff

    def file_of(self, change: Change) -> str:
        return self.new.file if change.side is Side.NEW else self.old.file

    def line_of(self, change: Change) -> int | None:
        loaded = self.new if change.side is Side.NEW else self.old
        return loaded.line_of(change.path)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (``derbes register diff --format json``)."""
        d = self.diff
        return {
            "operator": d.operator_id,
            "old": _side(self.old),
            "new": _side(self.new),
            "widens": d.widens,
            "narrows": d.narrows,
            "reconsent_required": d.reconsent_required,
            "reconsent_purposes": list(d.reconsent_purposes),
            "new_purposes": list(d.new_purposes),
            "reconsent_scopes": [s.as_dict() for s in d.reconsent_scopes],
            "summary": d.summary(),
            "changes": [self._change(c) for c in d.changes],
        }

    def _change(self, change: Change) -> dict[str, Any]:
        return {
            "kind": change.kind.value,
            "effect": change.effect.value,
            "path": change.path,
            "in": change.side.value,
            "file": self.file_of(change),
            "line": self.line_of(change),
            "item": change.item,
            "purposes": list(change.purposes),
            "reconsent": [s.as_dict() for s in change.reconsent],
            "explanation": change.explanation,
            "citation": change.citation,
            "before": change.before,
            "after": change.after,
        }


def _side(loaded: LoadedRegister) -> dict[str, Any]:
    return {
        "file": loaded.file,
        "policy_version": loaded.register.policy.version_id,
        "sha256": loaded.sha256,
    }


def diff_loaded(old: LoadedRegister, new: LoadedRegister) -> FileDiff:
    return FileDiff(old=old, new=new, diff=diff(old.register, new.register))


def diff_files(old: str | Path, new: str | Path, reader: RegisterReader) -> FileDiff:
    """Load both files (a :class:`RegisterError` if one does not load) and compare them."""
    return diff_loaded(reader.load(old), reader.load(new))


# ---------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Published:
    stored: StoredRegister
    loaded: LoadedRegister
    new: bool  # False when this exact text was already in force


@dataclass(frozen=True)
class PolicyChange:
    """What publishing a register version did."""

    published: Published
    previous: StoredRegister | None  # the version in force before, if any
    diff: RegisterDiff | None  # None: first version, or the text in force again
    marks: tuple[ReconsentMark, ...] = ()

    @property
    def marked(self) -> int:
        """Consents that stopped counting because of this version."""
        return sum(1 for m in self.marks if m.newly_marked)


def publish_with_diff(uow: UnitOfWork, new_loaded: LoadedRegister, clock: Clock) -> PolicyChange:
    """Publish ``new_loaded`` and, if it widens processing, ask for consent again.

    One transaction: the register version, the ``needs_reconsent_since`` marks
    and the ``reconsent_required`` ledger entries commit together or not at
    all. Publishing the text already in force changes nothing; the first
    version of an operator's register has no consent to compare with.
    """
    with uow:
        change = publish_in(uow, new_loaded, clock)
        uow.commit()
    return change


def publish_in(uow: UnitOfWork, new_loaded: LoadedRegister, clock: Clock) -> PolicyChange:
    """:func:`publish_with_diff` inside a unit of work already open; the caller commits."""
    register = new_loaded.register
    now = clock.now()
    before = uow.registers.latest(register.operator.id)
    stored = uow.registers.add(register.operator.id, register.policy.version_id,
                               new_loaded.source, now)
    new = before is None or before.sha256 != stored.sha256 or before.id != stored.id
    published = Published(stored=stored, loaded=new_loaded, new=new)
    if before is None or not new:
        return PolicyChange(published=published, previous=before, diff=None)
    result = diff(_comparable(uow, before).register, register)
    marks: Sequence[ReconsentMark] = ()
    if result.reconsent_required:
        marks = ask_again(uow, result, Versions(before.sha256, stored.sha256,
                                                uow.registers.policy_hash(new_loaded)), now)
    return PolicyChange(published=published, previous=before, diff=result, marks=tuple(marks))


def _comparable(uow: UnitOfWork, stored: StoredRegister) -> LoadedRegister:
    """The version in force, parsed, to compare a new version with."""
    try:
        return uow.registers.parsed(stored)
    except RegisterError as exc:
        raise ConflictError(
            f"the register of {stored.operator_id!r} in force (sha256 {stored.sha256[:12]}) "
            f"no longer loads, so this version cannot be compared with it: {exc.message}",
            field="register",
        ) from None


@dataclass(frozen=True)
class Preview:
    """What publishing a version would do, computed without writing anything."""

    previous: StoredRegister
    change: FileDiff
    marks: tuple[ReconsentMark, ...]  # the consents it would ask again (and those waiting)

    @property
    def newly_marked(self) -> int:
        return sum(1 for m in self.marks if m.newly_marked)


def preview_in(uow: UnitOfWork, new_loaded: LoadedRegister, clock: Clock) -> Preview:
    """Inside an open unit of work: the diff of ``new_loaded`` against the version in force
    and the consents :func:`publish_in` would mark, as of now (nothing is written)."""
    operator = new_loaded.register.operator.id
    before = uow.registers.latest(operator)
    if before is None:
        raise NotFoundError(f"no register published for operator {operator!r}",
                            field="operator")
    result = diff_loaded(_comparable(uow, before), new_loaded)
    marks: tuple[ReconsentMark, ...] = ()
    if result.diff.reconsent_required and before.sha256 != new_loaded.sha256:
        marks = would_ask(uow, result.diff, uow.registers.policy_hash(new_loaded), clock.now())
    return Preview(before, result, marks)
