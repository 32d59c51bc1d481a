"""Build a :class:`~derbes.register.model.register.Register` from parsed register data.

The loader (``register/adapters/yaml.py``) has already checked the structure
against the JSON Schema; this package checks what a schema cannot: unique ids,
references between sections, periods and dates that parse, a valid BIN. One
module per section of the register file; :func:`build` runs them in order and
refuses the register with every problem found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from derbes.errors import RegisterError
from derbes.register.model.builder import (
    cookies,
    definitions,
    disclosures,
    operator,
    purposes,
    recipients,
)
from derbes.register.model.builder import setup as run
from derbes.register.model.builder.common import Problems
from derbes.register.model.register import DataCategory, Register, SubjectCategory
from derbes.register.model.statement import SectionStatement

__all__ = ["build"]


def build(
    raw: Mapping[str, Any],
    base_categories: Iterable[DataCategory],
    base_subjects: Iterable[SubjectCategory],
    *,
    check_bin: Callable[[str], object] | None = None,
    schema_version_read: int | None = None,
) -> Register:
    """Build a :class:`Register` from structurally valid data; raise on semantic errors.

    ``check_bin`` raises ``IdentifierError`` for an invalid BIN (the identifiers
    slice), injected so that the register's model needs no other slice.
    """
    problems = Problems()
    said: dict[str, SectionStatement] = {}
    the_operator = operator.operator(raw["operator"], problems, check_bin, said)
    policy = operator.policy(raw["policy"], problems)
    categories, custom = definitions.categories(raw, base_categories, problems)
    subjects = definitions.subject_categories(raw, base_subjects, problems)
    tasks = definitions.tasks(raw, problems)
    the_recipients = recipients.recipients(raw, categories, problems, said)
    known = purposes.Known(tasks, categories, subjects, the_recipients)
    the_purposes = purposes.purposes(raw, known, problems)
    the_cookies = cookies.cookies(raw, problems, said)
    more = disclosures.disclosures(
        raw, {"categories": categories, "purposes": the_purposes}, problems, said)
    overrides = run.regime_overrides(raw, problems)
    cookie_max, cookie_max_source = run.cookie_max_lifetime(raw, problems)
    request_channels = run.request_channels(raw, said)
    consent = run.consent(raw, said)
    if problems.problems:
        raise RegisterError(problems.problems)
    return Register(
        operator=the_operator,
        policy=policy,
        categories=categories,
        subject_categories=subjects,
        tasks=tasks,
        purposes=the_purposes,
        recipients=the_recipients,
        cookies=the_cookies,
        request_channels=request_channels,
        consent=consent,
        minors=run.minors(raw),
        regime_overrides=overrides,
        waivers=run.waivers(raw),
        cookie_max_lifetime=cookie_max,
        declared_custom_categories=custom,
        disclosures=disclosures.build_disclosures(more, cookies.cookie_policy(raw)),
        statements=said,
        assumptions=run.assumptions(raw),
        cookie_max_lifetime_source=cookie_max_source,
        schema_version_read=schema_version_read or int(raw.get("schema_version", 2)),
    )
