"""Generators of hostile and random inputs, shared by the fuzz tests and tests/fuzz/long_run.py."""

from __future__ import annotations

import random
import re
from pathlib import Path

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.ad"))

TOKENS = (
    "x y z t a b n i s e pi sin cos exp log sqrt abs max min pow atan2 hypot range f g def return if elif else "
    "while for in and or not break continue pass 0 1 2 0.5 1e-3 .5 1e308 9 99999999999999999999 1e999 "
    "+ - * / ^ ** ( ) [ ] , : = == != < <= > >= += -= *= /= # \n \n\n \t     "
    "sum mean prod dot norm transpose zeros ones len axis=0 axis=-1 @ [1,2] [[1,2],[3,4]] [x,y] x[0] x[1:] "
    "x[:-1] [0] [1,0] [:,0] :: 1e300 -1"
).split(" ")
CHARS = "xyz019.+-*/^()[],:=<>!#_ \n\t'\"\\@$%&|~`{};?\x00é１"
POINT = "x=0.5,y=1.5,z=-2,t=3,a=0.25,b=4,n=3,s=1"


def random_tokens(rng: random.Random, n: int) -> str:
    parts = []
    for _ in range(n):
        tok = rng.choice(TOKENS)
        parts.append(tok if tok else " ")
        if rng.random() < 0.7 and tok not in ("\n", "\t"):
            parts.append(" ")
    return "".join(parts)


def random_chars(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(CHARS) for _ in range(n))


_LEX = re.compile(r"\s+|[A-Za-z_]\w*|\d+\.?\d*(?:[eE][+-]?\d+)?|\*\*|[<>=!+\-*/]=|.", re.S)


def mutate(text: str, rng: random.Random, edits: int = 3) -> str:
    """Delete, duplicate or swap tokens of a valid program."""
    toks = _LEX.findall(text)
    for _ in range(edits):
        if len(toks) < 2:
            break
        i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
        op = rng.choice(("delete", "duplicate", "swap", "replace"))
        if op == "delete":
            del toks[i]
        elif op == "duplicate":
            toks.insert(i, toks[j])
        elif op == "swap":
            toks[i], toks[j] = toks[j], toks[i]
        else:
            toks[i] = rng.choice(TOKENS) or " "
    return "".join(toks)


def sample_text(rng: random.Random) -> str:
    return rng.choice(SAMPLES).read_text(encoding="utf-8")


def random_program(rng: random.Random) -> str:
    """A valid program: a loop, a branch and arithmetic over x and y."""
    ops = ["+", "-", "*"]
    body = rng.choice(["s = s {op} sin(x * i + y)", "s = s {op} y / (1 + i)", "s = s {op} x^2"]).format(
        op=rng.choice(ops))
    return (f"s = x\nfor i in range({rng.randint(0, 5)}):\n    if s > {rng.uniform(-2, 2):.3f}:\n        {body}\n"
            f"    else:\n        s = s * 0.5 + y\nreturn s\n")


def random_array_program(rng: random.Random) -> str:
    """A valid program over arrays built from the scalar inputs x and y."""
    n = rng.randint(1, 4)
    items = ", ".join(rng.choice(["x", "y", "x*y", "sin(x)", "1", "y^2"]) for _ in range(n))
    reduce = rng.choice(["sum", "mean", "prod", "max", "min", "norm"])
    return (f"v = [{items}]\nM = [v, 2 * v]\nw = transpose(M) @ [1, -1]\nfor i in range(len(v)):\n"
            f"    v[i] = v[i] * {rng.uniform(-2, 2):.3f} + w[i]\n"
            f"return {reduce}(v * v) + sum(M, axis={rng.randint(0, 1)})[0]\n")


def hostile(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 5:
        return mutate(random_array_program(rng), rng, rng.randint(0, 3))
    if kind == 6:
        return random_array_program(rng)
    if kind == 0:
        return random_tokens(rng, rng.randint(1, 30))
    if kind == 1:
        return random_chars(rng, rng.randint(1, 40))
    if kind == 2:
        return mutate(sample_text(rng), rng, rng.randint(1, 4))
    if kind == 3:
        return mutate(random_program(rng), rng, rng.randint(0, 3))
    return random_program(rng)
