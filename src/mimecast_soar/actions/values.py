"""Parsing and validating the values of action inputs: times, booleans, integers, addresses.

Every parser raises `InvalidInputError` with a sentence that says what is wrong and what is
allowed, naming the input by its label. Times follow docs/integration-spec.md §2: the Mimecast form
`2011-12-03T10:15:30+0000`, ISO 8601 with `Z` or `±HH:MM`, a date alone, epoch seconds or
milliseconds; they are sent to Mimecast as `YYYY-MM-DDTHH:MM:SS+0000` in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mimecast_soar.errors import InvalidInputError
from mimecast_soar.textrules import BOOLEAN_WORDS, boolean_of

# An address as Mimecast accepts it: local part, @, a dotted domain. Deliberately not RFC 5322.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?P<domain>[^@\s]+)$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_OFFSET_NO_COLON = re.compile(r"([+-])(\d{2})(\d{2})$")
_EPOCH_MS_THRESHOLD = 10_000_000_000  # above this a number is milliseconds (year 2286 in seconds)


@dataclass(frozen=True)
class BatchWindow:
    """The batch's time window (aware UTC datetimes): the default for Start Time and End Time."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("BatchWindow needs timezone-aware datetimes")
        if self.start > self.end:
            raise ValueError("the batch window starts after it ends")

    @classmethod
    def last_hours(cls, hours: float, now: datetime | None = None) -> BatchWindow:
        """The window ending now (or at `now`) and starting `hours` earlier."""
        end = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(end - timedelta(hours=hours), end)


def is_empty(value: Any) -> bool:
    """None, an empty or all-blank text, or an empty collection."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return not value
    return False


def as_text(value: Any) -> str:
    """A row value as text: strings as they are, other JSON values in their JSON spelling."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_bool(value: Any, *, label: str, default: bool) -> bool:
    """A JSON boolean, 0 or 1, or a word of `textrules.BOOLEAN_WORDS` (the connection's too, any
    case); empty means `default`."""
    if isinstance(value, bool):
        return value
    if is_empty(value):
        return default
    word = boolean_of(value)
    if word is not None:
        return word
    raise InvalidInputError(
        f"{label} must be true or false ({BOOLEAN_WORDS}), got {show_value(value)}", input_id=None
    )


def parse_int(
    value: Any, *, label: str, default: int, minimum: int = 1, maximum: int | None = None
) -> int:
    """A whole number (JSON number or text); empty means `default`; bounds are checked."""
    if is_empty(value):
        return default
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value)
    ):
        number = int(value)
    if number is None:
        raise InvalidInputError(f"{label} must be a whole number, got {show_value(value)}")
    if number < minimum or (maximum is not None and number > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidInputError(f"{label} must be at least {minimum}{upper}, got {number}")
    return number


def parse_choice(value: Any, *, label: str, options: tuple[str, ...], default: str) -> str:
    """One of `options`, compared case-insensitively; empty means `default`."""
    if is_empty(value):
        return default
    text = as_text(value).strip()
    for option in options:
        if option.lower() == text.lower():
            return option
    raise InvalidInputError(
        f"{label} must be one of {', '.join(options)}; got {show_value(value)}",
    )


def parse_time(value: Any, *, label: str, default: datetime) -> datetime:
    """A point in time as an aware UTC datetime; empty means `default` (the batch window)."""
    if is_empty(value):
        return default
    if isinstance(value, bool):
        raise InvalidInputError(f"{label} must be a date and time, got {show_value(value)}")
    if isinstance(value, int | float):
        return _from_epoch(value, label)
    text = as_text(value).strip()
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return _from_epoch(float(text), label)
    candidate = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    candidate = _OFFSET_NO_COLON.sub(r"\1\2:\3", candidate)
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(
                f"{label} is not a date and time: {show_value(value)}. "
                "Use 2011-12-03T10:15:30+0000, ISO 8601 (2011-12-03T10:15:30Z), a date (2011-12-03)"
                " or epoch seconds/milliseconds"
            ) from None
        parsed = datetime(day.year, day.month, day.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(number: float, label: str) -> datetime:
    seconds = number / 1000 if abs(number) >= _EPOCH_MS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInputError(f"{label} is out of range as epoch time: {number}") from None


def parse_window(
    start: Any, end: Any, *, window: BatchWindow, start_label: str, end_label: str
) -> tuple[datetime, datetime]:
    """Start and end times with the batch window as defaults; start after end is an error."""
    start_at = parse_time(start, label=start_label, default=window.start)
    end_at = parse_time(end, label=end_label, default=window.end)
    if start_at > end_at:
        raise InvalidInputError(
            f"{start_label} ({format_mimecast_time(start_at)}) is after "
            f"{end_label} ({format_mimecast_time(end_at)})"
        )
    return start_at, end_at


def format_mimecast_time(moment: datetime) -> str:
    """The body date form Mimecast documents: `2011-12-03T10:15:30+0000`, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def is_domain(text: str) -> bool:
    """A dotted DNS name such as `example.com` (no scheme, no @, no spaces)."""
    if len(text) > 253 or "." not in text:
        return False
    labels = text.rstrip(".").split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def is_email(text: str) -> bool:
    """An email address whose domain is a dotted DNS name."""
    match = _EMAIL.match(text)
    if match is None or text.endswith("."):
        return False
    return is_domain(match.group("domain"))


def show_value(value: Any, limit: int = 80) -> str:
    """A value quoted for an error sentence, shortened so a 1 MB value cannot flood a row."""
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 3] + "...'"
