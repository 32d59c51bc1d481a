#!/usr/bin/env python3
"""Generate a realistic microcredit operator database (SQLite or PostgreSQL).

    .venv/bin/python scripts/make_operator_db.py --url sqlite:///var/kredit-seven-core.sqlite3 \
        --clients 10000 --seed 7

The generator is ``derbes.installation.adapters.sample_operator_db`` (the demo uses it too); its
docstring describes the schema, the data and the speed.
"""

from __future__ import annotations

import sys

from derbes.installation.adapters.sample_operator_db import *  # noqa: F403 - names tests and benchmarks use
from derbes.installation.adapters.sample_operator_db import main

if __name__ == "__main__":
    sys.exit(main())
