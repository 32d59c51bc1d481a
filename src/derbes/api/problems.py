"""The one place that maps the errors tree to RFC 9457 problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from derbes import errors
from derbes.api.retry import BUSY_MARK

PROBLEM_TYPE_BASE = "https://derbes.kz/problems/"

STATUS: dict[type[errors.DerbesError], int] = {
    errors.InputError: 422,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.AuthError: 403,
    errors.UnauthenticatedError: 401,
    errors.RateLimitedError: 429,
    errors.LegalRestrictionError: 409,
    errors.ConfigurationError: 500,
    errors.StoreUnavailableError: 503,  # an operator database is down: retry later
    errors.CryptoError: 500,  # stored ciphertext does not open: server-side fault
    errors.DatabaseBusyError: 503,  # contention: nothing was stored, retry (Retry-After)
}


def status_for(exc: errors.DerbesError) -> int:
    return errors.mapped(exc, STATUS, 400)


def _slug(exc: errors.DerbesError) -> str:
    name = type(exc).__name__.removesuffix("Error") or "Derbes"
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def problem(status: int, title: str, detail: str, type_: str,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DerbesError)
    async def _derbes(request: Request, exc: errors.DerbesError) -> JSONResponse:
        extra: dict[str, Any] = {"field": exc.field, "instance": request.url.path}
        if isinstance(exc, errors.ProblemsError):
            extra["problems"] = [
                {"path": p.path, "message": p.message, "file": p.file, "line": p.line}
                for p in exc.problems
            ]
        if isinstance(exc, errors.LegalRestrictionError):
            extra["citation"] = exc.citation
        if isinstance(exc, errors.DecisionDeniedError):
            extra["reasons"] = exc.reasons
        if isinstance(exc, errors.StoreUnavailableError):
            extra["store"] = exc.store
        if isinstance(exc, errors.StoreNotConfiguredError):
            extra["variable"] = exc.variable
        headers: dict[str, str] | None = None
        if isinstance(exc, errors.RateLimitedError):
            # RFC 9110 §10.2.3: how long to wait, in seconds.
            headers = {"Retry-After": str(exc.retry_after)}
            extra["retry_after"] = exc.retry_after
            extra["locked_until"] = exc.until.isoformat()
        response = problem(
            status_for(exc), exc.title, exc.message, PROBLEM_TYPE_BASE + _slug(exc),
            headers=headers, **extra
        )
        if isinstance(exc, errors.DatabaseBusyError):
            response.headers["Retry-After"] = str(exc.retry_after)
            # Lets the retry middleware (retry.py) run the request again; removed before
            # the answer leaves the server.
            response.headers[BUSY_MARK.decode()] = "1"
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = issues[0] if issues else {"field": None, "message": "invalid request"}
        return problem(
            422,
            "Invalid input",
            f"{first['field']}: {first['message']}",
            PROBLEM_TYPE_BASE + "input",
            field=first["field"],
            errors=issues,
            instance=request.url.path,
        )

    install_routing(app)


def install_routing(app: FastAPI) -> None:
    """What the router itself answers (no such path, a method the path does not take)
    as problem+json too."""

    @app.exception_handler(HTTPException)
    async def _routing(request: Request, exc: HTTPException) -> JSONResponse:
        """What the router itself answers (no such path, a method the path does not
        take) as problem+json too, with its headers (``Allow`` on 405)."""
        title = HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404:
            detail = "no such resource: the operations are listed at /docs"
        elif exc.status_code == 405:
            allowed = next((v for k, v in (exc.headers or {}).items()
                            if k.lower() == "allow"), "")
            detail = f"{request.method} is not accepted here" + (
                f": use {allowed}" if allowed else "")
        else:
            detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, title, detail,
                       PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
                       headers=dict(exc.headers or {}), instance=request.url.path)
