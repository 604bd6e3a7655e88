"""``adcalc explain``'s page in a real browser: Debian's Chromium (``/usr/bin/chromium``) driven by
Playwright for Python (nothing is downloaded at test time).

These tests never skip: without the browser or Playwright they fail and say what to install
(``.ci/run`` installs both).  They open pages written by the real command, check that the page
logs no console error and makes no network request, step with the buttons, the ← → keys and the
slider, answer the quiz right and wrong, compare the numbers shown with ``grad --json`` and
``jvp --json``, and save screenshots of the running example's forward and backward steps
(``ADCALC_SCREENSHOTS=DIR`` also writes them to DIR: ``docs/`` holds the committed pair).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from explainpage import RUNNING, adcalc, explain, json_of

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium "
                    "(.ci/run installs it)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright for Python: pip install '.[test]'", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page of ``adcalc explain`` open in the browser, with what it logged and requested."""

    def __init__(self, browser: object, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.url = path.resolve().as_uri()
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(self.url)

    def step(self) -> str:
        return self.page.text_content("#step")

    def cell(self, node: str, cls: str) -> str:
        return self.page.text_content(f"#row-{node} td.{cls}")

    def clean(self) -> None:
        """No console error or warning, no script error, no dialog, and no request but the page itself."""
        assert self.problems == [] and self.dialogs == []
        assert self.requests == [self.url]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return explain(tmp_path_factory.mktemp("explain"), RUNNING, "x1=1,x2=2")


def test_buttons_keys_and_slider_step_through_both_sweeps(browser: object, running: Path) -> None:
    p = Page(browser, running)
    assert p.step().startswith("Forward sweep · step 1 of 21 · v1\nv1 = x1 = 1")
    assert p.page.is_disabled("#prev")
    for _ in range(6):
        p.page.click("#next")
    assert p.step().startswith("Forward sweep · step 7 of 21 · v7\nv7 = cos(v2) = cos(2) = -0.416146836547")
    assert p.page.get_attribute("#node-v7", "class").split()[-1] == "lit"
    assert "lit" in p.page.get_attribute("#edge-v2-v7-p0", "class")
    p.page.click("#prev")
    assert "step 6 of 21 · v6" in p.step() and "lit" not in p.page.get_attribute("#node-v7", "class")
    p.page.keyboard.press("ArrowRight")
    p.page.keyboard.press("ArrowRight")
    assert "step 8 of 21 · v8" in p.step()
    p.page.keyboard.press("ArrowLeft")
    assert "step 7 of 21 · v7" in p.step()
    p.page.focus("#slider")  # the slider's own keys: End, Home
    p.page.keyboard.press("End")
    assert p.step().startswith("Result · step 21 of 21") and p.page.is_disabled("#next")
    p.page.keyboard.press("Home")
    assert "step 1 of 21 · v1" in p.step()
    p.page.eval_on_selector("#slider", "e => { e.value = '9'; e.dispatchEvent(new Event('input')); }")
    assert p.step().startswith("Backward sweep · step 10 of 21 · v9\nv\u03049 = ȳ = 1")
    p.page.click("#next")
    assert p.step() == ("Backward sweep · step 11 of 21 · v8\nv\u03048 += v\u03049\ncontribution: v\u03049 = 1\n"
                        "v\u03048 = 0 + 1 = 1")
    assert "lit" in p.page.get_attribute("#edge-v8-v9-p0", "class")
    assert p.cell("v8", "adjoint") == "1" and p.cell("v7", "adjoint") == "0"
    p.clean()


def test_numbers_shown_equal_grad_and_jvp_json(browser: object, running: Path, tmp_path: Path) -> None:
    at = "x1=1,x2=2"
    reverse = json_of(tmp_path, "grad", RUNNING, "--at", at)
    forward = json_of(tmp_path, "grad", RUNNING, "--at", at, "--mode", "forward")
    jvp = json_of(tmp_path, "jvp", RUNNING, "--at", at, "--dir", "x1=1,x2=0")
    trace = json_of(tmp_path, "grad", RUNNING, "--at", at, "--trace")
    p = Page(browser, running)
    assert p.cell("v9", "value") == ""  # nothing is known before its step
    for _ in range(8):
        p.page.click("#next")
    assert float(p.cell("v9", "value")) == reverse["value"] == forward["value"]
    assert float(p.cell("v9", "t0")) == forward["gradient"]["x1"] == jvp["tangent"]
    assert float(p.cell("v9", "t1")) == forward["gradient"]["x2"]
    assert p.cell("v1", "adjoint") == ""  # the backward sweep has not begun
    p.page.click("#next")  # ȳ
    for u in trace["adjoint_updates"]:  # each update: the target's adjoint as the sweep left it
        p.page.click("#next")
        assert p.step().split("\n")[1] == u["update"]
        assert float(p.cell(u["target"], "adjoint")) == u["adjoint"]
    assert float(p.cell("v1", "adjoint")) == reverse["gradient"]["x1"]
    assert float(p.cell("v2", "adjoint")) == reverse["gradient"]["x2"]
    p.page.click("#next")
    shown = p.step().split("\n")
    assert f"  ∂f/∂x1 = v\u03049 along x1 = {forward['gradient']['x1']!r}".replace("\u0304", "\u0307") in shown
    assert f"  ∂f/∂x2 = v\u03042 = {reverse['gradient']['x2']!r}" in shown
    p.clean()


def test_quiz_asks_checks_to_six_digits_and_reveals(browser: object, running: Path) -> None:
    p = Page(browser, running)
    p.page.check("#quiz")
    for _ in range(3):
        p.page.click("#next")  # v4 = exp(v3): v̇4 = exp(2)·2 along x1, 0 along x2
    text = p.step()
    assert "v\u03074 along x1 = exp(v3)·v\u03073 = 7.38905609893·2 = ?" in text and "14.778" not in text
    assert p.cell("v4", "t0") == ""  # the table keeps the answer too
    p.page.fill("#answer-0", "14.778")  # 5 significant digits: not enough
    p.page.fill("#answer-1", "0")
    p.page.click("#check")
    assert p.page.text_content("#verdict").startswith("✗ not right: v\u03074 along x1")
    assert "= ?" in p.step()
    p.page.fill("#answer-0", "14.7781")  # 6 significant digits of 14.7781121979
    p.page.fill("#answer-1", "0")
    p.page.press("#answer-1", "Enter")
    assert p.page.text_content("#verdict").startswith("✓ right: v\u03074 along x1 = 14.7781121978613")
    assert "= 14.7781121979" in p.step() and p.cell("v4", "t0") == "14.7781121978613"
    assert p.page.text_content("#score") == "quiz: 1 right of 2"
    p.page.eval_on_selector("#slider", "e => { e.value = '17'; e.dispatchEvent(new Event('input')); }")
    assert p.step().endswith("v\u03042 = -0.909297426826 + 1 · 2·2 = ?")  # the backward sweep asks the adjoint
    p.page.fill("#answer-0", "3.09071")  # 3.09070257317 is 3.09070 to 6 digits
    p.page.click("#check")
    assert p.page.text_content("#verdict").startswith("✗")
    p.page.fill("#answer-0", "3.09070")
    p.page.click("#check")
    assert p.page.text_content("#verdict").startswith("✓ right: v\u03042 = 3.090702573174318")
    p.page.click("#next")
    p.page.click("#reveal")
    assert p.page.text_content("#verdict").startswith("revealed: v\u03043 = 7.38905609893065")
    p.page.uncheck("#quiz")
    assert p.page.is_hidden("#quizbox")
    p.clean()


def test_loop_iterations_are_shown_per_step(browser: object, tmp_path: Path) -> None:
    page = explain(tmp_path, "def f(x):\n    s = x\n    for i in range(3):\n        s = s * x + i\n    return s\n",
                   "x=1.5")
    p = Page(browser, page)
    seen = set()
    for _ in range(8):
        p.page.click("#next")
        seen.add(p.step().split("\n")[0].rpartition(" · ")[2])
    assert {"loop i=0", "loop i=1", "loop i=2"} <= seen
    assert p.page.text_content("#where").startswith("loop iteration / call: i=")
    p.clean()


def test_hostile_names_and_comments_never_become_markup(browser: object, tmp_path: Path) -> None:
    name = '<img src=x onerror=alert(1)>.ad'
    (tmp_path / name).write_text('# </script><script>alert("x")</script><b>bold</b>\ndef f(x):\n'
                                 '    return x * x  # <svg onload=alert(2)>\n', encoding="utf-8")
    p = Page(browser, explain(tmp_path, name, "x=3"))
    assert '</script><script>alert("x")</script><b>bold</b>' in p.page.text_content("#source")
    assert name in p.page.text_content("#subtitle") and name in p.page.title()
    assert p.page.query_selector("#source b, #source svg, img, body > b") is None
    p.page.keyboard.press("End")
    p.clean()


def test_screenshots_of_the_running_example(browser: object, running: Path, tmp_path: Path) -> None:
    p = Page(browser, running)
    for _ in range(6):
        p.page.click("#next")  # forward: v7 = cos(v2), its tangent
    shots = [tmp_path / "explain-forward.png", tmp_path / "explain-backward.png"]
    p.page.screenshot(path=str(shots[0]))
    for _ in range(8):
        p.page.click("#next")  # backward: v̄2 += v̄7 · (-sin(v2))
    assert "v\u03042 += v\u03047 · (-sin(v2))" in p.step()
    p.page.screenshot(path=str(shots[1]))
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    keep = os.environ.get("ADCALC_SCREENSHOTS")
    if keep:
        for shot in shots:
            shutil.copy(shot, Path(keep) / shot.name)
    p.clean()


def test_the_page_needs_nothing_but_itself(browser: object, tmp_path: Path) -> None:
    """Opened from a folder of its own, with every request but the page's refused, it still works."""
    page = explain(tmp_path, RUNNING, "x1=1,x2=2", "--mode", "reverse")
    alone = tmp_path / "alone"
    alone.mkdir()
    moved = alone / "page.html"
    page.rename(moved)
    p = Page.__new__(Page)
    p.page = browser.new_page()  # type: ignore[attr-defined]
    blocked: list[str] = []
    p.page.route("**/*", lambda r: r.continue_() if r.request.url == moved.as_uri() else
                 (blocked.append(r.request.url), r.abort()))
    p.problems, p.requests, p.dialogs, p.url = [], [], [], moved.as_uri()
    p.page.on("console", lambda m: p.problems.append(m.text) if m.type == "error" else None)
    p.page.on("pageerror", lambda e: p.problems.append(str(e)))
    p.page.goto(p.url)
    p.page.keyboard.press("ArrowRight")
    assert p.step().startswith("Forward sweep · step 2 of") and blocked == [] and p.problems == []
    assert adcalc("explain", "--help", cwd=tmp_path).returncode == 0


SAMPLES = {"sin_x2_plus_1": "x=1.5", "piecewise": "x=-3", "newton_sqrt": "a=2", "tiny_network":
           "w1=0.6,b1=-0.2,w2=1.3,b2=0.1", "kepler": "M=1.2,ecc=0.3",
           "bias_broadcast": "A=[[1,2,3],[4,5,6]],b=[10,20,30],W=[[1,-2,0.5],[3,1,-1]]"}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_sample_pages_step_to_the_end_and_show_grads_json(browser: object, tmp_path: Path, name: str) -> None:
    sample = str(Path(__file__).resolve().parent.parent / "samples" / f"{name}.ad")
    page = explain(tmp_path, sample, SAMPLES[name])
    want = json_of(tmp_path, "grad", sample, "--at", SAMPLES[name])["gradient"]
    p = Page(browser, page)
    total = int(p.page.get_attribute("#slider", "max")) + 1
    for k in range(2, min(total, 30) + 1):  # the first steps by the → key, then to the end
        p.page.keyboard.press("ArrowRight")
        assert f"step {k} of {total}" in p.step().split("\n")[0]
    p.page.eval_on_selector("#slider", "e => { e.value = e.max; e.dispatchEvent(new Event('input')); }")
    shown = p.step().split("\n")
    for input_name, g in want.items():
        if isinstance(g, float):
            assert any(line.startswith(f"  ∂f/∂{input_name} = v\u0304") and line.endswith(f" = {g!r}")
                       for line in shown), shown
    p.clean()
