"""The runtime package exports a curated set of names."""

from __future__ import annotations

import mimecast_soar.runtime as runtime


def test_all_names_exist_and_are_documented() -> None:
    assert sorted(runtime.__all__) == runtime.__all__
    for name in runtime.__all__:
        value = getattr(runtime, name)
        if callable(value) and name != "LhubId":
            assert value.__doc__, name
