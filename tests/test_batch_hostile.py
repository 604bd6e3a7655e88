"""adcalc run against hostile batches, through the real command (a subprocess): limits reach every
file, a slow file times out alone, interrupts keep what finished, --jobs changes nothing but the
timings, bad directives and odd directory entries are error rows — never a traceback or a hang."""

from __future__ import annotations

import errno
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adcalc.errors import AdcalcError, Span

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
CWD = tempfile.gettempdir()
GOOD = "# a cubic\n# @at x=2\n# @expect value = 8\n# @expect d/dx = 3*x^2\nx^3\n"
ENDLESS = "# @at x=1\nwhile x > 0:\n    x = x + 1\nreturn x\n"  # stopped only by a limit or a signal
TIME = re.compile(r" *\d+(\.\d+)? m?s *$")  # the time column, at the end of a row's first line


def adcalc_run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """``adcalc run ARGS`` in a subprocess; never a traceback, never an internal error."""
    p = subprocess.run([sys.executable, "-m", "adcalc", "run", *args], capture_output=True, timeout=timeout, cwd=CWD,
                       env={**os.environ, "COLUMNS": "200"})
    p.stdout, p.stderr = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in p.stdout + p.stderr and "internal error" not in p.stderr, p.stdout + p.stderr
    return p


def records(p: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in p.stdout.splitlines()]


def start(*args: str) -> subprocess.Popen:
    """``adcalc run ARGS`` running in the background, in its own process group, with Ctrl-C live."""
    return subprocess.Popen([sys.executable, "-m", "adcalc", "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=CWD, env={**os.environ, "COLUMNS": "200"},
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def writer_once_read(fifo: Path, proc: subprocess.Popen) -> int:
    """Open ``fifo`` for writing as soon as the run has opened it for reading (it then waits for
    data that never comes: the run is stuck there until a signal)."""
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)  # a short pause between polls


def wait_until_blocked_reading(pid: int, fifo: Path) -> None:
    """Wait until process ``pid`` has ``fifo`` open and sleeps (in its read), so that a signal
    interrupts the read.  (One landing in the instant before a blocking read begins is noticed by
    Python only when the read returns — here, at the file's --timeout.)  Linux's /proc only."""
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return
    while True:
        fds = {os.path.realpath(f) for f in (proc / "fd").iterdir()}
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if os.path.realpath(fifo) in fds and state == "S":
            return
        time.sleep(0.01)


def nobody_reads(wfd: int) -> bool:
    """True when no process has the FIFO open for reading any more (so a worker reading it is gone)."""
    try:
        os.write(wfd, b"x")
    except BrokenPipeError:
        return True
    finally:
        os.close(wfd)
    return False


# ---- item 8: the limits reach every file and every expectation --------------------------------

def test_max_steps_applies_to_each_file(tmp_path: Path) -> None:
    f = tmp_path / "loop.ad"
    f.write_text("# @at n=5000\n# @expect value = n\ns = 0\nfor i in range(n):\n    s = s + 1\nreturn s\n")
    assert adcalc_run(str(f)).returncode == 0
    p = adcalc_run(str(f), "--max-steps", "1000", "--json")
    (rec,) = records(p)
    assert p.returncode == 1 and rec["error"]["kind"] == "limit" and "(1,000)" in rec["error"]["message"]


def test_max_depth_can_be_raised_and_lowered(tmp_path: Path) -> None:
    f = tmp_path / "deep.ad"
    f.write_text("# @at n=1500\n# @expect value = n\ndef down(k):\n    if k <= 0:\n        return 0\n"
                 "    return 1 + down(k - 1)\nreturn down(n)\n")
    p = adcalc_run(str(f))
    assert p.returncode == 1 and "nested more than 1,000 deep" in p.stdout
    assert adcalc_run(str(f), "--max-depth", "3000").returncode == 0


def test_strict_turns_log_of_zero_into_an_error(tmp_path: Path) -> None:
    f = tmp_path / "log0.ad"
    f.write_text("# @at x=0\n# @expect value = log(0)\nlog(x)\n")
    assert adcalc_run(str(f)).returncode == 0
    p = adcalc_run(str(f), "--strict", "--json")
    (rec,) = records(p)
    assert p.returncode == 1 and rec["status"] == "error" and rec["error"]["kind"] == "domain"


def test_limits_reach_the_expectations(tmp_path: Path) -> None:
    f = tmp_path / "long_expectation.ad"
    f.write_text("# @at x=1\n# @expect value = " + "+".join(["x"] * 2000) + " - 1999*x\nx\n")
    assert adcalc_run(str(f)).returncode == 0
    p = adcalc_run(str(f), "--max-steps", "1000", "--json")
    (rec,) = records(p)
    assert rec["status"] == "error" and rec["error"]["kind"] == "limit" and rec["error"]["line"] == 2
    assert rec["error"]["message"].startswith("in @expect: ") and rec["value"] == 1.0


# ---- item 9: --timeout, interrupts, --jobs ------------------------------------------------------

def test_a_slow_file_times_out_alone_and_keeps_its_finished_points(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    (tmp_path / "b.ad").write_text("# @at x=-1\n# @at x=1\nwhile x > 0:\n    x = x + 1\nreturn x\n")
    (tmp_path / "c.ad").write_text(GOOD)
    p = adcalc_run(str(tmp_path), "--timeout", "2", "--max-steps", "1000000000", "--json")
    a, b1, b2, c = records(p)
    assert p.returncode == 1 and a["status"] == c["status"] == "pass"
    assert b1["status"] == "ok" and b1["point"] == {"x": -1.0}
    assert b2["status"] == "error" and b2["point"] == {"x": 1.0} and b2["error"]["kind"] == "limit"
    assert "took longer than 2 s" in b2["error"]["message"] and "--timeout" in b2["error"]["hint"]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "abc", "1e7"])
def test_timeout_must_be_a_positive_number(value: str) -> None:
    p = adcalc_run(str(SAMPLES / "horner.ad"), "--timeout", value)
    assert p.returncode == 2 and "--timeout" in p.stderr


def test_jobs_must_be_a_whole_number() -> None:
    assert adcalc_run(str(SAMPLES / "horner.ad"), "--jobs", "0").returncode == 2


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_prints_the_table_of_the_finished_files(tmp_path: Path, sig: int) -> None:
    for name in ("a.ad", "b.ad"):
        (tmp_path / name).write_text(GOOD)
    fifo = tmp_path / "stuck.ad"
    os.mkfifo(fifo)
    proc = start(str(tmp_path / "a.ad"), str(tmp_path / "b.ad"), str(fifo))  # a FIFO named: read like cat
    wfd = writer_once_read(fifo, proc)  # a.ad and b.ad have finished: the run is reading the FIFO
    wait_until_blocked_reading(proc.pid, fifo)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    os.close(wfd)
    assert proc.returncode == 128 + sig, (out, err)
    assert [line.split()[0] for line in out.splitlines() if line.startswith(("a.ad", "b.ad", "stuck"))] == [
        "a.ad", "b.ad"]
    assert "stuck.ad" not in out
    assert out.splitlines()[-1].startswith("interrupted: 2 of 3 files finished, 2 points: 2 passed")
    assert f"interrupted ({signal.Signals(sig).name}): 2 of 3 files finished" in err
    assert "Traceback" not in out + err


def test_json_lines_stream_and_an_interrupt_ends_cleanly_and_kills_the_workers(tmp_path: Path) -> None:
    for name in ("a.ad", "b.ad"):
        (tmp_path / name).write_text(GOOD)
    fifo = tmp_path / "stuck.ad"
    os.mkfifo(fifo)
    proc = start(str(tmp_path / "a.ad"), str(tmp_path / "b.ad"), str(fifo), "--jobs", "2", "--json")
    first = [json.loads(proc.stdout.readline()) for _ in range(2)]  # printed before the run ends
    assert [(r["file"][-4:], r["status"]) for r in first] == [("a.ad", "pass"), ("b.ad", "pass")]
    wfd = writer_once_read(fifo, proc)  # a worker is reading the FIFO
    proc.send_signal(signal.SIGTERM)  # to the parent alone: it must stop its workers itself
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and out == "", (out, err)
    assert "interrupted (SIGTERM): 2 of 3 files finished" in err and "Traceback" not in err
    assert nobody_reads(wfd)  # the worker that was reading the FIFO was killed


def test_ctrl_c_with_workers_prints_no_worker_traceback(tmp_path: Path) -> None:
    fifo = tmp_path / "a_stuck.ad"
    os.mkfifo(fifo)
    for name in ("b.ad", "c.ad"):
        (tmp_path / name).write_text(GOOD)
    proc = start(str(fifo), str(tmp_path / "b.ad"), str(tmp_path / "c.ad"), "--jobs", "2")
    wfd = writer_once_read(fifo, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group, workers included
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    done = int(re.search(r"interrupted: (\d) of 3 files finished", out).group(1))
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("a_stuck", "b.ad", "c.ad"))]
    assert rows == ["b.ad", "c.ad"][:done]  # what finished, in input order; never the stuck file
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert nobody_reads(wfd)


def _hostile_batch(folder: Path) -> None:
    """Samples plus one of each kind of trouble a batch can meet."""
    for f in sorted(SAMPLES.glob("*.ad")):
        shutil.copy(f, folder / f.name)
    (folder / "z_syntax.ad").write_text("# @at x=1\nreturn x +* 2\n")
    (folder / "z_dz.ad").write_text("# @at x=1\n# @expect d/dz = 1\nx^2\n")
    (folder / "z_tol.ad").write_text("# @at x=1\n# @tol nan\nx\n")
    (folder / "z_kink.ad").write_text("# @at x=0\n# @expect value = 0\nabs(x)\n")  # a warning (its site stays home)
    (folder / "z_slow.ad").write_text(ENDLESS)
    (folder / "z_dangling.ad").symlink_to(folder / "nowhere")
    os.mkfifo(folder / "z_fifo.ad")


def test_jobs_give_the_same_results_in_the_same_order(tmp_path: Path) -> None:
    _hostile_batch(tmp_path)
    common = [str(tmp_path), "--timeout", "3", "--max-steps", "1000000000"]
    tables = [adcalc_run(*common, "--jobs", jobs) for jobs in ("1", "3")]
    masked = [[TIME.sub(" T", line) for line in p.stdout.splitlines()] for p in tables]
    assert tables[0].returncode == tables[1].returncode == 1
    assert masked[0] == masked[1]
    assert "36 files, 48 points: 42 passed, 0 ran without expectations, 0 failed, 6 errors" in masked[0]
    # With --trace the endless file meets the trace's row limit (200,000 rows: about a second) — given
    # time enough: at --timeout 3 a loaded machine met the timeout in one run and the row limit in
    # the other, and the records differed (a flaky test, not a bug)
    traced = [str(tmp_path), "--timeout", "120", "--max-steps", "1000000000"]
    lines = [adcalc_run(*traced, "--json", "--trace", "--jobs", jobs) for jobs in ("1", "4")]
    recs = [[{k: v for k, v in r.items() if k != "seconds"} for r in records(p)] for p in lines]
    assert len(recs[0]) == 48 and recs[0] == recs[1]
    assert any(r.get("warnings") for r in recs[1]) and any(r.get("trace") for r in recs[1])


def test_errors_cross_process_boundaries() -> None:
    e = pickle.loads(pickle.dumps(AdcalcError("file", "gone", Span(1, 2, 1, 5), "look")))
    assert (e.kind, e.message, e.span, e.hint) == ("file", "gone", Span(1, 2, 1, 5), "look")


# ---- item 10: bad directives are error rows ------------------------------------------------------

@pytest.mark.parametrize(
    "text,kind,where,words",
    [
        ("# @at x=1\n# @expect d/dz = 1\nx^2\n", "input", (2, 3), "'z' is not an input"),
        ("# @at r=2, t=0\n# @expect d/dz = [1, 2]\n[r*cos(t), r*sin(t)]\n", "input", (2, 3), "'z' is not an input"),
        ("# @at x=1\n# @tol inf\nx\n", "input", (2, 3), "inf is not a tolerance"),
        ("# @at x=1\n# @tol nan\nx\n", "input", (2, 3), "nan is not a tolerance"),
        ("# @at x=1\n# @tol -1e-9\nx\n", "input", (2, 3), "-1e-9 is not a tolerance"),
        ("# @tol 1e999\n# @at x=1\nx\n", "input", (1, 3), "too large"),
        ("# @at x=1\n# @where y=2\nx\n", "syntax", (2, 3), "unknown directive @where"),
        ("# @at x=1\n# @expect value == 1\nx\n", "syntax", (2, 3), None),
    ],
)
def test_a_bad_directive_is_an_error_row_and_the_run_goes_on(tmp_path: Path, text: str, kind: str,
                                                               where: tuple[int, int], words: str | None) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    (tmp_path / "b.ad").write_text(text)
    (tmp_path / "c.ad").write_text(GOOD)
    p = adcalc_run(str(tmp_path), "--json")
    a, b, c = records(p)
    assert p.returncode == 1 and a["status"] == c["status"] == "pass"
    assert b["status"] == "error" and b["error"]["kind"] == kind
    assert (b["error"]["line"], b["error"]["column"]) == where
    assert words is None or words in b["error"]["message"]


def test_tolerance_zero_asks_for_exact_equality(tmp_path: Path) -> None:
    (tmp_path / "exact.ad").write_text("# @at x=3\n# @tol 0\n# @expect value = 9\n# @expect d/dx = 6\nx^2\n")
    (tmp_path / "near.ad").write_text("# @at x=3\n# @expect value = 9 + 1e-14\nx^2\n")
    assert [r["status"] for r in records(adcalc_run(str(tmp_path), "--json"))] == ["pass", "pass"]
    (tmp_path / "near.ad").write_text("# @at x=3\n# @tol 0\n# @expect value = 9 + 1e-14\nx^2\n")
    assert [r["status"] for r in records(adcalc_run(str(tmp_path), "--json"))] == ["pass", "fail"]


def test_the_derivative_of_an_array_input_of_a_vector_program(tmp_path: Path) -> None:
    f = tmp_path / "arrays.ad"
    f.write_text("# @at x=[1, 2], y=3\n# @expect d/dy = [sum(x), 1]\n# @expect d/dx = [[y, y], [0, 0]]\n"
                 "[sum(x)*y, y]\n")
    p = adcalc_run(str(f))
    assert p.returncode == 0 and "2×3 Jacobian" in p.stdout


_NUMBERS = st.sampled_from(["1", "-2.5", "0", "1e999", "-1e999", "9" * 400, "1e-400", "nan", "inf", "-inf", ".5",
                            "１", "0x10", "1_0", ""])
_EXPRESSIONS = st.sampled_from(["x^2", "2*x", "f", "sin(", "[1, 2]", "[[1], [2, 3]]", "y", "1/0", "x == 1", "9^9^9",
                                "log(0)", "'s'", "x.real", "__import__", "sum([])", ""])
_NAMES = st.sampled_from(["x", "y", "z", "f", "_", "x1", "é", "X"])
_GARBAGE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@st.composite
def directive_lines(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(["at", "expect", "tol", "AT", "Expect", "where", "ät", "expect_", "tol" * 30]))
    if word == "at":
        body = ",".join(f"{draw(_NAMES)}={draw(_NUMBERS)}" for _ in range(draw(st.integers(0, 3))))
    elif word == "expect":
        lhs = draw(st.one_of(st.just("value"), _NAMES.map(lambda n: f"d/d{n}"), st.just("d / d x"), _GARBAGE))
        body = f"{lhs} = {draw(_EXPRESSIONS)}"
    elif word == "tol":
        body = draw(_NUMBERS)
    else:
        body = draw(_GARBAGE)
    return f"# @{word} {body}{draw(st.one_of(st.just(''), _GARBAGE))}"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(directive_lines(), min_size=1, max_size=6), min_size=1, max_size=4),
       st.sampled_from(["x^2 + y\n", "[x*y, x]\n", "x\n", "return 1\n"]))
def test_fuzzed_directives_never_escape_and_never_cost_the_other_file(files: list[list[str]], program: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "a_good.ad").write_text(GOOD)
        for i, lines in enumerate(files):
            (folder / f"fuzz{i}.ad").write_text("\n".join(lines) + "\n" + program, encoding="utf-8")
        p = adcalc_run(str(folder), "--json", "--max-steps", "100000", "--timeout", "60")
        assert p.returncode in (0, 1)
        recs = records(p)
        assert recs[0]["file"].endswith("a_good.ad") and recs[0]["status"] == "pass"
        assert {r["file"].rsplit("/", 1)[-1] for r in recs[1:]} == {f"fuzz{i}.ad" for i in range(len(files))}
        assert all(r["status"] in ("pass", "ok", "fail", "error") for r in recs)


# ---- items 21 and 16: links, FIFOs, special files, empty folders -------------------------------

def test_broken_and_looping_links_are_error_rows(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    (tmp_path / "dangling.ad").symlink_to(tmp_path / "nowhere.ad")
    (tmp_path / "loop.ad").symlink_to(tmp_path / "loop.ad")
    (tmp_path / "z.ad").symlink_to(tmp_path / "a.ad")  # a link to a file is run like the file
    for args in ([str(tmp_path)], [str(tmp_path / n) for n in ("a.ad", "dangling.ad", "loop.ad", "z.ad")]):
        p = adcalc_run(*args, "--json")
        a, dangling, loop, z = records(p)
        assert p.returncode == 1 and a["status"] == z["status"] == "pass"
        assert dangling["error"]["kind"] == "file" and "broken symbolic link" in dangling["error"]["message"]
        assert loop["error"]["kind"] == "file" and "symbolic link loop" in loop["error"]["message"]


def test_a_fifo_found_by_a_scan_is_never_opened(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.ad")
    a, pipe = records(adcalc_run(str(tmp_path), "--json", timeout=200))
    assert a["status"] == "pass" and pipe["status"] == "error" and pipe["error"]["kind"] == "file"
    assert pipe["error"]["message"].endswith("pipe.ad is not a regular file (a FIFO), so the scan did not open it")


def test_a_fifo_named_explicitly_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "piped.ad"
    os.mkfifo(fifo)
    proc = start(str(fifo), "--json")
    wfd = writer_once_read(fifo, proc)
    os.set_blocking(wfd, True)
    os.write(wfd, GOOD.encode())
    os.close(wfd)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and json.loads(out)["status"] == "pass", err


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no programs here")
    p = adcalc_run(str(tmp_path))
    assert p.returncode == 1 and f"no .ad files under {tmp_path}" in p.stdout


def test_a_missing_path_is_an_error_row(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    a, missing = records(adcalc_run(str(tmp_path / "a.ad"), str(tmp_path / "gone.ad"), "--json"))
    assert a["status"] == "pass" and missing["status"] == "error" and missing["error"]["kind"] == "file"
    assert "no such file" in missing["error"]["message"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_folder_is_an_error_row(tmp_path: Path) -> None:
    (tmp_path / "a.ad").write_text(GOOD)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        a, err = records(adcalc_run(str(tmp_path), "--json"))
    finally:
        locked.chmod(0o755)
    assert a["status"] == "pass" and "cannot read this directory" in err["error"]["message"]


# ---- item 6: names are shown escaped everywhere ---------------------------------------------------

def test_hostile_file_names_are_escaped_in_the_table_details_and_json(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    for raw in (b"esc\x1b]0;owned\x07.ad", b"caf\xe9.ad"):
        with open(os.path.join(folder, raw), "w") as f:
            f.write("# @at x=1\nreturn x +* 2\n")
    os.symlink(b"nowhere", os.path.join(folder, b"link\x1b[2J.ad"))
    table = subprocess.run([sys.executable, "-m", "adcalc", "run", str(tmp_path)], capture_output=True, cwd=CWD,
                           env={**os.environ, "COLUMNS": "200"}, timeout=120)
    lines = subprocess.run([sys.executable, "-m", "adcalc", "run", str(tmp_path), "--json"], capture_output=True,
                           cwd=CWD, timeout=120)
    for p in (table, lines):
        assert p.returncode == 1 and b"\x1b" not in p.stdout + p.stderr and b"\xe9" not in p.stdout + p.stderr
    assert b"caf\\xe9.ad" in table.stdout and b"esc\\x1b]0;owned\\x07.ad" in table.stdout
    assert b"link\\x1b[2J.ad is a broken symbolic link" in table.stdout
    files = sorted(json.loads(line)["file"].rsplit("/", 1)[-1] for line in lines.stdout.splitlines())
    assert files == ["caf\\xe9.ad", "esc\\x1b]0;owned\\x07.ad", "link\\x1b[2J.ad"]


def test_jobs_fall_back_to_one_at_a_time_when_workers_cannot_start(monkeypatch, capsys) -> None:
    from adcalc.ops import batch, batchpool

    def no_processes(workers: int) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(batchpool, "_new_pool", no_processes)
    targets = batch.find_targets([str(SAMPLES / "horner.ad"), str(SAMPLES / "polar.ad")])
    finished = list(batchpool.run_all(targets, batch.Options(), jobs=2))
    assert [i for i, _ in finished] == [0, 1] and all(o.status == "pass" for _, outs in finished for o in outs)
    assert "cannot start worker processes" in capsys.readouterr().err
