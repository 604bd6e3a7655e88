"""argparse types of the command line's option values: each turns the option's text into its
value or raises ``argparse.ArgumentTypeError`` with what was wrong (argparse then reports it as a
usage error, status 2).  argparse itself is imported only when a value is bad or parsed.
"""

from __future__ import annotations

__all__ = ["positive_int", "positive_number", "seconds", "size"]


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    import argparse

    digits = text.strip().removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):  # int() would also take '٣' and '1_0'
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
    if len(digits) > 18:
        raise argparse.ArgumentTypeError("is too large")
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_number(text: str) -> float:
    """argparse type: a finite number > 0 in the language's number syntax (``0.01``, ``1e-3``, ``.5``)."""
    import argparse
    import re

    if not re.fullmatch(r"[+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", text.strip(), re.ASCII):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (write it like 0.01 or 1e-3)")
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, not {text.strip()}")
    return value


def size(text: str) -> int:
    """argparse type: a memory size (``8G``, ``512M``)."""
    import argparse

    from adcalc.transform.budget import parse_size

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def seconds(text: str) -> float:
    """--timeout: a positive number of seconds (at most a million)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value <= 1e6:
        raise argparse.ArgumentTypeError("must be a number of seconds above 0 (at most 1000000)")
    return value
