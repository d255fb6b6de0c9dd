"""Argument checks shared by the estimators: each error names the argument
and what was expected."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any


def check_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(name: str, value: Any, minimum: float, inclusive: bool = False) -> float:
    """``value`` as a finite float > ``minimum`` (>= when ``inclusive``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    ok = value >= minimum if inclusive else value > minimum
    if not ok or value != value or value in (float("inf"), float("-inf")):
        bound = ">=" if inclusive else ">"
        raise ValueError(f"{name} must be a finite number {bound} {minimum}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_threads(value: Any) -> int:
    """``threads``: None (all cores) or a positive int; 0 stands for all cores in C++."""
    return 0 if value is None else check_int("threads", value, 1)


def is_path(texts: Any) -> bool:
    return isinstance(texts, (str, os.PathLike))


def check_file(name: str, path: str | os.PathLike[str]) -> str:
    """The path as a str, or ValueError when it is empty or not a file."""
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{name}: an empty string is neither texts nor a file path")
    if not os.path.isfile(path):
        raise ValueError(f"{name}: file {path!r} does not exist")
    return path


def check_same_length(name_a: str, a: Sequence[Any], name_b: str, b: Sequence[Any]) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} have different lengths ({len(a)} != {len(b)})")
