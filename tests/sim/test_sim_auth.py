"""API 1.0 signatures, API 2.0 tokens, login endpoints and the expired binding."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
from sim_helpers import Api, rfc1123, signed_headers

from mimecast_soar.sim import SimConfig, SimServer, sign
from mimecast_soar.sim.auth import parse_header_date

ACCOUNT = "/api/account/get-account"


def test_sign_matches_the_documented_vector() -> None:
    signature = sign(
        "Tue, 24 Nov 2015 12:50:11 UTC",
        "8578FCFC-A305-4D9A-99CB-F4D5ECEFE297",
        "/api/gateway/hold-release",
        "00000000-1111-2222-3333-444444444444",
        "c2ltdWxhdG9yLXNlY3JldC1rZXktYnl0ZXMtMDEyMzQ1Njc4OQ==",
    )
    assert signature == "eXuubW10saRQOu5wyO/j3CsqKDE="


def test_header_date_accepts_utc_and_gmt() -> None:
    expected = datetime(2015, 11, 24, 12, 50, 11, tzinfo=UTC)
    assert parse_header_date("Tue, 24 Nov 2015 12:50:11 UTC") == expected
    assert parse_header_date("Tue, 24 Nov 2015 12:50:11 GMT") == expected
    assert parse_header_date("yesterday") is None


def test_hand_signed_request_is_accepted(api: Api) -> None:
    response = api.post(ACCOUNT)
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["status"] == 200
    assert body["data"][0]["accountCode"]
    assert body["fail"] == []


def _assert_invalid_signature(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["meta"] == {"status": 401}
    assert body["data"] == []
    error = body["fail"][0]["errors"][0]
    assert error["code"] == "err_xdk_invalid_signature"
    assert error["message"].startswith("0004 Invalid Signature")
    assert error["retryable"] is False


def test_wrong_secret_is_refused(api: Api) -> None:
    other_secret = base64.b64encode(b"not the secret").decode()
    _assert_invalid_signature(api.post(ACCOUNT, secret=other_secret))


def test_wrong_application_key_is_refused(api: Api) -> None:
    wrong = Api(
        api.client, {**api.connection, "application_key": "00000000-0000-0000-0000-0000000000"}
    )
    _assert_invalid_signature(wrong.post(ACCOUNT))


def test_wrong_app_id_and_access_key_are_refused(api: Api) -> None:
    for key in ("application_id", "access_key"):
        wrong = Api(api.client, {**api.connection, key: "someone-else"})
        _assert_invalid_signature(wrong.post(ACCOUNT))


def test_stale_and_future_dates_are_refused(api: Api) -> None:
    for shift in (timedelta(minutes=-20), timedelta(minutes=20)):
        response = api.post(ACCOUNT, date=rfc1123(datetime.now(UTC) + shift))
        _assert_invalid_signature(response)
        assert "skew" in response.json()["fail"][0]["errors"][0]["message"]


def test_signature_covers_the_path(api: Api) -> None:
    headers = signed_headers(api.connection, "/api/gateway/hold-release")
    _assert_invalid_signature(api.client.post(ACCOUNT, json={"data": []}, headers=headers))


def test_missing_headers_are_refused(client: httpx.Client) -> None:
    response = client.post(ACCOUNT, json={"data": []})
    assert response.status_code == 401
    assert "x-ratelimit-limit" in response.headers


def _token(client: httpx.Client, server: SimServer) -> str:
    form = {"grant_type": "client_credentials", **server.connection(api_version=2)}
    del form["base_url"]
    response = client.post("/oauth/token", data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == server.config.token_ttl_seconds
    assert body["scope"] == ""
    token: str = body["access_token"]
    return token


def test_oauth_token_is_issued_used_and_expires(client: httpx.Client, server: SimServer) -> None:
    token = _token(client, server)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.post(ACCOUNT, json={"data": []}, headers=bearer).status_code == 200
    client.post("/_sim/clock", json={"advance_seconds": server.config.token_ttl_seconds + 1})
    expired = client.post(ACCOUNT, json={"data": []}, headers=bearer)
    assert expired.status_code == 401
    assert expired.json()["fail"][0]["errors"][0]["code"] == "token_expired"
    assert client.get("/_sim/requests").json()[-1]["auth"] == "api2"


def test_expire_tokens_admin_switch(client: httpx.Client, server: SimServer) -> None:
    bearer = {"Authorization": f"Bearer {_token(client, server)}"}
    client.post("/_sim/tokens/expire")
    assert client.post(ACCOUNT, json={"data": []}, headers=bearer).status_code == 401


def test_oauth_wrong_client_and_unknown_token_are_refused(client: httpx.Client) -> None:
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    unknown = client.post(ACCOUNT, json={"data": []}, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401


def test_oauth_secret_is_not_logged(client: httpx.Client, server: SimServer) -> None:
    _token(client, server)
    logged = client.get("/_sim/requests", params={"path": "/oauth/token"}).json()
    assert server.config.client_secret not in str(logged)


def test_expired_binding_answers_418(api: Api) -> None:
    api.client.post("/_sim/binding", json={"expired": True})
    response = api.post(ACCOUNT)
    assert response.status_code == 418
    error = response.json()["fail"][0]["errors"][0]
    assert error["code"] == "err_xdk_binding_expired"
    assert "AccessKey Has Expired" in error["message"]
    api.client.post("/_sim/binding", json={"expired": False})
    assert api.post(ACCOUNT).status_code == 200


def test_discover_authentication_needs_no_authorization(api: Api) -> None:
    path = "/api/login/discover-authentication"
    headers = signed_headers(api.connection, path)
    del headers["Authorization"]
    body = {"data": [{"emailAddress": "soar-admin@example.com"}]}
    response = api.client.post(path, json=body, headers=headers)
    assert response.status_code == 200
    item = response.json()["data"][0]
    assert item["emailAddress"] == "soar-admin@example.com"
    assert item["authenticate"]
    assert item["emailToken"]


def test_login_with_basic_cloud_returns_the_binding_keys(api: Api, server: SimServer) -> None:
    path = "/api/login/login"
    config = server.config
    headers = signed_headers(api.connection, path)
    userpass = f"{config.login_email}:{config.login_password}".encode()
    headers["Authorization"] = "Basic-Cloud " + base64.b64encode(userpass).decode()
    body = {"data": [{"userName": config.login_email}]}
    response = api.client.post(path, json=body, headers=headers)
    assert response.status_code == 200
    item = response.json()["data"][0]
    assert item["accessKey"] == config.access_key
    assert item["secretKey"] == config.secret_key
    headers["Authorization"] = "Basic-Cloud " + base64.b64encode(b"x@example.com:bad").decode()
    assert api.client.post(path, json=body, headers=headers).status_code == 401


def test_credentials_are_derived_from_the_seed() -> None:
    assert SimConfig(seed=5).secret_key == SimConfig(seed=5).secret_key
    assert SimConfig(seed=5).access_key != SimConfig(seed=6).access_key
    assert "secret_key" not in repr(SimConfig())
