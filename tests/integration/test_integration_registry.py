"""Every action of the seed has simulator scenarios in this folder, over loopback HTTP.

No list is kept: the registry names the actions, and the scenarios are the async tests of this
folder whose source runs the action by its quoted id. An action registered without scenarios
here fails below; those beyond the seed have theirs in tests/integration_extra/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.scenarios import scenarios_in

from mimecast_soar.actions import ACTIONS

HERE = Path(__file__).resolve().parent
SEED_IDS = [spec.id for spec in ACTIONS if not spec.extra]
#: A success path and a failure or bad-input path, at least.
MIN_SCENARIOS = 2


@pytest.mark.parametrize("action_id", SEED_IDS)
def test_every_seed_action_has_integration_scenarios(action_id: str) -> None:
    found = scenarios_in(HERE, SEED_IDS).get(action_id, [])
    assert len(found) >= MIN_SCENARIOS, f"{action_id} has scenarios {found}"
