"""The command line starts without loading what only running commands need.

Each command imports its services, the database layer and the document
renderers when it runs (``derbes.cli.common.lazy``): describing the commands
(``derbes --help``) and checking an identifier touch none of them. The test
looks at which modules a fresh interpreter loaded, never at a clock.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "jinja2", "weasyprint", "babel", "fastapi", "uvicorn",
         "cryptography", "holidays", "jsonschema", "yaml", "duckdb", "natasha", "hvac")

_PROBE = """
import json, sys
sys.argv = {argv!r}
try:
    from derbes.cli import main
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*argv: str) -> list[str]:
    code = _PROBE.format(argv=["derbes", *argv], heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_no_heavy_library() -> None:
    assert _loaded("--help") == []


@pytest.mark.parametrize("group", ["subject", "consent", "request", "retention", "register",
                                   "keys", "scan", "audit"])
def test_group_help_loads_no_heavy_library(group: str) -> None:
    assert _loaded(group, "--help") == []


def test_identifier_check_needs_no_database() -> None:
    loaded = _loaded("id", "check", "060640010247")
    assert "sqlalchemy" not in loaded and "cryptography" not in loaded
