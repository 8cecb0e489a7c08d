"""Managed URL entries (URL Protect block / permit list): parsing, identity, records, seeding.

Record shape per docs/mimecast-api.md §12.2 ([murl-create]
https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/create-managed-url/):
`id, scheme, domain, port (-1 when none), path, queryString, matchType, action, comment,
disableUserAwareness, disableRewrite, disableLogClick`. An entry is identified by what it matches:
the domain for `domain` entries, the whole URL (without fragment) for `explicit` ones; the action
is not part of it, so permitting a blocked URL is a duplicate (delete and recreate, as Mimecast's
duplicate message says).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.wire import JsonDict, validation_error

MATCH_TYPES = ("explicit", "domain")
ACTIONS = ("block", "permit")
SEEDED = 12


def parse_url(text: str) -> JsonDict:
    """`scheme, domain, port, path, queryString` of `text`; a fragment or no host is an error."""
    if "#" in text:
        raise validation_error(
            "url", "The url must not contain a fragment (#)", "err_validation_invalid_value"
        )
    raw = text.strip()
    parts = urlsplit(raw if "://" in raw else "//" + raw)
    try:
        port = parts.port
    except ValueError as exc:
        raise validation_error("url", "The url has an invalid port") from exc
    host = (parts.hostname or "").lower()
    if not host or " " in raw or "." not in host:
        raise validation_error("url", "The url is not valid", "err_validation_invalid_value")
    return {
        "scheme": parts.scheme.lower(),
        "domain": host,
        "port": -1 if port is None else port,
        "path": parts.path,
        "queryString": parts.query,
    }


def identity(entry: JsonDict) -> tuple[object, ...]:
    """What makes two entries the same (see the module docstring)."""
    if entry["matchType"] == "domain":
        return ("domain", entry["domain"])
    path = entry["path"].rstrip("/")
    return ("explicit", entry["domain"], entry["port"], path, entry["queryString"])


def url_text(entry: JsonDict) -> str:
    """The entry as one URL text without scheme (`host[:port]/path[?query]`), for filtering."""
    port = f":{entry['port']}" if entry["port"] != -1 else ""
    query = f"?{entry['queryString']}" if entry["queryString"] else ""
    return f"{entry['domain']}{port}{entry['path']}{query}".lower()


def matches(entry: JsonDict, wanted: str, exact: bool) -> bool:
    """get-all-managed-urls `domainOrUrl`: a substring, or with `exactMatch` the URL/domain."""
    text = url_text(entry)
    needle = wanted.strip().lower()
    if not exact:
        return needle.split("://", 1)[-1] in text
    bare = needle.split("://", 1)[-1].rstrip("/")
    return bare in (text.rstrip("/"), entry["domain"])


def record(entry_id: str, parsed: JsonDict, fields: JsonDict) -> JsonDict:
    """A full entry: id, parsed URL parts, then the request's settings."""
    return {"id": entry_id, **parsed, **fields}


def seed_managed_urls(seed: int) -> dict[str, JsonDict]:
    """`SEEDED` entries: blocked look-alike domains and paths, a few permitted partner URLs."""
    entries: dict[str, JsonDict] = {}
    for index in range(SEEDED):
        r = sd.rng(seed, "managed-url", index)
        if index % 4 == 3:
            url = f"https://{sd.EXTERNAL_DOMAINS[index % len(sd.EXTERNAL_DOMAINS)]}/portal"
            action, match_type, comment = "permit", "explicit", "Partner portal"
        elif index % 4 == 0:
            url = f"{sd.SUSPICIOUS_DOMAINS[index // 4 % len(sd.SUSPICIOUS_DOMAINS)]}"
            action, match_type, comment = "block", "domain", "Look-alike domain"
        else:
            domain = r.choice(sd.SUSPICIOUS_DOMAINS)
            url = f"https://www.{domain}/login/{r.getrandbits(32):08x}"
            action, match_type, comment = "block", "explicit", f"Phishing report {index}"
        entry_id = sd.secure_id(seed, "managed-url", index)
        fields = {
            "matchType": match_type,
            "action": action,
            "comment": comment,
            "disableUserAwareness": False,
            "disableRewrite": False,
            "disableLogClick": False,
        }
        entries[entry_id] = record(entry_id, parse_url(url), fields)
    return entries
