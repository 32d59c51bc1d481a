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


_SQL_NAME = {"type": "string", "pattern": SQL_NAME}


def _erasure() -> dict[str, Any]:
    return {
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


def _column() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["category", "erasure"],
        "properties": {
            "category": {"type": "string", "minLength": 1},
            # `erasure: null` (bare YAML null) is the null strategy too.
            "erasure": {"anyOf": [
                {"type": "null"},
                {"enum": _strings(ErasureStrategy)},
                _erasure(),
            ]},
            "description": {"type": "string"},
        },
    }


def _table() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "primary_key", "purposes", "columns"],
        "properties": {
            "name": _SQL_NAME,
            "primary_key": _SQL_NAME,
            "description": {"type": "string"},
            "identity": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["column", "kind"],
                    "properties": {"column": _SQL_NAME, "kind": {"enum": _strings(IdentityKind)}},
                },
            },
            "purposes": {"type": "array", "minItems": 1, "uniqueItems": True,
                         "items": {"type": "string", "minLength": 1}},
            "columns": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": SQL_NAME},
                "additionalProperties": _column(),
            },
            "references": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["column", "to"],
                    "properties": {
                        "column": _SQL_NAME,
                        "to": {"type": "string",
                               "pattern": r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"},
                    },
                },
            },
        },
    }


def dataset_schema() -> dict[str, Any]:
    """The schema every dataset file is validated against before it is built."""
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
            "tables": {"type": "array", "minItems": 1, "items": _table()},
        },
    }
