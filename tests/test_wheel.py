"""The package as a user installs it: a wheel built from the repository, installed into a fresh
virtual environment, run from an empty directory outside the checkout."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; returns its bin directory. Dependencies (torch,
    optuna, ...) come from the test's own environment through a .pth path entry, so nothing is
    downloaded; ``nas`` itself comes only from the wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("nas", "search_spaces"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((work / "dist").glob("nas-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    packages = {str(path.parent.relative_to(ROOT)) for path in (ROOT / "nas").rglob("__init__.py")}
    assert {package for package in packages if f"{package}/__init__.py" not in names} == set()
    assert {"nas/search_spaces/tiny.yaml", "nas/search_spaces/efficientnet_b0.yaml"} <= set(names)

    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                              "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    return venv / "bin"


def run_outside(bin_directory: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run([str(bin_directory / args[0]), *args[1:]], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=600)


def test_the_wheel_runs_a_search_from_an_empty_directory(installed, tmp_path):
    origin = run_outside(installed, tmp_path, "python", "-c", "import nas; print(nas.__file__)")
    assert origin.returncode == 0, origin.stderr
    assert Path(origin.stdout.strip()).is_relative_to(installed.parent)  # not the checkout
    result = run_outside(installed, tmp_path, "nas", "search", "--space", "tiny", "--data",
                         "digits", "--epochs", "1", "--trials", "2")
    assert result.returncode == 0, result.stderr
    # the default pipeline: naswot scores 500 candidates and the best is the first trial
    assert "prescreen: scored 500 candidates with naswot; queued the best 1" in result.stderr
    assert (tmp_path / "studies" / "tiny-digits-400M-soft" / "best.yaml").is_file()


def test_the_wheel_lists_its_built_in_spaces(installed, tmp_path):
    result = run_outside(installed, tmp_path, "nas", "search", "--help")
    assert result.returncode == 0, result.stderr
    assert "efficientnet_b0, efficientnetv2, nasbench_macro, tiny" in " ".join(
        result.stdout.split())
