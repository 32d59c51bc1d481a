"""What the delivery use cases need of the outside world, owned by the slice.

:class:`SmsGateway` and :class:`Mailer` take one message each and answer the
provider's reference, or raise :class:`~derbes.errors.DeliveryError` saying
whether a retry can help. :class:`DeliveryRepository` keeps the delivery
records (``uow.deliveries``). Adapters: ``adapters/mobizon.py`` (the Mobizon.kz
HTTP API), ``adapters/smtp.py`` (SMTP with STARTTLS), ``adapters/console.py``
(development only: prints the message); bootstrap chooses from the settings.
In-memory fakes: ``derbes.testing.delivery``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from derbes.delivery.model import Delivery, State

__all__ = ["Couriers", "DeliveryFilter", "DeliveryRepository", "Mail", "Mailer", "SmsGateway"]


class SmsGateway(Protocol):
    name: str

    def send_sms(self, phone: str, text: str) -> str:
        """Hand one SMS to the gateway (``phone`` in E.164); the gateway's message id."""
        ...


@dataclass(frozen=True)
class Mail:
    to: str = field(repr=False)
    subject: str
    body: str = field(repr=False)
    language: str = "ru"


class Mailer(Protocol):
    name: str

    def send_mail(self, mail: Mail) -> str:
        """Hand one e-mail to the mail server; its Message-ID."""
        ...


@dataclass(frozen=True)
class Couriers:
    """The ways out this installation has, chosen by bootstrap."""

    sms: SmsGateway
    mail: Mailer


@dataclass(frozen=True)
class DeliveryFilter:
    states: tuple[State, ...] = ()
    operator_ids: tuple[str, ...] | None = None  # None: every operator
    due_by: datetime | None = None  # queued or failed with next_attempt_at <= due_by
    limit: int = 100


class DeliveryRepository(Protocol):
    def add(self, delivery: Delivery) -> None: ...

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None: ...

    def save(self, delivery: Delivery) -> None: ...

    def list(self, where: DeliveryFilter) -> builtins.list[Delivery]:
        """Matching deliveries, the oldest first."""
        ...
