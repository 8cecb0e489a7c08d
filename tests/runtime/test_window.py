"""The batch window: explicit texts, then the platform's variables, then the last 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime import batch_window

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PLATFORM = {
    "__execution_start_time_ms": "1717200000000",  # 2024-06-01T00:00:00Z
    "__execution_end_time_ms": "1717203600000",  # 2024-06-01T01:00:00Z
}


def test_default_is_the_last_24_hours() -> None:
    window = batch_window(None, None, env={}, now=NOW)
    assert (window.start, window.end) == (NOW - timedelta(hours=24), NOW)


def test_platform_variables_come_next() -> None:
    window = batch_window(None, "", env=PLATFORM, now=NOW)
    assert window.start == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert window.end == datetime(2024, 6, 1, 1, 0, tzinfo=UTC)


def test_explicit_texts_win_in_any_accepted_form() -> None:
    window = batch_window("2024-05-01T10:15:30+0000", "2024-05-02", env=PLATFORM, now=NOW)
    assert window.start == datetime(2024, 5, 1, 10, 15, 30, tzinfo=UTC)
    assert window.end == datetime(2024, 5, 2, tzinfo=UTC)
    epoch = batch_window("1714558530", "1714644930000", env={}, now=NOW)
    assert epoch.start == datetime(2024, 5, 1, 10, 15, 30, tzinfo=UTC)


def test_each_end_falls_back_on_its_own() -> None:
    window = batch_window(None, "2024-05-02T00:00:00Z", env={}, now=NOW)
    assert window.start == datetime(2024, 5, 1, tzinfo=UTC)
    window = batch_window("2024-06-01T06:00:00Z", None, env={}, now=NOW)
    assert window.end == NOW


def test_bad_text_is_one_clear_line() -> None:
    with pytest.raises(
        ConfigurationError, match=r"the batch start \(--batch-start\) is not a date"
    ):
        batch_window("yesterday", None, env={}, now=NOW)


def test_bad_platform_variable() -> None:
    with pytest.raises(ConfigurationError, match="__execution_end_time_ms must be epoch millis"):
        batch_window(None, None, env={"__execution_end_time_ms": "soon"}, now=NOW)


def test_start_after_end_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"starts \(2024-05-03T00:00:00\+0000\) after"):
        batch_window("2024-05-03", "2024-05-02", env={}, now=NOW)
