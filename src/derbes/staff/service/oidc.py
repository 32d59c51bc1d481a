"""Signing in through the operator's OpenID Connect provider, roles synced from a claim.

The browser is sent to the provider with ``state``, ``nonce`` and a PKCE challenge
(:func:`begin`); the three secrets stay with the browser in a cookie of its own
(the ``OidcFlow``), so derbes keeps nothing for a sign-in that is never finished.
On the way back (:func:`finish`) everything is checked before anything is
written: the state (OpenID Connect Core 1.0 §3.1.2.1, against cross-site request
forgery), the code exchanged with the verifier (RFC 7636), the ID token's RS256
signature against the provider's keys, its claims (§3.1.3.7), that the person's
access was not revoked in derbes, and that a role which needs a second factor
comes with one reported by the provider (``amr``). A refusal changes nothing and
is in the access audit log with its reason.

Then, in one transaction: the person is found by the provider's (``iss``,
``sub``) or created, the roles the claim maps to are granted in the name of
``oidc:<issuer>``, the roles that provider granted and the claim no longer
carries are revoked (Order 179/НҚ: access limited to what the job needs, the
list of persons with access kept current), and a session opens.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.errors import InputError
from derbes.staff.model.oidc import (
    RoleMapping,
    TokenRejected,
    claims_problem,
    grant_changes,
    mfa_shown,
    pkce_challenge,
    source_of,
    wanted_grants,
)
from derbes.staff.model.people import Person, parse_login, parse_name
from derbes.staff.model.roles import Grant
from derbes.staff.ports import OidcProvider
from derbes.staff.service.sessions import SIGNIN_ACTION, SignedIn, start_session

__all__ = ["OidcFlow", "OidcSetup", "begin", "finish"]

_SECRET_BYTES = 32
_ERROR_CODE = re.compile(r"^[a-z_]{1,50}$")


@dataclass(frozen=True)
class OidcSetup:
    """The provider and the mapping of its roles claim, as bootstrap builds them."""

    provider: OidcProvider
    mapping: RoleMapping


@dataclass(frozen=True)
class OidcFlow:
    """One sign-in between the redirect to the provider and the way back."""

    state: str = field(repr=False)
    nonce: str = field(repr=False)
    verifier: str = field(repr=False)
    next: str
    started_at: datetime


def begin(ctx: Context, provider: OidcProvider, next_: str) -> tuple[str, OidcFlow]:
    """The provider's address to send the browser to, and the flow the browser keeps."""
    flow = OidcFlow(secrets.token_urlsafe(_SECRET_BYTES), secrets.token_urlsafe(_SECRET_BYTES),
                    secrets.token_urlsafe(_SECRET_BYTES), next_, ctx.now())
    return provider.authorization_url(flow.state, flow.nonce,
                                      pkce_challenge(flow.verifier)), flow


def _audit(ctx: Context, actor: str, action: str, **details: object) -> None:
    ctx.uow.audit.record(AuditRecord(at=ctx.now(), actor=actor, action=action,
                                     request_id=ctx.request_id, details=details))


def _refuse(ctx: Context, actor: str, exc: TokenRejected) -> TokenRejected:
    with ctx.uow:
        _audit(ctx, actor, SIGNIN_ACTION, event="failed", method="oidc", reason=exc.message)
        ctx.uow.commit()
    return exc


def _claims(ctx: Context, provider: OidcProvider, flow: OidcFlow | None, state: str | None,
            code: str | None, error: str | None) -> dict[str, Any]:
    """The checked claims of the ID token this callback leads to (TokenRejected if not)."""
    if flow is None:
        raise TokenRejected("this sign-in was not started in this browser (no sign-in "
                            "cookie): start again from the sign-in page", kind="flow")
    if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        raise TokenRejected("the state sent back by the provider is not this sign-in's",
                            kind="flow")
    if ctx.now() - flow.started_at > ctx.rules.staff.policy.oidc.flow_max_age:
        raise TokenRejected("the sign-in took too long: start again from the sign-in page",
                            kind="flow")
    if error:
        shown = error if _ERROR_CODE.match(error) else "unknown error"
        raise TokenRejected(f"the identity provider refused the sign-in ({shown})",
                            kind="provider")
    if not code:
        raise TokenRejected("the identity provider sent back no authorization code",
                            kind="provider")
    claims = provider.verified_claims(provider.id_token(code, flow.verifier))
    problem = claims_problem(claims, issuer=provider.issuer, client_id=provider.client_id,
                             nonce=flow.nonce, now=ctx.now(),
                             leeway=ctx.rules.staff.policy.oidc.leeway)
    if problem is not None:
        raise TokenRejected(problem)
    return claims


def _new_person(ctx: Context, issuer: str, claims: Mapping[str, Any]) -> Person:
    """A person for a subject seen for the first time: the login is the provider's
    verified e-mail when it is free, else one derived from (iss, sub)."""
    email = claims.get("email")
    login = None
    if isinstance(email, str) and claims.get("email_verified") is True:
        try:
            login = parse_login(email)
        except InputError:
            login = None
        if login is not None and ctx.uow.staff.by_login(login) is not None:
            login = None
    if login is None:
        digest = hashlib.sha256(f"{issuer}\n{claims['sub']}".encode()).hexdigest()[:20]
        login = f"oidc-{digest}"
    raw_name = claims.get("name")
    try:
        name = parse_name(raw_name) if isinstance(raw_name, str) else login
    except InputError:
        name = login
    return Person(id=str(uuid.uuid4()), login=login, name=name, created_at=ctx.now(),
                  created_by=source_of(issuer))


@dataclass(frozen=True)
class _Plan:
    person: Person | None  # None: the subject is new
    add: frozenset[tuple[str, str]]
    end: list[Grant]
    skipped: list[str]  # operators the claim names that derbes does not run


def _plan(ctx: Context, setup: OidcSetup, claims: Mapping[str, Any]) -> _Plan:
    provider = setup.provider
    wanted = wanted_grants(setup.mapping, claims)
    with ctx.uow:
        person = ctx.uow.staff.by_subject(provider.issuer, str(claims["sub"]))
        published = {op for op in {o for o, _ in wanted}
                     if ctx.uow.registers.latest(op) is not None}
        held = [] if person is None else ctx.uow.staff.grants(person_id=person.id,
                                                              active_only=True)
    kept = frozenset(p for p in wanted if p[0] in published)
    add, end = grant_changes(held, kept, source_of(provider.issuer))
    skipped = sorted({o for o, _ in wanted} - published)
    return _Plan(person, add, end, skipped)


def _check_person(ctx: Context, claims: Mapping[str, Any], plan: _Plan) -> None:
    person = plan.person
    if person is not None and person.disabled_at is not None:
        raise TokenRejected("this person's access to derbes was revoked: signing in through "
                            "the identity provider does not return it", kind="revoked")
    ended = {g.id for g in plan.end}
    held = [] if person is None else [g for g in _active(ctx, person) if g.id not in ended]
    roles = {g.role for g in held} | {r for _, r in plan.add}
    policy = ctx.rules.staff.policy.oidc
    if ctx.rules.staff.roles.needs_totp(roles) and not mfa_shown(claims, policy.mfa_amr):
        raise TokenRejected("a role you hold needs a second factor, and the identity provider "
                            "did not report one (amr): sign in there with a second factor",
                            kind="mfa")


def _active(ctx: Context, person: Person) -> list[Grant]:
    with ctx.uow:
        return ctx.uow.staff.grants(person_id=person.id, active_only=True)


def finish(ctx: Context, setup: OidcSetup, flow: OidcFlow | None, *, state: str | None,
           code: str | None, error: str | None = None) -> SignedIn:
    """Check the provider's answer, sync the person's roles from the claim, open a session.

    :class:`TokenRejected` (audited, nothing changed) says what was wrong.
    """
    provider = setup.provider
    source = source_of(provider.issuer)
    try:
        claims = _claims(ctx, provider, flow, state, code, error)
        plan = _plan(ctx, setup, claims)
    except TokenRejected as exc:
        raise _refuse(ctx, source, exc) from None
    try:
        _check_person(ctx, claims, plan)
    except TokenRejected as exc:
        actor = plan.person.actor if plan.person is not None else source
        raise _refuse(ctx, actor, exc) from None
    return _apply(ctx, provider, claims, plan)


def _apply(ctx: Context, provider: OidcProvider, claims: Mapping[str, Any], plan: _Plan
           ) -> SignedIn:
    source = source_of(provider.issuer)
    now = ctx.now()
    with ctx.uow:
        person = plan.person
        if person is None:
            person = _new_person(ctx, provider.issuer, claims)
            ctx.uow.staff.add(person)
            ctx.uow.staff.link_subject(provider.issuer, str(claims["sub"]), person.id, now)
            _audit(ctx, source, "staff.person.add", person_id=person.id, method="oidc")
        for operator, role in sorted(plan.add):
            made = ctx.uow.staff.add_grant(person.id, operator, role, now, source)
            _audit(ctx, source, "staff.grant", person_id=person.id, operator_id=operator,
                   role=role, grant_id=made.id)
        for gone in plan.end:
            ctx.uow.staff.revoke_grants(person.id, now, source, operator_id=gone.operator_id,
                                        role=gone.role)
            _audit(ctx, source, "staff.revoke", person_id=person.id,
                   operator_id=gone.operator_id, role=gone.role, grants=[gone.id],
                   sessions=0, api_keys=[], disabled=False,
                   reason="no longer in the identity provider's claim")
        done = start_session(ctx, person, method="oidc", skipped_operators=plan.skipped)
        ctx.uow.commit()
    return done
