"""The intermediate representation: plain data with a source span on every node.

Contract:
- A ``Program`` is a set of ``Function``s plus the ``main`` function whose parameters are the
  program's inputs.  A function's ``code`` is a flat list of instructions; control flow is
  explicit (``Branch``/``Jump`` to ``Label``s), so no interpreter ever recurses over user data.
- Expressions are in three-address form: every ``Eqn`` applies one primitive to atoms
  (``Var`` or ``Const``), so the IR of ``sin(x^2 + 1)`` reads ``v1 = x ^ 2; v2 = v1 + 1;
  v3 = sin(v2)`` — the decomposition of the seed documents.
- Temporaries are named ``v1, v2, …`` per function; a user variable assigned by an
  instruction appears as its ``out`` directly (``s = s + v1``).
- ``loops`` on an instruction lists the ids of the loops that enclose it (for trace context).
- Nodes are immutable and compare by identity (the interpreter and the warnings key on the
  instruction object).  They are named tuples with identity equality rather than dataclasses:
  this module is on every command's start-up path, and importing ``dataclasses`` (with
  ``inspect``) costs more than all of adcalc's own modules.
"""

from __future__ import annotations

from collections import namedtuple


def _node(name: str, fields: str, defaults: tuple = ()) -> type:
    """An immutable record type that compares by identity."""
    return type(name, (namedtuple(name, fields, defaults=defaults),),
                {"__slots__": (), "__eq__": object.__eq__, "__ne__": object.__ne__, "__hash__": object.__hash__})


class Var(_node("Var", "name")):
    def __str__(self) -> str:
        return self.name


class Const(_node("Const", "value text")):
    """A literal; ``text`` is as the user wrote it (or the constant's name: "pi")."""

    def __str__(self) -> str:
        return self.text


Atom = Var | Const


class Eqn(_node("Eqn", "out prim args span loops user_var params", ((), False, ()))):
    """``out = prim(*args)``: one primitive operation.  ``user_var``: ``out`` is a program
    variable, not a temporary; ``params``: static parameters of array primitives (the axis,
    the subscript pattern)."""


class Cmp(_node("Cmp", "out op a b span loops", ((),))):
    """``out = a OP b``: a comparison, whose boolean result only feeds ``Branch``."""


class Branch(_node("Branch", "cond target when span")):
    """Jump to ``target`` when the boolean ``cond`` equals ``when``."""


class Jump(_node("Jump", "target")):
    pass


class Label(_node("Label", "name")):
    pass


class Move(_node("Move", "name value span loops", ((),))):
    """``name = value`` with no computation (a copy or a constant)."""


class CallFn(_node("CallFn", "outs func args span loops", ((),))):
    """``outs = func(*args)``: a call of a user function."""


class ForInit(_node("ForInit", "counter stop_reg step_reg start stop step loop span")):
    """Start ``for var in range(start, stop, step)``: checks the bounds, sets the counter."""


class ForNext(_node("ForNext", "counter stop_reg step_reg var exit loop span")):
    """If the range is exhausted jump to ``exit``; else ``var = counter; counter += step``."""


class LoopHead(_node("LoopHead", "loop reset", (False,))):
    """Marks a ``while`` loop: entering it (``reset``) or starting one more iteration."""


class Return(_node("Return", "values span")):
    pass


class FallOff(_node("FallOff", "span")):
    """Reached the end of a function body without ``return``: a runtime error."""


Instr = Eqn | Cmp | Branch | Jump | Label | Move | CallFn | ForInit | ForNext | LoopHead | Return | FallOff


class LoopInfo(_node("LoopInfo", "id kind var span")):
    """A loop: ``kind`` "for" (with its variable ``var``) or "while"."""


class Function(_node("Function", "name params code n_outputs span loops vector", ((), False))):
    """A lowered function; ``vector``: it returns a vector (``return a, b`` or ``[f1, f2]``)."""


class Program(_node("Program", "functions main source warnings", ("", ()))):
    """``warnings``: what lowering noticed, as (kind, message, span) — a ``def`` hiding a
    built-in function (kind "shadow")."""

    def __repr__(self) -> str:
        return f"Program(functions={list(self.functions)}, main={self.main.name!r})"

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.main.params

    @property
    def n_outputs(self) -> int:
        return self.main.n_outputs

    @property
    def vector_output(self) -> bool:
        """True when the result is a vector (``[f1, f2]`` or ``return a, b``)."""
        return self.main.vector


# ---- printer ----------------------------------------------------------------------------

def _eqn_text(ins: Eqn, display: callable | None) -> str:
    args = [str(a) for a in ins.args]
    rhs = display(ins.prim, args, ins.params) if display else f"{ins.prim}({', '.join(args)})"
    return f"{ins.out} = {rhs}"


_TEXT = {  # how each kind of instruction reads in the documents' notation
    Cmp: lambda i: f"{i.out} = {i.a} {i.op} {i.b}",
    Branch: lambda i: f"if {'' if i.when else 'not '}{i.cond} goto {i.target}",
    Jump: lambda i: f"goto {i.target}",
    Label: lambda i: f"{i.name}:",
    Move: lambda i: f"{i.name} = {i.value}",
    CallFn: lambda i: f"{', '.join(i.outs)} = {i.func}({', '.join(str(a) for a in i.args)})",
    ForInit: lambda i: f"{i.counter} = range_start({i.start}, {i.stop}, {i.step})",
    ForNext: lambda i: f"{i.var} = next({i.counter}) else goto {i.exit}",
    LoopHead: lambda i: f"{'enter' if i.reset else 'iterate'} loop #{i.loop}",
    Return: lambda i: f"return {', '.join(str(v) for v in i.values)}",
    FallOff: lambda i: "error: no return",
}


def format_instr(ins: Instr, display: callable | None = None) -> str:
    """One instruction in the documents' notation (``v2 = v1 + 1``, ``v3 = sin(v2)``)."""
    if isinstance(ins, Eqn):
        return _eqn_text(ins, display)
    return _TEXT[type(ins)](ins)


def format_function(fn: Function, display: callable | None = None, header: str | None = None) -> str:
    lines = [header or f"def {fn.name}({', '.join(fn.params)}):"]
    for ins in fn.code:
        if isinstance(ins, Label):
            lines.append(f"  {ins.name}:")
        elif isinstance(ins, FallOff):
            continue
        else:
            lines.append(f"    {format_instr(ins, display)}")
    return "\n".join(lines)


def format_program(prog: Program, display: callable | None = None) -> str:
    """The whole program: user functions, then the main function with its inputs."""
    parts = [format_function(f, display) for name, f in prog.functions.items() if f is not prog.main]
    main = prog.main
    if main.name == "<main>":
        parts.append(format_function(main, display, header=f"inputs: {', '.join(main.params) or '(none)'}"))
    else:
        parts.append(format_function(main, display) + f"\n# main: {main.name}({', '.join(main.params)})")
    return "\n\n".join(parts)
