"""Rules that flag unusual access to personal data, and the counting behind them.

Order 179/НҚ asks the operator to detect unauthorised access. The first rule
is the simplest useful one: a single actor reading more distinct subjects in
a short window than any job needs (a scrape, a leaked API key, a curious
employee). Thresholds and windows are data (``data/access_rules.yaml``) that
carry their citation; this module only counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from derbes.errors import ConfigurationError, InputError
from derbes.platform.labels import Labels


class RuleKind(StrEnum):
    DISTINCT_SUBJECTS = "distinct_subjects"  # too many distinct subjects in a window


@dataclass(frozen=True)
class BulkReadRule:
    """Alert when one actor touches more than ``max_subjects`` subjects within ``window``."""

    name: str
    actions: frozenset[str]
    max_subjects: int
    window: timedelta
    citation: str
    label: Labels

    @property
    def window_seconds(self) -> int:
        return int(self.window.total_seconds())


@dataclass(frozen=True)
class AccessRules:
    bulk_reads: tuple[BulkReadRule, ...]

    def rule(self, name: str) -> BulkReadRule:
        for rule in self.bulk_reads:
            if rule.name == name:
                return rule
        raise KeyError(name)


@dataclass(frozen=True)
class AccessEvent:
    """One logged action of an actor: when, what, on which subjects."""

    at: datetime
    action: str
    subject_ids: tuple[str, ...]


@dataclass(frozen=True)
class BulkAccess:
    """A rule was exceeded: how many distinct subjects, first and last access in the window."""

    rule: str
    count: int
    first_at: datetime
    last_at: datetime


def window_start(rule: BulkReadRule, now: datetime) -> datetime:
    """The earliest instant (exclusive) that still counts at ``now``."""
    return now - rule.window


def bulk_access(
    rule: BulkReadRule, events: Iterable[AccessEvent], now: datetime
) -> BulkAccess | None:
    """The finding when ``events`` (one actor's) exceed ``rule`` in the window ending at ``now``.

    The window is sliding: (now - window, now]. Reading one subject twice counts
    once; events outside the window or of other actions do not count.
    """
    start = window_start(rule, now)
    subjects: set[str] = set()
    first: datetime | None = None
    last: datetime | None = None
    for event in events:
        if event.action not in rule.actions or not start < event.at <= now:
            continue
        if not event.subject_ids:
            continue
        subjects.update(event.subject_ids)
        first = event.at if first is None or event.at < first else first
        last = event.at if last is None or event.at > last else last
    if len(subjects) <= rule.max_subjects or first is None or last is None:
        return None
    return BulkAccess(rule=rule.name, count=len(subjects), first_at=first, last_at=last)


def same_window(alert_at: datetime, rule: BulkReadRule, now: datetime) -> bool:
    """Whether an alert raised at ``alert_at`` still covers ``now``.

    One alert per actor and rule per window: a sustained burst raises a new
    alert once per window length instead of one per read.
    """
    return alert_at <= now < alert_at + rule.window


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ConfigurationError(f"{where}: missing {key!r}", field=f"{where}.{key}")
    return data[key]


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{where}: expected a positive whole number", field=where)
    return value


def _rule(name: str, data: Any) -> BulkReadRule:
    where = f"rules.{name}"
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{where}: expected a mapping", field=where)
    kind = _require(data, "kind", where)
    if kind != RuleKind.DISTINCT_SUBJECTS:
        raise ConfigurationError(
            f"{where}.kind: unknown rule kind {kind!r} (known: "
            f"{', '.join(k.value for k in RuleKind)})",
            field=f"{where}.kind",
        )
    actions = _require(data, "actions", where)
    if (not isinstance(actions, list) or not actions
            or not all(isinstance(a, str) and a for a in actions)):
        raise ConfigurationError(f"{where}.actions: expected a list of action names",
                                 field=f"{where}.actions")
    citation = _require(data, "citation", where)
    if not isinstance(citation, str) or not citation.strip():
        raise ConfigurationError(f"{where}.citation: every rule cites its legal basis",
                                 field=f"{where}.citation")
    try:
        label = Labels.from_mapping(_require(data, "label", where), where=f"{where}.label")
    except InputError as exc:
        raise ConfigurationError(exc.message, field=exc.field) from exc
    return BulkReadRule(
        name=name,
        actions=frozenset(actions),
        max_subjects=_positive_int(_require(data, "max_subjects", where),
                                   f"{where}.max_subjects"),
        window=timedelta(seconds=_positive_int(_require(data, "window_seconds", where),
                                               f"{where}.window_seconds")),
        citation=" ".join(citation.split()),
        label=label,
    )


def rules_from_dict(data: Any) -> AccessRules:
    """Build the rules from the parsed YAML table; a malformed table is a configuration error."""
    if not isinstance(data, Mapping):
        raise ConfigurationError("access rules: expected a mapping at the top level")
    if data.get("version") != 1:
        raise ConfigurationError("access rules: unsupported version (expected 1)",
                                 field="version")
    rules = data.get("rules")
    if not isinstance(rules, Mapping) or not rules:
        raise ConfigurationError("access rules: 'rules' must map rule names to rules",
                                 field="rules")
    return AccessRules(bulk_reads=tuple(_rule(str(name), body) for name, body in rules.items()))
