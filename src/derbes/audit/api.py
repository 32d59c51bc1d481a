"""``/v1/audit``: verification of the hash-chained access audit log (admin scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from derbes.access.model import Scope
from derbes.api.auth import Caller, require_scope
from derbes.audit import service
from derbes.bootstrap import Container

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class ChainBreakOut(BaseModel):
    seq: int
    kind: str
    message: str


class VerificationOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    breaks: list[ChainBreakOut]


@router.get("/verify", response_model=VerificationOut)
def verify(
    request: Request,
    caller: Annotated[Caller, Depends(require_scope(Scope.ADMIN))],
    expect: Annotated[str | None, Query(description="An earlier head, as <seq>:<hash>.")] = None,
) -> VerificationOut:
    """Walk the whole audit log; ``ok`` is false with every break (seq, kind, message)."""
    container: Container = request.app.state.container
    expected = service.parse_head(expect) if expect else None
    # Reads only: a long walk must not hold the write lock (writers go on meanwhile).
    result = service.verify(container.reader(), container.audit_key, expected)
    return VerificationOut(
        ok=result.ok, entries=result.entries, head_seq=result.head_seq,
        head_hash=result.head_hash,
        breaks=[ChainBreakOut(seq=b.seq, kind=b.kind.value, message=b.message)
                for b in result.breaks],
    )
