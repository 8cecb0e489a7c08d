"""`mimecast-soar devo bundle OUT_DIR`: the generated module, the folder, the wheels."""

from __future__ import annotations

import ast
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

import pytest
from devo_support import base_env, run_sdk, sdk_result

from mimecast_soar import __version__
from mimecast_soar.actions import ACTIONS, InputKind
from mimecast_soar.cli import main
from mimecast_soar.devo.bundle import (
    SDK_REQUIREMENT,
    TargetPython,
    retarget_wheels,
    write_bundle,
)
from mimecast_soar.devo.codegen import render_module
from mimecast_soar.errors import ConfigurationError


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(source)
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_module_declares_every_action_as_a_function_named_by_its_id() -> None:
    functions = _functions(render_module(__version__))
    for spec in ACTIONS:
        function = functions[spec.id]
        row_inputs = [i for i in spec.inputs if i.kind is not InputKind.PARAM]
        assert [a.arg for a in function.args.args] == [i.id for i in row_inputs]
        for arg, item in zip(function.args.args, row_inputs, strict=True):
            annotation = ast.unparse(arg.annotation) if arg.annotation else None
            expected = "JinjaTemplatedStr" if item.kind is InputKind.JINJA else None
            assert annotation == expected, item.id
        [decorator] = function.decorator_list
        assert ast.unparse(decorator) == f"action({spec.name!r})"
        assert len(function.body) == 2  # the docstring and one delegating line
        docstring = ast.get_docstring(function) or ""
        for item in row_inputs:
            assert f":label {item.id}: {item.label}" in docstring
            assert f":optional {item.id}: {'false' if item.required else 'true'}" in docstring


def test_the_module_never_renders_templates_itself() -> None:
    tree = ast.parse(render_module(__version__))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {name for name in names if "render" in name.lower() or name == "Template"}
    assert {module.split(".")[0] for module in imported} == {"lhub_integ", "mimecast_soar"}


def test_descriptions_with_quotes_and_backslashes_stay_valid_python() -> None:
    from dataclasses import replace

    spec = replace(ACTIONS[0], description='Say """hi""" \\ to {{ you }}')
    source = render_module(__version__, actions=[spec])
    docstring = ast.get_docstring(_functions(source)[spec.id]) or ""
    assert docstring.startswith('Say """hi""" \\ to {{ you }}')


def test_bundle_writes_the_module_requirements_and_readme(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert main(["devo", "bundle", str(out), "--no-wheels"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "README.txt",
        "mimecast.py",
        "requirements.txt",
    ]
    assert (out / "requirements.txt").read_text() == f"mimecast-soar=={__version__}\n"
    module = ast.parse((out / "mimecast.py").read_text())
    docstring = ast.get_docstring(module) or ""
    assert docstring.startswith("name: Mimecast\ndescription: ")
    assert "Python >= 3.11" in docstring
    assert "Python >= 3.11" in (out / "README.txt").read_text()


def test_bundle_refuses_a_folder_with_other_python_files(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("")
    with pytest.raises(ConfigurationError, match=r"other\.py"):
        write_bundle(tmp_path, wheels=False)


def test_the_module_says_which_python_it_needs_on_an_older_one(bundle_dir: Path) -> None:
    code = (
        "import sys; sys.version_info = (3, 8, 10, 'final', 0); "
        "exec(compile(open('mimecast.py').read(), 'mimecast.py', 'exec'), {'__name__': 'm'})"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=bundle_dir, capture_output=True, text=True, check=False
    )
    assert completed.returncode != 0
    assert "needs Python 3.11 or newer; this environment runs Python 3.8" in completed.stderr


def test_the_wheel_step_builds_ours_then_resolves_dependencies_with_the_sdk(
    tmp_path: Path,
) -> None:
    calls: list[list[str]] = []

    def fake_pip(arguments: Sequence[str]) -> None:
        calls.append(list(arguments))
        target = Path(arguments[arguments.index("--wheel-dir") + 1])
        (target / f"mimecast_soar-{__version__}-py3-none-any.whl").write_text("")

    result = write_bundle(tmp_path, run_pip=fake_pip)
    assert calls[0][:3] == ["wheel", "--quiet", "--no-deps"]
    assert calls[1][-1] == SDK_REQUIREMENT
    assert calls[1][-2].endswith(".whl")
    assert [w.name for w in result.wheels] == [f"mimecast_soar-{__version__}-py3-none-any.whl"]


def test_retargeting_fetches_compiled_wheels_for_the_platform_python(tmp_path: Path) -> None:
    pure = tmp_path / "jinja2-3.1.6-py3-none-any.whl"
    compiled = tmp_path / "orjson-3.13.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    for wheel in (pure, compiled):
        wheel.write_text("")
    calls: list[list[str]] = []

    def fake_pip(arguments: Sequence[str]) -> None:
        calls.append(list(arguments))
        (tmp_path / "orjson-3.13.0-cp312-cp312-manylinux_2_17_x86_64.whl").write_text("")

    retarget_wheels(tmp_path, TargetPython("3.12", "manylinux2014_x86_64"), fake_pip)
    [call] = calls
    assert call[0] == "download"
    assert {"--no-deps", "--only-binary=:all:"} <= set(call)
    assert call[call.index("--python-version") + 1] == "3.12"
    assert call[call.index("--platform") + 1] == "manylinux2014_x86_64"
    assert call[-1] == "orjson==3.13.0"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        pure.name,
        "orjson-3.13.0-cp312-cp312-manylinux_2_17_x86_64.whl",
    ]


def test_a_missing_binary_wheel_for_the_platform_python_is_named(tmp_path: Path) -> None:
    (tmp_path / "markupsafe-3.0.4-cp311-cp311-manylinux2014_x86_64.whl").write_text("")

    def failing_pip(arguments: Sequence[str]) -> None:
        raise ConfigurationError("pip download failed:\nERROR: No matching distribution found")

    with pytest.raises(ConfigurationError) as caught:
        retarget_wheels(tmp_path, TargetPython("3.13", "win_amd64"), failing_pip)
    message = str(caught.value)
    assert "no binary wheel of markupsafe 3.0.4 for Python 3.13 on win_amd64" in message
    assert "No matching distribution found" in message


@pytest.mark.parametrize("version", ["3", "3.x", "3.12.1", "3.10"])
def test_a_bad_or_too_old_python_version_is_refused(version: str) -> None:
    with pytest.raises(ConfigurationError):
        TargetPython(version)


def test_platform_without_python_version_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["devo", "bundle", str(tmp_path), "--platform", "win_amd64"]) == 2


@pytest.mark.slow
@pytest.mark.lhub
def test_an_installed_wheel_writes_a_bundle_that_installs_offline_without_a_web_server(
    lhub_python: Path, tmp_path: Path
) -> None:
    """The whole path of a user without a checkout: our wheel, installed without extras into a
    fresh environment, writes the bundle; the bundle installs offline beside the SDK."""
    root = Path(__file__).resolve().parents[2]
    env = base_env()

    def run(*command: str | Path, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip

    built = run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", "dist", root)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("mimecast_soar-*.whl")
    user = tmp_path / "user-env"
    venv.create(user, with_pip=True)
    installed = run(user / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    assert installed.returncode == 0, installed.stderr
    cli = user / "bin" / "mimecast-soar"
    sim = run(cli, "sim")  # the web server is an extra this user did not install
    assert sim.returncode == 2
    assert "pip install 'mimecast-soar[sim]'" in sim.stderr
    assert "Traceback" not in sim.stderr

    wrote = run(cli, "devo", "bundle", tmp_path / "bundle")
    assert wrote.returncode == 0, wrote.stderr
    out = tmp_path / "bundle"
    names = {w.name.split("-")[0].lower() for w in (out / "wheels").glob("*.whl")}
    assert {"mimecast_soar", "aiohttp", "aiohttp_socks", "orjson", "lhub_integ", "click"} <= names
    assert not names & {"starlette", "uvicorn", "uvloop", "httptools", "rich", "pygments"}
    assert "httpx" not in names  # only the tests use it
    assert any(w.name.startswith("Click-7.0") for w in (out / "wheels").iterdir())

    platform = tmp_path / "platform-env"
    venv.create(platform, with_pip=True)
    python = platform / "bin" / "python"
    offline = run(
        python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
        "--find-links", out / "wheels", "-r", out / "requirements.txt", SDK_REQUIREMENT,
    )  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    assert run(python, "-m", "pip", "check").returncode == 0
    completed = run(python, "-m", "lhub_integ.generate_metadata", cwd=out)
    descriptor = sdk_result(completed.stdout)
    assert descriptor["ok"] is True
    assert len(descriptor["actions"]) == len(ACTIONS)


@pytest.mark.lhub
def test_the_sdk_validates_every_entrypoint_with_its_required_inputs(
    lhub_python: Path, bundle_dir: Path
) -> None:
    spec = ACTIONS[1]  # reject_message: three required columns
    env = {f"___{i.id}": "col" for i in spec.inputs if i.kind is not InputKind.PARAM}
    run = run_sdk(["lhub_integ.shim_validate", "-e", f"mimecast.{spec.id}"], bundle_dir, env, None)
    assert (run.returncode, sdk_result(run.stdout)) == (0, {})
    del env["___message_column"]
    run = run_sdk(["lhub_integ.shim_validate", "-e", f"mimecast.{spec.id}"], bundle_dir, env, None)
    assert run.returncode != 0
    assert [e["inputId"] for e in sdk_result(run.stdout)["errors"]] == ["___message_column"]
