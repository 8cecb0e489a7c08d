"""The template budget: every value a template builds is capped at 1 MiB, a rendering has a
deadline, an interrupt stops it, and an error never quotes what a secret-using template built."""

from __future__ import annotations

import threading
import time

import pytest

from mimecast_soar.actions import get_action
from mimecast_soar.errors import InvalidInputError
from mimecast_soar.runtime import TemplateRenderer
from mimecast_soar.runtime._budget import Budget, DeadlineError
from mimecast_soar.runtime.resolve import RowResolver
from mimecast_soar.runtime.templates import CONCEALED, RenderInterrupted, RenderLimits

MIB = 1 << 20
# Nested loops over a long text: about 10**12 iterations, building nothing.
BUSY = "{% for a in long %}{% for b in long %}{% endfor %}{% endfor %}"


def render(text: str, renderer: TemplateRenderer | None = None, **row: object) -> str:
    active = renderer or TemplateRenderer()
    return active.render(text, row, input_id="query", label="Query")


@pytest.mark.parametrize(
    "text",
    [
        # `~` doubling: the 789 MB string of the finding.
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "{{ (((mid ~ mid) ~ (mid ~ mid)) ~ ((mid ~ mid) ~ (mid ~ mid))) }}",
        # `+` on texts and lists, doubling.
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}",
        "{% set ns = namespace(x=[1]) %}{% for i in range(40) %}{% set ns.x = ns.x + ns.x %}"
        "{% endfor %}",
        # A shared nested list doubles its text, not its memory, until it is turned into text.
        "{% set ns = namespace(x=[1]) %}{% for i in range(60) %}{% set ns.x = [ns.x, ns.x] %}"
        "{% endfor %}{{ ns.x|upper }}",
        # `join` of a huge list, as a filter and as a method.
        "{{ range(100000)|map('string')|map('center', 20)|join }}",
        "{{ ''.join([mid] * 5) }}",
        "{{ [mid] * 5 }}",
        # `*`, `format`, `%`, `str.format` of big operands.
        "{{ 'x' * (2 ** 21) }}",
        "{{ '%s%s%s'|format(mid, mid, mid) }}",
        "{{ '%s%s%s' % (mid, mid, mid) }}",
        "{{ '{}{}{}'.format(mid, mid, mid) }}",
        # Filters and methods that build lists from a long text.
        "{{ (mid ~ mid)|list|length }}",
        "{{ (mid ~ mid).split('m') }}",
    ],
)
def test_a_value_past_one_mib_is_refused_before_it_is_built(text: str) -> None:
    with pytest.raises(InvalidInputError, match="Query could not be rendered") as caught:
        render(text, mid="m" * (MIB // 2 - 1000))
    assert "1,048,576" in caught.value.message
    assert caught.value.input_id == "query"


def test_values_under_the_cap_still_render() -> None:
    text = "{{ (half ~ half)|length }} {{ ([1] * 1000 + [2] * 1000)|length }} {{ 'ab' * 3 }}"
    assert render(text, half="h" * (MIB // 2)) == f"{MIB} 2000 ababab"


def test_a_result_of_one_mib_is_accepted_and_one_more_character_refused() -> None:
    assert len(render("{{ 'x' * n }}", n=MIB)) == MIB
    assert len(render("{{ t ~ '' }}", t="t" * MIB)) == MIB
    with pytest.raises(InvalidInputError, match="more than the limit of 1,048,576"):
        render("{{ 'x' * n }}", n=MIB + 1)
    with pytest.raises(InvalidInputError, match="more than the limit of 1,048,576"):
        render("{{ t ~ '!' }}", t="t" * MIB)


def test_nested_loops_over_a_long_text_stop_at_the_deadline() -> None:
    renderer = TemplateRenderer(limits=RenderLimits(deadline_seconds=0.5))
    started = time.monotonic()
    with pytest.raises(InvalidInputError) as caught:
        render(BUSY, renderer, long="x" * 100_000)
    assert time.monotonic() - started < 10
    assert caught.value.message == "the template for Query ran longer than 0.5 s"
    assert caught.value.input_id == "query"


def test_recursive_macros_stop_at_the_deadline() -> None:
    text = (
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(40) }}"
    )
    renderer = TemplateRenderer(limits=RenderLimits(deadline_seconds=0.5))
    started = time.monotonic()
    with pytest.raises(InvalidInputError, match=r"ran longer than 0\.5 s"):
        render(text, renderer)
    assert time.monotonic() - started < 10


def test_the_deadline_is_read_from_the_injected_clock() -> None:
    now = [100.0]
    budget = Budget(2.0, clock=lambda: now[0])
    now[0] = 102.0
    budget.tick()  # at the deadline, not past it
    now[0] = 102.001
    with pytest.raises(DeadlineError, match="ran longer than 2 s"):
        budget.tick()


def test_an_interrupt_stops_a_busy_template_at_once() -> None:
    interrupt = threading.Event()
    renderer = TemplateRenderer(limits=RenderLimits(deadline_seconds=600, interrupt=interrupt))
    timer = threading.Timer(0.3, interrupt.set)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(RenderInterrupted):
            render(BUSY, renderer, long="x" * 100_000)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10


SECRET = "hunter2-Zq"


def secret_renderer() -> TemplateRenderer:
    return TemplateRenderer(secret_names=frozenset({"api_password"}))


def test_a_template_reading_a_secret_reference_value_is_marked() -> None:
    renderer = secret_renderer()
    uses = renderer.compile("{{ api_password|upper }}", input_id="q", label="Q")
    plain = renderer.compile("{{ team|upper }}", input_id="q", label="Q")
    assert uses.uses_secret
    assert not plain.uses_secret


def test_a_python_error_of_a_secret_template_does_not_quote_its_text() -> None:
    text = "{{ ('{' ~ api_password|upper ~ '}').format() }}"
    with pytest.raises(InvalidInputError) as caught:
        render(text, secret_renderer(), api_password=SECRET)
    assert SECRET.upper() not in caught.value.message
    assert CONCEALED in caught.value.message
    assert "KeyError" in caught.value.message
    # The same template without a secret keeps the message: it helps to fix the template.
    with pytest.raises(InvalidInputError, match="KeyError: 'SOC'"):
        render("{{ ('{' ~ team|upper ~ '}').format() }}", secret_renderer(), team="soc")


@pytest.mark.parametrize(
    "template", ["{{ api_password|upper }}", '{{ api_password|list|join(" ") }}']
)
def test_a_value_error_never_quotes_a_value_rendered_from_a_secret(template: str) -> None:
    spec = get_action("add_group_member")
    resolver = RowResolver.build(
        spec,
        {"group_id": "g-1", "email_address": template},
        renderer=secret_renderer(),
        reference_values={"api_password": SECRET},
    )
    values = resolver.resolve({})
    rendered = values["email_address"]
    assert rendered != SECRET  # the redactor alone, which masks the exact value, misses it
    assert resolver.concealed == frozenset({"email_address"})
    message = f"Email Address '{rendered}' is neither an email address nor a domain"
    assert resolver.conceal(values, message) == (
        f"Email Address {CONCEALED} is neither an email address nor a domain"
    )
    part = rendered.split()[0] if " " in rendered else rendered.lower()
    assert resolver.conceal(values, f"bad part '{part}'") == f"bad part {CONCEALED}"
