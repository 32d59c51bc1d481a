"""Sending messages and keeping their record: queue, attempt, back off, give up.

:func:`send` checks and renders the message first (a bad template, language or
parameter is an ``InputError`` and nothing is stored), records the delivery
*queued* with its recipient and parameters sealed under a key of its own
(``delivery:<id>`` in the key store, outside the data database), then makes
the first attempt. An attempt is claimed in its own short transaction (the
attempt counted, the next try already scheduled) before the gateway is called,
so a crash mid-send is retried and no transaction waits on the network.

A failure a retry can mend (a gateway down, a timeout) is tried again after
an exponential back-off (``data/delivery.yaml``); any other (a wrong key, no
balance, a number refused) gives up at once. A message past its term (a code
that expired) gives up too. Once a message is sent, or given up past its term,
its key is destroyed: the recipient and the values it carried (a code) no
longer exist anywhere, only the masked recipient stays (Law 94-V Art. 7: no
more PD than the purpose needs, for no longer).

Staff see failed and given-up deliveries (:func:`listing`) and retry one by hand
(:func:`retry`), audited; ``derbes delivery retry --due`` runs the back-off queue.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from derbes.audit.model.log import AuditRecord
from derbes.context import Context
from derbes.delivery import model
from derbes.delivery.model import (
    Channel,
    Delivery,
    Failure,
    Message,
    State,
    Template,
    TemplateText,
)
from derbes.delivery.ports import Couriers, DeliveryFilter, Mail
from derbes.errors import ConflictError, CryptoError, DeliveryError, InputError, NotFoundError
from derbes.platform import crypto
from derbes.platform.otp import IssuedOtp

__all__ = ["CodeRecipient", "attempt", "get", "listing", "retry", "retry_due", "send",
           "send_code"]

log = logging.getLogger(__name__)

ACTION = "delivery.retry"
MAX_LIST = 500


def _key_id(delivery_id: str) -> str:
    return f"delivery:{delivery_id}"


def _aad(delivery_id: str) -> bytes:
    return f"delivery:{delivery_id}:payload".encode()


def _channel(ctx: Context, template: Template) -> Channel:
    spec = ctx.rules.delivery.templates.specs.get(template)
    if spec is None:
        raise InputError(f"unknown template {template}", field="template")
    return spec.channel


def _check_recipient(ctx: Context, channel: Channel, recipient: str) -> str:
    """The recipient normalised: E.164 for a phone, the address for an e-mail."""
    from derbes.identifiers.model import email as kz_email

    if not isinstance(recipient, str) or not recipient.strip():
        raise InputError("no recipient", field="recipient")
    if channel is Channel.SMS:
        return ctx.phones.e164(recipient)
    return kz_email.parse(recipient).value


def send(ctx: Context, couriers: Couriers, message: Message) -> Delivery:
    """Record ``message`` and make its first attempt; the delivery as it stands after."""
    channel = _channel(ctx, message.template)
    model.render(ctx.rules.delivery.templates, message.template, message.language,
                 message.params)
    recipient = _check_recipient(ctx, channel, message.recipient)
    now = ctx.now()
    delivery_id = uuid.uuid4().hex
    key_id = _key_id(delivery_id)
    key = ctx.keystore.create_keys([key_id])[key_id]
    payload = json.dumps({"recipient": recipient, "params": dict(message.params)},
                         ensure_ascii=False, sort_keys=True).encode("utf-8")
    delivery = Delivery(
        id=delivery_id, channel=channel, template=message.template, language=message.language,
        key_id=key_id, sealed=crypto.seal(key, payload, _aad(delivery_id)),
        recipient_masked=model.mask(channel, recipient), state=State.QUEUED, attempts=0,
        created_at=now, updated_at=now, next_attempt_at=now, expires_at=message.expires_at,
        operator_id=message.operator_id)
    with ctx.uow:
        ctx.uow.deliveries.add(delivery)
        ctx.uow.commit()
    return attempt(ctx, couriers, delivery_id)


def _claim(ctx: Context, delivery_id: str, *, by_hand: bool) -> Delivery | None:
    """Count the attempt and schedule the next one before the gateway is called; None
    when the delivery is not (or no longer) to be attempted now."""
    now = ctx.now()
    policy = ctx.rules.delivery.retry
    with ctx.uow:
        current = ctx.uow.deliveries.get(delivery_id, for_update=True)
        if current is None:
            raise NotFoundError(f"no delivery {delivery_id}", field="delivery_id")
        if not by_hand and not current.due(now):
            return None
        attempts = current.attempts + 1
        claimed = replace(current, attempts=attempts, updated_at=now,
                          next_attempt_at=now + model.delay_after(policy, attempts))
        ctx.uow.deliveries.save(claimed)
        ctx.uow.commit()
    return claimed


def _opened(ctx: Context, delivery: Delivery) -> tuple[str, dict[str, str]] | None:
    key = ctx.keystore.keys_for([delivery.key_id]).get(delivery.key_id)
    if key is None or not delivery.sealed:
        return None
    try:
        data = json.loads(crypto.open_sealed(key, delivery.sealed, _aad(delivery.id)))
    except CryptoError:
        return None
    return str(data["recipient"]), {str(k): str(v) for k, v in data["params"].items()}


def _hand_over(couriers: Couriers, delivery: Delivery, recipient: str,
               text: TemplateText) -> str:
    if delivery.channel is Channel.SMS:
        return couriers.sms.send_sms(recipient, text.body)
    return couriers.mail.send_mail(Mail(recipient, text.subject or "", text.body,
                                        delivery.language))


def attempt(ctx: Context, couriers: Couriers, delivery_id: str, *,
            by_hand: bool = False) -> Delivery:
    """One attempt of a delivery that is due (any time when ``by_hand``)."""
    claimed = _claim(ctx, delivery_id, by_hand=by_hand)
    if claimed is None:
        return get(ctx, delivery_id)
    now = ctx.now()
    failure: Failure | None = None
    detail: str | None = None
    reference: str | None = None
    opened = _opened(ctx, claimed)
    if claimed.expires_at is not None and now >= claimed.expires_at:
        failure = Failure.EXPIRED
    elif opened is None:
        failure = Failure.SHREDDED
    else:
        recipient, params = opened
        text = model.render(ctx.rules.delivery.templates, claimed.template, claimed.language,
                            params)
        try:
            reference = _hand_over(couriers, claimed, recipient, text)
        except DeliveryError as exc:
            failure, detail = model.parse_failure(exc.reason), exc.message[:200]
    return _settle(ctx, claimed, failure, detail, reference)


def _settle(ctx: Context, claimed: Delivery, failure: Failure | None, detail: str | None,
            reference: str | None) -> Delivery:
    now = ctx.now()
    if failure is None:
        after = replace(claimed, state=State.SENT, next_attempt_at=None, last_failure=None,
                        last_detail=None, provider_ref=reference, updated_at=now, sealed=b"")
    else:
        state, next_at = model.after_failure(ctx.rules.delivery.retry, failure,
                                             claimed.attempts, now, claimed.expires_at)
        after = replace(claimed, state=state, next_attempt_at=next_at, last_failure=failure,
                        last_detail=detail, updated_at=now)
        if state is State.GAVE_UP and failure in (Failure.EXPIRED, Failure.SHREDDED):
            after = replace(after, sealed=b"")
        log.warning("delivery %s attempt %d failed: %s (%s)", claimed.id, claimed.attempts,
                    failure.value, state.value)
    with ctx.uow:
        ctx.uow.deliveries.save(after)
        ctx.uow.commit()
    if not after.sealed:
        # Sent, or of no use any more: the recipient and the code go with the key.
        ctx.keystore.destroy([after.key_id])
    return after


def get(ctx: Context, delivery_id: str) -> Delivery:
    with ctx.uow:
        found = ctx.uow.deliveries.get(delivery_id)
    if found is None or (found.operator_id is not None
                         and not ctx.scope.admits(found.operator_id)):
        raise NotFoundError(f"no delivery {delivery_id}", field="delivery_id")
    return found


def listing(ctx: Context, states: tuple[State, ...] = (State.FAILED, State.GAVE_UP),
            limit: int = 100) -> list[Delivery]:
    """Deliveries in ``states`` (by default those that did not get through), oldest first,
    within the context's operators. Only masked recipients are in them."""
    if not 1 <= limit <= MAX_LIST:
        raise InputError(f"limit must be 1 to {MAX_LIST}", field="limit")
    scope = ctx.scope
    operators = None if scope.operator_id is None else (scope.operator_id,)
    with ctx.uow:
        return ctx.uow.deliveries.list(DeliveryFilter(states=states, operator_ids=operators,
                                                      limit=limit))


def retry(ctx: Context, couriers: Couriers, delivery_id: str) -> Delivery:
    """Staff try a failed or given-up delivery again now (audited)."""
    current = get(ctx, delivery_id)
    if current.state not in (State.FAILED, State.GAVE_UP):
        raise ConflictError(f"a {current.state.value} delivery is not retried", field="state")
    if not current.sealed:
        raise ConflictError("this delivery's recipient was destroyed (sent, expired or "
                            "shredded): it cannot be sent again", field="state")
    after = attempt(ctx, couriers, delivery_id, by_hand=True)
    with ctx.uow:
        ctx.uow.audit.record(AuditRecord(
            at=ctx.now(), actor=ctx.actor, action=ACTION, request_id=ctx.request_id,
            details={"delivery": delivery_id, "template": after.template.value,
                     "state": after.state.value, "attempts": after.attempts,
                     "failure": after.last_failure.value if after.last_failure else None}))
        ctx.uow.commit()
    return after


def retry_due(ctx: Context, couriers: Couriers, now: datetime | None = None,
              limit: int = 100) -> list[Delivery]:
    """Attempt every delivery whose back-off has run out (the queue's run)."""
    at = now or ctx.now()
    with ctx.uow:
        due = ctx.uow.deliveries.list(DeliveryFilter(
            states=(State.QUEUED, State.FAILED), due_by=at, limit=limit))
    return [attempt(ctx, couriers, d.id) for d in due]


@dataclass(frozen=True)
class CodeRecipient:
    """Where a one-time code goes: a phone number, the language the subject reads."""

    phone: str = field(repr=False)
    language: str
    operator_id: str | None = None


def send_code(ctx: Context, couriers: Couriers, to: CodeRecipient,
              issued: IssuedOtp) -> Delivery:
    """Send a one-time code by SMS (template ``otp_code``); it gives up at the code's
    expiry rather than deliver a code that no longer works."""
    minutes = max(1, math.ceil((issued.expires_at - issued.issued_at).total_seconds() / 60))
    language = to.language if to.language in model.LANGUAGES else model.LANGUAGES[0]
    return send(ctx, couriers, Message(
        Template.OTP_CODE, language, to.phone,
        {"code": issued.code, "minutes": str(minutes)}, expires_at=issued.expires_at,
        operator_id=to.operator_id))
