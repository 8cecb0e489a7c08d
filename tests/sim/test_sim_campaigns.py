"""Simulator additions for the actions beyond the seed: campaigns behind the TTP logs, the
deferred token expiry, and message-finder's one-or-the-other search."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import Api

from mimecast_soar.sim import SimConfig, SimServer, SimState, logs
from mimecast_soar.sim.campaigns import LINKED_CLICKS, LINKED_IMPERSONATIONS

ACCOUNT = "/api/account/get-account"
SEARCH = "/api/message-finder/search"


@pytest.fixture(scope="module")
def linked() -> SimState:
    return SimState(SimConfig(seed=3, campaigns=True))


def test_campaigns_are_off_by_default_and_keep_the_population_sizes(linked: SimState) -> None:
    plain = SimState(SimConfig(seed=3, now=linked.anchor))
    assert set(plain.world.messages) == set(linked.world.messages)
    assert len(plain.world.held()) == len(linked.world.held()) == 60
    changed = [i for i, m in linked.world.messages.items() if m != plain.world.messages[i]]
    assert 0 < len(changed) <= 3 * LINKED_CLICKS + LINKED_IMPERSONATIONS


def test_the_newest_malicious_inbound_clicks_find_a_delivered_and_held_copies(
    linked: SimState,
) -> None:
    feed = linked.feeds["url"]
    clicks = [
        feed.record(i)
        for i in range(feed.count - 1, -1, -1)
        if logs.url_scan_result(feed.attrs(i)) == "malicious"
        and logs.route_of(feed.attrs(i)) == "inbound"
    ][:LINKED_CLICKS]
    assert clicks
    for click in clicks:
        copies = [m for m in linked.world.messages.values() if m.internet_id == click["messageId"]]
        assert sorted(m.status for m in copies) == ["archived", "held", "held"]
        delivered = next(m for m in copies if m.status == "archived")
        assert delivered.recipient[1] == click["userEmailAddress"]
        for message in copies:
            assert message.sender[1] == click["fromUserEmailAddress"]
            assert message.subject == click["subject"]
            assert message.route == "inbound"
            assert message.received.strftime("%Y-%m-%dT%H:%M:%S+0000") < click["date"]


def test_the_newest_held_impersonation_logs_find_their_held_message(linked: SimState) -> None:
    feed = linked.feeds["impersonation"]
    holds = [
        feed.record(i)
        for i in range(feed.count - 1, -1, -1)
        if logs.impersonation_action(feed.attrs(i)) == "hold"
    ][:LINKED_IMPERSONATIONS]
    for log in holds:
        [message] = [
            m for m in linked.world.messages.values() if m.internet_id == f"<{log['messageId']}>"
        ]
        assert message.status == "held"
        assert message.hold_reason is not None
        assert message.hold_reason[1:] == ("Impersonation Protect", "administrator")
        assert message.recipient[1] == log["recipientAddress"]


def test_campaigns_are_deterministic_and_survive_a_reset(linked: SimState) -> None:
    again = SimState(SimConfig(seed=3, campaigns=True, now=linked.anchor))
    before = dict(again.world.messages)
    again.reset()
    assert again.world.messages == before
    assert {m.internet_id for m in again.world.messages.values()} == {
        m.internet_id for m in linked.world.messages.values()
    }


def test_tokens_expire_after_the_given_number_of_calls(
    client: httpx.Client, server: SimServer
) -> None:
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.config.client_id,
            "client_secret": server.config.client_secret,
        },
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    answer = client.post("/_sim/tokens/expire", json={"after_calls": 2})
    assert answer.json() == {"expired": False, "after_calls": 2}

    statuses = [
        client.post(ACCOUNT, json={"data": []}, headers=bearer).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 401]
    assert client.post("/_sim/tokens/expire", json={"after_calls": -1}).status_code == 400
    assert client.post("/_sim/tokens/expire", json={"after_calls": "2"}).status_code == 400


def test_search_by_message_id_and_advanced_options_together_is_refused(api: Api) -> None:
    item = {"messageId": "<a@b.example>", "advancedTrackAndTraceOptions": {"from": "x@y.example"}}
    body = api.post(SEARCH, {"data": [item]}).json()
    [failure] = body["fail"]
    assert failure["errors"][0]["code"] == "err_validation_invalid_value"
    assert "not both" in failure["errors"][0]["message"]
