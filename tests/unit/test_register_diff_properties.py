"""Properties of ``register/model/diff``: a register equals itself; add/remove read backwards."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from derbes.register.model.diff import INVERSE, Effect, diff
from derbes.register.model.register import Register
from tests.unit.test_register_diff import (
    GA,
    LOYALTY,
    MAILER_ABROAD,
    PARTNER_BANK,
    Data,
    Edit,
    append,
    build,
    categories_of,
    cookie,
    cookies_list,
    purposes_list,
    recipients_list,
    recipients_of,
    remove_purpose,
    retention,
    setp,
    setr,
)


def both(*edits: Edit) -> Edit:
    def edit(data: Data) -> None:
        for one in edits:
            one(data)

    return edit


# Edits that compose in any order and any subset (each touches its own fact).
ATOMS: dict[str, Edit] = {
    "ip_for_payments": append(categories_of("payment_service"), "device.ip_address"),
    "phone_for_newsletters": append(categories_of("newsletters"), "contact.phone"),
    "birth_date_for_aml": append(categories_of("aml_identification"), "identity.birth_date"),
    "loyalty": append(purposes_list, LOYALTY),
    "ga_cookie": append(cookies_list, GA),
    "automated_payments": setp("payment_service", "automated_decision", True),
    "card_processor_abroad": both(setr("card_processor", "country", "DE"),
                                  setr("card_processor", "cross_border_basis",
                                       {"kind": "consent"})),
    "partner_bank": both(append(recipients_list, PARTNER_BANK),
                         append(recipients_of("newsletters"), "partner_bank")),
    "mailer": both(append(recipients_list, MAILER_ABROAD),
                   append(recipients_of("newsletters"), "mailer")),
    "no_aml": remove_purpose("aml_identification"),
    "open_list": setp("newsletters", "exhaustive", False),
}
# Edits with a value: retention of newsletters and lifetime of the session cookie.
retention_days = st.integers(min_value=1, max_value=400)
lifetime_days = st.integers(min_value=1, max_value=365)


@st.composite
def registers(draw: st.DrawFn) -> Register:
    names = draw(st.lists(st.sampled_from(sorted(ATOMS)), unique=True))
    edits = [ATOMS[n] for n in sorted(names)]
    if draw(st.booleans()):
        edits.append(retention("newsletters", period=f"{draw(retention_days)} working days"))
    if draw(st.booleans()):
        edits.append(cookie("session", lifetime=f"{draw(lifetime_days)} days"))
    return build(*edits)


@given(registers())
def test_a_register_equals_itself(register: Register) -> None:
    result = diff(register, register)
    assert result.empty and not result.widens and not result.narrows
    assert result.summary() == "no changes"


_OPPOSITE = {Effect.WIDENS: Effect.NARROWS, Effect.NARROWS: Effect.WIDENS,
             Effect.NEUTRAL: Effect.NEUTRAL}


@given(registers(), registers())
def test_add_remove_pairs_read_backwards(a: Register, b: Register) -> None:
    forward, backward = diff(a, b), diff(b, a)
    back = {(c.kind, c.item, c.purposes): c for c in backward.changes if c.kind in INVERSE}
    paired_forward = [c for c in forward.changes if c.kind in INVERSE]
    assert len(paired_forward) == len(back)
    for change in paired_forward:
        mirror = back[(INVERSE[change.kind], change.item, change.purposes)]
        assert mirror.effect is _OPPOSITE[change.effect]
    # Widening by an add/remove pair one way is narrowing the other way.
    widens = any(c.effect is Effect.WIDENS for c in paired_forward)
    narrows_back = any(c.effect is Effect.NARROWS for c in back.values())
    assert widens == narrows_back


@given(registers(), registers())
def test_only_widening_changes_ask_for_consent(a: Register, b: Register) -> None:
    for change in diff(a, b).changes:
        if change.reconsent:
            assert change.effect is Effect.WIDENS
            assert all(s.purpose is None or s.purpose in b.purposes for s in change.reconsent)


def test_every_pair_of_shipped_registers_compares() -> None:
    """Two real policies differ in every way a register can: each basis a recipient or a
    purpose may have (an agreement with a processor, a basis the policy leaves unstated)
    is ranked, so comparing any two of them names changes instead of failing."""
    from itertools import permutations
    from pathlib import Path

    from derbes.register.adapters.yaml import load_register, register_files

    shipped = Path(__file__).resolve().parents[2] / "registers"
    loaded = [load_register(path).register for path in register_files(shipped)]
    assert len(loaded) >= 5
    for old, new in permutations(loaded, 2):
        assert diff(old, new).changes
