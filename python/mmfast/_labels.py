"""Labels to class ids and back: what a Classifier's ``y`` may be (one label
per example, or a list of labels per example; all str or all numbers), the
sorted classes and the per-example class ids the core trains on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_LABEL_LISTS = (list, tuple, set, frozenset, np.ndarray)


def is_multilabel(y: Sequence[Any] | np.ndarray) -> bool:
    """Whether ``y`` holds a list of labels per text (as its first element
    does); ValueError when it mixes lists and single labels."""
    if len(y) == 0 or not isinstance(y[0], _LABEL_LISTS):
        return False
    _check_not_mixed(y)
    return True


def _check_not_mixed(y: Sequence[Any] | np.ndarray) -> None:
    lists = [isinstance(labels, _LABEL_LISTS) for labels in y]
    if any(lists) and not all(lists):
        first_list, first_label = lists.index(True), lists.index(False)
        raise ValueError(
            "y must hold one label per text, or one list of labels per text, not a mix: "
            f"y[{first_list}] is of type {type(y[first_list]).__name__}, "
            f"y[{first_label}] of type {type(y[first_label]).__name__}"
        )


def _label_array(labels: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Labels as a 1-D array of one kind, str or numbers (int, float, bool), so
    that they survive save/pickle and compare as given."""
    try:
        values = np.asarray(labels)
        items = labels
        if values.dtype == object:  # e.g. pandas' object columns: typed by their items
            items = values.tolist()
            values = np.asarray(items)
    except ValueError:  # numpy's "inhomogeneous shape": lists among the labels
        _check_not_mixed(labels)
        raise
    if values.ndim != 1:
        _check_not_mixed(labels)
        raise ValueError("y must hold one label per text, or one list of labels per text")
    # numpy turns [1, "a"] into strings: refuse the mix instead.
    if values.dtype.kind == "U" and not isinstance(items, np.ndarray):
        if not all(isinstance(label, str) for label in items):
            kinds = sorted({type(label).__name__ for label in items})
            raise TypeError(
                f"y: labels must be all str or all numbers, got a mix of {', '.join(kinds)}"
            )
        # numpy's str arrays drop trailing NULs: "a\x00" would become the class "a".
        if "\x00" in "".join(items):
            raise ValueError("y: a label contains a NUL character ('\\x00')")
    if values.dtype.kind == "c":  # ValueError with this message, as scikit-learn's
        raise ValueError("y: Complex data not supported; labels are str, int, float or bool")
    if values.dtype.kind not in "Uiufb":
        _check_not_mixed(labels)
        if values.dtype.kind == "S":
            got = "bytes (decode them to str)"
        elif values.dtype == object:
            got = ", ".join(sorted({type(label).__name__ for label in labels}))
        else:
            got = str(values.dtype)
        raise TypeError(f"y: Unknown label type: labels must be str, int, float or bool, "
                        f"got {got}")
    if values.dtype.kind == "f" and values.dtype.itemsize > 8:
        # long double: saved models keep labels as float64 at most.
        wide = values
        values = values.astype(np.float64)
        if not np.array_equal(values, wide):
            raise ValueError("y: long double labels that float64 cannot hold exactly; "
                             "labels are classes: use int or str")
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise ValueError("y contains NaN or infinity")
    if values.dtype.kind == "f" and not np.array_equal(values, np.round(values)):
        raise ValueError("y: Unknown label type: continuous (floats with a fractional part); "
                         "a classifier's labels are classes: str, int, or integral floats")
    return values


def encode_labels(
    y: Sequence[Any] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """classes (sorted), then per-example class ids as (offsets, ids), and
    whether the data is multi-label."""
    multilabel = is_multilabel(y)
    flat: Sequence[Any] | np.ndarray = y
    if multilabel:
        lengths = np.fromiter((len(labels) for labels in y), dtype=np.int64, count=len(y))
        flat = [label for labels in y for label in labels]
    else:
        lengths = np.ones(len(y), dtype=np.int64)
    classes, ids = np.unique(_label_array(flat), return_inverse=True)
    offsets = np.zeros(len(y) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return classes, offsets, ids.astype(np.int32).ravel(), multilabel


def check_shares_a_class(labels: np.ndarray, classes: np.ndarray) -> None:
    """ValueError unless one of the true ``labels`` of y is one of ``classes``:
    comparing with labels of another type (1 against "1") would score 0
    silently."""
    known = set(classes.tolist())
    if len(labels) and not any(_hashable(label) in known for label in labels):
        shown = ", ".join(repr(c) for c in classes[:5].tolist())
        more = ", ..." if len(classes) > 5 else ""
        raise ValueError(
            f"y shares no label with the model's classes_ ({shown}{more}); "
            f"the model's labels are {type(classes[:1].tolist()[0]).__name__} (labels read "
            "from a file are str)"
        )


def _hashable(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


def ids_among(classes: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Class ids into ``classes`` (a model's, sorted) of examples whose ids
    index their own ``labels``; ValueError naming the labels that are not
    classes (the classes are fixed once a model is fitted)."""
    known = set(classes.tolist())
    unknown = [label for label in labels.tolist() if label not in known]
    if unknown:
        shown = ", ".join(repr(label) for label in unknown[:5])
        more = ", ..." if len(unknown) > 5 else ""
        raise ValueError(
            f"y has labels that are not among the model's classes_: {shown}{more}; the classes "
            "are fixed by the first fit or partial_fit (pass every class there with classes=)"
        )
    positions = np.searchsorted(classes, labels).astype(np.int32)
    return positions[ids] if len(ids) else ids.astype(np.int32)
