"""The actions beyond the seed: declared as such, after the seed's, and each with scenarios here.

No list is kept: the registry names the actions (`spec.extra`), and the scenarios are the async
tests of this folder whose source runs the action by its quoted id (`tests.support.scenarios`).
An action beyond the seed registered without scenarios here fails below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.scenarios import scenarios_in

from mimecast_soar.actions import ACTIONS

HERE = Path(__file__).resolve().parent
EXTRA_IDS = [spec.id for spec in ACTIONS if spec.extra]
#: A success path and a failure or bad-input path, at least.
MIN_SCENARIOS = 2


def test_the_actions_beyond_the_seed_come_after_the_seeds() -> None:
    flags = [spec.extra for spec in ACTIONS]
    assert EXTRA_IDS
    assert flags == sorted(flags)


@pytest.mark.parametrize("action_id", EXTRA_IDS)
def test_every_action_beyond_the_seed_has_scenarios_here(action_id: str) -> None:
    found = scenarios_in(HERE, EXTRA_IDS).get(action_id, [])
    assert len(found) >= MIN_SCENARIOS, f"{action_id} has scenarios {found}"
