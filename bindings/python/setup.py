"""Build hook of the `ccsdk` package: puts the C ABI library (libcc_ffi) inside the package.

Everything else is declared in pyproject.toml. While building, `build_py` either copies the
library named by the environment variable `CCSDK_LIB` (a prebuilt `libcc_ffi.so`), or runs
`cargo build -p cc-ffi --release --locked` in the Cargo workspace that holds this folder and
copies `<target>/release/libcc_ffi.so`. The wheel is tagged for the platform (the library is
native code) but not for a Python version (the package loads it with ctypes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools with the wheel package
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
LIB_NAME = "libcc_ffi.dylib" if sys.platform == "darwin" else "libcc_ffi.so"


def _workspace_root() -> Path:
    """The nearest folder above this one whose Cargo.toml declares a workspace."""
    for folder in HERE.parents:
        manifest = folder / "Cargo.toml"
        if manifest.is_file() and "[workspace]" in manifest.read_text(encoding="utf-8"):
            return folder
    raise RuntimeError(
        f"no Cargo workspace above {HERE}: build from a checkout of the SDK, "
        "or set CCSDK_LIB to a prebuilt libcc_ffi"
    )


def _library() -> Path:
    prebuilt = os.environ.get("CCSDK_LIB")
    if prebuilt:
        path = Path(prebuilt).resolve()
        if not path.is_file():
            raise RuntimeError(f"CCSDK_LIB={prebuilt} is not a file")
        return path
    root = _workspace_root()
    cargo = os.environ.get("CARGO", "cargo")
    command = [cargo, "build", "-p", "cc-ffi", "--release", "--locked"]
    print("ccsdk: " + " ".join(command), file=sys.stderr, flush=True)
    try:
        subprocess.run(command, cwd=root, check=True)
    except FileNotFoundError:
        raise RuntimeError(
            "cargo not found: install Rust (https://rustup.rs) or set CCSDK_LIB "
            "to a prebuilt libcc_ffi"
        ) from None
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    if not target.is_absolute():
        target = root / target
    path = target / "release" / LIB_NAME
    if not path.is_file():
        raise RuntimeError(f"cargo built cc-ffi but {path} is missing")
    return path


class BuildPyWithLibrary(build_py):
    """`build_py` that also puts libcc_ffi inside the built package."""

    def run(self) -> None:
        super().run()
        destination = Path(self.build_lib) / "ccsdk" / LIB_NAME
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_library(), destination)


class BinaryDistribution(Distribution):
    """Marks the distribution as platform-specific (it ships a native library)."""

    def has_ext_modules(self) -> bool:
        return True


class BdistWheelAnyPython(bdist_wheel):
    """Tags the wheel `py3-none-<platform>`: any Python 3, this platform."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": BdistWheelAnyPython},
    distclass=BinaryDistribution,
)
