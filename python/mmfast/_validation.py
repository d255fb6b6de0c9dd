"""Argument checks shared by the estimators.

Every error names the offending argument and says what was expected.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted estimator is called before fit()."""


def check_fitted(estimator: object, attribute: str) -> None:
    """Raises NotFittedError unless `estimator` has the learned `attribute`."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet: call fit(X) first")


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """`value` as an int in [low, high] (no upper bound when high is None)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if value < low or (high is not None and value > high):
        expected = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def check_positive_int(name: str, value: Any) -> int:
    return check_int(name, value, 1)


def check_seed(name: str, value: Any) -> int:
    return check_int(name, value, 0, 2**64 - 1)


def check_threads(threads: Any) -> int:
    """The native threads argument: 0 (all cores) for None, else a positive int."""
    return 0 if threads is None else check_positive_int("threads", threads)


def as_float_matrix(name: str, X: Any, n_features: int | None = None) -> np.ndarray:
    """`X` as a C-contiguous float32 (n_samples, n_features) array of finite values.

    n_features, when given, is the column count the estimator was fitted with.
    """
    try:
        array = np.ascontiguousarray(X, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a 2-D array of numbers: {error}") from None
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features), got shape {array.shape}"
        )
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} features, but the estimator was fitted with {n_features}"
        )
    # min/max propagate NaN and expose infinities without a temporary array.
    if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):
        raise ValueError(f"{name} contains NaN or infinity")
    return array


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
