"""Writing the integration folder the platform loads: the module, requirements and wheels.

    OUT_DIR/
        mimecast.py          the generated module (codegen): name, description, every action
        requirements.txt     `mimecast-soar==<version>`, the one requirement the module has
        wheels/              our wheel and the wheels of its dependencies (unless --no-wheels)
        README.txt           the Python version needed and how to install offline

`wheels/` is what the SDK's `bundle-requirements` produces with `pip wheel -r requirements.txt`;
since our package is not on an index, our wheel is built from the source tree first
(`pip wheel --no-deps`), then the dependencies are fetched into the same folder (pip's cache
makes that offline after the first time). They are resolved together with the SDK itself
(`lhub-integ==1.0.14`, whose wheels land there too), so the folder never holds a version the SDK
excludes: uvicorn alone would pick click 8, the SDK pins click below 7.1. The platform installs with
`pip install --no-index --find-links wheels -r requirements.txt`. The wheels are built for the
Python running this command: build the bundle with the platform's Python version.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mimecast_soar.devo.codegen import MODULE_NAME, REQUIRED_PYTHON, render_module
from mimecast_soar.errors import ConfigurationError

PACKAGE = "mimecast-soar"
#: The platform SDK the wheels are resolved with (docs/devo-runtime-contract.md §5).
SDK_REQUIREMENT = "lhub-integ==1.0.14"

Runner = Callable[[Sequence[str]], None]


@dataclass(frozen=True)
class BundleResult:
    """What `write_bundle` wrote."""

    folder: Path
    module: Path
    wheels: tuple[Path, ...]


def _package_version() -> str:
    from mimecast_soar import __version__

    return __version__


def source_root() -> Path | None:
    """The source checkout this package runs from (the folder with pyproject.toml), if any."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "mimecast_soar").is_dir():
            return parent
    return None


def _run_pip(arguments: Sequence[str]) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-5:])
        raise ConfigurationError(f"pip {arguments[0]} failed:\n{tail}")


def _readme(version: str) -> str:
    needed = ".".join(map(str, REQUIRED_PYTHON))
    return (
        f"Mimecast integration for Devo SOAR, generated from mimecast-soar {version}.\n\n"
        f"Requires Python >= {needed} (the module checks it at import) and the SDK lhub-integ.\n"
        "Install offline:  pip install --no-index --find-links wheels -r requirements.txt\n"
        f"Entrypoints: {MODULE_NAME}.<action id>, e.g. {MODULE_NAME}.get_hold_message_list\n"
    )


def write_bundle(
    out_dir: str | Path,
    *,
    wheels: bool = True,
    own_wheel_only: bool = False,
    run_pip: Runner = _run_pip,
) -> BundleResult:
    """Write the integration folder into `out_dir` (created if needed; our files overwritten).

    `wheels=False` skips the wheel step (fast; for a platform that installs the package some
    other way). `own_wheel_only` builds our wheel but fetches no dependency.
    """
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise ConfigurationError(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.py"):
        if stale.name != f"{MODULE_NAME}.py":
            # The SDK imports every .py file of the folder: leftovers would be imported too.
            raise ConfigurationError(
                f"{folder} holds {stale.name}; the platform would import it: use an empty folder"
            )
    version = _package_version()
    module = folder / f"{MODULE_NAME}.py"
    module.write_text(render_module(version), encoding="utf-8")
    (folder / "requirements.txt").write_text(f"{PACKAGE}=={version}\n", encoding="utf-8")
    (folder / "README.txt").write_text(_readme(version), encoding="utf-8")
    built: tuple[Path, ...] = ()
    if wheels:
        built = _build_wheels(folder / "wheels", version, own_wheel_only, run_pip)
    return BundleResult(folder, module, built)


def _build_wheels(
    target: Path, version: str, own_wheel_only: bool, run_pip: Runner
) -> tuple[Path, ...]:
    root = source_root()
    if root is None:
        raise ConfigurationError(
            "building wheels needs the mimecast-soar source tree (pyproject.toml); run from a "
            "checkout, or pass --no-wheels"
        )
    target.mkdir(exist_ok=True)
    run_pip(["wheel", "--quiet", "--no-deps", "--wheel-dir", str(target), str(root)])
    ours = sorted(target.glob(f"mimecast_soar-{version}-*.whl"))
    if not ours:
        raise ConfigurationError(f"pip wheel did not produce a mimecast-soar {version} wheel")
    if not own_wheel_only:
        run_pip(["wheel", "--quiet", "--wheel-dir", str(target), str(ours[-1]), SDK_REQUIREMENT])
    return tuple(sorted(target.glob("*.whl")))
