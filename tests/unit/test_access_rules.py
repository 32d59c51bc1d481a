"""Bulk-access alerting: the counting (pure) and the one-alert-per-window service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from derbes.audit import service as audit
from derbes.audit.adapters.alert_rules import load_access_rules
from derbes.audit.model.alert_rules import (
    AccessEvent,
    BulkReadRule,
    bulk_access,
    rules_from_dict,
    same_window,
)
from derbes.audit.model.log import AuditRecord
from derbes.errors import ConfigurationError
from derbes.platform.labels import Labels
from derbes.testing.uow import FakeUnitOfWork

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RULE = BulkReadRule(
    name="bulk_read", actions=frozenset({"subject.read", "subject.find"}), max_subjects=3,
    window=timedelta(minutes=10), citation="Order 179/НҚ", label=Labels("ру", "қаз", "en"),
)


def _reads(*pairs: tuple[int, str], action: str = "subject.read") -> list[AccessEvent]:
    """Events at T0 + minutes, one subject each."""
    return [AccessEvent(T0 + timedelta(minutes=m), action, (s,)) for m, s in pairs]


def test_at_the_threshold_nothing_is_found() -> None:
    events = _reads((0, "a"), (1, "b"), (2, "c"))
    assert bulk_access(RULE, events, T0 + timedelta(minutes=3)) is None


def test_one_more_subject_than_allowed_is_found() -> None:
    events = _reads((0, "a"), (1, "b"), (2, "c"), (3, "d"))
    finding = bulk_access(RULE, events, T0 + timedelta(minutes=3))
    assert finding is not None
    assert (finding.rule, finding.count) == ("bulk_read", 4)
    assert finding.first_at == T0
    assert finding.last_at == T0 + timedelta(minutes=3)


def test_the_same_subject_read_again_counts_once() -> None:
    events = _reads((0, "a"), (1, "a"), (2, "b"), (3, "b"), (4, "c"), (5, "a"))
    assert bulk_access(RULE, events, T0 + timedelta(minutes=5)) is None


def test_reads_older_than_the_window_do_not_count() -> None:
    events = _reads((0, "a"), (1, "b"), (8, "c"), (9, "d"))
    # At 10:00 the window is (09:00, 09:10]: "a" at exactly 09:00 has left it.
    assert bulk_access(RULE, events, T0 + timedelta(minutes=10)) is None
    assert bulk_access(RULE, events, T0 + timedelta(minutes=9)) is not None


def test_reads_after_now_do_not_count() -> None:
    events = _reads((0, "a"), (1, "b"), (2, "c"), (5, "d"))
    assert bulk_access(RULE, events, T0 + timedelta(minutes=4)) is None


def test_other_actions_do_not_count_but_finds_do() -> None:
    writes = _reads((0, "a"), (1, "b"), (2, "c"), (3, "d"), action="subject.write")
    assert bulk_access(RULE, writes, T0 + timedelta(minutes=3)) is None
    finds = _reads((0, "a"), (1, "b"), (2, "c"), (3, "d"), action="subject.find")
    assert bulk_access(RULE, finds, T0 + timedelta(minutes=3)) is not None


def test_one_event_with_many_subjects_counts_them_all() -> None:
    events = [AccessEvent(T0, "subject.read", ("a", "b", "c", "d", "a"))]
    finding = bulk_access(RULE, events, T0)
    assert finding is not None and finding.count == 4


def test_same_window() -> None:
    assert same_window(T0, RULE, T0)
    assert same_window(T0, RULE, T0 + timedelta(minutes=9, seconds=59))
    assert not same_window(T0, RULE, T0 + timedelta(minutes=10))
    assert not same_window(T0, RULE, T0 - timedelta(seconds=1))


def test_the_shipped_rules_load_with_their_citation() -> None:
    rules = load_access_rules()
    rule = rules.rule("bulk_read")
    assert rule.max_subjects == 50
    assert rule.window == timedelta(minutes=10)
    assert "179/НҚ" in rule.citation
    assert {"subject.read", "subject.find"} == set(rule.actions)
    assert any(c in rule.label.kk for c in "әғқңөұүһі")


def _table(**changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "kind": "distinct_subjects", "actions": ["subject.read"], "max_subjects": 5,
        "window_seconds": 60, "citation": "Order 179/НҚ",
        "label": {"ru": "р", "kk": "қ", "en": "e"},
    }
    rule.update(changes)
    return {"version": 1, "rules": {"r": {k: v for k, v in rule.items() if v is not None}}}


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "after_hours"}, "unknown rule kind"),
    ({"max_subjects": 0}, "positive whole number"),
    ({"window_seconds": "10 minutes"}, "positive whole number"),
    ({"citation": " "}, "cites its legal basis"),
    ({"citation": None}, "missing 'citation'"),
    ({"actions": []}, "list of action names"),
    ({"label": {"ru": "р", "en": "e"}}, "missing text for kk"),
])
def test_malformed_rules_are_configuration_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        rules_from_dict(_table(**changes))


def test_the_table_needs_version_1_and_rules() -> None:
    with pytest.raises(ConfigurationError, match="version"):
        rules_from_dict({"version": 2, "rules": {}})
    with pytest.raises(ConfigurationError, match="rules"):
        rules_from_dict({"version": 1, "rules": {}})


def _read(uow: FakeUnitOfWork, at: datetime, subject: str, actor: str = "clerk") -> None:
    uow.audit.record(AuditRecord(at=at, actor=actor, action="subject.read",
                                 subject_ids=[subject], purpose="service"))


def test_check_bulk_access_writes_one_alert_per_actor_per_window() -> None:
    uow = FakeUnitOfWork()
    with uow:
        for i in range(3):
            _read(uow, T0 + timedelta(seconds=i), f"s-{i}")
            assert audit.check_bulk_access(uow, "clerk", T0 + timedelta(seconds=i), RULE) == []
        written = []
        for i in range(3, 10):  # 4th to 10th distinct subject: above the threshold
            now = T0 + timedelta(seconds=i)
            _read(uow, now, f"s-{i}")
            written += audit.check_bulk_access(uow, "clerk", now, RULE)
        uow.commit()
    assert len(written) == 1
    alert = written[0]
    assert (alert.actor, alert.rule, alert.count) == ("clerk", "bulk_read", 4)
    assert alert.window_seconds == 600
    assert alert.first_at == T0 and alert.last_at == T0 + timedelta(seconds=3)
    assert alert.details["citation"] == "Order 179/НҚ"
    assert audit.alerts(uow) == [alert]


def test_a_sustained_burst_raises_a_new_alert_in_the_next_window() -> None:
    uow = FakeUnitOfWork()
    with uow:
        raised = []
        for minute in range(0, 25):
            now = T0 + timedelta(minutes=minute)
            for k in range(2):
                _read(uow, now, f"s-{minute}-{k}")
            raised += audit.check_bulk_access(uow, "clerk", now, RULE)
        uow.commit()
    # Above 3 subjects from minute 1 on; one alert per 10-minute window.
    assert [a.at for a in raised] == [T0 + timedelta(minutes=m) for m in (1, 11, 21)]


def test_alerts_are_per_actor_and_roll_back_with_the_read() -> None:
    uow = FakeUnitOfWork()
    with uow:
        for i in range(4):
            _read(uow, T0, f"s-{i}", actor="clerk")
            _read(uow, T0, f"s-{i}", actor="other")
        assert len(audit.check_bulk_access(uow, "clerk", T0, RULE)) == 1
        assert len(audit.check_bulk_access(uow, "other", T0, RULE)) == 1
    assert audit.alerts(uow) == []  # not committed


def test_the_shipped_rules_alert_on_the_51st_subject() -> None:
    uow = FakeUnitOfWork()
    shipped = load_access_rules()
    with uow:
        for i in range(50):
            _read(uow, T0, f"s-{i}")
        assert audit.check_bulk_access(uow, "clerk", T0, shipped) == []
        _read(uow, T0, "s-50")
        [alert] = audit.check_bulk_access(uow, "clerk", T0, shipped)
    assert alert.count == 51
