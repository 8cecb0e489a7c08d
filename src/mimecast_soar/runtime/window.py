"""The batch window: the default Start Time and End Time of the actions that read logs.

Each end of the window comes from the first source to give it (docs/devo-runtime-contract.md §4,
defect 5, which we repair instead of falling back to 1970):

1. an explicit text (`--batch-start` / `--batch-end`), in any form `parse_time` accepts;
2. the platform's variables `__execution_start_time_ms` / `__execution_end_time_ms` (epoch ms);
3. otherwise the window ends at `now` and starts 24 hours before its end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from mimecast_soar.actions.values import BatchWindow, format_mimecast_time, parse_time
from mimecast_soar.errors import ConfigurationError, InvalidInputError

START_VARIABLE = "__execution_start_time_ms"
END_VARIABLE = "__execution_end_time_ms"
DEFAULT_SPAN = timedelta(hours=24)
_NEVER_USED = datetime(1970, 1, 1, tzinfo=UTC)  # parse_time needs a default; texts are non-empty


def batch_window(
    start: str | None, end: str | None, *, env: Mapping[str, str], now: datetime
) -> BatchWindow:
    """The window from explicit texts, else the platform's variables, else the last 24 hours.

    Raises `ConfigurationError` (one line) for a text that is not a time, a variable that is not
    epoch milliseconds, or a start after the end.
    """
    end_at = _explicit(end, "the batch end (--batch-end)")
    if end_at is None:
        end_at = _from_variable(env, END_VARIABLE)
    if end_at is None:
        end_at = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    start_at = _explicit(start, "the batch start (--batch-start)")
    if start_at is None:
        start_at = _from_variable(env, START_VARIABLE)
    if start_at is None:
        start_at = end_at - DEFAULT_SPAN
    if start_at > end_at:
        raise ConfigurationError(
            f"the batch window starts ({format_mimecast_time(start_at)}) after it ends "
            f"({format_mimecast_time(end_at)})"
        )
    return BatchWindow(start_at, end_at)


def _explicit(text: str | None, label: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_time(text, label=label, default=_NEVER_USED)
    except InvalidInputError as exc:
        raise ConfigurationError(exc.message) from None


def _from_variable(env: Mapping[str, str], name: str) -> datetime | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        milliseconds = int(float(raw)) if "." in raw else int(raw)
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise ConfigurationError(f"{name} must be epoch milliseconds, got {shown!r}") from None
