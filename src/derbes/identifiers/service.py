"""Use case: check any identifier (``derbes id check``, ``POST /v1/identifiers/check``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from derbes.deadlines.model.periods import Unit
from derbes.deadlines.model.regime import Regime
from derbes.errors import ConfigurationError, IdentifierError
from derbes.identifiers.model import Kind, Verdict, check_lang, detect, email, iban, pan
from derbes.identifiers.model import bin as kz_bin
from derbes.identifiers.model import iin as kz_iin
from derbes.identifiers.ports import Phones
from derbes.platform import i18n
from derbes.platform.clock import KZ_ZONE, Clock
from derbes.platform.labels import Lang

MAJORITY_RULE = "age_of_majority"


def _today(clock: Clock | None) -> date | None:
    # Ages and registration months are reckoned on the Kazakhstan calendar day, not
    # on the UTC day.
    return clock.now().astimezone(KZ_ZONE).date() if clock is not None else None


def majority_age(regime: Regime) -> int:
    """The age of majority in full years, from the regime table (Civil Code Art. 17 p.1)."""
    majority = regime.rule(MAJORITY_RULE)
    if majority.value.unit is not Unit.YEARS:
        raise ConfigurationError(
            f"the regime's {MAJORITY_RULE} is {majority.value}: give it in years")
    return majority.value.value


def check(
    value: str,
    kind: Kind | str | None = None,
    *,
    clock: Clock | None = None,
    lang: Lang | str = Lang.EN,
    regime: Regime | None = None,
    phones: Phones,
) -> Verdict:
    """Check ``value`` as ``kind``, or as the kind :func:`detect` sees in it.

    With a ``clock``, an IIN born or a BIN registered after today is invalid
    and an IIN's verdict tells the age, and with the ``regime`` table (its age
    of majority) whether the person is a minor.
    Raises :class:`IdentifierError` when ``kind`` is unknown or when no kind
    can be detected; every other bad input is an invalid verdict.
    """
    lang = check_lang(lang)
    if kind is None:
        detected = detect(value)
        if detected is None:
            raise IdentifierError(
                "cannot tell which kind of identifier this is; give the kind "
                f"({', '.join(k.value for k in Kind)})",
                field="value",
            )
        chosen = detected
    else:
        try:
            chosen = Kind(kind)
        except ValueError:
            raise IdentifierError(
                f"unknown identifier kind: use one of {', '.join(k.value for k in Kind)}",
                field="kind",
            ) from None
    today = _today(clock)
    majority = None if regime is None else majority_age(regime)
    checks: dict[Kind, Callable[[str], Verdict]] = {
        Kind.IIN: lambda v: kz_iin.check(v, on=today, majority_age=majority),
        Kind.BIN: lambda v: kz_bin.check(v, on=today),
        Kind.IBAN: iban.check,
        Kind.PAN: pan.check,
        Kind.PHONE: phones.check,
        Kind.EMAIL: email.check,
    }
    return _translated(checks[chosen](value), lang)


# Facts whose values are messages of the catalogues (names of a sex, an entity type…).
_LABEL_FACTS = ("sex_label", "entity_type_label", "division_label")


def _translated(verdict: Verdict, lang: Lang) -> Verdict:
    if not any(name in verdict.facts for name in _LABEL_FACTS):
        return verdict
    facts = dict(verdict.facts)
    for name in _LABEL_FACTS:
        if isinstance(facts.get(name), str):
            facts[name] = i18n.gettext(lang, str(facts[name]))
    return replace(verdict, facts=facts)
