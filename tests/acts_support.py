"""A QIWI retention run to build destruction acts from (synthetic subject ids only)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import AfterRetention, Register
from derbes.retention.model.acts import DestroyedGroup, Method, MethodUse, RunRecord, VaultTotals

ROOT = Path(__file__).resolve().parents[1]
QIWI = "qiwi-kz"
AML_CITATION = "AML Law No. 191-IV of 28 Aug 2009, Art. 11 p.4"
CIVIL_CITATION = "Civil Code of the Republic of Kazakhstan No. 268-XIII of 27 Dec 1994, Art. 178 p.1"
KAZAKH_LETTERS = set("әғқңөұүһі")


@cache
def qiwi() -> Register:
    return load_register(ROOT / "registers" / "qiwi-kz.yaml").register


def subject_ids(n: int, offset: int = 0) -> tuple[str, ...]:
    return tuple(str(uuid.UUID(int=0xA11CE0000 + offset + i)) for i in range(n))


def qiwi_run(run_id: str | None = None, *, n: int = 12, operator_id: str = QIWI,
             when: datetime = datetime(2031, 3, 2, 3, 0, tzinfo=UTC)) -> RunRecord:
    """Marketing (3 years, Civil Code) and AML (5 years, AML Law) data of ``n`` subjects."""
    ids = subject_ids(n)
    return RunRecord(
        run_id=run_id or str(uuid.uuid4()), operator_id=operator_id, as_of=when.date(),
        started_at=when, finished_at=when.replace(minute=4), actor="cli:dpo",
        groups=(
            DestroyedGroup("aml_antifraud", AfterRetention.DESTROY,
                           ("aml.activity_details", "contact.phone_ownership_document"),
                           ids[: n // 2], items=n),
            DestroyedGroup("marketing_messages", AfterRetention.DESTROY, ("contact.email",),
                           ids, items=n,
                           methods=(MethodUse(Method.CRYPTO_SHREDDING, n // 2),
                                    MethodUse(Method.DELETION, n - n // 2),
                                    MethodUse(Method.STORE_NULL, 3 * n, "qiwi-core"))),
        ),
        totals=VaultTotals(subjects_shredded=n // 2, subjects_partial=n - n // 2,
                           values_deleted=3 * n, items_skipped=1),
    )


def act_day(run: RunRecord) -> date:
    return run.finished_at.date()
