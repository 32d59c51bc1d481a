"""The responsible person's register and the compliance pack on SQLite and PostgreSQL:
appointments stored, audited and refused without a trace of what was typed; the pack
renders for the five seed operators in ru, kk and en, and says what no record holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from derbes.compliance import service as compliance
from derbes.compliance.adapters.chains import chain_walker
from derbes.compliance.adapters.pack import render_pack
from derbes.errors import InputError, NotFoundError
from tests.api_world import World, make_world

SEED_OPERATORS = ("kassa24", "altyncoin", "express-avans", "kredit-seven", "qiwi-kz")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path, database_url=db_url)
    yield built
    built.close()


def _appointment(world: World, operator: str = "kassa24", **changes: object
                 ) -> compliance.NewAppointment:
    today = world.container.clock.now().date()
    fields: dict[str, object] = {
        "operator_id": operator, "name": "Айгерім Сәдуақасова",
        "position": "Комплаенс қызметінің басшысы", "appointed_on": today - timedelta(days=3),
        "email": "dpo@kassa24.kz", "phone": None, "document": "Бұйрық № 12-к"}
    fields.update(changes)
    return compliance.NewAppointment(**fields)  # type: ignore[arg-type]


def test_appointments_are_stored_audited_and_the_latest_is_in_force(world: World) -> None:
    ctx = world.container.context("cli:test")
    first = compliance.appoint(ctx, _appointment(world))
    second = compliance.appoint(ctx, _appointment(world, name="Ерлан Қасымов",
                                                  phone="+7 727 355 00 00", email=None))
    found = compliance.responsible(ctx, "kassa24")
    assert found.current == second and [a.id for a in found.history] == [second.id, first.id]
    assert found.current.appointed_on == world.container.clock.now().date() - timedelta(days=3)
    assert compliance.responsible(ctx, "qiwi-kz").current is None
    with world.container.uow() as uow:
        actions = [(e.action, e.details) for e in uow.audit.entries()
                   if e.action.startswith("compliance.responsible")]
    assert [a for a, _ in actions] == [compliance.APPOINT_ACTION] * 2
    assert all("Сәдуақасова" not in str(d) and "Қасымов" not in str(d) for _, d in actions)


@pytest.mark.parametrize(("changes", "field"), [
    ({"appointed_on": date(2199, 1, 1)}, "appointed_on"),
    ({"appointed_on": date(1, 1, 1)}, "appointed_on"),
    ({"appointed_on": None}, "appointed_on"),
    ({"email": None, "phone": None}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"name": "  "}, "name"),
    ({"position": ""}, "position"),
])
def test_a_bad_appointment_is_refused_audited_and_changes_nothing(
        world: World, changes: dict[str, object], field: str) -> None:
    ctx = world.container.context("cli:test")
    with pytest.raises(InputError) as refused:
        compliance.appoint(ctx, _appointment(world, **changes))
    assert refused.value.field == field
    assert compliance.responsible(ctx, "kassa24").history == []
    with world.container.uow() as uow:
        last = list(uow.audit.entries())[-1]
    assert last.action == f"{compliance.APPOINT_ACTION}.refused"
    assert last.details["field"] == field and "not-an-address" not in str(last.details)


def test_an_unknown_operator_has_no_responsible_person(world: World) -> None:
    ctx = world.container.context("cli:test")
    with pytest.raises(NotFoundError):
        compliance.appoint(ctx, _appointment(world, operator="no-such-operator"))
    with pytest.raises(NotFoundError):
        compliance.compliance_pack(ctx, "no-such-operator", None, None)


def test_the_pack_renders_for_the_five_seed_operators(world: World) -> None:
    ctx = world.container.context("cli:test")
    compliance.appoint(ctx, _appointment(world))
    walk = chain_walker(world.container)
    for operator in SEED_OPERATORS:
        pack = compliance.compliance_pack(ctx, operator, None, None, walk)
        assert pack.chains is not None and pack.chains.audit.ok and pack.chains.consent.ok
        assert len(pack.documents) == 1 and pack.documents[0].in_force
        for lang in ("ru", "kk", "en"):
            html = render_pack(pack, lang, "html").decode("utf-8")
            assert f'lang="{lang}"' in html and "<svg" in html
            assert operator in html
        for lang in ("ru", "kk"):
            pdf = render_pack(pack, lang, "pdf")
            text = "".join(p.extract_text() for p in PdfReader(_bytes(pdf)).pages)
            assert operator in text
    kassa = compliance.compliance_pack(ctx, "kassa24", None, None)
    english = render_pack(kassa, "en", "html").decode("utf-8")
    # kassa24's policy states no version and no date: the pack says so, never a guess.
    assert english.count("not stated") >= 2
    assert "The chains were not verified for this pack." in english
    assert "Айгерім Сәдуақасова" in english


def test_a_period_ending_before_it_starts_is_refused(world: World) -> None:
    ctx = world.container.context("cli:test")
    with pytest.raises(InputError) as refused:
        compliance.compliance_pack(ctx, "kassa24", date(2026, 5, 1), date(2026, 4, 1))
    assert refused.value.field == "until"


def _bytes(data: bytes) -> object:
    from io import BytesIO

    return BytesIO(data)
