"""Generated primal and forward-mode (tangent) code for one function.

Contract: ``primal_function(fn, ...)`` writes ``def name(x1, …, xn)`` computing the function's
value with the same IEEE operations, in the same order, as the interpreter's eval mode;
``jvp_function`` writes ``def name_jvp(x1, …, xn, dx1, …, dxn)`` returning ``(value, tangent)``:
each primal line is followed by its tangent line ``dv = Σᵢ ∂ᵢ·dxᵢ`` with the partials of
``templates`` and the interpreter's zero rule (a product with an exact zero factor is 0, so
``0·inf`` never makes a nan: ``(p * dx if p and dx else 0.0)``); tangents that are exactly zero
(values that do not depend on an input) are left out.  Control flow is the program's own
(``adcalc.ops.codegen.structure``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable

from adcalc.language import ir
from adcalc.ops.codegen import structure as st
from adcalc.ops.codegen import templates as T
from adcalc.ops.codegen.analysis import active_names, index_whole, live, prune, useful
from adcalc.ops.codegen.names import Names, module_names


class Writer:
    """Lines of Python with indentation; records the prelude helpers the text uses.  ``notes``
    False (``adcalc.compile``'s modules, which nobody reads): no comments, no notes — Python's
    compiler skips them anyway, but its tokenizer and the writer's own work do not."""

    def __init__(self, notes: bool = True) -> None:
        self.lines: list[str] = []
        self.depth = 1
        self.last_comment = ""
        self.notes = notes

    @property
    def helpers(self) -> set[str]:
        """The prelude helpers the lines call (read once, from the finished text)."""
        return T.helpers("\n".join(self.lines))

    def line(self, text: str, comment: str = "", note: str = "") -> None:
        """One line; ``comment`` (the source line a step comes from) is written above it when it
        changes, ``note`` (how the step reads in the documents' notation) after it."""
        pad = "    " * self.depth
        if not self.notes:
            self.lines.append(pad + text)
            return
        if comment and comment != self.last_comment:
            self.last_comment = comment
            self.lines.append(f"{pad}# {comment}")
        self.lines.append(pad + text + (f"  # {note}" if note else ""))

    def text(self) -> str:
        return "\n".join(fill_empty_blocks(self.lines))


GUARD_CALL = "_guard()"  # the step budget's check (adcalc.compile only; printed modules have none)
_ASSIGNED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*) = ")
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def drop_unread(lines: list[str], candidates: set[str] | None = None) -> list[str]:
    """Leave out ``v = …`` for a ``v`` among ``candidates`` (tangents; None: every adjoint, a name
    ending in ``_bar``) that no other line reads: the same numbers, and no unused variable in the
    module.  One count of the words of the whole text (comments left out), one match per line."""
    text = "\n".join(line.split("  #")[0] if "  #" in line else line for line in lines)
    count = Counter(_WORDS.findall(text))
    out = []
    for line in lines:
        m = _ASSIGNED.match(line)
        if m and count[name := m.group(1)] == 1 and (name.endswith("_bar") if candidates is None
                                                     else name in candidates):
            continue
        out.append(line)
    return out


def fill_empty_blocks(lines: list[str]) -> list[str]:
    """``pass`` in every block whose body came out empty (or comments only)."""
    out: list[str] = []
    for k, line in enumerate(lines):
        out.append(line)
        body = line.split("  #")[0].rstrip()
        if not body.endswith(":") or body.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        j = k + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("#")):
            j += 1
        nxt = lines[j] if j < len(lines) else None
        if nxt is None or len(nxt) - len(nxt.lstrip()) <= indent:
            out.append(" " * (indent + 4) + "pass")
    return out


_PARENS = re.compile(r"[()]")


def bare(text: str) -> str:
    """``(a + b)`` → ``a + b`` when the outer parentheses enclose the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    if text.count("(") == 1:  # the one pair encloses the whole text
        return text[1:-1]
    depth = 0
    end = len(text) - 1
    for m in _PARENS.finditer(text):
        depth += 1 if m.group() == "(" else -1
        if depth == 0 and m.start() < end:
            return text
    return text[1:-1]


_FAST_PATH = re.compile(r"math\.(\w+)\(([^()]*)\) if [^()]* else (_\1\(\2\))")


def helper_form(code: str) -> str:
    """A template's ``(math.f(a) if <a is safe> else _f(a))`` as ``_f(a)``: the prelude helper that
    makes that same call where it is safe and handles the rest (``templates._fast``, ``_pow_value``)
    — the same float, in fewer tokens and without the branch for Python's compiler.  Any other
    text as it is."""
    m = _FAST_PATH.fullmatch(bare(code)) if code.startswith(("math.", "(math.")) else None
    return m.group(3) if m else code


def notation(ins: ir.Eqn, args: list[str], code: str) -> str:
    """The step as the documents write it (``exp(v1)``), when the code reads differently."""
    if " if " not in code:
        return ""
    return T.describe(ins.prim, args, ins.params)


def atom(names: Names, a: ir.Atom) -> str:
    return names[a.name] if isinstance(a, ir.Var) else T.lit(a.value)


def printable(text: str) -> str:
    """``text`` as printable ASCII: every other character escaped (``\\r``, ``\\x00``, ``\\u03c0``), so
    nothing the user wrote can end a comment line or reach the generated code as code."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if " " <= ch <= "~":
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def where(ins: object, source_lines: list[str]) -> str:
    """The comment naming the source line an instruction came from."""
    span = getattr(ins, "span", None)
    if span is None or not source_lines or not 1 <= span.line <= len(source_lines):
        return ""
    return _line_comment(span.line, source_lines[span.line - 1])


@functools.lru_cache(maxsize=4096)
def _line_comment(number: int, line: str) -> str:
    text = line.strip()
    text = text if len(text) <= 60 else text[:57] + "..."
    return printable(f"line {number}: {text}")


_NEGATED = {"==": "!=", "!=": "=="}  # exact even with nan (not for < <= > >=: nan compares false)


def compare_text(names: Names, cmp: ir.Cmp, holds: bool) -> str:
    if not holds and cmp.op in _NEGATED:
        return f"{atom(names, cmp.a)} {_NEGATED[cmp.op]} {atom(names, cmp.b)}"
    text = f"{atom(names, cmp.a)} {cmp.op} {atom(names, cmp.b)}"
    return text if holds else f"not ({text})"


def range_args(names: Names, init: ir.ForInit) -> str:
    """``range``'s arguments: whole literals as they are, anything else checked by ``_whole``."""
    def bound(a: ir.Atom, what: str) -> str:
        if isinstance(a, ir.Const) and a.value == a.value and abs(a.value) < 2.0 ** 53 and a.value == int(a.value):
            return str(int(a.value))
        return f"_whole({atom(names, a)}, {what!r})"

    start, stop, step = bound(init.start, "start"), bound(init.stop, "stop"), bound(init.step, "step")
    if step == "1":
        return stop if start == "0" else f"{start}, {stop}"
    return f"{start}, {stop}, {step}"


def for_header(names: Names, item: st.For, via: str | None = None, ints: bool = False) -> str:
    """A ``for`` loop's header: its counter takes the range's values as floats (``ints``: as ints,
    ``analysis.int_counters``), named ``via`` when given."""
    values = f"range({range_args(names, item.init)})"
    return f"for {via or names[item.next.var]} in {values if ints else f'map(float, {values})'}:"


def statements(w: Writer, seq: st.Seq, names: Names, stmt: Callable[[object], None],
               ret: Callable[[st.Return], None], src: list[str]) -> None:
    """Write ``seq`` with the program's control flow; ``stmt`` writes one step, ``ret`` a return."""
    start = len(w.lines)
    _statements(w, seq, names, stmt, ret, src)
    if all(line.lstrip().startswith("#") for line in w.lines[start:]):
        w.line("pass")


def _statements(w: Writer, seq: st.Seq, names: Names, stmt: Callable[[object], None],
                ret: Callable[[st.Return], None], src: list[str]) -> None:
    for item in seq:
        if isinstance(item, st.Stmt):
            stmt(item.ins)
        elif isinstance(item, st.If):
            then, orelse, holds = item.then, item.orelse, item.when
            if not then and not orelse:
                continue  # a test with nothing to do either way (a loop's `if …: continue` at its end)
            if not then:
                then, orelse, holds = orelse, then, not holds
            w.line(f"if {compare_text(names, item.test, holds)}:", where(item.test, src))
            w.depth += 1
            statements(w, then, names, stmt, ret, src)
            w.depth -= 1
            if orelse:
                w.line("else:")
                w.depth += 1
                statements(w, orelse, names, stmt, ret, src)
                w.depth -= 1
        elif isinstance(item, st.For):
            guard = getattr(names, "guard", False)
            exits = guard and st.leaves(item.body)
            if guard and not exits:  # it runs its whole range: charge the budget once, up front
                w.line(f"_guard(len(range({range_args(names, item.init)})))")
            w.line(for_header(names, item), where(item.init, src))
            w.depth += 1
            if exits:
                w.line(GUARD_CALL)
            if item.next.var in getattr(names, "with_tangent", ()):  # the counter is a new, constant value
                w.line(f"{names.tangent(item.next.var)} = 0.0")
            statements(w, item.body, names, stmt, ret, src)
            w.depth -= 1
        elif isinstance(item, st.While):
            head = item.body[0] if len(item.body) == 1 else None
            tested = isinstance(head, st.If) and [st.Break] in ([type(x) for x in head.then],
                                                                [type(x) for x in head.orelse])
            if tested and getattr(names, "guard", False):  # the budget counts the test that ends the loop too
                w.line(GUARD_CALL)
            if isinstance(head, st.If) and [type(x) for x in head.then] == [st.Break]:
                w.line(f"while {compare_text(names, head.test, not head.when)}:", where(head.test, src))
                body = head.orelse
            elif isinstance(head, st.If) and [type(x) for x in head.orelse] == [st.Break]:
                w.line(f"while {compare_text(names, head.test, head.when)}:", where(head.test, src))
                body = head.then
            else:
                w.line("while True:")
                body = item.body
            w.depth += 1
            if getattr(names, "guard", False):
                w.line(GUARD_CALL)
            statements(w, body, names, stmt, ret, src)
            w.depth -= 1
        elif isinstance(item, st.Break):
            w.line("break")
        elif isinstance(item, st.Continue):
            w.line("continue")
        elif isinstance(item, st.Return):
            ret(item)
        elif isinstance(item, st.Raise):
            w.line(f"raise ValueError({'reached the end of ' + names.fn_label + ' without a return'!r})")


def call_text(func: str, args: list[str]) -> str:
    return f"{func}({', '.join(args)})"


def unpack(outs: list[str], vector: bool) -> str:
    if len(outs) == 1 and not vector:
        return outs[0]
    return ", ".join(outs) + ("," if len(outs) == 1 else "")


def returned(values: list[str], vector: bool) -> str:
    return values[0] if len(values) == 1 and not vector else "[" + ", ".join(values) + "]"


def primal_function(fn: ir.Function, pyname: str, funcs: dict[str, tuple[str, ir.Function]],
                    src: list[str], guard: bool = False, notes: bool = True) -> tuple[str, set[str]]:
    """``def pyname(params)``: the value (see the module docstring).  ``funcs``: IR name →
    (Python name, function) of every function of the program; ``guard``: every ``while``
    iteration first calls ``_guard()`` (``adcalc.compile``'s step budget); ``notes`` False: no
    comments (``Writer``)."""
    names = Names(fn, module_names(funcs))
    names.guard = guard
    names.whole = {names[n] for n in index_whole(fn)}
    names.fn_label = "the program" if fn.name == "<main>" else f"function {fn.name}"

    def eqn(ins: ir.Eqn) -> tuple[str, str]:
        args = [atom(names, a) for a in ins.args]
        code = bare(T.value(ins.prim, args, names.whole))
        return code, notation(ins, args, code) if notes else ""

    return value_function(fn, pyname, names, funcs, src, eqn, notes)


def value_function(fn: ir.Function, pyname: str, names: Names, funcs: dict[str, tuple[str, ir.Function]],
                   src: list[str], eqn: Callable[[ir.Eqn], tuple[str, str]],
                   notes: bool = True) -> tuple[str, set[str]]:
    """``def pyname(params)`` computing ``fn``'s value with its control flow, copies, calls and
    returns; ``eqn(ins)`` gives a step's value text and its note (the scalar templates, or the
    NumPy text of ``arrayflow``; ``notes``: see ``Writer``)."""
    w = Writer(notes)

    def stmt(ins: object) -> None:
        if isinstance(ins, ir.Eqn):
            code, note = eqn(ins)
            w.line(f"{names[ins.out]} = {code}", where(ins, src), note)
        elif isinstance(ins, ir.Move):
            w.line(f"{names[ins.name]} = {atom(names, ins.value)}", where(ins, src))
        elif isinstance(ins, ir.CallFn):
            callee, cfn = funcs[ins.func]
            w.line(f"{unpack([names[o] for o in ins.outs], cfn.vector)} = "
                   f"{call_text(callee, [atom(names, a) for a in ins.args])}", where(ins, src))

    def ret(item: st.Return) -> None:
        w.line(f"return {returned([atom(names, v) for v in item.ins.values], fn.vector)}", where(item.ins, src))

    statements(w, prune(st.structure(fn), live(fn)), names, stmt, ret, src)
    params = ", ".join(names[p] for p in fn.params)
    return f"def {pyname}({params}):\n{w.text()}", w.helpers


def tangent_term(partial: str, dt: str, w: Writer, scratch: list[int]) -> str | None:
    """The term ∂·dt with the zero rule; None when it is exactly zero."""
    c = T.constant_partial(partial)
    if c is not None:
        if c == 0.0:
            return None
        if c == 1.0:
            return dt
        if c == -1.0:
            return f"-{dt}"
        if c - c != 0.0:  # an infinite or nan partial: a zero tangent still contributes nothing
            return f"({T.lit(c)} * {dt} if {dt} else 0.0)"
        return f"{T.lit(c)} * {dt}"
    p = partial
    if not (p.isidentifier()):
        scratch[0] += 1
        p = f"_p{scratch[0]}"
        w.line(f"{p} = {bare(partial)}")
    return f"({p} * {dt} if {p} and {dt} else 0.0)"


def jvp_function(fn: ir.Function, pyname: str, funcs: dict[str, tuple[str, ir.Function]],
                 src: list[str], guard: bool = False, notes: bool = True) -> tuple[str, set[str]]:
    """``def pyname(params, tangents)`` → ``(value, tangent)`` (see the module docstring; ``notes``:
    see ``Writer``)."""
    names = Names(fn, module_names(funcs))
    names.guard = guard
    names.whole = {names[n] for n in index_whole(fn)}
    names.fn_label = "the program" if fn.name == "<main>" else f"function {fn.name}"
    active = active_names(fn) & useful(fn)
    names.with_tangent = active
    w = Writer(notes)

    def tangent_of(a: ir.Atom) -> str | None:
        return names.tangent(a.name) if isinstance(a, ir.Var) and a.name in active else None

    def stmt(ins: object) -> None:
        if isinstance(ins, ir.Eqn):
            args = [atom(names, a) for a in ins.args]
            out = names[ins.out]
            if ins.out not in active:
                code = bare(T.value(ins.prim, args, names.whole))
                w.line(f"{out} = {code}", where(ins, src), notation(ins, args, code) if notes else "")
                return
            in_place = any(isinstance(a, ir.Var) and a.name == ins.out for a in ins.args)
            code = bare(T.value(ins.prim, args, names.whole))
            w.line(f"{'_v' if in_place else out} = {code}", where(ins, src), notation(ins, args, code) if notes else "")
            scratch = [0]
            terms = []
            for i, a in enumerate(ins.args):
                dt = tangent_of(a)
                if dt is not None:
                    if ins.prim == "index" and i == 0:  # the element's tangent: dx[i]
                        dt += T.element_key(args, names.whole)
                    term = tangent_term(T.partial(ins.prim, i, args), dt, w, scratch)
                    if term is not None:
                        terms.append(term)
            w.line(f"{names.tangent(ins.out)} = {' + '.join(terms) if terms else '0.0'}")
            if in_place:
                w.line(f"{out} = _v")
        elif isinstance(ins, ir.Move):
            w.line(f"{names[ins.name]} = {atom(names, ins.value)}", where(ins, src))
            if ins.name in active:
                w.line(f"{names.tangent(ins.name)} = {tangent_of(ins.value) or '0.0'}")
        elif isinstance(ins, ir.CallFn):
            callee, cfn = funcs[ins.func]
            outs = [names[o] for o in ins.outs]
            douts = [names.tangent(o) for o in ins.outs]
            args = [atom(names, a) for a in ins.args] + [tangent_of(a) or "0.0" for a in ins.args]
            w.line(f"({unpack(outs, cfn.vector)}), ({unpack(douts, cfn.vector)}) = "
                   f"{call_text(callee + '_jvp', args)}", where(ins, src))

    def ret(item: st.Return) -> None:
        values = item.ins.values
        w.line(f"return {returned([atom(names, v) for v in values], fn.vector)}, "
               f"{returned([tangent_of(v) or '0.0' for v in values], fn.vector)}", where(item.ins, src))

    statements(w, prune(st.structure(fn), live(fn)), names, stmt, ret, src)
    w.lines = drop_unread(w.lines, set(names.tangents.values()) - {names.tangent(p) for p in fn.params})
    params = [names[p] for p in fn.params] + [names.tangent(p) for p in fn.params]
    return f"def {pyname}_jvp({', '.join(params)}):\n{w.text()}", w.helpers
