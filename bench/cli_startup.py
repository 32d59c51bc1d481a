"""Benchmark: how long simple ``derbes`` commands take from exec to exit, against an
interpreter that does nothing (``python -c pass``) measured in the same run.

    python bench/cli_startup.py [--runs 21] [--profile]

**Set-up (not timed).** A throwaway installation in a temporary directory (``derbes
init``, Express Аванс's register published, one access request filed for a synthetic
IIN), on SQLite; one warm-up run of each command, with ``PYTHONDONTWRITEBYTECODE``
unset, so that the timed runs start from compiled bytecode as an installed derbes does.

**Timed, interleaved run by run.** Each command as a fresh process through the installed
``derbes`` entry point, output discarded:

* ``python -c pass`` — the floor: an interpreter that starts and exits;
* ``python -c "import typer"`` — what the command-line library alone costs;
* ``derbes --help``, ``derbes id check <IIN>``, ``derbes request show <id>``.

Printed: the median and the 90th percentile of ``--runs`` runs in milliseconds (wall
clock), the median CPU time (user + system: on a shared machine the steadier figure),
and each median as a ratio of the floor's (the goal: a simple command starts in
≤ 0.3 s). Run with another installation's interpreter (``/path/to/venv/bin/python
bench/cli_startup.py``) to time that installation's ``derbes`` in the same conditions.
``--profile`` adds, per command, one run under ``python -X importtime`` summarised by
top-level package (the time spent importing it, its own modules only): where the
remaining start-up goes. Synthetic values only.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.load_support import EXPRESS, OPERATOR, adult_iin, clean_env  # noqa: E402

PYTHON = sys.executable
DERBES = str(Path(PYTHON).with_name("derbes"))
GOAL_SECONDS = 0.3
console = Console(highlight=False, width=120)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from starting ``argv`` to its exit (its output discarded), and the CPU
    seconds it used (user + system)."""
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run(list(argv), cwd=cwd, env=env, check=False, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu


def _prepare(home: Path, env: dict[str, str]) -> str:
    """An installation in ``home`` with one request filed; the request's id."""
    iin = adult_iin(7)
    for args, stdin in ((("init",), None), (("register", "publish", str(EXPRESS)), None),
                        (("request", "file", "--operator", OPERATOR, "--type", "access",
                          "--iin", "-"), iin + "\n")):
        done = subprocess.run([DERBES, *args], cwd=home, env=env, input=stdin, text=True,
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"derbes {' '.join(args)} failed: {done.stderr}")
    return done.stdout.split()[0]


def _commands(request_id: str) -> dict[str, list[str]]:
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -c 'import typer'": [PYTHON, "-c", "import typer"],
        "derbes --help": [DERBES, "--help"],
        "derbes id check IIN": [DERBES, "id", "check", adult_iin(7)],
        "derbes request show ID": [DERBES, "request", "show", request_id],
    }


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _importtime(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """Milliseconds each top-level package spent importing its own modules in one run."""
    python, rest = (argv[0], argv[1:]) if argv[0] == PYTHON else (PYTHON, ["-m", "derbes",
                                                                           *argv[1:]])
    done = subprocess.run([python, "-X", "importtime", *rest], cwd=cwd, env=env, text=True,
                          capture_output=True, check=False)
    spent: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if found:
            spent[found.group(2).split(".")[0]] += int(found.group(1)) / 1000
    return dict(spent)


def _profile(commands: dict[str, list[str]], cwd: Path, env: dict[str, str]) -> None:
    for name, argv in commands.items():
        if not name.startswith("derbes"):
            continue
        spent = _importtime(argv, cwd, env)
        top = sorted(spent.items(), key=lambda item: -item[1])[:8]
        listed = ", ".join(f"{package} {ms:.0f}" for package, ms in top)
        console.print(f"[bold]{name}[/]: imports {sum(spent.values()):.0f} ms — {listed}")


def _table(times: dict[str, list[tuple[float, float]]], runs: int) -> Table:
    walls = {name: [wall for wall, _cpu in values] for name, values in times.items()}
    cpus = {name: [cpu for _wall, cpu in values] for name, values in times.items()}
    floor = statistics.median(walls["python -c pass"])
    cpu_floor = statistics.median(cpus["python -c pass"]) or 0.001
    table = Table(title=f"CLI start-up, median of {runs} runs "
                        f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    for column in ("command", "wall ms", "wall p90 ms", "× pass (wall)", "CPU ms",
                   "× pass (CPU)", f"≤ {GOAL_SECONDS} s"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name in times:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        met = "" if not name.startswith("derbes") else (
            "met" if wall <= GOAL_SECONDS else f"missed{' (CPU met)' * (cpu <= GOAL_SECONDS)}")
        table.add_row(name, f"{wall * 1000:.0f}", f"{_percentile(walls[name], 0.9) * 1000:.0f}",
                      f"{wall / floor:.1f}", f"{cpu * 1000:.0f}", f"{cpu / cpu_floor:.1f}",
                      met)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="derbes-cli-bench-") as tmp:
        home = Path(tmp)
        env = clean_env({"PATH": f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}"})
        # An installed derbes runs from compiled bytecode (pip compiles it): let the
        # warm-up run write it here too, whatever the developer's environment says.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = _commands(_prepare(home, env))
        for argv in commands.values():
            _run(argv, home, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(_run(argv, home, env))
        console.print(_table(times, args.runs))
        if args.profile:
            _profile(commands, home, env)


if __name__ == "__main__":
    main()
