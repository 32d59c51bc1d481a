"""The retention plan: what falls due, by purpose and category, and when next.

:func:`plan` is one indexed range query on the category clocks
(``keep_until < as_of``) grouped by purpose and category, plus a histogram of
the dates falling due next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from derbes.context import Context
from derbes.errors import (
    InputError,
)
from derbes.register.model.lint import lint as lint_register
from derbes.register.model.lint import rule
from derbes.register.model.register import (
    Register,
)
from derbes.retention.model.retention import (
    DestructionMethod,
    due_histogram,
    method_of,
)
from derbes.retention.service.clocks import require_register

# -------------------------------------------------------------------- plan


@dataclass(frozen=True)
class PlanLine:
    purpose: str | None  # the purpose whose retention ended last
    category: str
    subjects: int
    method: DestructionMethod
    citation: str | None
    period: str | None


class KeptState(StrEnum):
    """Why (subject, category) pairs have no destruction date in the plan."""

    NO_END_DATE = "no_end_date"  # the governing purpose has no retention rule (DRB001)
    UNLINKED = "unlinked"  # no purpose the subject is in needs the values
    HELD = "held"  # a legal hold without an end
    RUNNING = "running"  # the purpose's trigger has not happened (contract open…)


@dataclass(frozen=True)
class KeptLine:
    """Pairs kept with no destruction date yet, and the reason (with its lint finding)."""

    purpose: str | None
    category: str
    subjects: int
    state: KeptState
    waits_for: str | None  # RUNNING: the event the clock waits for
    finding: str | None  # NO_END_DATE / UNLINKED: the rule or finding behind it


@dataclass(frozen=True)
class RetentionPlan:
    operator_id: str
    as_of: date
    lines: tuple[PlanLine, ...]
    subjects: int  # distinct subjects with something due
    histogram: tuple[tuple[date, int], ...]  # (month, pairs falling due in it)
    unfinished_run: str | None = None  # a killed run that `run` would resume first
    kept: tuple[KeptLine, ...] = ()  # pairs with no destruction date, and why

    @property
    def kept_with_no_end_date(self) -> int:
        return sum(k.subjects for k in self.kept
                   if k.state in (KeptState.NO_END_DATE, KeptState.UNLINKED))

    @property
    def pairs(self) -> int:
        return sum(line.subjects for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operator_id": self.operator_id, "as_of": self.as_of.isoformat(),
            "subjects": self.subjects, "pairs": self.pairs,
            "unfinished_run": self.unfinished_run,
            "lines": [{"purpose": x.purpose, "category": x.category, "subjects": x.subjects,
                       "method": x.method.value, "citation": x.citation, "period": x.period}
                      for x in self.lines],
            "histogram": [{"month": m.isoformat()[:7], "pairs": n} for m, n in self.histogram],
            "kept_with_no_end_date": self.kept_with_no_end_date,
            "kept": [{"purpose": k.purpose, "category": k.category, "subjects": k.subjects,
                      "state": k.state.value, "waits_for": k.waits_for,
                      "finding": k.finding} for k in self.kept],
        }


def plan(ctx: Context, operator_id: str, as_of: date, *, months: int = 12) -> RetentionPlan:
    """What is due on ``as_of`` (per purpose and category), what falls due next, and what
    is kept with no end date and why.

    A rehearsal: the stored clocks are a pure function of the events, so the plan for
    a future ``as_of`` counts exactly what the sweep (``sweep.run``) on that day would
    destroy if no new event arrives meanwhile (the sweep itself refuses a future date).
    """
    if months < 1 or months > 120:
        raise InputError("months must be 1 to 120", field="months")
    ctx.scope.check(operator_id, f"operator {operator_id!r}")
    with ctx.uow as uow:
        register = require_register(uow, operator_id, ctx.rules.retention)
        open_rows = uow.retention.open_counts(operator_id)
        counts = uow.retention.due_counts(operator_id, as_of)
        subjects = uow.retention.due_subjects(operator_id, as_of)
        horizon = _month_start(as_of, months)
        upcoming = uow.retention.upcoming(operator_id, as_of, horizon)
        unfinished = uow.retention.unfinished_run(operator_id)
    lines = []
    for purpose_id, category, n in counts:
        purpose = register.purposes.get(purpose_id) if purpose_id else None
        retention = purpose.retention if purpose else None
        lines.append(PlanLine(purpose_id, category, n, method_of(retention),
                              retention.citation if retention else None,
                              str(retention.period) if retention else None))
    histogram = due_histogram(((keep + timedelta(days=1), n) for keep, n in upcoming),
                              as_of, months)
    return RetentionPlan(operator_id, as_of, tuple(lines), subjects, tuple(histogram),
                         unfinished.id if unfinished else None,
                         _kept_lines(register, open_rows, ctx.rules.retention.unlinked))


@dataclass(frozen=True)
class DueSummary:
    """How much is due, in (subject, category) pairs: what a dashboard shows of a plan."""

    pairs: int  # due on ``as_of``
    subjects: int
    this_month: int  # falling due later in ``as_of``'s month
    unfinished_run: str | None


def due_summary(ctx: Context, operator_id: str, as_of: date) -> DueSummary:
    """The counts of ``plan`` without its per-purpose lines and its kept lines: the
    latter count every clock with no end date and lint the register, work a summary
    does not show (on a large vault the bigger part of the plan's time)."""
    ctx.scope.check(operator_id, f"operator {operator_id!r}")
    with ctx.uow as uow:
        require_register(uow, operator_id, ctx.rules.retention)
        pairs = sum(n for _, _, n in uow.retention.due_counts(operator_id, as_of))
        subjects = uow.retention.due_subjects(operator_id, as_of)
        # Two buckets, as the plan's chart draws them: this month's, then every later one.
        upcoming = uow.retention.upcoming(operator_id, as_of, _month_start(as_of, 2))
        unfinished = uow.retention.unfinished_run(operator_id)
    histogram = due_histogram(((keep + timedelta(days=1), n) for keep, n in upcoming), as_of, 2)
    return DueSummary(pairs, subjects, histogram[0][1] if histogram else 0,
                      unfinished.id if unfinished else None)


def _kept_lines(register: Register, rows: Sequence[tuple[str | None, str, bool, int]],
                unlinked: str) -> tuple[KeptLine, ...]:
    """Never silently "nothing due": what has no end date says why, with the finding."""
    findings = {f.path: f for f in lint_register(register)}
    out: list[KeptLine] = []
    for purpose_id, category, held, n in rows:
        purpose = register.purposes.get(purpose_id) if purpose_id else None
        if held:
            out.append(KeptLine(purpose_id, category, n, KeptState.HELD, None, None))
        elif purpose is None:
            out.append(KeptLine(None, category, n, KeptState.UNLINKED, None, unlinked))
        elif purpose.retention is None:
            found = findings.get(f"{register.purpose_path(purpose.id)}.retention")
            text = None
            if found is not None:
                text = f"{found.code} {rule(found.code).name}: {found.message}"
                if found.waived_by is not None:
                    text += (f" (waived, clause {found.waived_by.clause}: "
                             f"{found.waived_by.reason})")
            out.append(KeptLine(purpose.id, category, n, KeptState.NO_END_DATE, None, text))
        else:
            retention = purpose.retention
            waits = (retention.achieved_when.value if retention.achieved_when
                     else retention.trigger.value)
            out.append(KeptLine(purpose.id, category, n, KeptState.RUNNING, waits, None))
    order = {KeptState.NO_END_DATE: 0, KeptState.UNLINKED: 1, KeptState.HELD: 2,
             KeptState.RUNNING: 3}
    return tuple(sorted(out, key=lambda k: (order[k.state], k.purpose or "", k.category)))


def _month_start(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)
