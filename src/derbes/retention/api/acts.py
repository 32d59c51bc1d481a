"""``/v1/acts``: destruction acts of the retention sweep (read-only).

An act holds no PD (subjects only as keyed pseudonymous references), so the
``read`` scope suffices. A key bound to an operator sees only its acts.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from derbes.api.auth import Reader
from derbes.api.deps import actor_of, operator_scope
from derbes.api.deps import container as _container
from derbes.platform.dates import EARLIEST, LATEST
from derbes.retention.adapters.acts import act_json, render_act
from derbes.retention.service import acts as service

router = APIRouter(prefix="/v1/acts", tags=["acts"])


MEDIA_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8",
               "pdf": "application/pdf"}





@router.get("")
def list_acts(
    caller: Reader,
    request: Request,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    year: Annotated[int | None, Query(ge=EARLIEST.year, le=LATEST.year)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Acts, the newest first."""
    ctx = _container(request).context(actor_of(caller), scope=operator_scope(caller, operator))
    found = service.list_acts(ctx, year=year, limit=limit)
    return [{"id": h.id, "number": h.number, "operator_id": h.operator_id,
             "date": h.act_date.isoformat(), "issued_at": h.issued_at.isoformat(),
             "run_id": h.run_id, "subjects": h.subjects_total, "groups": h.groups,
             "sha256": h.digest} for h in found]


@router.get(
    "/{act_id:path}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def show_act(
    act_id: str,
    caller: Reader,
    request: Request,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",
    lang: Annotated[Literal["ru", "kk", "en"], Query()] = "ru",
    operator: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """One act by id or number (АУ-2026/0001, its slash kept): JSON, or HTML or PDF."""
    ctx = _container(request).context(actor_of(caller), scope=operator_scope(caller, operator))
    act = service.get(ctx, act_id)
    if format == "json":
        body = json.dumps(act_json(act), ensure_ascii=False).encode("utf-8")
    else:
        body = render_act(act, lang, format)
    return Response(content=body, media_type=MEDIA_TYPES[format])
