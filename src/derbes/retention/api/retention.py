"""``/v1/retention``: the plan of what is due, and runs of the destruction sweep.

``GET /v1/retention/plan`` (scope ``read``: counts and citations, no PD) and
``POST /v1/retention/runs`` (scope ``destroy``), which runs the sweep to the
end in the request (or finishes an unfinished run first: ``resumed``); large
sweeps are better run with ``derbes retention run``. ``GET
/v1/retention/runs`` lists runs. A key bound to an operator sees only its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from derbes.api.auth import Caller, Destroyer, Reader
from derbes.api.deps import actor_of, required_operator
from derbes.api.deps import container as _container
from derbes.api.inputs import Day
from derbes.context import OperatorScope
from derbes.datasets.adapters.directory import stores_from_dir
from derbes.retention.model.retention import DEFAULT_BATCH, MAX_BATCH
from derbes.retention.service import sweep as service

router = APIRouter(prefix="/v1/retention", tags=["retention"])







class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: str | None = Field(default=None, max_length=100)
    as_of: Day | None = Field(default=None, description="Default: today.")
    batch_size: int = Field(default=DEFAULT_BATCH, ge=1, le=MAX_BATCH)


@router.get("/plan")
def get_plan(
    caller: Reader,
    request: Request,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    as_of: Annotated[Day | None, Query()] = None,
    months: Annotated[int, Query(ge=1, le=120)] = 12,
) -> dict[str, Any]:
    """What is due on ``as_of`` per purpose and category, and what falls due next."""
    container = _container(request)
    day = as_of or container.clock.now().date()
    chosen = _operator(caller, operator)
    return service.plan(container.context(actor_of(caller), scope=OperatorScope.only(chosen)),
                        chosen, day, months=months).as_dict()


@router.post("/runs", status_code=status.HTTP_200_OK)
def post_run(body: RunIn, caller: Destroyer, request: Request) -> dict[str, Any]:
    """Run the sweep (crypto-shredding in the vault) and issue its destruction act."""
    container = _container(request)
    day = body.as_of or container.clock.now().date()
    chosen = _operator(caller, body.operator)
    report = service.run(container.context(actor_of(caller), scope=OperatorScope.only(chosen)),
                         chosen, day, batch_size=body.batch_size,
                         stores=stores_from_dir(container.settings.datasets_dir))
    return {
        "run": report.run.as_dict() if report.run else None,
        "resumed": report.resumed,
        "act_id": report.act_id,
        "summary": report.summary.as_dict() if report.summary else None,
    }


@router.get("/runs")
def list_runs(
    caller: Reader,
    request: Request,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Runs of the sweep, the newest first."""
    chosen = _operator(caller, operator)
    ctx = _container(request).context(actor_of(caller), scope=OperatorScope.only(chosen))
    return [r.as_dict() for r in service.runs(ctx, limit=limit)]


def _operator(caller: Caller, asked: str | None) -> str:
    return required_operator(caller, asked, "name the operator")
