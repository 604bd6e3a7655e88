"""Project rules that a test can enforce: no eval/exec of anything, and ruff-clean code."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import adcalc

PACKAGE = Path(adcalc.__file__).resolve().parent
REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {"eval", "exec", "compile", "__import__"}


# The one place adcalc runs code it did not ship: the module ``adcalc codegen`` generated, after
# adcalc.ops.codegen.safety checked that it holds only what the generator writes.
ALLOWED = {("run.py", "load_module")}


def test_no_eval_exec_compile_or_dynamic_import_in_the_package() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = {}
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                for inner in ast.walk(fn):
                    owner[id(inner)] = fn.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                regex = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "re"
                if ((name in FORBIDDEN and not regex) or name == "import_module") and \
                        (path.name, owner.get(id(node))) not in ALLOWED:
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert offenders == []


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None or not (REPO / "pyproject.toml").exists():
        return
    p = subprocess.run([ruff, "check", "adcalc", "tests", "bench"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
