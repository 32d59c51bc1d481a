"""The JSON Schema of a register file, built from the domain's enums.

Choices are defined once, in ``register/model/register.py``; this module only turns
them into a schema that editors (and the loader) can use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from derbes.register.model import register as r

SCHEMA_ID = "https://derbes.kz/schema/register-1.json"

ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
OPERATOR_ID_PATTERN = r"^[a-z][a-z0-9-]*$"
COUNTRY_PATTERN = r"^[A-Za-z]{2}$"
PERIOD_DESCRIPTION = "A period: '<number> <unit>', unit: years, months, days, working days."


def _enum(cls: type[StrEnum]) -> dict[str, Any]:
    return {"type": "string", "enum": [m.value for m in cls]}


def _obj(required: list[str], props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": props,
        **extra,
    }


def _list(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": item, **extra}


TEXT = {"$ref": "#/$defs/text"}
STR = {"type": "string", "minLength": 1}
ID = {"type": "string", "pattern": ID_PATTERN}
PERIOD = {"type": "string", "description": PERIOD_DESCRIPTION, "minLength": 1}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _basis() -> dict[str, Any]:
    return _obj(["kind"], {"kind": _enum(r.BasisKind), "citation": STR, "note": TEXT})


def register_schema() -> dict[str, Any]:
    text = _obj(
        ["ru", "kk", "en"],
        {lang.value: STR for lang in r.LANGS},
        description="A text in Russian, Kazakh and English.",
    )
    operator = _obj(
        ["id", "names", "bin", "kind", "legal_address", "contacts", "primary_database_country"],
        {
            "id": {"type": "string", "pattern": OPERATOR_ID_PATTERN},
            "names": TEXT,
            "bin": {
                "anyOf": [{"type": "string", "pattern": r"^\d{12}$"}, {"type": "null"}],
                "description": "12-digit BIN; null when the policy does not state it",
            },
            "kind": _enum(r.OperatorKind),
            "legal_address": TEXT,
            "contacts": _obj(
                [], {"email": STR, "phone": STR, "postal_address": TEXT, "website": STR}
            ),
            "primary_database_country": {"type": "string", "pattern": COUNTRY_PATTERN},
            "copies_abroad": _list({"type": "string", "pattern": COUNTRY_PATTERN}),
            "sites": _list(STR),
            "apps": _list(STR),
            "licence": _obj(
                ["number", "issued_by"], {"number": STR, "issued_by": TEXT, "issued_on": DATE}
            ),
            "responsible_person": _obj(
                ["role"], {"role": TEXT, "name": STR, "email": STR, "phone": STR}
            ),
        },
    )
    policy = _obj(
        ["version", "date"],
        {
            "version": {"type": ["string", "number"]},
            "date": DATE,
            "languages": _list({"type": "string", "enum": [x.value for x in r.LANGS]}),
            "source": STR,
            "change": _obj(
                ["method"],
                {"method": TEXT, "silence_means_consent": {"type": "boolean"}, "clause": STR},
            ),
        },
    )
    category = _obj(
        ["id", "labels", "sensitivity"],
        {
            "id": ID,
            "labels": TEXT,
            "sensitivity": _enum(r.Sensitivity),
            "value_type": _enum(r.ValueType),
            "description": TEXT,
        },
    )
    subject = _obj(["id", "labels"], {"id": ID, "labels": TEXT})
    task = _obj(["id", "labels"], {"id": ID, "labels": TEXT})
    retention = _obj(
        ["trigger", "period", "citation"],
        {
            "trigger": _enum(r.RetentionTrigger),
            "period": PERIOD,
            "citation": {"type": "string"},
            "then": _enum(r.AfterRetention),
            "note": TEXT,
            "achieved_when": _enum(r.AchievedWhen),
        },
    )
    purpose = _obj(
        ["id", "task", "labels", "categories", "basis"],
        {
            "id": ID,
            "task": ID,
            "labels": TEXT,
            "description": TEXT,
            "categories": _list(ID, minItems=1),
            "exhaustive": {
                "type": "boolean",
                "description": "false when the policy leaves the list open ('and other data')",
            },
            "subjects": _list(ID),
            "basis": {"$ref": "#/$defs/basis"},
            "consent_required": {"type": "boolean"},
            "consent_bundled_with": _list(ID),
            "retention": {"anyOf": [retention, {"type": "null"}]},
            "recipients": _list(ID),
            "automated_decision": {"type": "boolean"},
            "sources": _list(STR),
            "methods": _list(STR),
            "clause": STR,
        },
    )
    recipient = _obj(
        ["id", "names", "role", "country", "basis"],
        {
            "id": ID,
            "names": TEXT,
            "role": _enum(r.RecipientRole),
            "country": {"type": "string", "pattern": COUNTRY_PATTERN},
            "actions": _list(_enum(r.RecipientAction)),
            "basis": {"$ref": "#/$defs/basis"},
            "categories": _list(ID),
            "cross_border_basis": _obj(
                ["kind"], {"kind": _enum(r.CrossBorderBasisKind), "citation": STR}
            ),
            "description": TEXT,
            "clause": STR,
        },
    )
    cookie = _obj(
        ["name", "category", "party", "lifetime", "purpose"],
        {
            "name": STR,
            "category": _enum(r.CookieCategory),
            "party": _enum(r.CookieParty),
            "lifetime": PERIOD,
            "purpose": TEXT,
            "provider": STR,
        },
    )
    channel = _obj(
        ["kind", "address"], {"kind": _enum(r.ChannelKind), "address": STR, "note": TEXT}
    )
    consent = _obj(
        [],
        {
            "channels": _list(_enum(r.ConsentChannel)),
            "separate_scopes": _list(_enum(r.SeparateScope)),
            "withdrawal": TEXT,
            "withdrawal_clause": STR,
        },
    )
    minors = _obj(
        ["processed"],
        {
            "processed": {"type": "boolean"},
            "representative_consent": {"type": "boolean"},
            "clause": STR,
        },
    )
    override = _obj(
        ["deadline", "term", "citation"], {"deadline": ID, "term": PERIOD, "citation": STR}
    )
    waiver = _obj(
        ["code", "path", "clause", "reason"],
        {
            "code": {"type": "string", "pattern": r"^DRB\d{3}$"},
            "path": STR,
            "clause": STR,
            "reason": STR,
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "derbes processing register",
        "description": "An operator's processing of personal data under Law 94-V.",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "operator", "policy", "purposes", "tasks"],
        "properties": {
            "schema_version": {"const": 1},
            "operator": operator,
            "policy": policy,
            "data_categories": _list(category),
            "subject_categories": _list(subject),
            "tasks": _list(task, minItems=1),
            "purposes": _list(purpose, minItems=1),
            "recipients": _list(recipient),
            "cookies": _list(cookie),
            "request_channels": _list(channel),
            "consent": consent,
            "minors": minors,
            "regime_overrides": _list(override),
            "limits": _obj([], {"cookie_max_lifetime": PERIOD}),
            "waivers": _list(waiver),
        },
        "$defs": {"text": text, "basis": _basis()},
    }
