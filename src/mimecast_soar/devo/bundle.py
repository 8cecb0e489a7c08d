"""Writing the integration folder the platform loads: the module, requirements and wheels.

    OUT_DIR/
        mimecast.py          the generated module (codegen): name, description, every action
        requirements.txt     `mimecast-soar==<version>`, the one requirement the module has
        wheels/              our wheel and the wheels of its dependencies (unless --no-wheels)
        README.txt           the Python version needed and how to install offline

`wheels/` is what the SDK's `bundle-requirements` produces with `pip wheel -r requirements.txt`;
since our package is not on an index, our wheel is built first: from the source tree
(`pip wheel --no-deps`) in a checkout, or re-packed from the installed distribution when the
package was installed from a wheel. Then the dependencies are fetched into the same folder (pip's
cache makes that offline after the first time). Only the integration's own dependencies go in:
the simulator's web server and rich are extras (`sim`, `terminal`) that the platform never runs.
They are resolved together with the SDK itself (`lhub-integ==1.0.14`, whose wheels land there
too), so the folder never holds a version the SDK excludes (it pins click below 7.1). The
platform installs with
`pip install --no-index --find-links wheels -r requirements.txt`. Compiled wheels are for the
Python running this command unless `--python-version X.Y [--platform TAG]` names the platform's
interpreter: the releases are still resolved here, and each compiled wheel is then fetched again
for the target (`retarget_wheels`), or the command says which release has no such wheel.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
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


def _readme(version: str, target_python: TargetPython | None) -> str:
    needed = ".".join(map(str, REQUIRED_PYTHON))
    built_for = (
        target_python.describe()
        if target_python is not None
        else f"Python {sys.version_info.major}.{sys.version_info.minor} on this build machine"
    )
    return (
        f"Mimecast integration for Devo SOAR, generated from mimecast-soar {version}.\n\n"
        f"Requires Python >= {needed} (the module checks it at import) and the SDK lhub-integ.\n"
        f"The compiled wheels in wheels/ are for {built_for}: other interpreters need a bundle\n"
        "built with `mimecast-soar devo bundle OUT --python-version X.Y [--platform TAG]`.\n"
        "Install offline:  pip install --no-index --find-links wheels -r requirements.txt\n"
        f"Entrypoints: {MODULE_NAME}.<action id>, e.g. {MODULE_NAME}.get_hold_message_list\n"
    )


def write_bundle(
    out_dir: str | Path,
    *,
    wheels: bool = True,
    own_wheel_only: bool = False,
    target_python: TargetPython | None = None,
    run_pip: Runner = _run_pip,
) -> BundleResult:
    """Write the integration folder into `out_dir` (created if needed; our files overwritten).

    `wheels=False` skips the wheel step (fast; for a platform that installs the package some
    other way). `own_wheel_only` builds our wheel but fetches no dependency. `target_python`
    fetches the compiled wheels for the platform's interpreter instead of this one.
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
    (folder / "README.txt").write_text(_readme(version, target_python), encoding="utf-8")
    built: tuple[Path, ...] = ()
    if wheels:
        built = _build_wheels(folder / "wheels", version, own_wheel_only, run_pip, target_python)
    return BundleResult(folder, module, built)


def _build_wheels(
    target: Path,
    version: str,
    own_wheel_only: bool,
    run_pip: Runner,
    target_python: TargetPython | None,
) -> tuple[Path, ...]:
    target.mkdir(exist_ok=True)
    ours = build_own_wheel(target, version, source_root(), run_pip)
    if not own_wheel_only:
        run_pip(["wheel", "--quiet", "--wheel-dir", str(target), str(ours), SDK_REQUIREMENT])
        if target_python is not None:
            retarget_wheels(target, target_python, run_pip)
    return tuple(sorted(target.glob("*.whl")))


def build_own_wheel(target: Path, version: str, root: Path | None, run_pip: Runner) -> Path:
    """Our wheel in `target`: built from the source tree `root` when there is one, else
    re-packed from the installed distribution (a package installed from a wheel)."""
    if root is not None:
        run_pip(["wheel", "--quiet", "--no-deps", "--wheel-dir", str(target), str(root)])
        built = sorted(target.glob(f"mimecast_soar-{version}-*.whl"))
        if not built:
            raise ConfigurationError(f"pip wheel did not produce a mimecast-soar {version} wheel")
        return built[-1]
    return repack_installed(target, version)


def _parse_wheel_name(path: Path) -> tuple[str, str, str, str]:
    """(name, version, abi tag, platform tag) of a wheel file name (PEP 427)."""
    parts = path.name[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise ConfigurationError(f"{path.name} is not a wheel file name")
    return parts[0], parts[1], parts[-2], parts[-1]


def retarget_wheels(folder: Path, target_python: TargetPython, run_pip: Runner) -> None:
    """Replace every compiled wheel in `folder` by the same release built for `target_python`.

    The set of releases is resolved on this interpreter (some of the SDK's dependencies exist
    only as source, and pip resolves those for another Python only by building them here); pure
    wheels (``none-any``) serve any Python 3, compiled ones are fetched again for the target.
    A release that has no binary wheel for the target is a `ConfigurationError` naming it.
    """
    for wheel in sorted(folder.glob("*.whl")):
        name, version, abi, platform = _parse_wheel_name(wheel)
        if abi == "none" and platform == "any":
            continue
        wheel.unlink()
        try:
            run_pip(
                [
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--only-binary=:all:",
                    *target_python.pip_options(),
                    "--dest",
                    str(folder),
                    f"{name}=={version}",
                ]
            )
        except ConfigurationError as error:
            raise ConfigurationError(
                f"no binary wheel of {name} {version} for {target_python.describe()}; build the "
                "bundle with the platform's own Python (without --python-version), or on a "
                f"machine of its kind. pip said: {str(error).strip().splitlines()[-1]}"
            ) from None


@dataclass(frozen=True)
class TargetPython:
    """The interpreter the bundle is for: ``3.12``, optionally a platform tag."""

    version: str
    platform: str | None = None

    def __post_init__(self) -> None:
        parts = self.version.split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ConfigurationError(
                f"--python-version takes X.Y, e.g. 3.12 (got {self.version!r})"
            )
        if tuple(int(p) for p in parts) < REQUIRED_PYTHON:
            needed = ".".join(map(str, REQUIRED_PYTHON))
            raise ConfigurationError(f"the integration needs Python >= {needed}")

    def pip_options(self) -> list[str]:
        """pip's options that select wheels for this interpreter."""
        options = ["--python-version", self.version, "--implementation", "cp"]
        if self.platform:
            options += ["--platform", self.platform]
        return options

    def describe(self) -> str:
        """``Python 3.12 on manylinux2014_x86_64`` (or this machine's platform)."""
        where = self.platform or "this machine's platform"
        return f"Python {self.version} on {where}"


_NOT_PACKED = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def repack_installed(target: Path, version: str) -> Path:
    """A wheel of the installed mimecast-soar distribution, written into `target`.

    Used when the package was installed from a wheel, so no source tree is at hand: its files
    and metadata are zipped again with a fresh RECORD (the installer's own bookkeeping files
    and compiled bytecode are left out).
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(PACKAGE)
    except PackageNotFoundError:
        raise ConfigurationError(
            "mimecast-soar is neither installed nor run from its source tree"
        ) from None
    files = [f for f in dist.files or () if _packable(f.parts)]
    if not any(f.parts[0] == "mimecast_soar" for f in files):
        raise ConfigurationError(
            "the installed mimecast-soar has no package files to re-pack (an editable install "
            "without its source tree?): reinstall it from a wheel, or run from a checkout"
        )
    dist_info = f"mimecast_soar-{version}.dist-info"
    wheel_path = target / f"mimecast_soar-{version}-py3-none-any.whl"
    records: list[str] = []
    with zipfile.ZipFile(wheel_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(files, key=lambda f: (f.parts[0].endswith(".dist-info"), str(f))):
            data = Path(str(item.locate())).read_bytes()
            name = "/".join(item.parts)
            archive.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{name},sha256={digest.decode()},{len(data)}")
        records.append(f"{dist_info}/RECORD,,")
        archive.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return wheel_path


def _packable(parts: tuple[str, ...]) -> bool:
    if not parts or parts[0].startswith("..") or "__pycache__" in parts:
        return False
    if parts[-1].endswith(".pyc"):
        return False
    if parts[0].endswith(".dist-info"):
        return parts[-1] not in _NOT_PACKED
    return parts[0] == "mimecast_soar"
