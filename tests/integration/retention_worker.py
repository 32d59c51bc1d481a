"""A retention sweep in its own process, for the kill-and-resume test.

    python -m tests.integration.retention_worker DB_URL KEYSTORE_URL AS_OF BATCH

The KEK comes hex-encoded in ``RETENTION_TEST_KEK``. After each batch the
worker prints ``progress <done> <total>`` and, after the first, sleeps so the
test can kill it with SIGKILL between batches.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime

from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.retention.service import sweep as retention
from derbes.testing.context import make_context
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from tests.retention_support import ACTOR, OPERATOR


def main() -> None:
    url, key_url, as_of_text, batch = sys.argv[1:5]
    as_of = date.fromisoformat(as_of_text)
    clock = FixedClock(datetime(as_of.year, as_of.month, as_of.day, 9, tzinfo=UTC))
    keys = SqlKeyStore(make_engine(key_url), LocalKek(bytes.fromhex(os.environ[
        "RETENTION_TEST_KEK"])), clock=clock)
    engine = make_engine(url)

    def progress(p: retention.Progress) -> None:
        print(f"progress {p.done} {p.total}", flush=True)
        time.sleep(30)  # the test kills us here

    retention.run(make_context(SqlUnitOfWork(engine, audit_key=keys.audit_key), keys, clock, ACTOR),
                  OPERATOR, as_of, batch_size=int(batch), on_progress=progress)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
