"""``GET /banner/<operator>.js``, ``POST /banner/<operator>/choices`` and
``GET /banner/<operator>/demo``: public routes, called by an operator site's visitors.

No API key: a visitor is nobody derbes knows. A choice proves itself by matching the
banner in force (version and text digest), is written once per (visitor, choice id),
and carries no personal data.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from derbes.api.deps import container, echo_request_id
from derbes.banner.adapters.script import banner_script, demo_page
from derbes.banner.service import choices as service
from derbes.bootstrap import Container
from derbes.context import OperatorScope
from derbes.errors import InputError
from derbes.platform.labels import Lang

__all__ = ["router"]

router = APIRouter(tags=["banner"])

_OPERATOR = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_MAX_BODY = 8192  # a choice is a few hundred bytes
_ACTOR = "banner:visitor"
# The demo's advertising block: a third party's address, to show it is not fetched
# until marketing cookies are allowed.
DEMO_THIRD_PARTY = "https://ads.example.net/partner-banner"
# A site on another origin posts the choice with a simple request (text/plain).
_CORS = {"Access-Control-Allow-Origin": "*"}


def _operator(operator: str) -> str:
    if not _OPERATOR.match(operator):
        raise InputError("the operator id is lower-case letters, digits and hyphens",
                         field="operator")
    return operator


Box = Annotated[Container, Depends(container)]


@router.get("/banner/{operator}.js", response_class=Response,
            summary="The cookie banner script of an operator")
def script(operator: str, box: Box) -> Response:
    ctx = box.context(_ACTOR, read_only=True, scope=OperatorScope.only(_operator(operator)))
    config = service.banner_of(ctx, operator)
    return Response(banner_script(config), media_type="application/javascript",
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                             "ETag": f'"{config.version[:16]}-{config.text_hashes["en"][:16]}"'})


@router.post("/banner/{operator}/choices", status_code=201,
             summary="Record a visitor's banner choice in the consent ledger")
async def record(operator: str, request: Request, box: Box,
                 x_request_id: Annotated[str | None, Header()] = None) -> JSONResponse:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise InputError(f"a choice is at most {_MAX_BODY} bytes", field="body")
    try:
        raw: Any = json.loads(body)
    except ValueError:
        raise InputError("the body is not JSON", field="body") from None
    if not isinstance(raw, dict):
        raise InputError("the body must be a JSON object", field="body")
    request_id = echo_request_id(x_request_id, Response())
    ctx = box.context(_ACTOR, request_id, OperatorScope.only(_operator(operator)))
    done = service.record_choice(ctx, operator, raw)
    return JSONResponse(
        {"choice_id": done.choice.choice_id, "seq": done.seq, "recorded_at": done.at.isoformat(),
         "replayed": done.replayed, "allowed": [c.value for c in done.choice.allowed]},
        status_code=200 if done.replayed else 201,
        headers={**_CORS, "X-Request-ID": request_id})


@router.get("/banner/{operator}/demo", response_class=HTMLResponse,
            summary="A sample site page using the operator's banner")
def demo(operator: str, box: Box, lang: str = "ru") -> HTMLResponse:
    if lang not in {x.value for x in Lang}:
        raise InputError("lang must be one of ru, kk, en", field="lang")
    ctx = box.context(_ACTOR, read_only=True, scope=OperatorScope.only(_operator(operator)))
    service.banner_of(ctx, operator)  # a 404 for an operator with no register
    return HTMLResponse(demo_page(operator, Lang(lang), DEMO_THIRD_PARTY),
                        headers={"Cache-Control": "no-store"})
