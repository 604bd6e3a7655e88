"""The tree shows the pipeline, and imports only go down it (issue #15 item 1).

Layers, lowest first: ``adcalc/errors.py`` (the base every layer reports through) → ``rules``
(the primitive registry: no language needed, only numbers) → ``language`` (text → IR; it reads
the registry for the names and arities of built-in functions) → ``transform`` (the interpreter
and its modes, the recorder) → ``ops`` (drivers and operations) → ``present`` (tables, JSON,
traces, streams) → ``front`` (command line, REPL, the one-shot fast path) and ``adcalc.api``
(the public surface).  A module may import its own layer and lower ones, never a higher one, and
never another module's ``_private`` names.  Each subpackage's docstring says what lives there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import adcalc

PACKAGE = Path(adcalc.__file__).resolve().parent
LAYERS = {"errors": 0, "grammar": 0, "rules": 1, "language": 2, "transform": 3, "ops": 4, "present": 5,
          "front": 6, "api": 6, "__init__": 7, "__main__": 7}
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"] or ["__init__"]
        out["adcalc." + ".".join(parts)] = path
    return out


def _layer(module: str) -> int:
    head = module.split(".")[1] if module.count(".") else "__init__"
    return LAYERS[head]


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("adcalc")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("adcalc"):
                names = [a.name for a in node.names]
                if target == "adcalc" or target in _modules() and _modules()[target].name == "__init__.py":
                    found += [(f"{target}.{n}", [], node.lineno) for n in names if f"{target}.{n}" in _modules()]
                    names = [n for n in names if f"{target}.{n}" not in _modules()]
                found.append((target, names, node.lineno))
    return found


def test_imports_only_go_down_the_layers() -> None:
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        for target, _, line in _imports(module, path):
            if target == "adcalc":
                continue
            if _layer(target) > _layer(module):
                wrong.append(f"{module}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_another_modules_private_names() -> None:
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        for target, names, line in _imports(module, path):
            if target != module and any(n.startswith("_") and not n.startswith("__") for n in names):
                wrong.append(f"{module}:{line} imports {[n for n in names if n.startswith('_')]} from {target}")
    assert not wrong, "\n".join(wrong)


def test_every_subpackage_says_what_lives_there() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, init


def test_no_module_is_over_the_size_limit() -> None:
    big = [f"{p.relative_to(PACKAGE)}: {n}" for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not big, big
