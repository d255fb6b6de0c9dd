"""Argument checks shared by the estimators: each error names the argument
and says what was expected."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence, Sized
from typing import TYPE_CHECKING, Any

import numpy as np

from ._sklearn_compat import not_fitted_error

if TYPE_CHECKING:
    from typing_extensions import TypeIs

INT32_MAX = 2**31 - 1  # the native core's int arguments
INT64_MAX = 2**63 - 1
# Largest float32: k-means and PQ compare squared distances in float32.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_fitted(estimator: object, attribute: str) -> None:
    """Raises NotFittedError unless `estimator` has the learned `attribute`."""
    if getattr(estimator, attribute, None) is None:
        name = type(estimator).__name__
        raise not_fitted_error()(f"this {name} is not fitted yet: call fit() first")


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """`value` as an int in [low, high] (no upper bound when high is None); bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if value < low or (high is not None and value > high):
        expected = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def check_positive_int(name: str, value: Any, high: int = INT32_MAX) -> int:
    """A positive int at most `high` (a limit of the native core)."""
    value = check_int(name, value, 1)
    if value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_seed(name: str, value: Any) -> int:
    return check_int(name, value, 0, 2**64 - 1)


def check_threads(n_jobs: Any, name: str = "n_jobs") -> int:
    """The native threads argument: 0 (all cores) for None, else a positive int."""
    return 0 if n_jobs is None else check_positive_int(name, n_jobs)


def check_float(name: str, value: Any, minimum: float, inclusive: bool = False) -> float:
    """`value` as a finite float > `minimum` (>= when `inclusive`)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    ok = value >= minimum if inclusive else value > minimum
    if not ok or not np.isfinite(value):
        bound = ">=" if inclusive else ">"
        raise ValueError(f"{name} must be a finite number {bound} {minimum}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def is_path(texts: object) -> TypeIs[str | os.PathLike[str]]:
    return isinstance(texts, (str, os.PathLike))


def check_path(name: str, path: str | os.PathLike[str]) -> str:
    """The path as a str; ValueError when it holds a NUL, as open() says
    (the system would read a shorter path)."""
    path = os.fspath(path)
    if "\0" in path:
        raise ValueError(f"{name}: {path!r} holds a NUL character")
    return path


def check_file(name: str, path: str | os.PathLike[str]) -> str:
    """The path as a str, or ValueError when it is empty or not a file."""
    path = check_path(name, path)
    if not path:
        raise ValueError(f"{name}: an empty string is neither texts nor a file path")
    if not os.path.isfile(path):
        raise ValueError(
            f"{name}: file {path!r} does not exist (a str is read as the path of a "
            "fastText-format file; give texts as a list of str)"
        )
    return path


def check_same_length(name_a: str, a: Sized, name_b: str, b: Sized) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} have different lengths ({len(a)} != {len(b)})")


def as_float_matrix(
    name: str, X: Any, n_features: int | None = None, estimator: object = None
) -> np.ndarray:
    """`X` as a C-contiguous float32 (n_samples, n_features) array of finite values
    small enough that squared distances between rows fit in float32.

    n_features, when given, is the column count `estimator` was fitted with.
    """
    if hasattr(X, "tocsr"):  # scipy.sparse, without importing scipy
        raise TypeError(f"{name}: sparse input is not supported; pass a dense array "
                        "(e.g. X.toarray())")
    try:
        raw = np.asarray(X)
        if raw.dtype == object:  # e.g. Python numbers of several types
            raw = raw.astype(np.float64)
    except (TypeError, ValueError) as error:  # ragged nested lists, non-numbers
        raise TypeError(f"{name} must be a 2-D array of numbers: {error}") from None
    if raw.dtype.kind == "c":  # ValueError with this message, as scikit-learn's estimators
        raise ValueError(f"{name} must be a 2-D array of real numbers: Complex data not "
                         "supported")
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a 2-D array of numbers, got dtype {raw.dtype}")
    if raw.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features), got shape "
            f"{raw.shape}. Reshape your data: array.reshape(-1, 1) for a single feature, "
            "array.reshape(1, -1) for a single sample"
        )
    if raw.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={raw.shape}) while a minimum of 1 "
                         "is required.")
    if n_features is not None and raw.shape[1] != n_features:
        raise ValueError(
            f"{name} has {raw.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {n_features} features as input"
        )
    if raw.size:
        # min/max propagate NaN and expose infinities without a temporary array.
        low, high = float(raw.min()), float(raw.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"{name} contains NaN or infinity")
        # |x - c|^2 sums n_features terms of at most (2 * limit)^2 each.
        limit = float(np.sqrt(_FLOAT32_MAX / (4 * raw.shape[1])))
        largest = max(-low, high)
        if largest > limit:
            raise ValueError(
                f"{name} has values up to {largest:.3g} in magnitude: squared distances between "
                f"its rows would overflow float32 (with {raw.shape[1]} features the limit is "
                f"{limit:.3g}); scale {name} down"
            )
    # Aligned too: the core reads rows as floats (an array unpickled from a
    # byte buffer, e.g. by a Dask worker, can start at an odd address).
    return np.require(raw, dtype=np.float32, requirements=("C", "A"))


def as_code_matrix(name: str, codes: Any, n_codes: int, n_values: int) -> np.ndarray:
    """`codes` as a C-contiguous (n_samples, n_codes) integer array with values in
    [0, n_values), in the smallest unsigned dtype that holds n_values."""
    array = np.asarray(codes)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != n_codes:
        raise ValueError(f"{name} must have shape (n_samples, {n_codes}), got shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= n_values):
        raise ValueError(
            f"{name} must be in [0, {n_values}), got values in [{array.min()}, {array.max()}]"
        )
    return np.ascontiguousarray(array, dtype=code_dtype(n_values))


def code_dtype(n_values: int) -> np.dtype:
    """The smallest unsigned dtype that holds codes 0 .. n_values - 1."""
    if n_values <= 2**8:
        return np.dtype(np.uint8)
    if n_values <= 2**16:
        return np.dtype(np.uint16)
    return np.dtype(np.uint32)
