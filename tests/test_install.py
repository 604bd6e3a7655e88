"""The grammar ships inside the wheel: adcalc works from any directory once installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import adcalc
from adcalc.language.parser import grammar_text

REPO = Path(__file__).resolve().parent.parent


def test_grammar_is_package_data() -> None:
    from importlib import resources

    from adcalc.language.parser import grammar_path

    path = resources.files("adcalc.grammar").joinpath("adcalc.lark")
    assert path.is_file() and "start:" in grammar_text()
    assert grammar_path().read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_works_from_another_directory(tmp_path: Path) -> None:
    code = "import adcalc; print(adcalc.grad('x^2', {'x': 3.0}).gradient['x'])"
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "6.0"


def test_parser_works_without_a_writable_cache(tmp_path: Path) -> None:
    # A regular file where the cache directory should go: no cache can be made, even by root.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    code = "import adcalc; print(adcalc.evaluate('1 + 2').value)"
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "XDG_CACHE_HOME": str(blocker / "cache"), "HOME": str(blocker)})
    assert p.returncode == 0 and p.stdout.strip() == "3.0" and not p.stderr


def test_installed_copy_is_not_the_source_tree() -> None:
    """In CI the package under test is the installed, non-editable copy (a file missing from
    the wheel, like the grammar, must fail here rather than on a user's machine)."""
    if not os.environ.get("CI"):
        pytest.skip("the development run uses the editable install; .ci/run sets CI=1")
    installed = Path(adcalc.__file__).resolve()
    assert REPO not in installed.parents, installed
    assert "site-packages" in str(installed)


def test_every_subpackage_is_in_the_wheel() -> None:
    """pyproject's package list names every directory of the source tree that holds an
    ``__init__.py`` (a new subpackage left out of it would be missing from the wheel)."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "adcalc").rglob("__init__.py")}
    assert listed == on_disk


def test_python_m_adcalc_from_a_checkout_reads_the_same_grammar() -> None:
    """``python -m adcalc`` run inside the source tree imports the tree itself, not the installed
    copy: the grammar must be found there too (it lives inside the package, not beside it)."""
    p = subprocess.run([sys.executable, "-m", "adcalc", "grad", "x^2", "--at", "x=3", "--json"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"value": 9.0, "gradient": {"x": 6.0}}
