"""jinja2 is imported on the first text that holds a marker, never for constant texts.

The import and the sandbox cost start-up time every run paid before its first request; they now
wait for a template. Each check runs in a fresh interpreter, since this test session has long
loaded jinja2 through other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from mimecast_soar.runtime import TemplateRenderer
from mimecast_soar.runtime.templates import is_template

# No marker among them: each must come back exactly as given.
CONSTANTS = ["", "plain", "a } { % text\n", "{ {x} }", "%} #} }}", "{x}#{", "50%{ #"]

CODE = """
import json, sys
import mimecast_soar.runtime  # the whole runtime package, as `run` imports it
from mimecast_soar.actions import get_action
from mimecast_soar.devo.native import exec_action
from mimecast_soar.runtime import TemplateRenderer, load_connection
from mimecast_soar.runtime.resolve import RowResolver
from mimecast_soar.runtime.session import run_to_sink

texts = json.loads(sys.argv[1])
renderer = TemplateRenderer()
rendered = [renderer.render(t, {"t": 1}, input_id="x", label="X") for t in texts]
names = sorted(renderer.names("a { b } %", input_id="x", label="X"))
settings = {"start_time": "2024-01-01T00:00:00Z", "limit": "5", "sender_column": "s"}
resolver = RowResolver.build(
    get_action("get_hold_message_list"), settings, renderer=renderer,
    reference_values={"team": "soc"},
)
values = resolver.resolve({"s": "a@example.com"})
before = "jinja2" in sys.modules
template = renderer.render("{{ team }}!", {"team": "soc"}, input_id="x", label="X")
print(json.dumps({
    "before": before, "rendered": rendered, "names": names, "limit": values["limit"],
    "start": values["start_time"], "after": "jinja2" in sys.modules, "template": template,
}))
"""


def fresh(texts: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CODE, json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_constant_texts_never_import_jinja_and_come_back_as_given() -> None:
    result = fresh(CONSTANTS)
    assert result["before"] is False
    assert result["rendered"] == CONSTANTS
    assert result["names"] == []
    assert (result["limit"], result["start"]) == ("5", "2024-01-01T00:00:00Z")
    # The first template loads the sandbox and renders as before.
    assert result["after"] is True
    assert result["template"] == "soc!"


def test_markers_are_what_decides() -> None:
    assert not any(is_template(text) for text in CONSTANTS)
    for text in ("{{ a }}", "x {% if a %}{% endif %}", "{# note #}", "{{", "{%", "{#"):
        assert is_template(text)


def test_each_renderer_builds_its_own_sandbox_on_first_template() -> None:
    renderer = TemplateRenderer()
    assert renderer.compile("no marker", input_id="x", label="X").is_constant
    assert renderer._sandbox is None
    compiled = renderer.compile("{{ a }}", input_id="x", label="X")
    first = renderer._sandbox
    assert first is not None
    assert compiled.render({"a": "b"}) == "b"
    renderer.compile("{{ c }}", input_id="x", label="X")
    assert renderer._sandbox is first
    assert TemplateRenderer()._sandbox is None
