"""Every registered action has simulator scenarios in this folder, over loopback HTTP; the
Devo page's actions come first in the registry, ours after them.

No list is kept: the registry names the actions, and the scenarios are the async tests of this
folder whose source runs the action by its quoted id (`tests.support.scenarios`). An action
registered without scenarios here fails below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.scenarios import scenarios_in

from mimecast_soar.actions import ACTIONS

HERE = Path(__file__).resolve().parent
ACTION_IDS = [spec.id for spec in ACTIONS]
#: A success path and a failure or bad-input path, at least.
MIN_SCENARIOS = 2


def test_our_actions_come_after_the_devo_pages() -> None:
    flags = [spec.extra for spec in ACTIONS]
    assert any(flags)
    assert not all(flags)
    assert flags == sorted(flags)


@pytest.mark.parametrize("action_id", ACTION_IDS)
def test_every_action_has_integration_scenarios(action_id: str) -> None:
    found = scenarios_in(HERE, ACTION_IDS).get(action_id, [])
    assert len(found) >= MIN_SCENARIOS, f"{action_id} has scenarios {found}"
