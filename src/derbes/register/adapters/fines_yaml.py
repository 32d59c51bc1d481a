"""Read the shipped fines table (``data/fines.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from derbes.register.model.fines import FineTable, fines_from_dict


@cache
def load_fines() -> FineTable:
    text = resources.files("derbes.data").joinpath("fines.yaml").read_text(encoding="utf-8")
    return fines_from_dict(yaml.safe_load(text))
