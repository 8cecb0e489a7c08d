"""The raw rate of a log pull: the same pages fetched and discarded, with no processing.

Usage: ``python raw_fetch.py CONNECTION_FILE FROM TO MAX_RECORDS``

Signs each request exactly as the client does (`HmacAuth`, API 1.0), sends the same body as
Get TTP URL Logs (``route``/``scanResult`` all, the window, pages of 500), and reads only what
it needs to go on: ``meta.pagination.pageSize`` and ``next``, found with a regular expression in
the head of the body (the simulator writes ``meta`` first). No JSON decoding, no rows, no output:
this is the physical limit of this machine and the simulator. Prints one JSON line with the
records and pages fetched.
"""

from __future__ import annotations

import json
import re
import sys
from urllib.parse import urlsplit

import httpx

from mimecast_soar.api.auth_hmac import HmacAuth
from mimecast_soar.api.credentials import Api1Credentials
from mimecast_soar.runtime import load_connection

PATH = "/api/ttp/url/get-logs"
PAGE_SIZE = 500
_HEAD_BYTES = 4096
_NEXT = re.compile(rb'"next":"([^"]+)"')
_SIZE = re.compile(rb'"pageSize":(\d+)')


def main(argv: list[str]) -> int:
    """Pull until `MAX_RECORDS` records, a page without ``next``, or an empty page."""
    connection_file, start, end, max_records = argv[1], argv[2], argv[3], int(argv[4])
    settings = load_connection(connection_file).client_settings()
    if not isinstance(settings.credentials, Api1Credentials):
        raise SystemExit("raw_fetch signs with API 1.0 credentials")
    auth = HmacAuth(settings.credentials)
    item = {"oldestFirst": False, "from": start, "to": end, "route": "all", "scanResult": "all"}
    records = pages = 0
    token: str | None = None
    url = f"{settings.base_url}{PATH}"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    with httpx.Client(timeout=60, trust_env=False, headers=headers) as client:
        while records < max_records:
            pagination: dict[str, object] = {"pageSize": PAGE_SIZE}
            if token is not None:
                pagination["pageToken"] = token
            body = json.dumps({"meta": {"pagination": pagination}, "data": [item]}).encode()
            signed = auth.signed_headers(urlsplit(url).path)
            response = client.post(url, content=body, headers=signed)
            response.raise_for_status()
            head = response.content[:_HEAD_BYTES]
            size = _SIZE.search(head)
            found = _NEXT.search(head)
            pages += 1
            count = int(size.group(1)) if size else 0
            records += count
            if count == 0 or found is None:
                break
            token = found.group(1).decode()
    print(json.dumps({"records": min(records, max_records), "pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
