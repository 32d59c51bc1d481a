"""``/v1/subjects``: the PD vault over HTTP, for service callers with API keys.

Identifiers travel in request bodies only (look-up is a POST), so personal
data never lands in URLs, access logs or proxies. Reads state their purpose.
A key bound to an operator sees only that operator's subjects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from derbes.api.auth import Destroyer, Reader, Writer
from derbes.api.deps import RequestId, caller_context
from derbes.api.deps import container as _container
from derbes.api.deps import operator_filter as _operator
from derbes.api.inputs import Moment
from derbes.bootstrap import Container
from derbes.errors import InputError
from derbes.register.service import registers as register_service
from derbes.vault.model import Block, NewValue, Provenance, Source
from derbes.vault.service import subjects as service

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])



# ------------------------------------------------------------------ models


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=100)
    value: Any
    source: Source = Source.SUBJECT
    purposes: list[str] = Field(default_factory=list, description=(
        "Purposes the value is collected for; empty: none named (only what the register "
        "applies to everyone; a consent or a contract later widens it)."
    ))
    method: str = Field(default="api", max_length=100)
    collected_at: Moment | None = None


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100, description=(
        "Operator id; may be left out when the API key is bound to an operator."
    ))
    values: list[ValueIn] = Field(default_factory=list)
    identifiers: dict[str, str] = Field(default_factory=dict, description=(
        "Extra look-up identifiers (iin, phone, email, customer_id) not stored as values."
    ))


class SubjectCreated(BaseModel):
    subject_id: str


class ProvenanceOut(BaseModel):
    source: str
    purposes: list[str]
    method: str
    collected_at: datetime


class ValueOut(BaseModel):
    category: str
    seq: int
    value_type: str
    value: Any
    provenance: ProvenanceOut
    updated_at: datetime


class BlockOut(BaseModel):
    category: str | None
    reason: str
    blocked_at: datetime


class SubjectOut(BaseModel):
    subject_id: str
    operator_id: str
    created_at: datetime
    purpose: str
    values: list[ValueOut]
    withheld: list[str]
    blocks: list[BlockOut]


class PatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replace: list[ValueIn] = Field(default_factory=list)
    add: list[ValueIn] = Field(default_factory=list)


class PatchOut(BaseModel):
    subject_id: str
    changed: list[str]


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=20)
    value: str = Field(max_length=320)
    purpose: str | None = Field(default=None, max_length=100)
    operator: str | None = Field(default=None, max_length=100)


class SubjectRefOut(BaseModel):
    subject_id: str
    operator_id: str


class LookupOut(BaseModel):
    matches: list[SubjectRefOut]


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] | None = Field(default=None, description="None: the whole subject.")
    reason: str = Field(max_length=1000)


class BlocksOut(BaseModel):
    subject_id: str
    blocks: list[BlockOut]


class DestroyedOut(BaseModel):
    subject_id: str
    categories: list[str]
    values_deleted: int
    key_destroyed: bool


# ----------------------------------------------------------------- helpers










def _new_values(items: list[ValueIn], container: Container) -> list[NewValue]:
    now = container.clock.now()
    return [
        NewValue(
            category=item.category,
            value=item.value,
            provenance=Provenance(source=item.source, purposes=tuple(item.purposes),
                                  method=item.method, collected_at=item.collected_at or now),
        )
        for item in items
    ]


def _blocks(blocks: tuple[Block, ...] | list[Block]) -> list[BlockOut]:
    return [BlockOut(category=b.category, reason=b.reason, blocked_at=b.blocked_at)
            for b in blocks]


# ------------------------------------------------------------------ routes


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubjectCreated)
def create_subject(
    body: SubjectIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> SubjectCreated:
    """Store a subject: values validated by type, refused if no purpose needs them."""
    container = _container(request)
    operator = _operator(caller, body.operator)
    if operator is None:
        raise InputError("the operator is required", field="operator")
    register = register_service.in_force(container.uow(), operator).register
    subject_id = service.add_subject(
        caller_context(request, response, caller, x_request_id, operator), register,
        _new_values(body.values, container), body.identifiers,
    )
    response.headers["Location"] = f"{router.prefix}/{subject_id}"
    return SubjectCreated(subject_id=subject_id)


@router.post("/lookup", response_model=LookupOut)
def lookup_subject(
    body: LookupIn, caller: Reader, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> LookupOut:
    """Find subjects by IIN, phone, e-mail or customer id (through the blind index)."""
    found = service.find_subject(
        caller_context(request, response, caller, x_request_id, body.operator), body.kind,
        body.value, body.purpose,
    )
    return LookupOut(matches=[SubjectRefOut(subject_id=f.subject_id, operator_id=f.operator_id)
                              for f in found])


@router.get("/{subject_id}", response_model=SubjectOut)
def read_subject(
    subject_id: str,
    caller: Reader,
    request: Request,
    response: Response,
    purpose: Annotated[str | None, Query(max_length=100, description=(
        "Why the PD is read: a purpose of the register, or subject_access_request."
    ))] = None,
    category: Annotated[list[str] | None, Query(description="Only these categories.")] = None,
    x_request_id: RequestId = None,
) -> SubjectOut:
    """Decrypt the values the stated purpose needs; the read is audited."""
    view = service.read_subject(caller_context(request, response, caller, x_request_id),
                                subject_id, purpose, categories=category)
    return SubjectOut(
        subject_id=view.subject_id, operator_id=view.operator_id, created_at=view.created_at,
        purpose=view.purpose,
        values=[ValueOut(category=v.category, seq=v.seq, value_type=v.value_type,
                         value=v.value,
                         provenance=ProvenanceOut(source=v.provenance.source.value,
                                                  purposes=list(v.provenance.purposes),
                                                  method=v.provenance.method,
                                                  collected_at=v.provenance.collected_at),
                         updated_at=v.updated_at) for v in view.values],
        withheld=list(view.withheld), blocks=_blocks(view.blocks),
    )


@router.patch("/{subject_id}", response_model=PatchOut)
def patch_subject(
    subject_id: str, body: PatchIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> PatchOut:
    """Replace all values of a category, or add values; re-validated and audited."""
    container = _container(request)
    changed = service.update_values(
        caller_context(request, response, caller, x_request_id), subject_id,
        replace=_new_values(body.replace, container), add=_new_values(body.add, container),
    )
    return PatchOut(subject_id=subject_id, changed=changed)


@router.post("/{subject_id}/block", response_model=BlocksOut)
def block_subject(
    subject_id: str, body: BlockIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> BlocksOut:
    """Block the subject, or some of its categories, with a reason."""
    ctx = caller_context(request, response, caller, x_request_id)
    blocks = service.block(ctx, subject_id, body.categories, body.reason)
    return BlocksOut(subject_id=subject_id, blocks=_blocks(blocks))


@router.post("/{subject_id}/unblock", response_model=BlocksOut)
def unblock_subject(
    subject_id: str, body: BlockIn, caller: Writer, request: Request, response: Response,
    x_request_id: RequestId = None,
) -> BlocksOut:
    """Lift the subject's block (and its categories'), or those of some categories."""
    ctx = caller_context(request, response, caller, x_request_id)
    blocks = service.unblock(ctx, subject_id, body.categories, body.reason)
    return BlocksOut(subject_id=subject_id, blocks=_blocks(blocks))


@router.delete("/{subject_id}", response_model=DestroyedOut)
def destroy_subject(
    subject_id: str,
    caller: Destroyer,
    request: Request,
    response: Response,
    reason: Annotated[str | None, Query(max_length=1000)] = None,
    category: Annotated[list[str] | None, Query(description=(
        "Destroy only these categories (partial crypto-shredding)."
    ))] = None,
    x_request_id: RequestId = None,
) -> DestroyedOut:
    """Crypto-shred the subject (or some categories): key destroyed, rows deleted."""
    ctx = caller_context(request, response, caller, x_request_id)
    if category:
        result = service.destroy_categories(ctx, subject_id, category, reason or "")
    else:
        result = service.destroy_subject(ctx, subject_id, reason or "")
    return DestroyedOut(subject_id=result.subject_id, categories=list(result.categories),
                        values_deleted=result.values_deleted,
                        key_destroyed=result.key_destroyed)
