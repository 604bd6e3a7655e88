"""Record the golden outputs: ``python tests/golden/record.py`` rewrites ``outputs*.json``.

Every command of ``commands.py`` is run through the real entry point (the ``adcalc`` console
script's target, ``adcalc.front.fast.quickcli.main`` today: its fast path for simple ``eval``/``grad`` and the
full command line for the rest), in this process, with standard input/output/error replaced by
in-memory UTF-8 streams (no terminal), ``COLUMNS=120`` and the repository as the working
directory.  What is recorded per command: argv, stdin, exit status, stdout and stderr, exactly,
except for the timings of ``adcalc run`` (see ``mask``).

Options:
  --verify-subprocess   also run every command in a real ``adcalc`` process (as many at a
                        time as there are CPUs) and report any command whose output differs from the
                        in-process run (nothing is written then if any differs)
  --check               record into memory and compare with the stored files (no writing)

The test (``tests/test_golden.py``) imports ``run_command``, ``mask``, ``load_outputs`` and
``entries_differ`` from here, so recording and replaying are the same code.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUTPUT_STEM = "outputs"  # outputs.json, or outputs-1.json, outputs-2.json, … when it would be large
MAX_FILE_BYTES = 3_000_000
ENV = {"COLUMNS": "120"}
# Variables that change how adcalc (Rich, NumPy, Python) writes: removed for the recording and the replay.
ENV_REMOVED = ("NO_COLOR", "FORCE_COLOR", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
               "PYTHONIOENCODING", "TERM", "CLICOLOR_FORCE", "PYTHONWARNINGS")


def _load(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def load_commands() -> list[dict[str, Any]]:
    """The command list of ``commands.py`` (each a dict: group, argv, and stdin or stdin_b64)."""
    return _load("golden_commands", HERE / "commands.py").commands()


# ---- masking -------------------------------------------------------------------------------

# ``adcalc run``'s table: the last column ("time", right-aligned, at least 9 characters wide so
# that the layout never depends on timings) holds "12.3 ms", "12.3 s" or "12345 s".
_TIME_CELL = re.compile(r"(?m)(?<=\S) {2,}(?:\d+\.\d ms|\d+\.\d s|\d+ s)$")
# ``adcalc run --json``: every JSON line has "seconds": <number>.
_SECONDS = re.compile(r'"seconds": [0-9.eE+-]+')


def mask(argv: list[str], text: str) -> str:
    """Hide what varies from run to run: the wall-clock timings of ``adcalc run`` (its table's
    "time" column becomes ``<time>``, right-aligned in the same width; its JSON's ``"seconds"``
    becomes 0).  Applied to stdout and stderr of ``run`` commands only, both when recording and
    when comparing; every other byte is compared as printed."""
    if not argv or argv[0] != "run":
        return text
    text = _TIME_CELL.sub(lambda m: "<time>".rjust(len(m.group())), text)
    return _SECONDS.sub('"seconds": 0', text)


# ---- running -------------------------------------------------------------------------------

def entry_point() -> Callable[[list[str]], int]:
    """The function the installed ``adcalc`` command calls (from the package's metadata, so a
    moved entry point is followed), else ``adcalc.front.fast.quickcli.main``."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="console_scripts", name="adcalc"):
        with contextlib.suppress(ImportError, AttributeError):
            return ep.load()
    from adcalc.front.fast.quickcli import main

    return main


def stdin_bytes(command: dict[str, Any]) -> bytes | None:
    if command.get("stdin_b64") is not None:
        return base64.b64decode(command["stdin_b64"])
    if command.get("stdin") is not None:
        return command["stdin"].encode("utf-8")
    return None


@contextlib.contextmanager
def environment() -> Iterator[None]:
    """COLUMNS=120, no variable that changes the output, the repository as working directory."""
    saved = dict(os.environ)
    cwd = os.getcwd()
    try:
        for k in ENV_REMOVED:
            os.environ.pop(k, None)
        os.environ.update(ENV)
        os.chdir(REPO)
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict", newline=None)


def run_command(command: dict[str, Any], main: Callable[[list[str]], int] | None = None) -> dict[str, Any]:
    """Run one command in this process (inside ``environment()``); its exit status, stdout and
    stderr (masked), and the Python warnings it raised (there must be none: a warning would be
    printed by a real process, with a path in it)."""
    main = main or entry_point()
    argv = list(command["argv"])
    data = stdin_bytes(command)
    stdin = _stream(data or b"")
    stdout, stderr = _stream(), _stream()
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv
    sys.stdin, sys.stdout, sys.stderr, sys.argv = stdin, stdout, stderr, ["adcalc", *argv]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                status = main(argv)
            except SystemExit as e:  # argparse: --help, --version, usage errors
                status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            stdout.flush()
            stderr.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
    out = stdout.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    err = stderr.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    result = {"status": status, "stdout": mask(argv, out), "stderr": mask(argv, err)}
    if caught:
        result["python_warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    return result


def adcalc_command() -> list[str]:
    """The installed ``adcalc`` script beside this Python, else ``python -m adcalc``."""
    script = Path(sys.executable).parent / ("adcalc.exe" if os.name == "nt" else "adcalc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adcalc"]


def run_subprocess(command: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Run one command as a real process (the ``adcalc`` script), with the same environment
    rules; stdout/stderr are pipes, so no terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_REMOVED}
    env.update(ENV)
    env["PYTHONIOENCODING"] = "utf-8"  # as the in-memory streams (and any UTF-8 locale)
    p = subprocess.run([*adcalc_command(), *command["argv"]], input=stdin_bytes(command) or b"",
                       capture_output=True, env=env, cwd=REPO, timeout=timeout)
    argv = command["argv"]
    return {"status": p.returncode, "stdout": mask(argv, p.stdout.decode("utf-8")),
            "stderr": mask(argv, p.stderr.decode("utf-8"))}


def run_all(commands: list[dict[str, Any]], progress: bool = False) -> list[dict[str, Any]]:
    main = entry_point()
    entries = []
    with environment():
        for i, c in enumerate(commands):
            if progress and i % 100 == 0:
                print(f"  {i}/{len(commands)}", file=sys.__stderr__, flush=True)
            entries.append({**c, **run_command(c, main)})
    return entries


# ---- stored files ----------------------------------------------------------------------------

def output_files() -> list[Path]:
    single = HERE / f"{OUTPUT_STEM}.json"
    parts = sorted(HERE.glob(f"{OUTPUT_STEM}-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return ([single] if single.exists() else []) + parts


def load_outputs() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in output_files():
        entries.extend(json.loads(path.read_text(encoding="utf-8"))["entries"])
    return entries


def _dump(entries: list[dict[str, Any]], part: int, parts: int) -> str:
    header = {"about": "golden outputs of adcalc commands; regenerate with: python tests/golden/record.py",
              "part": part, "parts": parts, "entries": entries}
    return json.dumps(header, ensure_ascii=False, indent=1) + "\n"


def write_outputs(entries: list[dict[str, Any]]) -> list[Path]:
    """One file while it stays under MAX_FILE_BYTES, else consecutive parts of about that size."""
    for old in output_files():
        old.unlink()
    text = _dump(entries, 1, 1)
    if len(text.encode("utf-8")) <= MAX_FILE_BYTES:
        path = HERE / f"{OUTPUT_STEM}.json"
        path.write_text(text, encoding="utf-8")
        return [path]
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for e in entries:
        n = len(json.dumps(e, ensure_ascii=False, indent=1).encode("utf-8"))
        if chunks[-1] and size + n > MAX_FILE_BYTES * 0.9:
            chunks.append([])
            size = 0
        chunks[-1].append(e)
        size += n
    paths = []
    for i, chunk in enumerate(chunks, 1):
        path = HERE / f"{OUTPUT_STEM}-{i}.json"
        path.write_text(_dump(chunk, i, len(chunks)), encoding="utf-8")
        paths.append(path)
    return paths


# ---- comparing -------------------------------------------------------------------------------

def describe(entry: dict[str, Any]) -> str:
    """The command as a shell line (with its standard input, if any)."""
    import shlex

    line = "adcalc " + " ".join(shlex.quote(a) for a in entry["argv"])
    data = stdin_bytes(entry)
    if data is not None:
        line += f"   <<< {data!r}"[:400]
    return line


def entries_differ(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
    """None when status, stdout and stderr are identical (and no Python warning was raised),
    else a readable report: the command, then for each part that differs the expected and the
    actual text and a unified diff."""
    parts = []
    if got.get("python_warnings"):
        parts.append(f"Python warnings were raised: {got['python_warnings']}")
    if expected["status"] != got["status"]:
        parts.append(f"exit status: expected {expected['status']}, got {got['status']}")
    for stream in ("stdout", "stderr"):
        a, b = expected[stream], got[stream]
        if a == b:
            continue
        diff = "".join(difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                            f"expected {stream}", f"actual {stream}", n=2))
        if not diff.endswith("\n"):
            diff += "\n"
        if len(diff) > 6000:
            diff = diff[:6000] + "… (diff cut)\n"
        parts.append(f"{stream} differs ({len(a)} chars expected, {len(b)} got):\n"
                     f"--- expected {stream} ---\n{_cut(a)}--- actual {stream} ---\n{_cut(b)}"
                     f"--- unified diff ---\n{diff}")
    if not parts:
        return None
    return f"[{expected.get('group', '?')} #{expected.get('id', '?')}] {describe(expected)}\n" + "\n".join(parts)


def _cut(text: str, limit: int = 2500) -> str:
    text = text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more chars)"
    return text if text.endswith("\n") else text + "⏎(no newline at end)\n"


# ---- main ----------------------------------------------------------------------------------

def _verify_subprocess(entries: list[dict[str, Any]]) -> int:
    from concurrent.futures import ThreadPoolExecutor

    print(f"running {len(entries)} commands in real processes …", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(run_subprocess, entries))
    bad = 0
    for e, r in zip(entries, results):
        report = entries_differ(e, r)
        if report:
            bad += 1
            if bad <= 10:
                print(report, file=sys.stderr)
    print(f"in-process vs subprocess: {len(entries) - bad} identical, {bad} differ", file=sys.stderr)
    return bad


def main(args: list[str]) -> int:
    _load("golden_commands", HERE / "commands.py").write_program_files()
    commands = load_commands()
    entries = run_all(commands, progress=True)
    warned = [e for e in entries if e.get("python_warnings")]
    for e in warned:
        print(f"Python warning in {describe(e)}: {e['python_warnings']}", file=sys.stderr)
    if warned:
        return 1
    if "--check" in args:
        stored = load_outputs()
        bad = [r for r in (entries_differ(s, e) for s, e in zip(stored, entries)) if r]
        print(f"{len(entries)} commands, {len(stored)} stored, {len(bad)} differ", file=sys.stderr)
        for r in bad[:5]:
            print(r, file=sys.stderr)
        return 1 if bad or len(stored) != len(entries) else 0
    if "--verify-subprocess" in args and _verify_subprocess(entries):
        return 1
    paths = write_outputs(entries)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["group"]] = counts.get(e["group"], 0) + 1
    print(f"recorded {len(entries)} commands: " + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)
    for p in paths:
        print(f"  {p.relative_to(REPO)}: {p.stat().st_size:,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
