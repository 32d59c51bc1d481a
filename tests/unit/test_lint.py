"""The register linter: for every rule a register that breaks it and one that does not.

Fixtures are the complete register (schema 2, every fact with its clause, which
lints clean) with one mutation applied to its parsed YAML; the "passing" mutation
is a near miss of the failing one wherever the rule has a boundary.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.register.adapters.yaml import READER, parse_register
from derbes.register.model.lint import (
    RULES,
    RULES_BY_CODE,
    Finding,
    Severity,
    apply_waivers,
    counts,
    finding,
    lint,
    waiver_covers,
)
from derbes.register.model.register import Register, Waiver
from derbes.register.service.lint import lint_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "registers"
FIXTURE = FIXTURES / "complete.yaml"
BASE: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
REGIME = load_regime()

Mutation = Callable[[dict[str, Any]], None]

# Rules about the register file itself rather than a rule of the law: no citation.
META = {"DRB027", "DRB028", "DRB029", "DRB031", "DRB099"}

TEXT = {"ru": "Текст", "kk": "Мәтін", "en": "Text"}


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _mutated(*mutations: Mutation) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for mutate in mutations:
        mutate(data)
    return data


def _register(*mutations: Mutation) -> Register:
    return parse_register(_text(_mutated(*mutations)), "test.yaml").register


def _findings(*mutations: Mutation) -> list[Finding]:
    return lint(_register(*mutations), REGIME)


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting a dotted path such as ``purposes.2.retention`` (None deletes)."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = (int(p) if p.isdigit() else p for p in path.split("."))
        node: Any = data
        for part in parents:
            node = node[part]
        if value is None and isinstance(last, str):
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)

    return mutate


def _append(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node: Any = data
        for part in (int(p) if p.isdigit() else p for p in path.split(".")):
            node = node[part] if not isinstance(node, dict) else node.setdefault(part, [])
        node.append(copy.deepcopy(value))

    return mutate


def _custom_category(cat_id: str) -> Mutation:
    return _append(
        "data_categories",
        {"id": cat_id, "labels": TEXT, "sensitivity": "ordinary", "value_type": "number"},
    )


def _recipient(rec_id: str, **fields: Any) -> Mutation:
    base = {
        "id": rec_id,
        "names": TEXT,
        "role": "processor",
        "country": "KZ",
        "actions": ["store"],
        "basis": {"kind": "operator_contract", "citation": TEXT},
        "source": "p.7.9",
    }
    return _append("recipients", {**base, **fields})


def _waiver(code: str, path: str) -> Mutation:
    return _append(
        "waivers", {"code": code, "path": path, "clause": "5.3", "reason": "kept knowingly"}
    )


def _scopes(*scopes: str) -> Mutation:
    return _set("consent.separate_scopes", list(scopes))


# code -> (mutations that break the rule, mutations that keep it), each a list of cases.
Case = tuple[Mutation, ...]
CASES: dict[str, tuple[list[Case], list[Case]]] = {
    "DRB001": (
        [(_set("purposes.2.retention", None),)],
        [(_set("purposes.2.retention.period", "1 day"),)],
    ),
    "DRB002": (
        [(_set("purposes.0.retention.citation", ""),),
         (_set("purposes.0.retention.citation", "   "),)],
        [(_set("purposes.0.retention.citation", TEXT),)],
    ),
    "DRB004": (
        [(_custom_category("loyalty.points"),)],
        [(_custom_category("loyalty.points"), _append("purposes.2.categories", "loyalty.points"))],
    ),
    "DRB005": (
        [(_append("recipients.0.categories", "identity.iin"),),
         # a recipient that no purpose names receives nothing lawfully
         (_recipient("archive", categories=["contact.email"]),)],
        [(_append("recipients.0.categories", "contact.phone"),),
         (_recipient("archive", categories=["contact.email"]),
          _append("purposes.2.recipients", "archive"))],
    ),
    "DRB006": (
        [(_set("purposes.1.exhaustive", False),)],
        [(_set("purposes.1.exhaustive", True),)],
    ),
    "DRB007": (
        [(_set("recipients.0.country", "US"),),
         (_set("recipients.0.country", "US"),
          _set("recipients.0.cross_border_basis", {"kind": "consent"}),
          _scopes("third_party_transfer", "marketing"))],
        [(_set("recipients.0.country", "US"),
          _set("recipients.0.cross_border_basis", {"kind": "adequate_protection"})),
         (_set("recipients.0.country", "US"),
          _set("recipients.0.cross_border_basis", {"kind": "consent"}),
          _scopes("cross_border_transfer")),
         (_set("recipients.0.country", "kz"),)],
    ),
    "DRB008": (
        [(_set("operator.primary_database_country", "RU"),)],
        [(_set("operator.primary_database_country", "kz"),
          _set("operator.copies_abroad", ["DE"]))],
    ),
    "DRB009": (
        [(_append("purposes.0.categories", "biometric.facial_image"),),
         (_append("purposes.2.categories", "biometric.facial_image"),
          _set("purposes.2.consent_required", False)),
         # an obligation of no cited law is no ground for biometrics
         (_append("purposes.1.categories", "biometric.facial_image"),
          _set("purposes.1.basis", {"kind": "legal_obligation", "citation": " "}))],
        [(_append("purposes.2.categories", "biometric.facial_image"),),
         # Art. 9: identification a law requires needs no consent
         (_append("purposes.1.categories", "biometric.facial_image"),)],
    ),
    "DRB010": (
        [(_set("recipients.1.basis", {"kind": "legal_obligation"}),),
         (_set("recipients.1.basis", {"kind": "contract"}),),
         (_set("recipients.0.basis", {"kind": "state_request"}),)],
        [(_set("recipients.0.basis", {"kind": "operator_contract"}),),
         (_set("recipients.1.basis", {"kind": "state_request", "citation": TEXT}),)],
    ),
    "DRB011": (
        [(_set("cookies.0.lifetime", "13 months"),),
         (_set("cookies.0.lifetime", "367 days"),),
         (_set("limits", {"cookie_max_lifetime": "30 days"}),
          _set("cookies.0.lifetime", "31 days"))],
        [(_set("cookies.0.lifetime", "1 year"),),
         (_set("cookies.0.lifetime", "12 months"),),
         (_set("cookies.0.lifetime", "365 days"),),
         (_set("limits", {"cookie_max_lifetime": "30 days"}),
          _set("cookies.0.lifetime", "30 days"))],
    ),
    "DRB012": (
        [(_set("policy.change.silence_means_consent", True),)],
        [(_set("policy.change.silence_means_consent", False),),
         (_set("policy.change", None),)],
    ),
    "DRB013": (
        [(_set("purposes.2.consent_bundled_with", ["payment_service"]),),
         (_set("purposes.0.consent_bundled_with", ["newsletters"]),)],
        [(_set("purposes.0.consent_bundled_with", ["aml_identification"]),)],
    ),
    "DRB014": (
        [(_set("minors", {"processed": True, "representative_consent": False,
                          "source": "p.2.4"}),)],
        [(_set("minors", {"processed": True, "representative_consent": True,
                          "source": "p.2.4"}),),
         (_set("minors", {"processed": True, "source": "p.2.4"}),),
         (_set("minors", {"processed": False, "representative_consent": False,
                          "source": "p.2.4"}),)],
    ),
    "DRB015": (
        [(_set("regime_overrides",
               [{"deadline": "access", "term": "10 working days", "citation": "p.5",
                 "source": "p.5"}]),),
         (_set("regime_overrides",
               [{"deadline": "no_such_deadline", "term": "1 day", "citation": "p.5",
                 "source": "p.5"}]),),
         # a second override may not undo the first one's promise
         (_set("regime_overrides",
               [{"deadline": "access", "term": "1 working day", "citation": "p.5",
                 "source": "p.5"},
                {"deadline": "access", "term": "2 working days", "citation": "p.6",
                 "source": "p.6"}]),)],
        [(_set("regime_overrides",
               [{"deadline": "access", "term": "2 working days", "citation": "p.5",
                 "source": "p.5"}]),),
         (_set("regime_overrides",
               [{"deadline": "access", "term": "3 working days", "citation": "p.5",
                 "source": "p.5"}]),)],
    ),
    "DRB016": (
        [(_set("purposes.1.basis", {"kind": "legal_obligation"}),),
         (_set("purposes.1.basis", {"kind": "state_request", "citation": " "}),)],
        [(_set("purposes.1.basis", {"kind": "state_request", "citation": TEXT}),),
         (_set("purposes.0.basis", {"kind": "contract"}),)],
    ),
    "DRB017": (
        [(_recipient("archive"),)],
        [(_recipient("archive"), _append("purposes.1.recipients", "archive"))],
    ),
    "DRB018": (
        [(_set("purposes.0.automated_decision", True),)],
        [(_set("purposes.0.automated_decision", False),)],
    ),
    "DRB023": (
        [(_set("operator.primary_database_country", None),),
         (_set("recipients.0.country", None),),
         (_set("purposes.0.basis", None),),
         (_set("purposes.0.data_sources", None),),
         (_set("purposes.0.automated_decision", None),),
         (_set("minors", None),),
         (_set("recipients", None), _set("purposes.0.recipients", None),
          _set("purposes.1.recipients", None)),
         (_set("security_measures", None),),
         (_set("complaint_routes", None),),
         (_set("policy.date", None), _set("policy.editions", None))],
        [(_set("recipients", {"none": True, "source": "p.7"}), _set("purposes.0.recipients", None),
          _set("purposes.1.recipients", None)),
         (_set("security_measures", {"none": True, "source": "p.10"}),),
         (_set("policy.date", None),)],  # the editions still date it
    ),
    "DRB024": (
        [(_set("recipients.0.sold", True),),
         (_set("commitments", [{"kind": "no_cross_border", "text": TEXT, "source": "p.7"}]),
          _set("recipients.0.country", "DE"),
          _set("recipients.0.cross_border_basis", {"kind": "adequate_protection"})),
         (_set("commitments", [{"kind": "no_automated_decisions", "text": TEXT,
                                "source": "p.7"}]),
          _set("purposes.2.automated_decision", True)),
         (_set("commitments", [{"kind": "no_ad_tracking", "text": TEXT, "source": "p.8"}]),
          _set("cookies.0.category", "marketing"))],
        [(_set("recipients.0.sold", False),),
         (_set("commitments", [{"kind": "other", "text": TEXT, "source": "p.7"}]),
          _set("recipients.0.sold", True))],
    ),
    "DRB025": (
        [(_append("purposes.0.categories", "identity.id_document"),)],
        [(_set("category_restrictions.0.purposes", ["aml_identification", "payment_service"]),
          _append("purposes.0.categories", "identity.id_document"))],
    ),
    "DRB026": (
        [(_set("minors.age_threshold", 13),)],
        [(_set("minors.age_threshold", 18),), (_set("minors.age_threshold", None),)],
    ),
    "DRB027": (
        [(_set("purposes.0.source", None),),
         (_set("operator.sources.bin", None),),
         (_set("cookies.0.source", None),),
         (_set("security_measures.0.source", None),)],
        [(_set("purposes.0.source", "p.3.9"),)],
    ),
    "DRB028": (
        [(_append("assumptions", {"path": "purposes[0].retention", "reason": "AML law"}),)],
        [(_set("assumptions", []),)],
    ),
    "DRB030": (
        [(_set("purposes.1.automated_decision", True),)],
        [(_set("purposes.2.automated_decision", True), _waiver("DRB018", "purposes[2]"))],
    ),
    "DRB031": (
        [(_set("purposes.0.basis.citation", "Law on payments Art. 25"),),
         (_set("purposes.0.retention.citation", "AML Law Art. 11"),),
         (_set("regime_overrides.0.source", None),)],
        [(_set("purposes.0.basis.citation", None),)],
    ),
    "DRB019": (
        [(_set("purposes.2.consent_required", False),)],
        [(_set("purposes.0.consent_required", False),),
         (_set("purposes.2.consent_required", None),)],  # defaults to true for consent
    ),
    "DRB021": (
        [(lambda data: data["operator"].update(bin=None),)],
        [(_set("operator.bin", "130940014692"),)],
    ),
    "DRB022": (
        [(_set("recipients.0.role", "third_party"), _set("recipients.0.basis", {"kind": "consent"}),
          _set("consent.separate_scopes", ["cross_border_transfer", "publication"]))],
        [(_set("recipients.0.role", "third_party"), _set("recipients.0.basis", {"kind": "consent"})),
         # A recipient on the contract with the subject needs no transfer consent (seed 000 p.2.10).
         (_set("recipients.0.role", "third_party"),
          _set("consent.separate_scopes", ["cross_border_transfer", "publication"]))],
    ),
    "DRB020": (
        [(_set("request_channels", None),),
         (_set("request_channels", {"none": True, "source": "p.6"}),)],
        [(_set("request_channels", [{"kind": "office", "address": "Almaty, Abay Ave 1",
                                     "source": "p.6"}]),)],
    ),
    "DRB099": (
        [(_waiver("DRB018", "purposes[1]"), _set("purposes.0.automated_decision", True)),
         (_waiver("DRB001", "purposes[0]"),),
         (_waiver("DRB777", "purposes[0]"),)],
        [(_waiver("DRB018", "purposes[0]"), _set("purposes.0.automated_decision", True))],
    ),
}

FAILING = [
    pytest.param(code, case, id=f"{code}-fail-{n}")
    for code, (fails, _) in CASES.items()
    for n, case in enumerate(fails)
]
PASSING = [
    pytest.param(code, case, id=f"{code}-pass-{n}")
    for code, (_, passes) in CASES.items()
    for n, case in enumerate(passes)
]


def test_the_minimal_register_lints_clean() -> None:
    assert lint(_register(), REGIME) == []


@pytest.mark.parametrize(("code", "case"), FAILING)
def test_rule_fires(code: str, case: Case) -> None:
    found = [f for f in _findings(*case) if f.code == code]
    assert found, f"{code} did not fire"
    spec = RULES_BY_CODE[code]
    for f in found:
        assert f.severity is spec.severity
        assert f.message
        assert f.waived_by is None
        assert f.citation or code in META


@pytest.mark.parametrize(("code", "case"), PASSING)
def test_rule_stays_quiet(code: str, case: Case) -> None:
    findings = _findings(*case)
    assert [f for f in findings if f.code == code] == []
    assert [f for f in findings if not f.waived] == []


@pytest.mark.parametrize(("code", "case"), FAILING)
def test_every_finding_has_a_line(code: str, case: Case) -> None:
    report = lint_text(_text(_mutated(*case)), "test.yaml", REGIME, READER)
    assert report.loaded
    assert report.findings
    assert all(item.line is not None and item.line > 0 for item in report.findings)


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    ("case", "code", "path"),
    [
        ((_set("purposes.2.retention", None),), "DRB001", "purposes[2].retention"),
        ((_set("purposes.0.retention.citation", ""),), "DRB002",
         "purposes[0].retention.citation"),
        ((_custom_category("a.b"), _custom_category("c.d"),
          _append("purposes.2.categories", "a.b")), "DRB004", "data_categories[1]"),
        ((_append("recipients.0.categories", "identity.iin"),), "DRB005",
         "recipients[0].categories[2]"),
        ((_set("recipients.0.country", "US"),), "DRB007", "recipients[0].cross_border_basis"),
        ((_set("operator.primary_database_country", "RU"),), "DRB008",
         "operator.primary_database_country"),
        ((_set("recipients.1.basis", {"kind": "legal_obligation"}),), "DRB010",
         "recipients[1].basis.citation"),
        ((_set("cookies.0.lifetime", "2 years"),), "DRB011", "cookies[0].lifetime"),
        ((_set("purposes.2.consent_bundled_with", ["payment_service"]),), "DRB013",
         "purposes[2].consent_bundled_with[0]"),
        ((_set("regime_overrides",
               [{"deadline": "nope", "term": "1 day", "citation": "p.5"}]),), "DRB015",
         "regime_overrides[0]"),
        ((_recipient("archive"),), "DRB017", "recipients[2]"),
        ((_set("request_channels", None),), "DRB020", "request_channels"),
        ((_set("recipients.0.country", None),), "DRB023", "recipients[0].country"),
        ((_set("request_channels.0.address", None),), "DRB023",
         "request_channels[0].address"),
        ((_set("recipients.0.sold", True),), "DRB024", "commitments[0]"),
        ((_append("purposes.0.categories", "identity.id_document"),), "DRB025",
         "category_restrictions[0]"),
        ((_set("minors.age_threshold", 13),), "DRB026", "minors.age_threshold"),
        ((_set("purposes.2.source", None),), "DRB027", "purposes[2]"),
        ((_set("purposes.1.automated_decision", True),), "DRB030", "purposes[1].basis"),
        ((_waiver("DRB001", "purposes[0]"),), "DRB099", "waivers[0]"),
    ],
)
def test_finding_paths(case: Case, code: str, path: str) -> None:
    assert [f.path for f in _findings(*case) if f.code == code] == [path]


def test_looser_override_cites_the_default_deadline() -> None:
    found = _findings(
        _set("regime_overrides", [{"deadline": "access", "term": "1 month", "citation": "p.5",
                                   "source": "p.5"}])
    )
    assert [f.code for f in found] == ["DRB015"]
    assert found[0].citation == REGIME["access"].citation
    assert "1 month" in found[0].message


def test_overrides_are_not_checked_without_a_regime() -> None:
    register = _register(
        _set("regime_overrides", [{"deadline": "nope", "term": "1 day", "citation": "p.5",
                                   "source": "p.5"}])
    )
    assert lint(register) == []


def test_findings_come_in_catalogue_order() -> None:
    found = _findings(
        _set("request_channels", None),
        _set("operator.primary_database_country", "RU"),
        _set("purposes.0.automated_decision", True),
    )
    assert [f.code for f in found] == ["DRB008", "DRB018", "DRB020"]


# ------------------------------------------------------------------ loader problems


def test_undeclared_category_is_a_drb003_finding() -> None:
    text = _text(_mutated(_append("purposes.0.categories", "identity.passport_scan")))
    report = lint_text(text, "test.yaml", REGIME, READER)
    assert not report.loaded
    assert report.operator_id is None
    [item] = report.findings
    assert item.finding.code == "DRB003"
    assert item.finding.severity is Severity.ERROR
    assert item.finding.path == "purposes[0].categories[4]"  # the fifth of the list
    assert item.finding.citation == RULES_BY_CODE["DRB003"].citation
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "passport_scan" in ln)
    assert item.line == line
    assert report.failed()


def test_declared_custom_category_is_no_drb003() -> None:
    text = _text(
        _mutated(_custom_category("identity.passport_scan"),
                 _append("purposes.0.categories", "identity.passport_scan"))
    )
    report = lint_text(text, "test.yaml", REGIME, READER)
    assert report.loaded
    assert report.findings == ()


def test_a_register_that_does_not_load_is_drb000() -> None:
    report = lint_text("schema_version: 1\noperator: [a,\n", "broken.yaml", REGIME, READER)
    assert not report.loaded
    assert {item.finding.code for item in report.findings} == {"DRB000"}
    assert all(item.finding.severity is Severity.ERROR for item in report.findings)
    assert report.findings[0].line is not None
    assert report.errors >= 1


# ------------------------------------------------------------------ waivers


def test_waived_finding_is_not_counted() -> None:
    found = _findings(
        _set("operator.primary_database_country", "RU"),
        _waiver("DRB008", "operator.primary_database_country"),
    )
    [f] = found
    assert f.code == "DRB008"
    assert f.waived
    assert f.waived_by is not None and f.waived_by.clause == "5.3"
    assert counts(found) == (0, 0, 1)


def test_waiver_of_an_ancestor_path_covers_the_finding() -> None:
    found = _findings(_set("purposes.1.exhaustive", False), _waiver("DRB006", "purposes[1]"))
    assert [(f.code, f.waived) for f in found] == [("DRB006", True)]


def test_waiver_needs_the_same_code() -> None:
    found = _findings(_set("purposes.1.exhaustive", False), _waiver("DRB001", "purposes[1]"))
    assert sorted((f.code, f.waived) for f in found) == [("DRB006", False), ("DRB099", False)]


def test_one_waiver_covers_each_finding_under_its_path() -> None:
    found = _findings(
        _append("recipients.0.categories", "identity.iin"),
        _append("recipients.0.categories", "contact.email"),
        _waiver("DRB005", "recipients[0]"),
    )
    assert [(f.code, f.waived) for f in found] == [("DRB005", True), ("DRB005", True)]


def test_stale_waiver_is_a_warning_and_fails_only_in_strict_mode() -> None:
    report = lint_text(_text(_mutated(_waiver("DRB012", "policy.change"))), "t.yaml", REGIME, READER)
    [item] = report.findings
    assert item.finding.code == "DRB099"
    assert item.finding.severity is Severity.WARNING
    assert "DRB012" in item.finding.message
    assert item.line is not None
    assert not report.failed()
    assert report.failed(strict=True)


def test_waived_error_does_not_fail_even_in_strict_mode() -> None:
    text = _text(_mutated(_set("policy.change.silence_means_consent", True),
                          _waiver("DRB012", "policy.change")))
    report = lint_text(text, "t.yaml", REGIME, READER)
    assert (report.errors, report.warnings, report.waived) == (0, 0, 1)
    assert not report.failed(strict=True)


def _bare(code: str, path: str) -> Finding:
    return finding(code, path, "message")


@pytest.mark.parametrize(
    ("waiver_path", "finding_path", "covered"),
    [
        ("purposes[3]", "purposes[3]", True),
        ("purposes[3]", "purposes[3].categories", True),
        ("purposes[3]", "purposes[3].categories[1]", True),
        ("recipients[0].categories", "recipients[0].categories[2]", True),
        (" purposes[3] ", "purposes[3].basis", True),
        ("purposes[3]", "purposes[30]", False),
        ("purposes[3]", "purposes[3]x", False),
        ("purposes[3].basis", "purposes[3]", False),
        ("purposes", "purposes[3]", True),
        ("policy.change", "policy.changes", False),
    ],
)
def test_waiver_path_matching(waiver_path: str, finding_path: str, covered: bool) -> None:
    waiver = Waiver("DRB006", waiver_path, "1.1", "reason")
    assert waiver_covers(waiver, _bare("DRB006", finding_path)) is covered


def test_apply_waivers_reports_each_stale_waiver_once() -> None:
    waivers = (
        Waiver("DRB006", "purposes[0]", "1", "r"),
        Waiver("DRB006", "purposes[0].exhaustive", "2", "r"),  # also matches: not stale
        Waiver("DRB006", "purposes[9]", "3", "r"),
    )
    out = apply_waivers([_bare("DRB006", "purposes[0].exhaustive")], waivers)
    assert out[0].waived_by == waivers[0]
    assert [(f.code, f.path) for f in out[1:]] == [("DRB099", "waivers[2]")]


# ------------------------------------------------------------------ the catalogue


# The table of docs/register.md: code -> severity.
EXPECTED = {
    "DRB001": "error", "DRB002": "error", "DRB003": "error", "DRB004": "warning",
    "DRB005": "error", "DRB006": "error", "DRB007": "error", "DRB008": "error",
    "DRB009": "error", "DRB010": "error", "DRB011": "error", "DRB012": "error",
    "DRB013": "error", "DRB014": "error", "DRB015": "error", "DRB016": "error",
    "DRB017": "warning", "DRB018": "warning", "DRB019": "warning", "DRB020": "error",
    "DRB021": "warning", "DRB022": "error", "DRB023": "warning", "DRB024": "error",
    "DRB025": "error", "DRB026": "warning", "DRB027": "warning", "DRB028": "warning",
    "DRB029": "warning", "DRB030": "error", "DRB031": "warning", "DRB099": "warning",
}


def test_catalogue_matches_the_documented_table() -> None:
    documented = {code: spec.severity.value for code, spec in RULES_BY_CODE.items()}
    documented.pop("DRB000")
    assert documented == EXPECTED
    assert len({spec.code for spec in RULES}) == len(RULES)
    assert len({spec.name for spec in RULES}) == len(RULES)


def test_every_rule_has_a_citation_and_a_description() -> None:
    for spec in RULES:
        assert spec.description.strip()
        if spec.code not in META | {"DRB000"}:
            assert spec.citation.strip(), spec.code


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    # DRB003 comes from the loader, DRB029 from reading schema 1: tested above and below.
    tested = set(CASES) | {"DRB003", "DRB029"}
    assert tested == set(EXPECTED)
    assert all(fails and passes for fails, passes in CASES.values())


# ------------------------------------------------------------------ schema 1, not stated


def test_a_schema_1_register_is_read_and_asked_to_be_upgraded() -> None:
    text = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
    report = lint_text(text, "minimal.yaml", REGIME, READER)
    assert report.loaded
    codes = {item.finding.code for item in report.findings}
    assert "DRB029" in codes
    # Schema 1 read silence as "minors are not processed"; schema 2 reads it as silence.
    assert any(item.finding.path == "purposes[0].data_sources" for item in report.findings)


def test_not_stated_is_never_a_foreign_country_nor_an_assumed_basis() -> None:
    found = _findings(_set("recipients.0.country", None), _set("purposes.0.basis", None),
                      _set("operator.primary_database_country", None))
    codes = {f.code for f in found}
    assert "DRB007" not in codes and "DRB008" not in codes  # no cross-border, no abroad
    gaps = {f.path: f.citation for f in found if f.code == "DRB023"}
    assert "Art. 16" in gaps["recipients[0].country"]
    assert "Art. 7, 8, 9" in gaps["purposes[0].basis"]
    assert "Art. 12 p.2" in gaps["operator.primary_database_country"]


def test_every_unwaived_error_has_a_fine_or_is_a_load_or_format_rule() -> None:
    from derbes.register.adapters.fines_yaml import load_fines

    fines = load_fines()
    for spec in RULES:
        if spec.offence is not None:
            risk = fines.risk(spec.offence, 2026)
            assert risk is not None, spec.code
            assert risk.mci_value == 4325
