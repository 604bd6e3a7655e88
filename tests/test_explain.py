"""``adcalc explain`` (issue #17): the page's data, through the real command (a subprocess).

The truth is independent of the page: the running example's gradient derived by hand, the chain
rule recomputed here from the page's own edges (every tangent is Σ partial · parent's tangent;
every contribution is the source's adjoint · the partial, and the running adjoint their sum), and
``grad --json`` / ``grad --trace --json`` of the same point.  The browser tests
(``test_explain_browser.py``) check what the page shows.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from conftest import close
from explainpage import RUNNING, adcalc, explain, json_of, page_data


def _by_id(data: dict) -> dict[str, dict]:
    return {n["id"]: n for n in data["nodes"]}


def test_running_example_page_holds_the_hand_derived_gradient_and_grads_json(tmp_path: Path) -> None:
    data = page_data(explain(tmp_path, RUNNING, "x1=1,x2=2"))
    result = data["steps"][-1]
    assert result["kind"] == "result"
    assert close(result["gradient"]["x1"], 2 * math.exp(2) + 4, rel=1e-15)
    assert close(result["gradient"]["x2"], 4 - math.sin(2), rel=1e-15)
    reverse = json_of(tmp_path, "grad", RUNNING, "--at", "x1=1,x2=2")
    forward = json_of(tmp_path, "grad", RUNNING, "--at", "x1=1,x2=2", "--mode", "forward")
    nodes = _by_id(data)
    out = next(n for n in data["nodes"] if n["output"])
    assert out["value"] == reverse["value"] == result["value"]
    assert out["tangent"] == [forward["gradient"]["x1"], forward["gradient"]["x2"]]  # forward: the output's tangent
    inputs = {n["definition"]: n for n in data["nodes"] if n["input"]}
    assert {k: n["adjoint"] for k, n in inputs.items()} == reverse["gradient"]  # reverse: the inputs' adjoints
    assert data["columns"] == ["x1", "x2"] and data["mode"] == "both"
    # the seed documents' w1…w9: 9 nodes, 2 inputs, one forward step each, then ȳ and 10 updates
    assert len(data["nodes"]) == 9 and [s["sweep"] for s in data["steps"]].count("forward") == 9
    assert [s["kind"] for s in data["steps"] if s["sweep"] == "backward"] == ["seed"] + ["update"] * 10
    assert nodes["v1"]["tangent"] == [1.0, 0.0] and nodes["v2"]["tangent"] == [0.0, 1.0]


def test_every_forward_step_is_the_chain_rule_on_the_pages_own_edges(tmp_path: Path) -> None:
    data = page_data(explain(tmp_path, "def f(x, y):\n    s = 0\n    for i in range(3):\n"
                                       "        s = s + sin(x * i + y) * exp(-y)\n    return s / (x * x + 1)\n",
                             "x=0.7,y=-1.3"))
    nodes = _by_id(data)
    into: dict[str, list[dict]] = {}
    for e in data["edges"]:
        into.setdefault(e["to"], []).append(e)
    checked = 0
    for step in (s for s in data["steps"] if s["sweep"] == "forward" and s["kind"] == "node"):
        node = nodes[step["node"]]
        for j in range(2):
            want = sum(e["partial"] * nodes[e["from"]]["tangent"][j] for e in into.get(node["id"], []))
            assert close(node["tangent"][j], want, rel=1e-14, abs_=1e-300), (node, j)
            checked += 1
        assert sorted(step["edges"]) == sorted(e["id"] for e in into.get(node["id"], []))
    assert checked > 20


def test_every_backward_step_is_its_update_and_equals_grad_trace_json(tmp_path: Path) -> None:
    src, at = "def f(x, y):\n    a = x * y\n    return a * sin(a) + x / y\n", "x=1.5,y=-0.5"
    data = page_data(explain(tmp_path, src, at))
    trace = json_of(tmp_path, "grad", src, "--at", at, "--trace")
    nodes, edges = _by_id(data), {e["id"]: e for e in data["edges"]}
    updates = [s for s in data["steps"] if s["kind"] == "update"]
    assert [u["update"] for u in updates] == [t["update"] for t in trace["adjoint_updates"]]
    running = {s["adjoint"]["node"]: s["adjoint"]["value"] for s in data["steps"] if s["kind"] == "seed"}
    for u, t in zip(updates, trace["adjoint_updates"]):
        assert (u["contribution"], u["adjoint"]["value"]) == (t["contribution"], t["adjoint"])
        (edge_id,) = u["edges"]
        edge = edges[edge_id]
        assert (edge["from"], edge["to"]) == (u["node"], u["source"])
        assert u["contribution"] == nodes[u["source"]]["adjoint"] * edge["partial"]
        assert u["adjoint"]["value"] == running.get(u["node"], 0.0) + u["contribution"]
        running[u["node"]] = u["adjoint"]["value"]
        assert u["answers"] == [{"label": f"v\u0304{u['node'][1:]}", "value": u["adjoint"]["value"]}]
    assert {n["definition"]: n["adjoint"] for n in data["nodes"] if n["input"]} == \
        json_of(tmp_path, "grad", src, "--at", at)["gradient"]


def test_step_texts_give_the_rule_with_its_numbers(tmp_path: Path) -> None:
    data = page_data(explain(tmp_path, RUNNING, "x1=1,x2=2"))
    steps = {(s["sweep"], s["node"]): s for s in data["steps"] if s["kind"] in ("node", "input")}
    sin2, cos2 = format(math.sin(2), ".12g"), format(math.cos(2), ".12g")
    v7 = steps[("forward", "v7")]["lines"]
    assert v7[0] == f"v7 = cos(v2) = cos(2) = {cos2}"
    assert v7[2] == f"v\u03077 along x2 = -sin(v2)·v\u03072 = (-{sin2})·1 = -{sin2}"
    assert steps[("forward", "v7")]["question"][2].endswith("·1 = ?")
    assert steps[("forward", "v6")]["lines"][1] == "v\u03076 along x1 = v5·v\u03071 + v1·v\u03075 = 4·1 + 1·0 = 4"
    upd = next(s for s in data["steps"] if s.get("update") == "v\u03042 += v\u03047 · (-sin(v2))")
    assert upd["lines"][1] == f"contribution: v\u03047 · (-sin(v2)) = 1 · (-sin(2)) = 1 · (-{sin2}) = -{sin2}"
    assert upd["lines"][2] == f"v\u03042 = 0 + (-{sin2}) = -{sin2}"


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_one_mode_only(tmp_path: Path, mode: str) -> None:
    data = page_data(explain(tmp_path, RUNNING, "x1=1,x2=2", "--mode", mode))
    sweeps = {s["sweep"] for s in data["steps"]}
    assert data["mode"] == mode
    if mode == "forward":
        assert sweeps == {"forward", "result"} and all(n["adjoint"] is None for n in data["nodes"])
    else:
        assert sweeps == {"forward", "backward", "result"} and all(n["tangent"] is None for n in data["nodes"])
        v4 = next(s for s in data["steps"] if s["node"] == "v4")  # the recording: the quiz asks the value
        assert v4["question"] == ["v4 = exp(v3) = exp(2) = ?"] and v4["answers"][0]["value"] == math.exp(2)


def test_loop_iterations_and_calls_are_named_per_step(tmp_path: Path) -> None:
    src = "def g(t):\n    return t * t\n\ndef f(x):\n    s = x\n    for i in range(3):\n        s = s + g(s) * i\n" \
          "    return s\n"
    data = page_data(explain(tmp_path, src, "x=0.5"))
    contexts = [s["context"] for s in data["steps"] if s["sweep"] == "forward"]
    assert {"g#1", "g#2", "g#3", "i=0", "i=1", "i=2"} <= set(contexts)
    newton = page_data(explain(tmp_path, str(Path(__file__).parent.parent / "samples/newton_sqrt.ad"), "a=2"))
    iters = {s["context"] for s in newton["steps"] if s["context"]}
    assert {"iter 1", "iter 2", "iter 3"} <= iters
    assert close(newton["steps"][-1]["gradient"]["a"], 1 / (2 * math.sqrt(2)), rel=1e-12)


def test_hostile_file_name_and_comments_stay_text(tmp_path: Path) -> None:
    name = '<img src=x onerror=alert(1)>.ad'
    src = ('# </script><script>alert("x")</script> <!-- &amp; \u2028 \x1b[31m\n'
           'def f(x):\n    return x * x  # </SCRIPT >\n')
    (tmp_path / name).write_text(src, encoding="utf-8")
    page = explain(tmp_path, name, "x=3")
    text = page.read_text(encoding="utf-8")
    assert text.lower().count("</script") == 2 and text.lower().count("<script") == 2  # only the page's own
    assert "<img" not in text and "<!--" not in text and "\u2028" not in text and "\x1b" not in text
    data = page_data(page)
    assert '</script><script>alert("x")</script> <!-- &amp;' in data["source"]
    assert "\\x1b[31m" in data["source"] and name in data["title"]


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    def fails(*args: str, says: str) -> None:
        p = adcalc("explain", *args, cwd=tmp_path)
        said = " ".join(p.stderr.split())  # the message as one line, however the terminal wrapped it
        assert p.returncode == 1 and says in said and "Traceback" not in said, p.stderr

    (tmp_path / "folder").mkdir()
    fails(RUNNING, "--at", "x1=1,x2=2", "-o", "folder", says="it is not a regular file")
    prog = tmp_path / "prog.ad"
    prog.write_text("x * x\n")
    fails(str(prog), "--at", "x=1", "-o", str(prog), says="is the program file itself")
    assert prog.read_text() == "x * x\n"
    fails("[x, x*x]", "--at", "x=1", says="needs a scalar function")
    fails("x +* 2", "--at", "x=1", says="1:")
    fails("def f(x):\n    s = x\n    for i in range(5000):\n        s = s * x\n    return s\n", "--at", "x=1",
          says="a page steps through at most 2,000")
    fails("def f(x):\n    for i in range(300000):\n        x = x * 1.5\n    return x\n", "--at", "x=1",
          says="2:9: this run records far more than the 2,000 steps")  # the trace's own row limit, reworded
    fails(RUNNING, "--at", "x1=1", says="x2")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        fails(RUNNING, "--at", "x1=1,x2=2", "-o", str(tmp_path / "fifo"), says="it is not a regular file")
    p = adcalc("explain", RUNNING, "--at", "x1=1,x2=2", "--mode", "sideways", cwd=tmp_path)
    assert p.returncode == 2 and "invalid choice" in p.stderr


def test_default_file_and_json_answer(tmp_path: Path) -> None:
    p = adcalc("explain", RUNNING, "--at", "x1=1,x2=2", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.startswith(f"wrote {tmp_path / 'explain.html'} (21 steps")
    prog = tmp_path / "pw.ad"
    prog.write_text("def f(x):\n    if x > 0:\n        return x * x\n    return -x\n")
    got = json_of(tmp_path, "explain", str(prog), "--at", "x=2")
    assert got["path"] == str(tmp_path / "explain-f.html") and Path(got["path"]).is_file()
    assert got["gradient"] == json_of(tmp_path, "grad", str(prog), "--at", "x=2")["gradient"] == {"x": 4.0}
    assert got["steps"] == len(page_data(Path(got["path"]))["steps"])


def test_repl_explain_writes_the_page_and_prints_its_path(tmp_path: Path) -> None:
    session = "f(x, y) = exp(2*x) + x*y^2 + cos(y)\nexplain f at x=1, y=2\ny = 3\nx = 0.5\nexplain f\n"
    p = adcalc("repl", cwd=tmp_path, stdin=session)
    assert p.returncode == 0, p.stdout + p.stderr
    page = tmp_path / "explain-f.html"
    assert p.stdout.count(f"wrote {page} (21 steps") == 2
    data = page_data(page)  # the second: the point from the session's variables
    assert data["steps"][-1]["gradient"] == json_of(tmp_path, "grad", "exp(2*x)+x*y^2+cos(y)",
                                                    "--at", "x=0.5,y=3")["gradient"]


def test_arrays_constants_and_warnings(tmp_path: Path) -> None:
    at = "A=[[1,2],[3,4]],b=[10,20],W=[[1,-2],[3,1]]"
    data = page_data(explain(tmp_path, "sum(W * (A + b))", at))
    assert data["columns"][:5] == ["A[0, 0]", "A[0, 1]", "A[1, 0]", "A[1, 1]", "b[0]"]
    # d/dA sum(W*(A+b)) = W, d/db = column sums of W, d/dW = A + b (by hand)
    assert data["steps"][-1]["gradient"] == {"A": [[1.0, -2.0], [3.0, 1.0]], "b": [4.0, -1.0],
                                             "W": [[11.0, 22.0], [13.0, 24.0]]}
    assert all("answers" not in s for s in data["steps"] if s["kind"] == "update")  # no quiz on arrays
    const = page_data(explain(tmp_path, "2", "x=1"))
    assert [s["kind"] for s in const["steps"]] == ["result"] and const["steps"][-1]["gradient"] == {"x": 0.0}
    assert const["warnings"] == ["'x' is bound but the source never uses it (its derivative is 0); is it a typo?"]
    p = adcalc("explain", "abs(x) + 1", "--at", "x=0", "-o", str(tmp_path / "k.html"), cwd=tmp_path)
    assert p.returncode == 0 and "\nwarning: |0|: abs is not differentiable here" in p.stdout
    kink = page_data(tmp_path / "k.html")
    assert kink["warnings"][0].startswith("|0|: abs is not differentiable here")
    assert kink["steps"][1]["node"] == "v2" and kink["steps"][1]["lines"][-1] == "⚠ " + kink["warnings"][0]
    nan = page_data(explain(tmp_path, "x * 2 + log(x) * x", "x=-1"))  # the warning at the node that made the nan
    assert nan["steps"][-1]["gradient"] == {"x": "nan"}
    step = next(s for s in nan["steps"] if "warning" in s)
    assert step["lines"][0] == "v3 = log(v1) = log(-1) = nan" and step["warning"].startswith("log(-1) = nan")


def test_repl_explain_in_a_terminal(tmp_path: Path) -> None:
    """The interactive REPL (a pseudo-terminal): ``explain`` is a command word and writes the page."""
    import sys

    import pexpect
    from conftest import end_session

    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm", "COLUMNS": "200", "LINES": "40",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "adcalc"], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=60, dimensions=(40, 200))
    try:
        child.expect("adcalc> ")
        child.send("g(t) = sin(t^2 + 1)\r")
        child.expect("defined g")
        child.send("explain g at t=1.5\r")
        child.expect(r"wrote (\S+) \((\d+) steps")
        assert child.match.group(1) == str(tmp_path / "explain-g.html")
        data = page_data(tmp_path / "explain-g.html")
        assert int(child.match.group(2)) == len(data["steps"])
        assert close(data["steps"][-1]["gradient"]["t"], 2 * 1.5 * math.cos(1.5 ** 2 + 1), rel=1e-14)
        end_session(child)
    finally:
        child.close(force=True)
