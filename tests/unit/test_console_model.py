"""The console's pure rules: the reader's language, urgency, masking, where to go after
signing in, which pages a role opens, and the list of blocked subjects."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.console.model.pages import (
    Urgency,
    mask,
    pick_language,
    safe_next,
    urgency,
    visible_pages,
)
from derbes.platform.chart import bars
from derbes.platform.labels import Lang
from derbes.staff.model.roles import Permission
from derbes.vault.ports import blocked_list


def test_the_chosen_language_wins_then_the_browsers_then_russian() -> None:
    assert pick_language("kk", "en") is Lang.KK
    assert pick_language(None, "de-DE,en;q=0.5,kk;q=0.9") is Lang.KK
    assert pick_language(None, "en-GB") is Lang.EN
    assert pick_language(None, "de, fr;q=0.8") is Lang.RU
    assert pick_language("xx", "kk;q=0") is Lang.RU


@given(st.text(max_size=300))
def test_any_accept_language_gives_one_of_the_three(header: str) -> None:
    assert pick_language(None, header) in set(Lang)


def test_urgency_counts_working_days() -> None:
    assert urgency(-1, closed=False) is Urgency.OVERDUE
    assert urgency(0, closed=False) is Urgency.DUE_TODAY
    assert urgency(3, closed=False) is Urgency.ON_TIME
    assert urgency(-5, closed=True) is Urgency.CLOSED


def test_masking_keeps_the_last_characters_only() -> None:
    assert mask("ea271251-1111-2222-3333-44445555abcd") == "••••abcd"
    assert mask("abc") == "•••"


@given(st.text(max_size=50))
def test_only_console_paths_are_followed(path: str) -> None:
    target = safe_next(path)
    assert target == "/console" or (target.startswith("/console/") and "//" not in target[:2])
    assert safe_next("//evil.example/console") == "/console"
    assert safe_next("/console/kassa24/requests") == "/console/kassa24/requests"
    assert safe_next("/console/x?iin=900101300123") == "/console"


def test_pages_follow_permissions() -> None:
    assert [p.key for p in visible_pages({Permission.AUDIT_READ})] == ["today", "audit"]
    assert [p.key for p in visible_pages({Permission.SUBJECTS_READ, Permission.ACTS_READ})] \
        == ["today", "subjects", "retention"]
    assert [p.key for p in visible_pages({Permission.REQUESTS_READ, Permission.STAFF_VIEW})] \
        == ["today", "requests", "people"]


def test_a_subject_blocked_whole_is_listed_once_as_whole() -> None:
    t = datetime(2026, 1, 5, tzinfo=UTC)
    found = blocked_list([("s1", t + timedelta(days=2))],
                         [("s1", t, "phone"), ("s2", t + timedelta(days=1), "email"),
                          ("s2", t + timedelta(days=3), "address")], limit=10)
    assert [(b.subject_id, b.since, b.categories) for b in found] == [
        ("s1", t, ()), ("s2", t + timedelta(days=1), ("address", "email"))]
    assert len(blocked_list([], [("a", t, "x"), ("b", t, "y")], limit=1)) == 1


@given(st.lists(st.integers(min_value=0, max_value=10**6), max_size=24))
def test_chart_bars_are_shares_of_the_longest(counts: list[int]) -> None:
    months = [(date(2026, 1, 1) + timedelta(days=31 * i)).replace(day=1)
              for i in range(len(counts))]
    drawn = bars(list(zip(months, counts, strict=True)))
    assert [b.count for b in drawn] == counts
    assert [b.y for b in drawn] == list(range(len(counts)))
    assert all(0.0 <= b.share <= 1.0 for b in drawn)
    if counts and max(counts):
        assert max(b.share for b in drawn) == 1.0
    else:
        assert all(b.share == 0.0 for b in drawn)


def test_a_negative_month_is_refused() -> None:
    with pytest.raises(ValueError):
        bars([(date(2026, 1, 1), -1)])
