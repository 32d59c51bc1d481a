"""``POST /v1/identifiers/check``: POST, so that personal data never travels in a URL."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from derbes.bootstrap import Container
from derbes.identifiers import service as identifiers
from derbes.identifiers.model import Kind

router = APIRouter(prefix="/v1/identifiers", tags=["identifiers"])


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=512, description="The identifier to check.")
    kind: Kind | None = Field(default=None, description="Check as this kind; detected if absent.")
    lang: Literal["ru", "kk", "en"] = Field(default="en", description="Language of labels.")


class VerdictOut(BaseModel):
    valid: bool
    kind: Kind
    value: str | None = Field(description="Normalised value; a card number only masked.")
    masked: str | None
    facts: dict[str, bool | int | str]
    reason: str | None


@router.post("/check", response_model=VerdictOut)
def check_identifier(body: CheckRequest, request: Request) -> VerdictOut:
    """Validate an IIN, BIN, IBAN, card number, phone or e-mail and tell what it encodes."""
    container: Container = request.app.state.container
    verdict = identifiers.check(body.value, body.kind, clock=container.clock, lang=body.lang,
                                regime=container.rules.regime, phones=container.phones)
    return VerdictOut(
        valid=verdict.valid,
        kind=verdict.kind,
        value=verdict.value,
        masked=verdict.masked,
        facts=dict(verdict.facts),
        reason=verdict.reason,
    )
