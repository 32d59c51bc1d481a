"""schemathesis against the whole API: no input may end in a server error.

Two runs over the OpenAPI document the server publishes:

* stateless, in process: every operation, with paths, queries and bodies generated
  from its schema and outside it (negative mode: huge numbers, wrong types, bad
  formats, NUL in text);
* stateful, with the schemathesis command line at a live ``derbes serve`` on
  127.0.0.1: sequences that follow the document's OpenAPI links, so a subject
  created by ``POST /v1/subjects`` is then read, consented for, blocked and
  destroyed, and a filed request gets its code, verification, answer and letter.
  Bodies of the creating calls are valid often enough for the links to lead to
  things that exist (``tests/schemathesis_hooks.py``); the test checks that they did.

The only check is "not a server error" (5xx): a bad input must be a 4xx problem.
Both runs are bounded (examples per operation, examples and seconds for the
stateful phase, a fixed seed) so they stay within a few minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import func, select

from derbes.platform.db import make_engine
from derbes.platform.tables import consents, request_transitions, subject_requests, subjects
from tests import load_support as load
from tests import schemathesis_hooks  # noqa: F401 - registers the body hooks
from tests.api_world import make_world

STATELESS_EXAMPLES = 10
STATEFUL_EXAMPLES = 60
# Seconds per link graph: 75 in the everyday suite; `DERBES_FUZZ_SECONDS=300` for a
# deeper run (README, "Tests").
STATEFUL_SECONDS = int(os.environ.get("DERBES_FUZZ_SECONDS", "75"))
# Two link graphs, each run on its own so each has its creating call as the root:
# a subject and what is done to it (consents, events, eGov requests); a subject request
# and its life (code, verification, answer, refusal, withdrawal, letter), in a run over
# the whole document (there schemathesis starts from filing a request).
GRAPHS = (r"^/v1/(subjects|consents|events|egov/consent-requests)", None)
ROOT = Path(__file__).resolve().parents[2]
REGISTERS = ROOT / "registers"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    made = make_world(tmp_path_factory.mktemp("fuzz"))
    yield made.app, made.token
    made.close()


@pytest.fixture(scope="module")
def api_schema(world: tuple[Any, str]) -> Any:
    app, token = world
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Values outside the schema too (negative mode: huge numbers, wrong types, bad
    # formats); NUL is in the alphabet. Unpaired surrogates cannot be sent as UTF-8:
    # test_api_bad_input.py sends them as JSON escapes.
    schema.config.generation.update(modes=["positive", "negative"])

    @schema.hook
    def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any]:
        return {**(headers or {}), "Authorization": f"Bearer {token}"}

    return schema


def test_no_operation_answers_a_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:

        @hypothesis.settings(max_examples=STATELESS_EXAMPLES, deadline=None,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
        @hypothesis.given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
                          | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc


def test_stateful_run_against_a_live_server_answers_no_server_error(tmp_path: Path) -> None:
    """The schemathesis command line, stateful phase, at a real ``derbes serve`` on
    127.0.0.1: sequences that follow the OpenAPI links, bounded in examples and time."""
    inst = load.installation(tmp_path, f"sqlite:///{tmp_path / 'var' / 'derbes.sqlite3'}",
                             f"sqlite:///{tmp_path / 'var' / 'keys.sqlite3'}")
    inst.prepare(registers=sorted(REGISTERS.glob("*.yaml")))
    env = {**inst.env, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "PYTHONPATH": str(ROOT)}
    outputs = []
    with load.live_server(inst) as base:
        for path_regex in GRAPHS:
            run = subprocess.run(
                [str(SCHEMATHESIS), "run", f"{base}/openapi.json", "--phases", "stateful",
                 *(["--include-path-regex", path_regex] if path_regex else []),
                 "--checks", "not_a_server_error",
                 "--header", f"Authorization: Bearer {inst.token}",
                 "--max-examples", str(STATEFUL_EXAMPLES), "--max-time", str(STATEFUL_SECONDS),
                 "--seed", "94", "--workers", "1", "--request-timeout", "60", "--no-color"],
                cwd=tmp_path, env=env, capture_output=True, text=True,
                timeout=STATEFUL_SECONDS * 3, check=False)
            tail = (run.stdout + run.stderr)[-4000:]
            assert run.returncode == 0, tail
            outputs.append(run.stdout)
    # The links led to real things: subjects, their consents and requests were made and
    # then acted on (reads of a subject's data leave audit entries naming it).
    engine = make_engine(inst.env["DERBES_DATABASE_URL"])
    try:
        with engine.connect() as c:
            counts = {t.name: c.execute(select(func.count()).select_from(t)).scalar_one()
                      for t in (subjects, consents, subject_requests, request_transitions)}
    finally:
        engine.dispose()
    assert counts["subjects"] > 0 and counts["subject_requests"] > 0, counts
    assert counts["consents"] > 0, counts
    assert counts["request_transitions"] > counts["subject_requests"], counts
