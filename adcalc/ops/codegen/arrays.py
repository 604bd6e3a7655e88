"""Generated code for whole-array programs: NumPy values, forward and reverse code.

Contract: ``whole_arrays(program)`` says whether a program computes with arrays beyond reading
elements of its inputs (``elements``: those keep their list code); ``array_module(program, mode,
label)`` writes its module — the entry points of ``module.generate`` (``f``, ``f_jvp``, ``f_vjp``,
``f_grad``, ``INPUTS``, ``N_OUTPUTS``) over numbers and float64 arrays, importing only ``math`` and
``numpy``.  Each step is the interpreter's: a step on numbers only (known to be numbers: literals,
full reductions, ``len``, ``norm``, and steps on those) is the scalar template (``templates``);
an elementwise step that may see an array is the registry's array rule, and its partials the
registry's array partials, traced into NumPy text (``arrayrules``); an array primitive's value is
NumPy's, its tangent and cotangent the registry's own ``jvp``/``vjp`` functions copied into the
module.  Forward mode adds Σᵢ mul0(∂ᵢ, ẋᵢ) and broadcasts to the value's shape; reverse mode adds
x̄ᵢ += unbroadcast(mul0(ȳ, ∂ᵢ)) in the interpreter's order (the tape's), scatters a read
``x[key]``'s cotangent into x̄ at key in place (an adjoint the sweep allocated itself, never one
that may be another's view), and returns adjoints shaped like their inputs.  ``Program`` is the
straight-line form (``arraymodule`` writes it; each assignment a new name); programs with loops,
ifs and calls take the same step texts (``step_value``, ``tangent_text``, ``cotangent``,
``partial_of``) through ``arrayflow``.
"""

from __future__ import annotations

from collections.abc import Callable

from adcalc.errors import AdcalcError
from adcalc.language import ir
from adcalc.ops.codegen import arrayrules as R
from adcalc.ops.codegen import templates as T
from adcalc.ops.codegen.forward import where
from adcalc.ops.codegen.names import Names

_REDUCTIONS = {"sum": "sum", "mean": "mean", "prod": "prod", "amax": "amax", "amin": "amin"}
AS_ARRAY = frozenset({"index", "setitem", "sum", "mean", "prod", "amax", "amin", "matmul", "dot", "transpose",
                       "norm", "len"})  # arg 0 (matmul/dot: both) must be an array
_SCALAR_OUT = frozenset({"norm", "len"})


def whole_arrays(program: ir.Program) -> bool:
    """Whether the program needs array code (anything beyond ``elements``' reads of inputs)."""
    from adcalc.ops.codegen.elements import array_inputs
    from adcalc.rules.registry import REGISTRY

    for fn in program.functions.values():
        for ins in fn.code:
            if isinstance(ins, ir.Eqn) and ins.prim in REGISTRY and not REGISTRY[ins.prim].elementwise \
                    and ins.prim not in ("index", "len"):
                return True
    try:
        array_inputs(program)
    except AdcalcError:
        return True
    return False


def _refuse(what: str, span: object) -> AdcalcError:
    return AdcalcError("type", f"code generation handles whole-array programs without loops, ifs or calls "
                       f"so far, and this program has {what}", span,  # type: ignore[arg-type]
                       hint="run it with the interpreter (eval, grad, jvp, vjp, jacobian)")


def key_text(params: tuple, subs: list[str], as_tuple: bool) -> str:
    """The NumPy key of ``x[...]``: literal indices as they are, others checked whole (``_ix``)."""
    it = iter(subs)

    def bound(a: str) -> str:
        c = T.constant_partial(a)
        if c is None:
            return f"_ix({a})"
        if c != c or c - c != 0.0 or c != int(c):
            raise AdcalcError("index", f"an index must be a whole number, got {a}")
        return str(int(c))

    parts = []
    for part in params:
        if part == "i":
            parts.append(bound(next(it)))
            continue
        b = [bound(next(it)) if present else None for present in part[1:]]
        if as_tuple:
            parts.append(f"slice({', '.join(x or 'None' for x in b)})")
        else:
            parts.append(f"{b[0] or ''}:{b[1] or ''}" + (f":{b[2]}" if b[2] else ""))
    if as_tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return ", ".join(parts)


class Step:
    __slots__ = ("ins", "out", "args", "scalar", "active")

    def __init__(self, ins: ir.Eqn, out: str, args: list[str], scalar: bool, active: list[bool]):
        self.ins, self.out, self.args, self.scalar, self.active = ins, out, args, scalar, active


class Program:
    """The main function as straight-line steps over Python names (each assignment a new name)."""

    def __init__(self, fn: ir.Function):
        self.names = Names(fn, {"f", "f_jvp", "f_vjp", "f_grad", "INPUTS", "N_OUTPUTS", "ybar"})
        self.params = [self.names[p] for p in fn.params]
        cur: dict[str, str] = {p: self.names[p] for p in fn.params}
        self.scalar: set[str] = set()
        self.active: set[str] = set(self.params)
        self.as_array: set[str] = set()
        self.steps: list[Step] = []
        self.outputs: list[str] = []
        assigned: set[str] = set(fn.params)
        ended = False
        for ins in fn.code:
            if isinstance(ins, ir.FallOff) or (ended and isinstance(ins, ir.Label)):
                continue
            if ended:
                raise _refuse("code after its return", getattr(ins, "span", None))
            if isinstance(ins, ir.Move):
                cur[ins.name] = self.atom(ins.value, cur)
                assigned.add(ins.name)
            elif isinstance(ins, ir.Eqn):
                args = [self.atom(a, cur) for a in ins.args]
                out = self.names[ins.out] if ins.out not in assigned else self.names.fresh(self.names[ins.out])
                assigned.add(ins.out)
                cur[ins.out] = out
                self.steps.append(self.step(ins, out, args))
            elif isinstance(ins, ir.Return):
                self.outputs = [self.atom(v, cur) for v in ins.values]
                ended = True
            elif isinstance(ins, ir.CallFn):
                raise _refuse(f"a call of {ins.func}", ins.span)
            else:
                raise _refuse("a loop or an if", getattr(ins, "span", None))

    def atom(self, a: ir.Atom, cur: dict[str, str]) -> str:
        if isinstance(a, ir.Var):
            return cur[a.name]
        self.scalar.add(T.lit(a.value))
        return T.lit(a.value)

    def step(self, ins: ir.Eqn, out: str, args: list[str]) -> Step:
        from adcalc.rules.registry import REGISTRY

        prim = REGISTRY.get(ins.prim)
        if prim is None:
            raise AdcalcError("type", f"code generation does not know the primitive {ins.prim!r} on arrays")
        scalar = prim.elementwise and all(a in self.scalar for a in args)
        if scalar or ins.prim in _SCALAR_OUT or (ins.prim in _REDUCTIONS and ins.params[0] is None):
            self.scalar.add(out)
        if ins.prim == "index" and all(p == "i" for p in ins.params) and args[0] in self.scalar:
            raise AdcalcError("type", "only arrays can be indexed, but this is a number", ins.span)
        if ins.prim in AS_ARRAY:
            self.as_array.update(args[:2] if ins.prim in ("matmul", "dot") else args[:1])
        differentiable = range(len(args)) if prim.elementwise else prim.differentiable
        active = [a in self.active and i in differentiable for i, a in enumerate(args)]
        if any(active) and (prim.elementwise or prim.jvp is not None):
            self.active.add(out)
        return Step(ins, out, args, scalar, active)


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.helpers: set[str] = set()
        self.numbers: set[str] = set()  # names that may hold a number where the program has an array

    def add(self, text: str) -> None:
        self.helpers |= T.helpers(text)
        self.lines.append("        " + text)


def step_value(s: Step) -> str:
    """The value of a step: the scalar template on numbers, NumPy's rule where a value may be an array."""
    name, args, params = s.ins.prim, s.args, s.ins.params
    if s.scalar:
        return T.value(name, args)
    from adcalc.rules.registry import REGISTRY

    if REGISTRY[name].elementwise:
        return R.elementwise_value(name, args)
    if name == "index":
        text = f"{args[0]}[{key_text(params, args[1:], False)}]"
        return f"_a_sc({text})" if all(p == "i" for p in params) else text
    if name == "setitem":
        return f"_a_setitem({args[0]}, {args[1]}, {key_text(params, args[2:], True)})"
    if name == "array":
        return f"np.array([{', '.join(args)}], dtype=float)"
    if name in _REDUCTIONS:  # np.sum is np.add.reduce behind a Python wrapper: the same sum, sooner
        axis = params[0] if params else None
        fn = "np.add.reduce" if name == "sum" else f"np.{name}"
        return f"{fn}({args[0]}, axis={axis})"
    if name in ("matmul", "dot"):
        return f"_a_sc(np.matmul({args[0]}, {args[1]}))"
    if name == "transpose":
        return f"np.transpose({args[0]})"
    if name == "norm":
        return f"float(np.linalg.norm(np.reshape({args[0]}, -1)))"
    if name in ("zeros", "ones"):
        return f"_a_full(({', '.join(args)},), {1.0 if name == 'ones' else 0.0})"
    if name == "len":
        return f"float(np.shape({args[0]})[0])"
    raise AdcalcError("type", f"code generation does not handle {name} on arrays yet", s.ins.span,
                      hint="run it with the interpreter (eval, grad, jvp, vjp, jacobian)")


def forward_lines(p: Program, w: Lines, src: list[str], after: Callable[[Step], None] | None = None) -> None:
    """The value lines (``after``: called after each step's line, for its tangent)."""
    last = ""
    for s in p.steps:
        comment = where(s.ins, src)
        if comment and comment != last:
            w.add(f"# {comment}")
            last = comment
        code = step_value(s)
        if s.ins.prim in _REDUCTIONS and s.out in p.scalar:
            code = f"float({code})"
        w.add(f"{s.out} = {code}")
        if after is not None:
            after(s)


def _term(partial: str | float, t: str, scalar: bool, exact: bool = True) -> str | None:
    """∂·ṫ with the zero rule (None: exactly zero); ``exact`` False: a plain product (the fast
    sweep, whose result stands only where it comes out finite: see ``arraymodule``)."""
    if isinstance(partial, float):
        c = T.lit(partial)
        if partial == 0.0:
            return None
        if partial == 1.0:
            return t
        if partial == -1.0:
            return f"(-{t})"
        if partial - partial == 0.0:  # a finite constant: no 0·inf possible
            return f"({c} * {t})" if scalar else f"({t} * {c})"
        if scalar:
            return f"({c} * {t} if {t} else 0.0)"
        return f"_a_mul0({c}, {t})" if exact else f"({c} * {t})"
    if scalar:
        return f"({partial} * {t} if {partial} and {t} else 0.0)"
    return f"_a_mul0({partial}, {t})" if exact else f"({partial} * {t})"


def partial_of(s: Step, i: int) -> str | float:
    if s.scalar:
        text = T.partial(s.ins.prim, i, s.args)
        c = T.constant_partial(text)
        return c if c is not None else text
    return R.elementwise_partial(s.ins.prim, i, s.args)


def cotangent(partial: str | float, g: str, exact: bool = True) -> str | None:
    """mul0(ȳ, ∂) as the interpreter's ``shapes.mul0`` computes it (None: ∂ is exactly 0); not
    ``exact``: the plain product ȳ·∂ of the fast sweep."""
    if isinstance(partial, float):
        if partial == 0.0:
            return None
        if partial == 1.0:
            return g
        if partial - partial == 0.0:
            return f"(-{g})" if partial == -1.0 else f"({g} * {R.lit(partial)})"
        return f"_a_mul0({g}, {R.lit(partial)})" if exact else f"({g} * {R.lit(partial)})"
    return f"_a_mul0({g}, {partial})" if exact else f"({g} * {partial})"


def tangent_text(s: Step, ts: list[str | None], scalar: set[str], exact: bool = True) -> str | None:
    """The tangent of step ``s`` given its arguments' tangents (None: a constant); None when it
    is exactly zero.  ``scalar``: the names known to hold numbers."""
    from adcalc.rules.registry import REGISTRY

    name = s.ins.prim
    if REGISTRY[name].elementwise:
        terms = [_term(partial_of(s, i), t, s.scalar, exact) for i, t in enumerate(ts) if t is not None]
        terms = [x for x in terms if x is not None]
        if not terms:
            return None
        total = " + ".join(terms) if s.scalar else terms[0]
        for x in terms[1:] if not s.scalar else []:
            total = f"({total} + {x})"
        if not s.scalar and any(a not in scalar and t is None for a, t in zip(s.args, ts)):
            total = f"_a_like({total}, {s.out})"  # an array argument without a tangent: broadcast
        return total
    if REGISTRY[name].jvp is None:  # zeros, ones, len: constants
        return None
    if name == "index":
        return step_value(Step(s.ins, s.out, [str(ts[0])] + s.args[1:], False, s.active))
    if name == "setitem":
        return f"_a_setitem_t({s.args[0]}, {ts[0]}, {ts[1]}, {key_text(s.ins.params, s.args[2:], True)})"
    if name == "array":
        return f"_a_stack_t({s.out}, [{', '.join(str(t) for t in ts)}])"
    n = len(s.args)
    return (f"_a_jv({R.rule_name(name, 0)}, ({', '.join(s.args)}{',' if n == 1 else ''}), "
            f"({', '.join(str(t) for t in ts)}{',' if n == 1 else ''}), {s.ins.params!r}, {s.out})")


def tangent_lines(p: Program, w: Lines, exact: bool = True) -> tuple[Callable[[Step], None], dict[str, str]]:
    """The tangent line of each step (a callback for ``forward_lines``) and the tangent names
    (``exact``: see ``_term``)."""
    dt = {x: "d" + x for x in p.params}

    def after(s: Step) -> None:
        if s.out not in p.active:
            return
        ts = [dt.get(a) if act else None for a, act in zip(s.args, s.active)]
        if not any(ts):
            return
        text = tangent_text(s, ts, p.scalar, exact)
        if text is None:
            return
        out = p.names.fresh("d" + s.out)
        w.add(f"{out} = {text}")
        dt[s.out] = out

    return after, dt
