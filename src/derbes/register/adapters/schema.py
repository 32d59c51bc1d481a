"""The JSON Schema of a register file, built from the domain's enums.

Choices are defined once, in ``register/model/``; this module only turns them
into a schema that editors (and the loader) can use. Version 2: every fact may
carry the policy clause it comes from (``source``), a section may be stated as
none (``{none: true, source: …}``), and what the policy does not state is
simply absent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from derbes.register.model import disclosures as d
from derbes.register.model import register as r

SCHEMA_ID = "https://derbes.kz/schema/register-2.json"

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
COUNTRY = {"type": "string", "pattern": COUNTRY_PATTERN}
SOURCE = {"type": "string", "minLength": 1,
          "description": "The clause of the published policy this comes from ('p.3.5')."}
SOURCES = {"type": "object", "additionalProperties": SOURCE,
           "description": "Clauses of single fields that come from elsewhere in the policy."}
CITATION = {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/text"}],
            "description": "The rule cited: text for the DPO, or ru/kk/en as customers read it."}
NONE = _obj(["none", "source"], {"none": {"const": True}, "source": SOURCE},
            description="The policy states that there is none (with the clause).")


UNLISTED = _obj(["unlisted", "source"], {"unlisted": {"const": True}, "source": SOURCE},
                description="The policy says there are some but does not list them.")


def stated_list(item: dict[str, Any]) -> dict[str, Any]:
    """A list of items, stated as none, or stated but unlisted; absent: not stated."""
    return {"anyOf": [_list(item, minItems=1), NONE, UNLISTED]}


def _basis() -> dict[str, Any]:
    return _obj(["kind"], {"kind": _enum(r.BasisKind), "citation": CITATION, "note": TEXT})


def _operator() -> dict[str, Any]:
    return _obj(
        ["id", "names", "kind"],
        {
            "id": {"type": "string", "pattern": OPERATOR_ID_PATTERN},
            "names": TEXT,
            "bin": {
                "anyOf": [{"type": "string", "pattern": r"^\d{12}$"}, {"type": "null"}],
                "description": "12-digit BIN; null or absent when the policy does not state it",
            },
            "kind": _enum(r.OperatorKind),
            "other_kinds": _list(_enum(r.OperatorKind)),
            "legal_address": TEXT,
            "contacts": _obj(
                [], {"email": STR, "phone": STR, "postal_address": TEXT, "website": STR}
            ),
            "primary_database_country": COUNTRY,
            "copies_abroad": stated_list(COUNTRY),
            "sites": _list(STR),
            "apps": _list(STR),
            "licence": _obj(
                ["number", "issued_by"], {"number": STR, "issued_by": TEXT, "issued_on": DATE}
            ),
            "responsible_person": _obj(
                ["role"], {"role": TEXT, "name": STR, "email": STR, "phone": STR}
            ),
            "sources": SOURCES,
        },
    )


def _policy() -> dict[str, Any]:
    version = {"anyOf": [{"type": ["string", "number"]}, TEXT]}
    edition = _obj(
        ["lang"],
        {"lang": {"type": "string", "enum": [x.value for x in r.LANGS]}, "version": version,
         "date": DATE, "url": STR, "source": SOURCE},
    )
    approval = _obj(
        ["body"],
        {"body": TEXT, "document": TEXT, "date": DATE, "place": TEXT, "source": SOURCE},
    )
    return _obj(
        [],
        {
            "title": TEXT,
            "version": version,
            "date": DATE,
            "languages": _list({"type": "string", "enum": [x.value for x in r.LANGS]}),
            "url": STR,
            "change": _obj(
                ["method"],
                {"method": TEXT, "silence_means_consent": {"type": "boolean"}, "source": SOURCE},
            ),
            "editions": _list(edition, minItems=1),
            "approval": approval,
            "sources": SOURCES,
        },
    )


def _definitions() -> dict[str, Any]:
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
    return {
        "data_categories": _list(category),
        "subject_categories": _list(_obj(["id", "labels"], {"id": ID, "labels": TEXT})),
        "tasks": _list(_obj(["id", "labels"], {"id": ID, "labels": TEXT}), minItems=1),
    }


def _purpose() -> dict[str, Any]:
    retention = _obj(
        ["trigger", "period", "citation"],
        {
            "trigger": _enum(r.RetentionTrigger),
            "period": PERIOD,
            "citation": CITATION,
            "then": _enum(r.AfterRetention),
            "note": TEXT,
            "condition": TEXT,
            "source": SOURCE,
            "achieved_when": _enum(r.AchievedWhen),
        },
    )
    return _obj(
        ["id", "task", "labels"],
        {
            "id": ID,
            "task": ID,
            "labels": TEXT,
            "description": TEXT,
            # Absent: the policy names no personal data for this purpose (lint DRB023).
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
            "data_sources": _list(_enum(r.DataSourceKind), minItems=1),
            "methods": _list(_enum(r.ProcessingMethod), minItems=1),
            "source": SOURCE,
            "sources": SOURCES,
        },
    )


def _recipient() -> dict[str, Any]:
    return _obj(
        ["id", "names", "role"],
        {
            "id": ID,
            "names": TEXT,
            "role": _enum(r.RecipientRole),
            "country": COUNTRY,
            "actions": _list(_enum(r.RecipientAction)),
            "basis": {"$ref": "#/$defs/basis"},
            "categories": _list(ID),
            "cross_border_basis": _obj(
                ["kind"], {"kind": _enum(r.CrossBorderBasisKind), "citation": CITATION}
            ),
            "description": TEXT,
            "is_class": {"type": "boolean"},
            "safeguards": TEXT,
            "sold": {"type": "boolean"},
            "abroad": {"type": "boolean",
                       "description": "true when the policy says the transfer is cross-border "
                                      "without naming the country"},
            "source": SOURCE,
            "sources": SOURCES,
        },
    )


def _setup() -> dict[str, Any]:
    cookie = _obj(
        ["name", "category", "party", "lifetime", "purpose"],
        {
            "name": STR,
            "category": _enum(r.CookieCategory),
            "party": _enum(r.CookieParty),
            "lifetime": PERIOD,
            "purpose": TEXT,
            "provider": STR,
            "source": SOURCE,
        },
    )
    # No address: the policy names the channel but not its address (lint DRB023).
    channel = _obj(
        ["kind"],
        {"kind": _enum(r.ChannelKind), "address": STR, "note": TEXT, "source": SOURCE},
    )
    consent = _obj(
        [],
        {
            "channels": stated_list(_enum(r.ConsentChannel)),
            "separate_scopes": stated_list(_enum(r.SeparateScope)),
            "withdrawal": TEXT,
            "withdrawal_source": SOURCE,
            "source": SOURCE,
        },
    )
    minors = _obj(
        ["processed"],
        {
            "processed": {"type": "boolean"},
            "age_threshold": {"type": "integer", "minimum": 1, "maximum": 21},
            "representative_consent": {"type": "boolean"},
            "source": SOURCE,
        },
    )
    override = _obj(
        ["deadline", "term", "citation"],
        {"deadline": ID, "term": PERIOD, "citation": STR, "cite": TEXT, "source": SOURCE},
    )
    waiver = _obj(
        ["code", "path", "clause", "reason"],
        {"code": {"type": "string", "pattern": r"^DRB\d{3}$"}, "path": STR, "clause": STR,
         "reason": STR},
    )
    return {
        "cookies": stated_list(cookie),
        "cookie_policy": _obj(
            [], {"default": _enum(d.CookieDefault), "refusal": TEXT, "source": SOURCE}
        ),
        "request_channels": stated_list(channel),
        "consent": consent,
        "minors": minors,
        "regime_overrides": _list(override),
        "limits": _obj([], {"cookie_max_lifetime": PERIOD, "source": SOURCE}),
        "waivers": _list(waiver),
        "assumptions": _list(_obj(["path", "reason"], {"path": STR, "reason": STR})),
    }


def _disclosures() -> dict[str, Any]:
    def item(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
        return stated_list(_obj(required, {**props, "source": SOURCE}))

    return {
        "commitments": item(["kind", "text"], {"kind": _enum(d.CommitmentKind), "text": TEXT}),
        "category_restrictions": item(
            ["category", "purposes", "text"],
            {"category": ID, "purposes": _list(ID, minItems=1), "text": TEXT},
        ),
        "security_measures": item(
            ["text"], {"text": TEXT, "measures": _list(_enum(d.ProtectionMeasure))}
        ),
        "complaint_routes": item(
            ["kind", "name"],
            {"kind": _enum(d.ComplaintRouteKind), "name": TEXT, "address": TEXT},
        ),
        "other_law": item(["law", "scope"], {"law": TEXT, "scope": TEXT, "regulator": TEXT}),
        "processor_roles": item(["for_whom", "processing"],
                                {"for_whom": TEXT, "processing": TEXT}),
        "account_deletion": item(["how"], {"how": TEXT, "condition": TEXT}),
    }


def register_schema() -> dict[str, Any]:
    text = _obj(
        ["ru", "kk", "en"],
        {lang.value: STR for lang in r.LANGS},
        description="A text in Russian, Kazakh and English.",
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
            "schema_version": {"const": r.SCHEMA_VERSION},
            "operator": _operator(),
            "policy": _policy(),
            **_definitions(),
            "purposes": _list(_purpose(), minItems=1),
            "recipients": stated_list(_recipient()),
            **_setup(),
            **_disclosures(),
        },
        "$defs": {"text": text, "basis": _basis()},
    }
