"""Today lists the incidents still to be notified with their notification clocks (Law 94-V
Art. 25 p.2 sp.8: one working day from detection), the overdue flagged; only to the roles
that may read incidents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.api_world import World, make_world
from tests.console_support import OPERATOR, console_sign_in
from tests.staff_support import add


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


def _incident(world: World, summary: str, ago: timedelta) -> str:
    detected = world.container.clock.now() - ago
    made = world.client().post("/v1/incidents", json={
        "operator": OPERATOR, "detected_at": detected.isoformat(), "source": "staff_report",
        "summary": summary, "categories": ["identity.iin"], "subject_count": 3})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_today_shows_the_notification_clocks(world: World) -> None:
    _incident(world, "Laptop with an export stolen", timedelta(days=6))
    _incident(world, "Mail sent to a wrong recipient", timedelta(minutes=30))
    notified = _incident(world, "Already notified breach", timedelta(days=1))
    moved = world.client().post(f"/v1/incidents/{notified}/transitions", json={"move": "notify"})
    assert moved.status_code == 200, moved.text
    dpo = add(world, "dpo.incidents@kassa24.kz", (OPERATOR, "dpo"))
    page = console_sign_in(world, dpo, lang="en").get(f"/console/{OPERATOR}/today").text
    section = page[page.index('id="open-incidents"'):page.index('class="grid"')]
    assert "Incidents whose notification to the authorised body is overdue: 1." in section
    late, soon = section.index("Laptop with an export stolen"), section.index("Mail sent")
    done = section.index("Already notified breach")
    assert late < soon < done  # the soonest due first; those already notified last
    assert section.count('class="row-overdue"') == 1
    assert "Notification overdue: -" in section and "Time left: " in section
    assert "Notified in time" in section
    assert "Art. 25" in section

    reader = add(world, "dpo.incidents.kk@kassa24.kz", (OPERATOR, "dpo"))
    kk = console_sign_in(world, reader, lang="kk").get(f"/console/{OPERATOR}/today").text
    assert "Инциденттер: уәкілетті органды хабардар ету" in kk

    handler = add(world, "handler.incidents@kassa24.kz", (OPERATOR, "request_handler"))
    other = console_sign_in(world, handler, lang="en").get(f"/console/{OPERATOR}/today").text
    assert 'id="open-incidents"' not in other and "Laptop with an export" not in other
