"""``/v1/audit`` and ``/v1/ledger``: verification of the hash-chained access audit log and
consent ledger, against their latest anchors and (ledger) every projection the
decision point reads (admin scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from derbes.api.auth import Admin
from derbes.audit import service
from derbes.bootstrap import Container
from derbes.integrity.model.anchor import Chain, Latest
from derbes.platform.chain import Verification

router = APIRouter(prefix="/v1/audit", tags=["audit"])
ledger_router = APIRouter(prefix="/v1/ledger", tags=["audit"])

# Both chains' walks are checked against a head the caller may have noted earlier.
ExpectedHead = Annotated[str | None, Query(description="An earlier head, as <seq>:<hash>.")]


class ChainBreakOut(BaseModel):
    seq: int
    kind: str
    message: str


class AnchorOut(BaseModel):
    seq: int
    hash: str
    at: datetime


class VerificationOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    breaks: list[ChainBreakOut]
    anchor: AnchorOut | None = None
    forged_anchor_lines: int = 0
    candidate_incidents: list[str] = []


@router.get("/verify", response_model=VerificationOut)
def verify(
    request: Request,
    caller: Admin,
    expect: ExpectedHead = None,
) -> VerificationOut:
    """Walk the whole audit log and check it still holds its latest anchor; ``ok`` is
    false with every break (seq, kind, message)."""
    container: Container = request.app.state.container
    expected = service.parse_head(expect) if expect else None
    found = container.latest_anchor(Chain.AUDIT)
    # Reads only: a long walk must not hold the write lock (writers go on meanwhile).
    result = service.verify(container.reader(), container.audit_key, expected, found.anchor)
    out = _verification(result, found)
    if result.breaks:
        # A broken log opens a candidate incident at each operator (Order 179/НҚ).
        from derbes.incidents import service as incidents

        ctx = container.context(f"api:{caller.name}")
        first = result.breaks[0]
        opened = incidents.chain_broken(ctx, incidents.ChainFailure(
            first.seq, first.kind.value, ctx.now()))
        out.candidate_incidents = [i.id for i in opened]
    return out


def _verification(result: Verification, found: Latest) -> VerificationOut:
    """A chain's walk, and whether it still holds its latest anchor."""
    a = found.anchor
    return VerificationOut(
        ok=result.ok and not found.forged, entries=result.entries, head_seq=result.head_seq,
        head_hash=result.head_hash,
        breaks=[ChainBreakOut(seq=b.seq, kind=b.kind.value, message=b.message)
                for b in result.breaks],
        anchor=None if a is None else AnchorOut(seq=a.seq, hash=a.hash, at=a.at),
        forged_anchor_lines=found.forged,
    )


class DifferenceOut(BaseModel):
    table: str
    subject_id: str | None
    ref: str | None
    field: str
    expected: str | None
    found: str | None


class ProjectionsOut(BaseModel):
    ok: bool
    consents: int
    subjects: int
    seals: int
    differences: list[DifferenceOut]


class LedgerVerificationOut(VerificationOut):
    projections: ProjectionsOut


@ledger_router.get("/verify", response_model=LedgerVerificationOut)
def verify_ledger(
    request: Request,
    caller: Admin,
    expect: ExpectedHead = None,
) -> LedgerVerificationOut:
    """Walk the consent ledger, check its latest anchor, and replay both chains against
    every projection the decision point reads; each difference names the table, the
    subject, the row and the field."""
    from derbes.consent.service import consent as consent_service
    from derbes.integrity.service.verify import verify_projections

    container: Container = request.app.state.container
    expected = service.parse_head(expect) if expect else None
    found = container.latest_anchor(Chain.LEDGER)
    result = consent_service.verify(container.uow(), container.ledger_key, expected,
                                    found.anchor)
    report = verify_projections(container.uow(), container.audit_key)
    chain = _verification(result, found)
    return LedgerVerificationOut(
        **{**dict(chain), "ok": chain.ok and report.ok},
        projections=ProjectionsOut(
            ok=report.ok, consents=report.consents, subjects=report.subjects,
            seals=report.seals,
            differences=[DifferenceOut(table=m.table, subject_id=m.subject_id, ref=m.ref,
                                       field=m.field, expected=m.expected, found=m.found)
                         for m in report.mismatches]),
    )
