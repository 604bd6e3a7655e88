"""Helpers for the tests of ``adcalc explain``: run the real command, read back the page's data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RUNNING = "exp(2*x1)+x1*x2^2+cos(x2)"  # the seed documents' running example
DATA_OPEN = '<script type="application/json" id="adcalc-data">'


def adcalc(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m adcalc ARGS`` in a real process, in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=180, cwd=cwd)


def explain(tmp: Path, source: str, at: str, *more: str, name: str = "page.html") -> Path:
    """Write the page of ``source`` at ``at`` into ``tmp`` and return its path (the command must succeed)."""
    out = tmp / name
    p = adcalc("explain", source, "--at", at, "-o", str(out), *more, cwd=tmp)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"wrote {out} (") and p.stderr == ""
    return out


def page_data(path: Path) -> dict:
    """The JSON the page carries (exactly what its script parses)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(DATA_OPEN) + len(DATA_OPEN)
    return json.loads(text[start:text.index("</script>", start)])


def json_of(tmp: Path, *args: str) -> dict:
    p = adcalc(*args, "--json", cwd=tmp)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)
