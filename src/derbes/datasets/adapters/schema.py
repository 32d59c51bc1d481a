"""JSON Schema of a dataset file (``registers/datasets/*.yaml``), built from the domain's enums.

``derbes dataset schema`` prints it, for editors that validate YAML.
"""

from __future__ import annotations

from typing import Any

from derbes.datasets.model import SCHEMA_VERSION, ErasureStrategy, HashAlphabet, IdentityKind

SQL_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
ID = r"^[a-z0-9][a-z0-9_.-]*$"


def _strings(values: Any) -> list[str]:
    return [str(v) for v in values]


def dataset_schema() -> dict[str, Any]:
    sql_name = {"type": "string", "pattern": SQL_NAME}
    erasure_object = {
        "type": "object",
        "additionalProperties": False,
        "required": ["strategy"],
        "properties": {
            "strategy": {"enum": _strings(ErasureStrategy)},
            # mask
            "keep_first": {"type": "integer", "minimum": 0},
            "keep_last": {"type": "integer", "minimum": 0},
            "char": {"type": "string", "minLength": 1, "maxLength": 1},
            # hash
            "length": {"type": "integer", "minimum": 1, "maximum": 64},
            "alphabet": {"enum": _strings(HashAlphabet)},
            "prefix": {"type": "string", "maxLength": 16},
            "key_env": {"type": "string", "pattern": ENV_NAME},
        },
    }
    column = {
        "type": "object",
        "additionalProperties": False,
        "required": ["category", "erasure"],
        "properties": {
            "category": {"type": "string", "minLength": 1},
            # `erasure: null` (bare YAML null) is the null strategy too.
            "erasure": {"anyOf": [
                {"type": "null"},
                {"enum": _strings(ErasureStrategy)},
                erasure_object,
            ]},
            "description": {"type": "string"},
        },
    }
    table = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "primary_key", "purposes", "columns"],
        "properties": {
            "name": sql_name,
            "primary_key": sql_name,
            "description": {"type": "string"},
            "identity": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["column", "kind"],
                    "properties": {"column": sql_name, "kind": {"enum": _strings(IdentityKind)}},
                },
            },
            "purposes": {"type": "array", "minItems": 1, "uniqueItems": True,
                         "items": {"type": "string", "minLength": 1}},
            "columns": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": SQL_NAME},
                "additionalProperties": column,
            },
            "references": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["column", "to"],
                    "properties": {
                        "column": sql_name,
                        "to": {"type": "string",
                               "pattern": r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"},
                    },
                },
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://derbes.kz/schemas/dataset.json",
        "title": "derbes dataset: how an operator's database holds personal data",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "store", "operator", "tables"],
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "store": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "url_env"],
                "properties": {
                    "id": {"type": "string", "pattern": ID},
                    # The NAME of the environment variable with the SQLAlchemy URL:
                    # a URL carries a password and never belongs in the file.
                    "url_env": {"type": "string", "pattern": ENV_NAME},
                    "description": {"type": "string"},
                },
            },
            "operator": {"type": "string", "pattern": ID},
            "tables": {"type": "array", "minItems": 1, "items": table},
        },
    }
