"""Deterministic pseudo-randomness for the simulator: every value is a function of (seed, parts).

Nothing here keeps state. A record is rebuilt from `(seed, stream, index)` whenever it is asked
for, which is what lets a log feed of a million records page in O(page) memory. Secure ids imitate
Mimecast's opaque ids (long URL-safe base64 text starting with `eNo`; impersonation log ids start
with `MTOKEN:eNq`), see docs/mimecast-api.md §1.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid

INTERNAL_DOMAIN = "example.com"
EXTERNAL_DOMAINS = (
    "example.net",
    "example.org",
    "partner.example.net",
    "billing.example.org",
    "news.example.net",
    "supplier.example.org",
)
SUSPICIOUS_DOMAINS = (
    "examp1e-payments.net",
    "secure-login.example.net",
    "invoice-portal.example.org",
    "micros0ft-support.example.net",
)
FIRST_NAMES = (
    "Alice",
    "Bruno",
    "Chen",
    "Dana",
    "Emeka",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Adams",
    "Brandt",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Young",
    "Zhang",
)


def h64(*parts: object) -> int:
    """A 64-bit hash of the parts, stable across processes and Python versions."""
    text = ":".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng(*parts: object) -> random.Random:
    """A `random.Random` seeded from the parts (for building one record)."""
    return random.Random(h64(*parts))


def secure_id(*parts: object, prefix: str = "eNo") -> str:
    """A Mimecast-looking secure id: `eNo` plus ~86 URL-safe base64 characters."""
    text = ":".join(str(part) for part in parts).encode()
    digest = hashlib.sha512(text).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def stable_uuid(*parts: object) -> str:
    """A UUID-shaped text derived from the parts."""
    text = ":".join(str(part) for part in parts).encode()
    return str(uuid.UUID(bytes=hashlib.sha256(text).digest()[:16], version=4))


def sha256_hex(*parts: object) -> str:
    """A hex SHA-256 of the parts (file hashes in logs and message components)."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()


def person(r: random.Random, domain: str) -> tuple[str, str]:
    """A (display name, address) pair on `domain`."""
    first = r.choice(FIRST_NAMES)
    last = r.choice(LAST_NAMES)
    return f"{first} {last}", f"{first}.{last}".lower() + f"@{domain}"


def internal_person(r: random.Random) -> tuple[str, str]:
    """Someone in the simulated organisation."""
    return person(r, INTERNAL_DOMAIN)


def external_person(r: random.Random, *, suspicious: bool = False) -> tuple[str, str]:
    """Someone outside it, on a benign or a look-alike domain."""
    return person(r, r.choice(SUSPICIOUS_DOMAINS if suspicious else EXTERNAL_DOMAINS))


def ip_address(r: random.Random) -> str:
    """A public-looking IPv4 address from the documentation ranges."""
    block = r.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{block}.{r.randint(1, 254)}"


def internet_message_id(r: random.Random, domain: str) -> str:
    """An RFC 5322 Message-ID in angle brackets."""
    return f"<{r.getrandbits(64):016X}.{r.randint(1000, 9999)}@mail.{domain}>"
