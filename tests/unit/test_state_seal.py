"""State seals: what they cover, and that any change of the covered state breaks them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from derbes.integrity.model.state_seal import (
    COMPONENTS,
    SealedConsent,
    Snapshot,
    canonical,
    changed_components,
    components,
    mac,
    matches,
    seal_key,
)
from derbes.testing.uow import FakeUnitOfWork

KEY = seal_key(b"unit tests audit key, 32 bytes!!")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _consent(cid: str = "c1", **changes: object) -> object:
    base = SealedConsent(cid, "processing", ("newsletters",), (), "subject", T0, None, None,
                         None, None)
    return replace(base, **changes)  # type: ignore[arg-type]


def _state(**changes: object) -> Snapshot:
    base = canonical(Snapshot("s1", "example-pay", blocked_at=None, destroyed_at=None,
                              blocked_categories=("contact.email",), open_contracts=("K1",),
                              consents=(_consent(),),  # type: ignore[arg-type]
                              clocks=(("payments", date(2030, 1, 1)),), ledger=(7, "a" * 64)))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_seal_holds_for_its_state_and_not_under_another_key() -> None:
    state = _state()
    stored = mac(KEY, state)
    assert matches(KEY, state, stored)
    assert not matches(seal_key(b"another audit key of 32 bytes!!!"), state, stored)
    assert not matches(KEY, state, None)
    assert not matches(KEY, replace(state, subject_id="s2"), stored)


def test_rows_in_any_order_make_the_same_snapshot() -> None:
    a = canonical(Snapshot("s1", "op", blocked_categories=("b", "a", "a"),
                           open_contracts=("K2", "K1"),
                           consents=(_consent("c2"), _consent("c1")),  # type: ignore[arg-type]
                           clocks=(("y", None), ("x", date(2030, 1, 1)))))
    b = canonical(Snapshot("s1", "op", blocked_categories=("a", "b"), open_contracts=("K1", "K2"),
                           consents=(_consent("c1"), _consent("c2")),  # type: ignore[arg-type]
                           clocks=(("x", date(2030, 1, 1)), ("y", None))))
    assert mac(KEY, a) == mac(KEY, b)


CHANGES: dict[str, dict[str, object]] = {
    "subject": {"blocked_at": T0},
    "blocks": {"blocked_categories": ()},
    "contracts": {"open_contracts": ("K1", "K9")},
    "consents": {"consents": (_consent(withdrawn_at=T0),)},
    "retention": {"clocks": (("payments", None),)},
    "ledger": {"ledger": (8, "b" * 64)},
}


def test_every_part_is_covered_and_named_when_it_changes() -> None:
    state = _state()
    stored = mac(KEY, state)
    digests = components(state)
    assert set(digests) == set(COMPONENTS) == set(CHANGES)
    for part, change in CHANGES.items():
        changed = replace(state, **change)  # type: ignore[arg-type]
        assert not matches(KEY, changed, stored), part
        assert changed_components(digests, changed) == [part]


@given(field=st.sampled_from(["given_at", "valid_until", "expired_at", "withdrawn_at",
                              "needs_reconsent_since"]),
       minutes=st.integers(min_value=1, max_value=10**6))
def test_moving_any_consent_time_breaks_the_seal(field: str, minutes: int) -> None:
    state = _state()
    stored = mac(KEY, state)
    moved = _consent(**{field: T0 + timedelta(minutes=minutes)})
    assert not matches(KEY, replace(state, consents=(moved,)), stored)  # type: ignore[arg-type]


def test_the_same_instant_in_another_zone_is_the_same_state() -> None:
    from zoneinfo import ZoneInfo

    almaty = T0.astimezone(ZoneInfo("Asia/Almaty"))
    a = _state(consents=(_consent(given_at=T0.astimezone(UTC)),))
    b = _state(consents=(_consent(given_at=almaty.astimezone(UTC)),))
    assert mac(KEY, a) == mac(KEY, b)


def test_the_fake_unit_of_work_seals_on_commit_and_detects_a_changed_row() -> None:
    from derbes.vault.ports import SubjectRecord

    uow = FakeUnitOfWork()
    with uow:
        uow.vault.add_many([SubjectRecord("s1", "op", T0)], [])
        uow.commit()
    with uow:
        rows = uow.decision_facts.load("op", ["s1"])
    assert rows.unverified == {}
    # Blocked behind the repositories' back (no reseal): the seal no longer holds.
    uow.fake_vault._s.subjects["s1"] = SubjectRecord("s1", "op", T0, blocked_at=T0)
    with uow:
        rows = uow.decision_facts.load("op", ["s1"])
    assert rows.unverified == {"s1": "its rows do not match their seal"}
    uow.fake_seals.rows.clear()
    with uow:
        assert uow.decision_facts.load("op", ["s1"]).unverified == {"s1": "never sealed"}
