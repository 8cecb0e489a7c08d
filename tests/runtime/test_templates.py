"""Sandboxed Jinja: rendering, undefined names, errors, sandbox escapes and resource bombs."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mimecast_soar.errors import InvalidInputError
from mimecast_soar.runtime import TemplateRenderer, build_context


@pytest.fixture
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def render(renderer: TemplateRenderer, text: str, **row: object) -> str:
    context = build_context({"host": "mx.example.com", "who": "reference"}, row)
    return renderer.render(text, context, input_id="policy", label="Policy")


def test_constant_text_is_returned_without_jinja(renderer: TemplateRenderer) -> None:
    compiled = renderer.compile("a } { % text\n", input_id="x", label="X")
    assert compiled.is_constant
    assert compiled.render({}) == "a } { % text\n"


def test_template_is_compiled_once_per_text(renderer: TemplateRenderer) -> None:
    first = renderer.compile("{{ a }}", input_id="x", label="X")
    second = renderer.compile("{{ a }}", input_id="y", label="Y")
    assert not first.is_constant
    assert first._template is second._template


def test_row_wins_over_reference_values(renderer: TemplateRenderer) -> None:
    assert render(renderer, "{{ who }}@{{ host }}", who="row") == "row@mx.example.com"
    assert build_context({"a": "ref", "b": "ref"}, {"a": "row"}) == {"a": "row", "b": "ref"}


def test_autoescape_is_off_and_trailing_newline_kept(renderer: TemplateRenderer) -> None:
    assert render(renderer, '{"v": "{{ v }}"}\n', v="<b>&") == '{"v": "<b>&"}\n'


def test_undefined_names_and_their_attributes_render_empty(renderer: TemplateRenderer) -> None:
    text = (
        "[{{ missing }}|{{ missing.a.b }}|{{ missing['k'].z }}|{% for x in missing %}x{% endfor %}]"
    )
    assert render(renderer, text) == "[|||]"
    assert render(renderer, "{{ missing or 'fallback' }}") == "fallback"


def test_row_values_are_usable(renderer: TemplateRenderer) -> None:
    text = "{{ rec.name|upper }} {{ rec['n'] + 1 }} {{ ids|join(',') }}"
    assert render(renderer, text, rec={"name": "ab", "n": 1}, ids=[1, 2]) == "AB 2 1,2"


def test_syntax_error_names_the_input(renderer: TemplateRenderer) -> None:
    with pytest.raises(InvalidInputError) as caught:
        renderer.compile("{% if %}", input_id="start_time", label="Start Time")
    assert caught.value.input_id == "start_time"
    assert caught.value.message.startswith("the template of Start Time could not be rendered")
    assert "line 1" in caught.value.message


def test_render_error_names_the_input(renderer: TemplateRenderer) -> None:
    with pytest.raises(InvalidInputError, match="Policy could not be rendered: ZeroDivision"):
        render(renderer, "{{ 1 / 0 }}")


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ self.__init__ }}",
        "{{ ''|attr('__class__') }}",
        "{% set l = [1] %}{{ l.append(2) }}",
        "{% set d = {} %}{{ d.update({'a': 1}) }}",
    ],
)
def test_sandbox_escapes_are_refused(renderer: TemplateRenderer, text: str) -> None:
    with pytest.raises(InvalidInputError, match="the sandbox forbids") as caught:
        render(renderer, text)
    assert caught.value.input_id == "policy"


@pytest.mark.parametrize(
    "text",
    [
        "{{ range(10**9)|list }}",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'a' * 10**9 }}",
        "{{ [1] * 10**9 }}",
        "{{ 10 ** (10 ** 10) }}",
        "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
        "{% endfor %}",
        "{{ '%999999999s' % 'x' }}",
        "{{ '%*s' % (999999999, 'x') }}",
        "{{ '%.999999999f' % 1 }}",
        "{{ '%999999999d'|format(1) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '{:>{w}}'.format(1, w=999999999) }}",
        "{{ 'x'|center(10**9) }}",
        "{{ 'x'|indent(10**9) }}",
        "{{ 'x'.ljust(10**9) }}",
        "{{ 'x'.zfill(10**9) }}",
        "{{ big|replace('', big) }}",
        "{{ big.replace('', big) }}",
        "{{ range(100000)|join(big) }}",
        "{{ lipsum(10**9) }}",
        "{{ [1]|batch(10**9, 0)|list }}",
        "{{ [1]|slice(10**9)|list }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "{% for i in range(100000) %}{{ big }}{% endfor %}",
    ],
)
def test_resource_bombs_are_refused(renderer: TemplateRenderer, text: str) -> None:
    with pytest.raises(InvalidInputError, match="Policy could not be rendered") as caught:
        render(renderer, text, big="b" * 5000)
    assert caught.value.input_id == "policy"


def test_ordinary_formatting_still_works(renderer: TemplateRenderer) -> None:
    text = "{{ '%s-%05d' % (a, 7) }} {{ '%s'|format(a) }} {{ '{:>4}'.format(a) }} {{ a|center(5) }}"
    assert render(renderer, text, a="x") == "x-00007 x    x   x  "


def test_output_of_exactly_one_mib_is_fine(renderer: TemplateRenderer) -> None:
    half = "v" * (1 << 19)
    assert render(renderer, "{{ half }}{{ half }}", half=half) == half * 2


def test_output_one_character_over_one_mib_is_refused(renderer: TemplateRenderer) -> None:
    half = "v" * (1 << 19)
    with pytest.raises(InvalidInputError, match=r"(the limit of|exceeds) 1,048,576"):
        render(renderer, "{{ half }}{{ half }}!", half=half)


TOKENS = [
    *"{}%#()[]'\".|~*+-_ ab01\n",
    *("{{", "}}", "{%", "%}", "{#", "#}", " if ", " for ", " in ", " set ", "endfor", "endif"),
    *("range", "**", "__class__", "|list", "|join", "loop", "namespace", "9" * 12),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_rendering_any_text_raises_only_invalid_input(text: str) -> None:
    renderer = TemplateRenderer()
    outcome: object
    try:
        outcome = renderer.render(text, {"a": "x", "b": [1]}, input_id="t", label="T")
    except InvalidInputError as error:
        outcome = error.input_id
    assert isinstance(outcome, str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_rendering_arbitrary_unicode_raises_only_invalid_input(text: str) -> None:
    with contextlib.suppress(InvalidInputError):
        TemplateRenderer().render(text, {}, input_id="t", label="T")
