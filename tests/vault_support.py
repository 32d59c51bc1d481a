"""Test data shared by the vault tests: one register, one person, and builders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from derbes.register.adapters.yaml import load_register
from derbes.register.model.loaded import LoadedRegister
from derbes.vault.model import NewValue, Provenance, Source

MINIMAL = Path(__file__).parent / "fixtures" / "registers" / "minimal.yaml"
OPERATOR = "example-pay"

# A made-up person. Each plaintext is distinctive, so a scan of raw database
# bytes for it cannot hit by chance.
IIN = "900101300126"
IIN_B = "850203400561"
PHONE = "+77017654321"
PHONE_LOCAL = "8 (701) 765-43-21"
PHONE_B = "+77019876543"
EMAIL = "Aigerim.Testova@example.kz"
FULL_NAME = "Айгерим Тестова Жанболатқызы"
FULL_NAME_B = "Berik Qwertyuiop"
PAN = "4111111111111111"

COLLECTED = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)


def minimal_register() -> LoadedRegister:
    return load_register(MINIMAL)


def prov(*purposes: str, source: Source = Source.SUBJECT) -> Provenance:
    return Provenance(source=source, purposes=tuple(purposes), method="web_form",
                      collected_at=COLLECTED)


def person_values(
    iin: str = IIN, phone: str = PHONE, name: str = FULL_NAME, email: str | None = EMAIL
) -> list[NewValue]:
    values = [
        NewValue("identity.full_name", name, prov()),
        NewValue("identity.iin", iin, prov("aml_identification")),
        NewValue("contact.phone", phone, prov("payment_service")),
    ]
    if email is not None:
        values.append(NewValue("contact.email", email, prov("newsletters")))
    return values
