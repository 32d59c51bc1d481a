"""The delivery ports in memory, for tests (production never imports this).

:class:`RecordingSms` and :class:`RecordingMailer` keep what they were given, as
the subject's phone and mailbox would, and fail on demand with the failure a real
gateway reports (``fail_with``), so the back-off and give-up paths are exercised.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from derbes.delivery.model import Delivery
from derbes.delivery.ports import DeliveryFilter, Mail
from derbes.errors import DeliveryError
from derbes.platform.memory import checkpoint

__all__ = ["FakeDeliveryRepository", "RecordingMailer", "RecordingSms", "Sms"]

_CODE = re.compile(r"\b(\d{6})\b")


class FakeDeliveryRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Delivery] = {}

    def add(self, delivery: Delivery) -> None:
        if delivery.id in self.rows:
            raise ValueError(f"delivery {delivery.id} exists")
        self.rows[delivery.id] = delivery

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        return self.rows.get(delivery_id)

    def save(self, delivery: Delivery) -> None:
        self.rows[delivery.id] = delivery

    def list(self, where: DeliveryFilter) -> builtins.list[Delivery]:
        found = [d for d in self.rows.values()
                 if (not where.states or d.state in where.states)
                 and (where.operator_ids is None or d.operator_id in where.operator_ids)
                 and (where.due_by is None or (d.next_attempt_at is not None
                                               and d.next_attempt_at <= where.due_by))]
        return sorted(found, key=lambda d: (d.created_at, d.id))[:where.limit]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")


@dataclass(frozen=True)
class Sms:
    phone: str = field(repr=False)
    text: str = field(repr=False)

    @property
    def code(self) -> str | None:
        found = _CODE.search(self.text)
        return found.group(1) if found else None


class RecordingSms:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Sms] = []
        self.fail_with: list[DeliveryError] = []  # raised in turn, before sending

    def send_sms(self, phone: str, text: str) -> str:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append(Sms(phone, text))
        return f"fake-{len(self.sent)}"

    def last_code(self, phone: str | None = None) -> str | None:
        for sms in reversed(self.sent):
            if phone is None or sms.phone == phone:
                return sms.code
        return None


class RecordingMailer:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.fail_with: list[DeliveryError] = []

    def send_mail(self, mail: Mail) -> str:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append(mail)
        return f"<fake-{len(self.sent)}@derbes.test>"
