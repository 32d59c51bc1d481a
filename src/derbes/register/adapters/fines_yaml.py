"""Read the shipped fines table (``data/fines.yaml``)."""

from __future__ import annotations

from functools import cache

from derbes.platform.shipped import shipped_yaml
from derbes.register.model.fines import FineTable, fines_from_dict


@cache
def load_fines() -> FineTable:
    return fines_from_dict(shipped_yaml("fines.yaml"))
