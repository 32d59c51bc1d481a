"""The details an operator needs to notify subjects of a breach of their PD.

The rules for notifying subjects (Order 481/НҚ of 09.08.2024) name them by
name and/or IIN and/or mobile number; a message reaches them by SMS or
e-mail. :func:`notification_details` opens the latest of each of these that
the vault holds for each subject, and nothing else. It records nothing itself:
the caller (the incident's sealed list, its notifications) audits what it does
with them, in its own transaction, naming the subjects by internal id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from derbes.context import Context
from derbes.errors import CryptoError
from derbes.register.model.register import ValueType
from derbes.vault.ports import SealedValue
from derbes.vault.service.values import keys_of, open_value

__all__ = ["NAME_CATEGORY", "NotificationDetails", "notification_details"]

# The base taxonomy's category of a person's full name (data/taxonomy.yaml).
NAME_CATEGORY = "identity.full_name"

_WANTED = {ValueType.IIN.value: "iin", ValueType.PHONE.value: "phone",
           ValueType.EMAIL.value: "email"}


@dataclass(frozen=True)
class NotificationDetails:
    """One subject's name, IIN, mobile number and e-mail as held (None: not held);
    ``gone``: the subject was destroyed, nothing is held any more."""

    subject_id: str
    name: str | None = field(default=None, repr=False)
    iin: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    gone: bool = False


def _field_of(stored: SealedValue) -> str | None:
    if stored.category == NAME_CATEGORY:
        return "name"
    return _WANTED.get(stored.value_type)


def notification_details(ctx: Context, subject_ids: Sequence[str]
                         ) -> list[NotificationDetails]:
    """The details of each subject in ``subject_ids`` (in that order), within the
    context's operators; a subject outside them, or destroyed, is ``gone``."""
    out: list[NotificationDetails] = []
    for subject_id in subject_ids:
        with ctx.uow:
            subject = ctx.uow.vault.get(subject_id)
            if subject is None or subject.destroyed or not ctx.scope.admits(subject.operator_id):
                out.append(NotificationDetails(subject_id, gone=True))
                continue
            stored = ctx.uow.vault.values(subject_id)
        latest: dict[str, SealedValue] = {}
        for value in stored:
            name = _field_of(value)
            if name is not None and (name not in latest or (value.updated_at, value.seq) > (
                    latest[name].updated_at, latest[name].seq)):
                latest[name] = value
        try:
            keys = keys_of(ctx.keystore, subject_id)
            opened = {name: open_value(keys, value) for name, value in latest.items()}
        except CryptoError:
            out.append(NotificationDetails(subject_id, gone=True))
            continue
        texts = {name: value for name, value in opened.items() if isinstance(value, str)}
        out.append(NotificationDetails(subject_id, name=texts.get("name"),
                                       iin=texts.get("iin"), phone=texts.get("phone"),
                                       email=texts.get("email")))
    return out
