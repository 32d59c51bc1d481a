"""The withdrawal citations of ``data/consent_rules.yaml`` in ru/kk/en: every language
present, the English the citation itself (a correction is never left behind in one
language), and the shipped table complete."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from derbes.consent.adapters.rules import rules_from_dict
from derbes.errors import ConfigurationError
from derbes.platform.shipped import shipped_yaml


def _shipped() -> Any:
    return copy.deepcopy(shipped_yaml("consent_rules.yaml"))


def test_the_shipped_citations_are_in_three_languages() -> None:
    rules = rules_from_dict(_shipped())
    for name in ("withdrawal", "withdrawal_obligation", "withdrawal_law", "marketing",
                 "cookies"):
        assert rules.cited(name, "en") == getattr(rules, name)
        assert rules.cited(name, "ru") != getattr(rules, name)
        assert "8-баптың 2-тармағы" in rules.cited(name, "kk")


@pytest.mark.parametrize("spoil", [
    lambda d: d["cite"]["withdrawal"].pop("kk"),
    lambda d: d["cite"]["marketing"].update(ru=" "),
    lambda d: d["cite"]["cookies"].update(en="Law 94-V Art. 8 (old wording)"),
    lambda d: d["cite"].update(otp_citation={"ru": "а", "kk": "ә", "en": "a"}),
    lambda d: d.update(cite=["withdrawal"]),
])
def test_a_broken_table_is_refused(spoil: Any) -> None:
    data = _shipped()
    spoil(data)
    with pytest.raises(ConfigurationError, match="cite"):
        rules_from_dict(data)


def test_a_rule_without_texts_reads_in_english() -> None:
    data = _shipped()
    del data["cite"]["cookies"]
    assert rules_from_dict(data).cited("cookies", "kk") == data["cookies"]
