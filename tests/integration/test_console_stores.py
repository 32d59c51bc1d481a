"""What the console added to the stores, on the fake, SQLite and PostgreSQL: a person's
language, and the blocked subjects awaiting a decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from derbes.errors import InputError
from derbes.platform.clock import FixedClock
from derbes.staff import service as staff
from derbes.testing.context import make_context
from derbes.testing.staff import QuickHasher
from derbes.testing.vault import InMemoryKeyStore
from derbes.uow import UnitOfWork
from derbes.vault.ports import CategoryBlock, SubjectRecord
from derbes.vault.service.changes import blocked_subjects


def test_the_language_is_remembered(uow_factory: Callable[[], UnitOfWork],
                                    clock: FixedClock) -> None:
    keys = InMemoryKeyStore()
    ctx = make_context(uow_factory(), keys, clock, "cli:test")
    person = staff.add_person(ctx, QuickHasher(), "lang@kassa24.kz", "Ерлан Сәрсенов")
    assert person.language is None
    assert staff.set_language(ctx, person.id, " KK ").value == "kk"
    with pytest.raises(InputError):
        staff.set_language(ctx, person.id, "de")
    with uow_factory() as uow:
        stored = uow.staff.get(person.id)
    assert stored is not None and stored.language == "kk"


def test_blocked_subjects_of_one_operator(uow_factory: Callable[[], UnitOfWork],
                                          clock: FixedClock) -> None:
    t = clock.now()
    with uow_factory() as uow:
        uow.vault.add_many([SubjectRecord(f"s{i}", op, t) for i, op in
                            enumerate(["kassa24", "kassa24", "kassa24", "kassa24", "qiwi-kz"])], [])
        uow.vault.set_block("s1", t + timedelta(hours=2), "complaint")
        uow.vault.add_category_blocks([
            CategoryBlock("s1", "phone", "complaint", t),
            CategoryBlock("s2", "email", "inaccurate", t + timedelta(hours=1)),
            CategoryBlock("s3", "phone", "complaint", t + timedelta(hours=3)),
            CategoryBlock("s2", "address", "inaccurate", t + timedelta(hours=4))])
        uow.vault.set_block("s3", t, "complaint")  # blocked whole: listed as whole
        uow.vault.set_block("s0", t, "ended")
        uow.vault.mark_destroyed("s0", t + timedelta(hours=5))  # destroyed: not waiting
        uow.vault.set_block("s4", t, "another operator")
        uow.commit()
    ctx = make_context(uow_factory(), InMemoryKeyStore(), clock, "cli:test")
    found = blocked_subjects(ctx, "kassa24")
    assert [(b.subject_id, b.categories) for b in found] == [
        ("s1", ()), ("s3", ()), ("s2", ("address", "email"))]
    assert found[0].since == t
    assert [b.subject_id for b in blocked_subjects(ctx, "kassa24", limit=1)] == ["s1"]
    with pytest.raises(InputError):
        blocked_subjects(ctx, "kassa24", limit=0)
