"""The baseline of section 4: a plain, sequential `requests` client doing the same calls.

Usage: ``python requests_client.py CONNECTION_FILE INPUT_JSONL OUTPUT_JSONL``

What a typical one-file integration does per row: sign the request (API 1.0 HMAC-SHA1), POST
``/api/gateway/hold-release`` with one id through a `requests.Session` (connections kept alive),
decode the JSON with the standard library and write one output line per row. No retries, no
rate limits, no redaction: the cheapest honest client, to compare CPU seconds per call with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import tomllib
import uuid
from datetime import UTC, datetime

import requests

PATH = "/api/gateway/hold-release"


def signed_headers(connection: dict[str, str], key: bytes) -> dict[str, str]:
    """The API 1.0 headers for one request to `PATH`."""
    date = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")  # C locale in the bench
    request_id = str(uuid.uuid4())
    to_sign = f"{date}:{request_id}:{PATH}:{connection['application_key']}".encode()
    signature = base64.b64encode(hmac.new(key, to_sign, hashlib.sha1).digest()).decode()
    return {
        "x-mc-app-id": connection["application_id"],
        "x-mc-date": date,
        "x-mc-req-id": request_id,
        "Authorization": f"MC {connection['access_key']}:{signature}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def main(argv: list[str]) -> int:
    """Release every message id of the input table, one call per row, in order."""
    with open(argv[1], "rb") as handle:
        connection = {key: str(value) for key, value in tomllib.load(handle).items()}
    key = base64.b64decode(connection["secret_key"])
    url = connection["base_url"] + PATH
    session = requests.Session()
    session.trust_env = False
    with open(argv[2], encoding="utf-8") as rows, open(argv[3], "w", encoding="utf-8") as out:
        for line in rows:
            if not line.strip():
                continue
            row = json.loads(line)
            body = json.dumps({"data": [{"id": row["message_id"]}]})
            response = session.post(url, data=body, headers=signed_headers(connection, key))
            answer = response.json()
            released = any(item.get("release") is True for item in answer.get("data", []))
            result = {"original_lhub_id": row["lhub_id"], "has_error": not released}
            out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
