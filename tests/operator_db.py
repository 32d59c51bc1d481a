"""The operator-database generator (``scripts/make_operator_db.py``) and dataset paths, for tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_operator_db.py"
DATASET = ROOT / "registers" / "datasets" / "kredit-seven-core.yaml"
REGISTER = ROOT / "registers" / "kredit-seven.yaml"


def generator() -> ModuleType:
    """The script as a module (it is not part of the package)."""
    name = "make_operator_db"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
