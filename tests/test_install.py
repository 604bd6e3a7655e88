"""The grammar ships inside the wheel: adcalc works from any directory once installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
        return
    installed = Path(adcalc.__file__).resolve()
    assert REPO not in installed.parents, installed
    assert "site-packages" in str(installed)
