"""The command registry (``adcalc.front.commands``) is the one place a command is defined.

- every command is an ``adcalc`` subcommand whose ``--help`` shows its summary, options and
  examples, and ``adcalc --help`` lists it;
- every REPL command is a keyword the REPL recognises, highlights, completes and explains in
  ``:help``; its clause words are reserved and highlighted;
- the command line and the REPL run the same runner: the same command prints the same view;
- every result class has a table view and a JSON shape (found by its class), and the commands
  produce every result class;
- a command added to a copy of the registry shows up in all of these places at once.
"""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from rich.console import Console

from adcalc.front import cli
from adcalc.front.commands import AT, REGISTRY, SOURCE, Call, Command, Option, Registry, ReplHelp, positive_int
from adcalc.front.repl.app import AdcalcCompleter, AdcalcLexer
from adcalc.front.repl.session import Session

REPL_COMMANDS = [c for c in REGISTRY if c.repl is not None]

# one real use of every REPL command: the command line's arguments and the REPL's input
SAME = {
    "eval": (["x*y^2", "--at", "x=1.5,y=2"], "x*y^2 at x=1.5, y=2"),
    "grad": (["exp(2*x)+x*y^2", "--at", "x=1,y=2"], "exp(2*x)+x*y^2 at x=1, y=2"),
    "jvp": (["[x*y, sin(x)]", "--at", "x=1,y=2", "--dir", "x=1,y=0"], "[x*y, sin(x)] at x=1, y=2 dir x=1, y=0"),
    "vjp": (["[x*y, sin(x)]", "--at", "x=1,y=2", "--cot", "1,0.5"], "[x*y, sin(x)] at x=1, y=2 cot 1, 0.5"),
    "jacobian": (["[r*cos(t), r*sin(t)]", "--at", "r=2,t=0.5"], "[r*cos(t), r*sin(t)] at r=2, t=0.5"),
    "hessian": (["exp(2*x1)+x1*x2^2", "--at", "x1=1,x2=2"], "exp(2*x1)+x1*x2^2 at x1=1, x2=2"),
    "hvp": (["x^2*y", "--at", "x=1,y=2", "--dir", "x=1,y=0"], "x^2*y at x=1, y=2 dir x=1, y=0"),
    "deriv": (["sin(x*y)", "--at", "x=1,y=2", "--wrt", "y", "--order", "4"], "sin(x*y) at x=1, y=2 wrt y order 4"),
    "check": (["x^2 + 3*x + 1", "--at", "x=2"], "x^2 + 3*x + 1 at x=2"),
    "ir": (["exp(2*x1) + x1*x2^2"], "exp(2*x1) + x1*x2^2"),
    "plot": (["a*x^3 - 3*x", "--x", "x=-3:3", "--at", "a=1", "--order", "2", "--tangent", "0.5"],
             "a*x^3 - 3*x x=-3:3 at a=1 order 2 tangent 0.5"),
}


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str], commands: Registry = REGISTRY) -> tuple[int, str, str]:
    code = cli.main(argv, commands)
    out = capsys.readouterr()
    return code, out.out, out.err


def _session(commands: Registry = REGISTRY) -> tuple[Session, io.StringIO]:
    buf = io.StringIO()
    return Session(Console(file=buf, width=120, color_system=None, highlight=False, soft_wrap=False),
                   commands=commands), buf


def _repl(session: Session, buf: io.StringIO, text: str) -> tuple[bool, str]:
    buf.seek(0)
    buf.truncate()
    ok = session.execute(text)
    return ok, buf.getvalue()


def _styles(session: Session, line: str) -> dict[str, str]:
    return {text: style for style, text in AdcalcLexer(session).lex_document(Document(line))(0)}


def _completions(session: Session, prefix: str) -> dict[str, str]:
    found = AdcalcCompleter(session).get_completions(Document(prefix), CompleteEvent())
    return {c.text: c.display_meta_text for c in found}


@pytest.fixture(autouse=True)
def _columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("NO_COLOR", raising=False)


# ---- the command line ---------------------------------------------------------------------------

def test_the_registry_lists_each_command_once_in_the_order_of_adcalc_help(capsys) -> None:
    names = [c.name for c in REGISTRY]
    assert names == ["repl", "eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "deriv", "check", "run",
                     "codegen", "ir", "explain", "graph", "plot"]
    code, out, _ = _cli(capsys, ["--help"])
    assert code == 0
    listed = [line.split()[0] for line in out.split("COMMAND\n", 1)[1].split("\n\n")[0].splitlines()]
    assert listed == names
    for c in REGISTRY:
        assert f"    {c.name:<9} {c.summary}\n" in out
        for i in c.featured:
            assert f"\n  {c.examples[i]}\n" in out


@pytest.mark.parametrize("command", list(REGISTRY), ids=lambda c: c.name)
def test_every_command_is_a_subcommand_with_its_options_and_examples(capsys, command: Command) -> None:
    parser = cli.build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    assert command.name in subcommands
    code, out, _ = _cli(capsys, [command.name, "--help"])
    assert code == 0
    assert (command.description or command.summary + ".") in out.replace("\n", " ")
    assert out.endswith("examples:\n" + "".join(f"  {e}\n" for e in command.examples))
    for option in command.options:
        if option.flag.startswith("--"):
            assert (f"  {option.flag}" in out) != option.hidden
    for common in ("--json", "--strict", "--max-steps", "--max-depth", "--max-memory"):
        assert (common in out) == command.common


def test_the_language_keywords_are_the_grammars() -> None:
    """adcalc.language.keywords (read by the fast path's bail-out and the REPL) lists exactly the
    alphabetic literals of the grammar, so neither can miss a new keyword."""
    import re

    from adcalc.language.keywords import KEYWORDS
    from adcalc.language.parser import grammar_text

    literals = set(re.findall(r'"([a-z]+)"', grammar_text()))
    assert literals == set(KEYWORDS)


def test_completion_offers_the_clause_words_and_keywords() -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from adcalc.front.repl.app import AdcalcCompleter

    session, _ = _session()
    completer = AdcalcCompleter(session)

    def offered(text: str) -> set[str]:
        return {c.text for c in completer.get_completions(Document(text), CompleteEvent())}

    assert {"at", "abs", "acos"} <= offered("grad f a")
    assert "wrt" in offered("deriv f w") and "order" in offered("deriv f wrt x o")
    assert {"while", "wrt"} <= offered("w") and "continue" in offered("con") and "range" in offered("ra")


# ---- the REPL -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", REPL_COMMANDS, ids=lambda c: c.name)
def test_every_repl_command_is_recognised_highlighted_completed_and_explained(command: Command) -> None:
    session, buf = _session()
    word = command.repl_name or command.name  # the REPL's word for it (codegen → code)
    assert word in session.words()
    assert _styles(session, f"{word} f")[word] == "class:command"
    assert _completions(session, word[:-1]).get(word) == "command"
    assert session.status(f"{word} f at x=1") == ("complete", None)
    ok, text = _repl(session, buf, ":help")
    assert ok
    row = next(line for line in text.splitlines() if command.repl.usage in line)  # type: ignore[union-attr]
    assert command.repl.gloss in row  # type: ignore[union-attr]
    ok, text = _repl(session, buf, f"{word} = 1")
    assert not ok and session.variables == {}


def test_every_clause_word_is_reserved_and_highlighted() -> None:
    session, buf = _session()
    words = REGISTRY.clause_words
    # in order of first appearance (grad has wrt); -o: graph's output file
    assert words == ("at", "wrt", "dir", "cot", "order", "-o", "tangent")
    from adcalc.front.repl.syntax import split_clauses

    # an option-like clause counts only between blanks: x-o and x=-o are expressions
    assert split_clauses("f at x=1, y=2 -o out.svg") == ("f", {"at": "x=1, y=2", "-o": "out.svg"})
    assert split_clauses("f at x=y-o") == ("f", {"at": "x=y-o"})
    for word in (w for w in words if w.isidentifier()):
        assert _styles(session, f"grad f {word} x")[word] == "class:keyword"
        assert not session.execute(f"{word} = 1") and not session.execute(f"g({word}) = 1")
    assert session.variables == {} and session.definitions == {}


@pytest.mark.parametrize("name", list(SAME))
def test_the_command_line_and_the_repl_run_the_same_runner(capsys, name: str) -> None:
    argv, typed = SAME[name]
    code, cli_out, cli_err = _cli(capsys, [name, *argv])
    assert code == 0 and cli_err == ""
    session, buf = _session()
    ok, repl_out = _repl(session, buf, f"{name} {typed}")
    assert ok
    assert repl_out == cli_out


def test_repl_clauses_fill_the_same_call_as_command_line_options(monkeypatch) -> None:
    """The runner sees the same values from ``--dir``/``dir`` etc. (the REPL's point also holds
    the session's variables; its limits are its settings, here the defaults the command line has)."""
    seen: list[Call] = []

    def spy(call: Call) -> object:
        seen.append(call)
        return REGISTRY["deriv"].runner(call)

    commands = Registry(tuple(c._replace(runner=spy) if c.name == "deriv" else c for c in REGISTRY))
    assert cli.main(["deriv", "x*y^2", "--at", "x=1,y=2", "--dir", "x=1,y=1", "--order", "3"], commands) == 0
    session, buf = _session(commands)
    assert _repl(session, buf, "deriv x*y^2 at x=1, y=2 dir x=1, y=1 order 3")[0]
    from_cli, from_repl = seen
    for field in ("point", "direction", "cotangent", "wrt", "order", "trace"):
        assert getattr(from_cli, field) == getattr(from_repl, field), field
    assert from_repl.limits == from_cli.limits == {"strict": False, "max_steps": None, "max_depth": None,
                                                   "max_memory": None}


# ---- results: a view and a JSON shape per class ------------------------------------------------------

def test_every_result_class_has_a_view_and_a_json_shape_and_every_command_makes_one(capsys) -> None:
    from adcalc.ops import checks, higher, plotting  # noqa: F401 - every module that defines a result class
    from adcalc.ops.results import Result
    from adcalc.present import jsonout, render

    classes = set(Result.__subclasses__())
    made = set()
    sparse = [("jacobian", [*SAME["jacobian"][0], "--sparse"]), ("hessian", [*SAME["hessian"][0], "--sparse"])]
    for name, (argv, _) in [*SAME.items(), *((n, (a, None)) for n, a in sparse)]:  # --sparse: its own results
        command = REGISTRY[name]
        if command.shows != "result":
            continue
        args = cli.build_parser().parse_args([name, *argv])
        result = command.runner(cli.call_of(command, args, args.source))
        made.add(type(result))
        console = Console(file=io.StringIO(), width=120, color_system=None)
        render.render_result(console, result, dict(cli.call_of(command, args, "").point))
        assert console.file.getvalue().startswith("f(")  # type: ignore[attr-defined]
        shape = jsonout.shape_of(type(result))(result)
        assert shape["value"] is not None and jsonout.result_json(name, result)["value"] == shape["value"]
    assert made == classes
    for cls in classes:
        assert render.view_of(cls) is render.VIEWS[cls] and jsonout.shape_of(cls) is jsonout.SHAPES[cls]


def test_a_class_without_a_view_or_shape_is_an_error_not_a_fallback() -> None:
    from adcalc.ops.results import result_type
    from adcalc.present import jsonout, render

    Unknown = result_type("Unknown", {}, "a result nobody registered")
    with pytest.raises(KeyError):
        render.view_of(Unknown)
    with pytest.raises(KeyError):
        jsonout.shape_of(Unknown)


# ---- one more command --------------------------------------------------------------------------------

def _taylor() -> Command:
    """A new command made only of a registry entry (with new clause words, ``along`` and ``terms``)."""
    return Command(
        "taylor", "the first K derivatives along one input",
        (SOURCE, AT,
         Option("--along", "name", {"required": True, "metavar": "NAME", "help": "the input to move"},
                field="wrt", clause="along", example="along x"),
         Option("--terms", "count", {"type": positive_int, "default": 3, "metavar": "K", "help": "how many (3)"},
                field="order", clause="terms", repl_default=3)),
        ('adcalc taylor "exp(2*x)" --at x=0 --along x',), REGISTRY["deriv"].runner,
        featured=(0,), repl=ReplHelp("taylor f along x terms 3", "Taylor terms", 14))


def test_a_command_added_to_a_copy_of_the_registry_shows_up_everywhere(capsys) -> None:
    commands = REGISTRY.plus(_taylor())
    assert "taylor" not in REGISTRY and REGISTRY.clause_words == ("at", "wrt", "dir", "cot", "order", "-o", "tangent")

    # the command line: the subcommand, its help, adcalc --help, and running it
    code, out, _ = _cli(capsys, ["--help"], commands)
    assert code == 0 and "    taylor    the first K derivatives along one input\n" in out
    assert '\n  adcalc taylor "exp(2*x)" --at x=0 --along x\n' in out
    code, out, _ = _cli(capsys, ["taylor", "--help"], commands)
    assert code == 0 and "--along NAME" in out and "--terms K" in out and "the first K derivatives" in out
    code, out, err = _cli(capsys, ["taylor", "exp(2*x)", "--at", "x=0", "--along", "x"], commands)
    assert (code, err) == (0, "") and "\n1   2\n2   4\n3   8\n" in out
    code, json_out, _ = _cli(capsys, ["taylor", "exp(2*x)", "--at", "x=0", "--along", "x", "--terms", "2", "--json"],
                             commands)
    assert code == 0 and json_out == '{"value": 1.0, "derivatives": [2.0, 4.0]}\n'
    code, _, err = _cli(capsys, ["taylor", "exp(2*x)", "--at", "x=0"], commands)
    assert code == 2 and "--along" in err

    # the REPL: running it with its clauses, the same view, help, keywords, completion, reserved words
    session, buf = _session(commands)
    ok, text = _repl(session, buf, "taylor exp(2*x) along x at x=0")
    assert ok and text == out
    ok, text = _repl(session, buf, "taylor exp(2*x) at x=0")
    assert not ok and "taylor needs `along …`" in text and "e.g. taylor f at x=1 along x" in text
    ok, text = _repl(session, buf, ":help")
    row = next(line for line in text.splitlines() if "taylor f along x terms 3" in line)
    assert ok and row.rstrip().endswith("Taylor terms")
    assert "taylor" in session.words() and _completions(session, "tay") == {"taylor": "command"}
    styles = _styles(session, "taylor f along x terms 2")
    assert (styles["taylor"], styles["along"], styles["terms"]) == ("class:command", "class:keyword", "class:keyword")
    for word in ("taylor", "along", "terms"):
        ok, text = _repl(session, buf, f"{word} = 1")
        assert not ok and f"'{word}' cannot name a variable" in text
    assert session.variables == {}

    # the default registry's REPL is unaffected
    plain, plain_buf = _session()
    ok, text = _repl(plain, plain_buf, "along = 1")
    assert ok and text == "along = 1\n"


@pytest.mark.parametrize("bad", [
    lambda: REGISTRY.plus(REGISTRY["grad"]),  # a name twice
    lambda: REGISTRY.plus(REGISTRY["run"]._replace(name="run2", repl=ReplHelp("run2 f", "?", 11))),  # REPL + itself
    lambda: REGISTRY.plus(Command("x", "x", (Option("--on", "flag", {}, field="trace", clause="on"),), (), print)),
    lambda: REGISTRY.plus(Command("y", "y", (Option("--z", "sideways", {}),), (), print)),
], ids=["twice", "repl-itself", "flag-clause", "unknown-kind"])
def test_the_registry_refuses_what_the_front_ends_cannot_offer(bad) -> None:
    with pytest.raises(ValueError):
        bad()


@pytest.mark.parametrize("value, message", [("٣", "'٣' is not a whole number"), ("1_0", "'1_0' is not a whole number"),
                                            ("-1", "must be at least 1"), ("0", "must be at least 1"),
                                            ("1" * 19, "is too large")])
def test_whole_number_options_take_ascii_digits_only(value: str, message: str,
                                                      capsys: pytest.CaptureFixture) -> None:
    # int() alone would take Arabic-Indic digits and underscores; the option's help says N
    assert cli.main(["eval", "x", "--at", "x=1", "--max-steps", value]) == 2
    assert f"argument --max-steps: {message}" in capsys.readouterr().err
