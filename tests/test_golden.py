"""Golden outputs: what users see must not change unless we mean it to.

``tests/golden/outputs*.json`` records, for every command of ``tests/golden/commands.py`` (README's
examples, the --help examples and help texts, every sample, ``adcalc run``, a few hundred
generated formulas, programs and array expressions, user errors and REPL sessions), the exit
status, stdout and stderr exactly as the ``adcalc`` command printed them.  This test replays every
command the same way (``record.run_command``: the real entry point, in this process, with
in-memory standard streams and COLUMNS=120) and compares every byte; the only thing masked is
``adcalc run``'s timings (``record.mask``).

After an intended change of output: ``python tests/golden/record.py`` rewrites the recording;
review its diff (``git diff tests/golden``) before committing it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
SHOW = 5  # differing commands shown in full in a failure


def _load_record() -> Any:
    name = "golden_record"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN / "record.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


record = _load_record()
ENTRIES: list[dict[str, Any]] = record.load_outputs()
GROUPS = list(dict.fromkeys(e["group"] for e in ENTRIES))  # in recording order: REPL sessions last
COMMAND_KEYS = ("id", "group", "argv", "stdin", "stdin_b64")


def _command(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in COMMAND_KEYS if k in entry}


def test_the_recording_is_of_the_current_command_list() -> None:
    """commands.py and outputs*.json agree (edit commands.py, then run record.py)."""
    assert ENTRIES, "no recorded outputs: run python tests/golden/record.py"
    commands = record.load_commands()
    recorded = [_command(e) for e in ENTRIES]
    if recorded != commands:
        n = min(len(recorded), len(commands))
        first = next((i for i in range(n) if recorded[i] != commands[i]), n)
        was = recorded[first] if first < len(recorded) else None
        now = commands[first] if first < len(commands) else None
        pytest.fail(f"tests/golden/commands.py lists {len(commands)} commands, the recording {len(recorded)}; "
                    f"the first that differs is #{first}: recorded {was!r}, listed {now!r}.  "
                    "Run python tests/golden/record.py (and review the diff).", pytrace=False)


def _replay(entries: list[dict[str, Any]]) -> list[str]:
    main = record.entry_point()
    reports = []
    with record.environment():
        for e in entries:
            report = record.entries_differ(e, record.run_command(_command(e), main))
            if report:
                reports.append(report)
    return reports


@pytest.mark.parametrize("group", GROUPS)
def test_golden_outputs(group: str) -> None:
    """Every recorded command of the group prints the same stdout and stderr, byte for byte, and
    exits with the same status."""
    entries = [e for e in ENTRIES if e["group"] == group]
    reports = _replay(entries)
    if reports:
        shown = "\n\n".join(reports[:SHOW])
        more = f"\n\n… and {len(reports) - SHOW} more" if len(reports) > SHOW else ""
        pytest.fail(f"{len(reports)} of {len(entries)} '{group}' commands changed what users see "
                    f"(if intended: python tests/golden/record.py, and review git diff tests/golden):\n\n"
                    f"{shown}{more}", pytrace=False)


# A handful of commands run both in this process and as a real `adcalc` process: the in-process
# replay must see exactly what a user sees (the fast path and the full path, a table, a trace,
# JSON, a warning, an error, a usage error, standard input, a REPL session, run's masked table).
SUBPROCESS_CHECKED = [
    ["grad", "exp(2*x1)+x1*x2^2+cos(x2)", "--at", "x1=1,x2=2"],
    ["grad", "sin(x^2+1)", "--at", "x=1.5", "--json"],
    ["grad", "sin(x^2+1)", "--at", "x=1.5", "--trace"],
    ["jacobian", "[r*cos(t), r*sin(t)]", "--at", "r=2,t=0.5"],
    ["grad", "abs(x)", "--at", "x=0"],
    ["eval", "1 + sine(x)", "--at", "x=1"],
    ["eval", "x + 1", "--at", "x=abc"],
    ["frobnicate"],
    ["grad", "-", "--at", "x=2", "--trace"],
    ["repl"],
    ["run", "samples/"],
    ["run", "tests/golden/programs", "--json"],
]


def _subprocess_entries() -> list[dict[str, Any]]:
    picked = []
    for argv in SUBPROCESS_CHECKED:
        entry = next((e for e in ENTRIES if e["argv"] == argv), None)
        assert entry is not None, f"{argv} is not in the recording"
        picked.append(entry)
    return picked


def test_in_process_replay_equals_a_real_process() -> None:
    reports = []
    entries = _subprocess_entries()
    for e in entries:
        with record.environment():
            in_process = record.run_command(_command(e), record.entry_point())
        real = record.run_subprocess(_command(e))
        report = record.entries_differ({**e, **real}, in_process)
        if report:
            reports.append("in-process (actual) vs a real process (expected):\n" + report)
        report = record.entries_differ(e, real)
        if report:
            reports.append("a real process (actual) vs the recording (expected):\n" + report)
    if reports:
        pytest.fail("\n\n".join(reports[:SHOW]), pytrace=False)
