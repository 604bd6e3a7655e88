"""Which argument is SOURCE: the one rule of the command line and the one-shot fast path.

Contract: ``find_source(args, options)`` reads a command's arguments (what follows the command
name) given its options (``options``: every spelling, ``-h`` and ``--help`` included, mapped to
whether it takes a value) and splits them into the option arguments, in their order, and SOURCE:

- An argument that is one of the command's options is that option — its exact spelling,
  ``--flag=value``, or a prefix of exactly the long options it could abbreviate (as argparse
  reads them) — and an option that takes a value takes the next argument as it, whatever it
  starts with (``--cot -1,2``), except ``--``.  Option arguments come back as ``flag=value``
  when the value was a separate argument, so nothing downstream mistakes it for an option.
- ``--`` makes the next argument SOURCE, before or after the options (``adcalc eval -- "-x^2"
  --at x=3`` and ``adcalc eval --at x=3 -- "-x^2"``); a second ``--`` is an extra candidate.
- Any other argument is a candidate for SOURCE, wherever it stands among the options, even if
  it starts with ``-`` (``-x^2``, ``-2*x``, 10,000 minus signs and then ``x``).  SOURCE is the
  first candidate that does not start with ``-`` (``-``, standard input, is such a one), else the
  first candidate; the other candidates are ``extra`` (the caller reports them as unrecognized).

Why: argparse reads an argument that starts with ``-`` as an option (unless it looks like a
negative number), so ``adcalc eval "-x^2" --at x=3`` failed with "the following arguments are
required: SOURCE" — and ``--`` ended the options, so options after it were not recognized.
Standard library only (the fast path imports it before anything else).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def option_of(arg: str, options: Mapping[str, bool]) -> str | None:
    """The option ``arg`` spells (``--at``, ``--at=x=1``, ``--js`` for ``--json``), or None; an
    ambiguous abbreviation gives itself (argparse reports it)."""
    flag = arg.split("=", 1)[0] if arg.startswith("--") else arg
    if flag in options:
        return flag
    if flag.startswith("--") and len(flag) > 2:
        matches = [o for o in options if o.startswith(flag) and o.startswith("--")]
        if len(matches) == 1:
            return matches[0]
        if matches:
            return flag
    return None


def find_source(args: Sequence[str], options: Mapping[str, bool]) -> tuple[list[str], str | None, list[str]]:
    """(the option arguments in order, SOURCE or None, the extra candidates) — see the module docstring."""
    opts: list[str] = []
    candidates: list[str] = []
    forced: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--" and forced is None:
            if i + 1 < len(args):  # a last '--' marks nothing: SOURCE is still missing
                forced = args[i + 1]
            i += 2
            continue
        flag = option_of(arg, options)
        if flag is None:
            candidates.append(arg)
        elif "=" in arg or not options.get(flag, False) or i + 1 >= len(args) or args[i + 1] == "--":
            opts.append(arg)
        else:
            opts.append(f"{arg}={args[i + 1]}")
            i += 1
        i += 1
    if forced is not None:
        return opts, forced, candidates
    plain = [k for k, a in enumerate(candidates) if a == "-" or not a.startswith("-")]
    if not candidates:
        return opts, None, []
    k = plain[0] if plain else 0
    return opts, candidates[k], candidates[:k] + candidates[k + 1:]
