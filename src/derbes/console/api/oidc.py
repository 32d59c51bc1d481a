"""Signing in to the console through the operator's OpenID Connect provider.

``GET /console/sign-in/oidc`` sends the browser to the provider; the provider sends
it back to ``/console/sign-in/oidc/callback``. Both are plain links and redirects:
no JavaScript. The flow's secrets (state, nonce, PKCE verifier) ride in a cookie
of their own, ``SameSite=Lax`` because the way back is a navigation from the
provider's site; the session cookie is ``Strict``, which a browser leaves out of
a chain of redirects that began on another site, so the callback answers with a
page that goes on to the console (a same-site navigation) instead of a redirect.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from derbes import errors
from derbes.api.deps import container as container_of
from derbes.bootstrap import Container
from derbes.console.api.web import ConsoleRoute, public_page
from derbes.console.model.pages import pick_language, safe_next
from derbes.platform.i18n import gettext
from derbes.platform.labels import N_, Lang
from derbes.staff.api import set_session_cookie
from derbes.staff.model.oidc import TokenRejected, b64url_decode, b64url_encode
from derbes.staff.service.oidc import OidcFlow, OidcSetup, begin, finish

__all__ = ["FLOW_COOKIE", "router"]

router = APIRouter(prefix="/console/sign-in/oidc", route_class=ConsoleRoute)

FLOW_COOKIE = "__Host-derbes-oidc"
_KINDS = {
    "flow": N_("This sign-in through the identity provider is no longer valid (it was "
               "started elsewhere, took too long or was already used). Start again."),
    "token": N_("The identity provider's answer was refused: it could not be verified. The "
                "attempt was recorded; tell the security officer if it happens again."),
    "mfa": N_("A role you hold needs a second factor, and the identity provider did not "
              "report one. Sign in there with a second factor and try again."),
    "revoked": N_("Your access to derbes was revoked. Signing in through the identity "
                  "provider does not return it; ask the administrator."),
    "provider": N_("The identity provider did not answer as expected. Try again later or "
                   "sign in with your password."),
}


def _setup(container: Container) -> OidcSetup:
    setup = container.oidc
    if setup is None:
        raise errors.NotFoundError("sign-in through an identity provider is not configured")
    return setup


def _flow_value(flow: OidcFlow, lang: Lang) -> str:
    data = {"s": flow.state, "n": flow.nonce, "v": flow.verifier, "x": flow.next,
            "t": flow.started_at.isoformat(), "l": lang.value}
    return b64url_encode(json.dumps(data, separators=(",", ":")).encode())


def _flow_of(raw: str | None) -> tuple[OidcFlow | None, Lang | None]:
    """The flow the cookie carries (None when missing or malformed: the state then fails)."""
    if not raw or len(raw) > 2000:
        return None, None
    try:
        data = json.loads(b64url_decode(raw))
        flow = OidcFlow(str(data["s"]), str(data["n"]), str(data["v"]), safe_next(data["x"]),
                        datetime.fromisoformat(str(data["t"])))
        return flow, Lang(str(data["l"]))
    except (ValueError, KeyError, TypeError):
        return None, None


def refusal_text(lang: Lang, exc: TokenRejected) -> str:
    """What the sign-in page says about a refusal (its reason in English on the English
    page, as every console error; the audit log keeps the reason whatever the language)."""
    told = gettext(lang, _KINDS.get(exc.kind, _KINDS["token"]))
    return f"{told} ({exc.message})" if lang is Lang.EN else told


@router.get("")
def start(request: Request,
          next_: Annotated[str | None, Query(alias="next", max_length=300)] = None,
          lang: Annotated[str | None, Query(max_length=5)] = None) -> Response:
    """Send the browser to the provider (a plain redirect)."""
    container = container_of(request)
    setup = _setup(container)
    reader = pick_language(lang, request.headers.get("accept-language"))
    ctx = container.context("staff:signin", str(uuid.uuid4()))
    try:
        url, flow = begin(ctx, setup.provider, safe_next(next_))
    except TokenRejected as exc:
        return _refused(reader, setup, exc, 503)
    answer = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    answer.set_cookie(FLOW_COOKIE, _flow_value(flow, reader),
                      max_age=int(ctx.rules.staff.policy.oidc.flow_max_age.total_seconds()),
                      path="/", secure=True, httponly=True, samesite="lax")
    return answer


@router.get("/callback")
def callback(request: Request,
             state: Annotated[str | None, Query(max_length=200)] = None,
             code: Annotated[str | None, Query(max_length=2000)] = None,
             error: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """The provider's answer: checked, roles synced, a session opened (all audited)."""
    container = container_of(request)
    setup = _setup(container)
    flow, chosen = _flow_of(request.cookies.get(FLOW_COOKIE))
    reader = chosen or pick_language(None, request.headers.get("accept-language"))
    ctx = container.context("staff:signin", str(uuid.uuid4()))
    try:
        done = finish(ctx, setup, flow, state=state, code=code, error=error)
    except TokenRejected as exc:
        answer = _refused(reader, setup, exc, 401)
    else:
        target = flow.next if flow is not None else "/console"
        answer = public_page(reader, "signed_in.html.j2", gettext(reader, "Signed in"),
                             target=target)
        set_session_cookie(answer, done.token, container)
    # The flow is used up, whatever the outcome (state and nonce are single-use).
    answer.delete_cookie(FLOW_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return answer


def _refused(lang: Lang, setup: OidcSetup, exc: TokenRejected, status: int) -> Response:
    return public_page(lang, "sign_in.html.j2", gettext(lang, "Sign in"), status=status,
                       problem=refusal_text(lang, exc), info=None, login="", next="/console",
                       oidc=setup.provider.name)
