"""Bad input on the command line: a clear message and a non-zero exit, never a traceback.

Text that is no text (bytes that are not UTF-8 arrive in ``sys.argv`` as unpaired
surrogates; NUL read from standard input or a file), dates outside 1900–2200 (year 1,
year 9999), and huge numbers, at the options and arguments that take them. Nothing
stored may change: the audit and the ledger still verify afterwards.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests import load_support as load

BYTES = b"a\xffb"  # not UTF-8: Python hands it to derbes as "a\udcffb"
HUGE = "9" * 30


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory) -> load.Installation:
    tmp = tmp_path_factory.mktemp("cli-bad")
    var = tmp / "var"
    made = load.installation(tmp, f"sqlite:///{var / 'derbes.sqlite3'}",
                             f"sqlite:///{var / 'keys.sqlite3'}")
    made.prepare(registers=sorted((load.ROOT / "registers").glob("*.yaml")))
    added = made.cli("subject", "add", "--operator", "express-avans", "--values-file", "-",
                     stdin=f"identity.iin={load.adult_iin(3)}\n")
    assert added.returncode == 0, added.stderr
    made.env["SUBJECT"] = added.stdout.strip().splitlines()[-1].split()[-1]
    return made


def _run(inst: load.Installation, args: list[str | bytes],
         stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    subject = inst.env["SUBJECT"].encode()
    argv = [a.replace(b"SUBJECT", subject) if isinstance(a, bytes) else
            a.replace("SUBJECT", subject.decode()).encode() for a in args]
    env = {k.encode(): v.encode() for k, v in inst.env.items()}
    return subprocess.run([os.fsencode(load.DERBES), *argv], cwd=inst.workdir, env=env,
                          input=stdin or b"", capture_output=True, check=False, timeout=300)


FILE = ["request", "file", "--operator", "express-avans", "--type", "access",
        "--iin", load.adult_iin(3)]
GIVE = ["consent", "give", "--subject", "SUBJECT", "--scope", "processing:statistics",
        "--channel", "web_checkbox"]
EVENT = ["event", "--subject", "SUBJECT", "--type", "contract_opened", "--event-id", "e-1",
         "--contract", "L-1"]
TRANSFER = ["transfer", "record", "--operator", "express-avans", "--recipient",
            "credit_bureaus", "--purpose", "loan_contract", "--category", "identity.iin",
            "--subject", "SUBJECT", "--state-body", "court", "--request-number", "1",
            "--law", "Art. 9"]

CASES: list[tuple[str, list[str | bytes], bytes | None]] = [
    # text that is no text
    ("argv bytes: audit actor", ["audit", "show", "--actor", BYTES], None),
    ("argv bytes: IIN", ["request", "file", "--operator", "express-avans", "--type",
                         "access", "--iin", BYTES], None),
    ("argv bytes: value", ["subject", "add", "--operator", "express-avans", "--value",
                           b"identity.full_name=" + BYTES], None),
    ("argv bytes: idempotency key", [*GIVE, "--idempotency-key", BYTES], None),
    ("argv bytes: event id", ["event", "--subject", "SUBJECT", "--type", "contract_opened",
                              "--event-id", BYTES], None),
    ("argv bytes: identifier", ["id", "check", BYTES], None),
    ("argv bytes: register operator", ["retention", "plan", "-o", BYTES], None),
    ("stdin bytes: IIN", ["subject", "find", "--iin", "-", "--purpose", "loan_contract"],
     b"\xff\xfe\n"),
    ("stdin NUL: IIN", ["subject", "find", "--iin", "-", "--purpose", "loan_contract"],
     b"8801\x0001\n"),
    ("stdin NUL: values file", ["subject", "add", "--operator", "express-avans",
                                "--values-file", "-"], b"identity.full_name=a\x00b\n"),
    ("stdin bytes: values file", ["subject", "add", "--operator", "express-avans",
                                  "--values-file", "-"], b"identity.full_name=" + BYTES),
    ("stdin NUL: evidence", [*GIVE, "--evidence-file", "-"], b'{"ip": "a\\u0000b"}'),
    ("stdin surrogate: evidence", [*GIVE, "--evidence-file", "-"], b'{"ip": "a\\ud800b"}'),
    ("stdin surrogate: payload", [*FILE, "--payload-file", "-"],
     b'{"text": "a\\udfffb"}'),
    ("stdin surrogate: event data", [*EVENT, "--data", '{"x": "\\ud800"}'], None),
    # dates outside 1900-2200
    ("as-of year 9999", ["retention", "plan", "-o", "express-avans", "--as-of",
                         "9999-12-31"], None),
    ("as-of year 1", ["retention", "run", "-o", "express-avans", "--as-of", "0001-01-01"],
     None),
    ("overdue as-of 9999", ["requests", "overdue", "--as-of", "9999-12-31"], None),
    ("received year 1", [*FILE, "--received-at", "0001-01-01T00:00:00+00:00"], None),
    ("received year 9999", [*FILE, "--received-at", "9999-12-31T23:59:59+00:00"], None),
    ("valid until 9999", [*GIVE, "--valid-until", "9999-12-31T23:59:59Z"], None),
    ("valid until 1899", [*GIVE, "--valid-until", "1899-12-31T23:59:59Z"], None),
    ("event in year 1", [*EVENT, "--occurred-at", "0001-01-01T00:00:00Z"], None),
    ("deadline year 1", ["deadline", "access", "0001-01-01T10:00"], None),
    ("deadline year 9999", ["deadline", "access", "9999-12-31T10:00"], None),
    ("request date 1899", [*TRANSFER, "--request-date", "1899-12-31"], None),
    # huge numbers
    ("audit limit", ["audit", "show", "--limit", HUGE], None),
    ("alerts limit", ["audit", "alerts", "--limit", HUGE], None),
    ("plan months", ["retention", "plan", "-o", "express-avans", "--months", HUGE], None),
    ("acts limit", ["acts", "list", "--limit", HUGE], None),
    ("acts year", ["acts", "list", "--year", HUGE], None),
    ("run batch", ["retention", "run", "-o", "express-avans", "--batch-size", HUGE], None),
]


@pytest.mark.parametrize(("name", "args", "stdin"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_message_and_a_non_zero_exit(
        inst: load.Installation, name: str, args: list[str | bytes], stdin: bytes | None,
) -> None:
    done = _run(inst, args, stdin)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode != 0, (name, done.stdout[-500:], err[-500:])
    assert "Traceback" not in err, err[-2000:]
    assert "error" in err.lower(), err[-500:]


def test_nothing_stored_was_changed(inst: load.Installation) -> None:
    for chain in ("audit", "ledger"):
        verified = inst.cli(chain, "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
