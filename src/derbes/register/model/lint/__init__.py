"""The register linter: Law 94-V rules a loadable register can still break.

The loader (``register/adapters/yaml.py``) refuses registers that are
malformed or inconsistent; this package judges registers that load. Every rule
has a stable code (``DRB0xx``), a severity and the citation of the rule it
enforces, kept in one table (``catalogue.RULES``). A DPO who knowingly keeps a
finding records a waiver in the register (code, path, the policy clause, a
reason): the finding is then reported as waived, and a waiver that matches
nothing is itself reported (DRB099), so waivers cannot outlive what they excuse.

Paths are the dotted YAML paths of the loader (``purposes[2].retention``,
``recipients[0].cross_border_basis``); a waiver covers a finding whose path is
its own or lies under it (``purposes[2]`` covers ``purposes[2].basis``).
"""

from __future__ import annotations

from dataclasses import replace

from derbes.deadlines.model.regime import Regime
from derbes.register.model.lint import disclosures, rules, statements
from derbes.register.model.lint.catalogue import (
    LOAD_FAILURE,
    RULES,
    RULES_BY_CODE,
    STALE_WAIVER,
    Finding,
    RuleSpec,
    Severity,
    finding,
    rule,
)
from derbes.register.model.register import Register, Waiver
from derbes.register.model.statement import path_covers

__all__ = [
    "LOAD_FAILURE", "RULES", "RULES_BY_CODE", "STALE_WAIVER", "Finding", "RuleSpec",
    "Severity", "apply_waivers", "counts", "finding", "lint", "rule", "waiver_covers",
]


def waiver_covers(waiver: Waiver, found: Finding) -> bool:
    """Same code, and the finding's path is the waiver's or lies under it."""
    return waiver.code.strip() == found.code and path_covers(waiver.path, found.path)


def apply_waivers(findings: list[Finding], waivers: tuple[Waiver, ...]) -> list[Finding]:
    """Mark waived findings; add a DRB099 warning for each waiver that matches nothing."""
    out = [
        replace(f, waived_by=next((w for w in waivers if waiver_covers(w, f)), None))
        for f in findings
    ]
    for i, waiver in enumerate(waivers):
        if any(waiver_covers(waiver, f) for f in findings):
            continue
        known = waiver.code.strip() in RULES_BY_CODE
        out.append(
            finding(
                STALE_WAIVER,
                f"waivers[{i}]",
                f"waiver of {waiver.code} at {waiver.path!r} (clause {waiver.clause}) "
                + ("matches no finding; remove it" if known else "names no lint rule"),
            )
        )
    return out


def lint(register: Register, regime: Regime | None = None) -> list[Finding]:
    """Every finding of the catalogue's rules on ``register``, waivers applied.

    ``regime`` is the default regime table; without it regime overrides
    (DRB015) and the age of minors (DRB026) are not checked.
    """
    findings = [f for check in rules.CHECKS for f in check(register)]
    findings.extend(rules.overrides(register, regime))
    for more in (statements.not_stated, statements.without_source, statements.assumptions,
                 statements.schema_version, statements.untranslated, disclosures.commitments,
                 disclosures.restrictions):
        findings.extend(more(register))
    findings.extend(disclosures.minors_age(register, regime))
    order = {spec.code: n for n, spec in enumerate(RULES)}
    findings.sort(key=lambda f: order.get(f.code, len(order)))
    return apply_waivers(findings, register.waivers)


def counts(findings: list[Finding]) -> tuple[int, int, int]:
    """(unwaived errors, unwaived warnings, waived findings)."""
    errors = sum(1 for f in findings if not f.waived and f.is_error)
    warnings = sum(1 for f in findings if not f.waived and not f.is_error)
    return errors, warnings, sum(1 for f in findings if f.waived)
