"""Classification metrics for single- and multi-label data (numpy only).

Labels come in the form ``Classifier.fit`` takes them: one label per example
(``["a", "b", ...]``), or a collection of labels per example for multi-label
data (``[["a", "c"], ["b"], ...]``). Predictions that are ranked lists, such as
the labels from ``Classifier.predict_top``, work wherever a label set does.

``precision_at_k`` and ``recall_at_k`` follow fastText's ``test``: over the
first ``k`` predictions of every example, precision is the share of
predictions that are true labels and recall the share of true labels that
were predicted (both pooled over all examples). With one true label and one
prediction per example, both equal the accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ._validation import check_choice, check_int

__all__ = [
    "accuracy",
    "f1_score",
    "per_class_report",
    "precision_at_k",
    "recall_at_k",
]


class LabelSets(NamedTuple):
    """Labels of ``n_examples`` examples, flattened: ``labels[i]`` belongs to
    example ``rows[i]`` (rows ascending; a ranked list keeps its order)."""

    rows: np.ndarray
    labels: np.ndarray
    n_examples: int

    @classmethod
    def of(cls, name: str, y: Any) -> LabelSets:
        """From one label per example, one collection of labels per example, or
        a 2-D array of ranked labels (one row per example)."""
        if isinstance(y, (str, bytes)) or not isinstance(y, (Sequence, np.ndarray)):
            raise TypeError(f"{name} must be a sequence of labels or of label lists, "
                            f"got {type(y).__name__}")
        if isinstance(y, np.ndarray) and y.dtype != object:
            if y.ndim == 2:  # ranked labels, a row per example
                return cls(np.repeat(np.arange(len(y)), y.shape[1]), y.ravel(), len(y))
            return cls(np.arange(len(y)), _labels(name, y), len(y))
        if _is_flat(y):
            return cls(np.arange(len(y)), _labels(name, y), len(y))
        lengths = [_count(name, labels) for labels in y]
        flat = _labels(name, [label for labels in y for label in labels])
        return cls(np.repeat(np.arange(len(y)), lengths), flat, len(y))

    def first(self, k: int) -> LabelSets:
        """The first k labels of every example."""
        position = np.arange(len(self.rows)) - np.searchsorted(self.rows, self.rows)
        keep = position < k
        return LabelSets(self.rows[keep], self.labels[keep], self.n_examples)


class _Counts(NamedTuple):
    """Per class: true positives, predicted and true counts; per example: whether
    the predicted set equals the true set."""

    classes: np.ndarray
    true_positives: np.ndarray
    predicted: np.ndarray
    actual: np.ndarray
    exact: np.ndarray


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Share of examples whose predicted label (set) equals the true one.

    Parameters
    ----------
    y_true : sequence of labels, or of label collections
        The true label of each example, or its labels (multi-label).
    y_pred : sequence of labels, or of label collections
        The predicted label (set) of each example, in the form of ``y_true``.

    Returns
    -------
    accuracy : float
        For multi-label data, scikit-learn's subset accuracy.

    Examples
    --------
    >>> from mmfast import metrics
    >>> metrics.accuracy(["a", "b", "b"], ["a", "b", "a"])
    0.666...
    """
    return float(np.mean(_counts(y_true, y_pred).exact))


def precision_at_k(y_true: Any, y_ranked: Any, k: int = 1) -> float:
    """Share of the first ``k`` predictions of every example that are true labels.

    Parameters
    ----------
    y_true : sequence of labels, or of label collections
        The true label of each example, or its labels (multi-label).
    y_ranked : sequence of label sequences, or 2-D array
        Per example, predicted labels best first (fewer than k is allowed, as
        fastText's ``test`` with a threshold), e.g. ``predict_top``'s labels.
    k : int, default=1
        Predictions per example that count.

    Returns
    -------
    precision : float
        Hits over predictions, pooled over all examples (0.0 without predictions).

    Examples
    --------
    >>> from mmfast import metrics
    >>> metrics.precision_at_k([["crime", "drama"], ["comedy"]],
    ...                        [["crime", "comedy"], ["comedy", "drama"]], k=2)
    0.5
    """
    hits, predicted, _ = _hits_at_k(y_true, y_ranked, k)
    return hits / predicted if predicted else 0.0


def recall_at_k(y_true: Any, y_ranked: Any, k: int = 1) -> float:
    """Share of the true labels found among the first ``k`` predictions of
    their example.

    Parameters
    ----------
    y_true : sequence of labels, or of label collections
        The true label of each example, or its labels (multi-label).
    y_ranked : sequence of label sequences, or 2-D array
        Per example, predicted labels best first (fewer than k is allowed, as
        fastText's ``test`` with a threshold), e.g. ``predict_top``'s labels.
    k : int, default=1
        Predictions per example that count.

    Returns
    -------
    recall : float
        Hits over true labels, pooled over all examples (0.0 without true labels).

    Examples
    --------
    >>> from mmfast import metrics
    >>> metrics.recall_at_k([["crime", "drama"], ["comedy"]],
    ...                     [["crime", "comedy"], ["comedy", "drama"]], k=2)
    0.666...
    """
    hits, _, actual = _hits_at_k(y_true, y_ranked, k)
    return hits / actual if actual else 0.0


def f1_score(y_true: Any, y_pred: Any, average: str = "micro") -> float:
    """F1 of the predicted label sets.

    Parameters
    ----------
    y_true : sequence of labels, or of label collections
        The true label of each example, or its labels (multi-label).
    y_pred : sequence of labels, or of label collections
        The predicted label (set) of each example, in the form of ``y_true``.
    average : {"micro", "macro"}, default="micro"
        "micro" pools the counts of all classes; "macro" averages the per-class
        F1 over every class that occurs in ``y_true`` or ``y_pred`` (a class
        never predicted nor true-positive scores 0, as scikit-learn with
        ``zero_division=0``).

    Returns
    -------
    f1 : float

    Examples
    --------
    >>> from mmfast import metrics
    >>> metrics.f1_score(["a", "b", "b"], ["a", "b", "a"], average="macro")
    0.666...
    """
    check_choice("average", average, ("micro", "macro"))
    counts = _counts(y_true, y_pred)
    if average == "micro":
        return _f1(counts.true_positives.sum(), counts.predicted.sum(), counts.actual.sum())
    return float(np.mean(_f1(counts.true_positives, counts.predicted, counts.actual)))


def per_class_report(y_true: Any, y_pred: Any) -> dict[Any, dict[str, float]]:
    """Precision, recall, F1 and support of each class.

    Parameters
    ----------
    y_true : sequence of labels, or of label collections
        The true label of each example, or its labels (multi-label).
    y_pred : sequence of labels, or of label collections
        The predicted label (set) of each example, in the form of ``y_true``.

    Returns
    -------
    report : dict
        For each class in ``y_true`` or ``y_pred`` (sorted): a dict of its
        ``"precision"``, ``"recall"``, ``"f1"`` and ``"support"`` (the number of
        examples that truly have it).

    Examples
    --------
    >>> from mmfast import metrics
    >>> metrics.per_class_report(["a", "b", "b"], ["a", "b", "a"])["b"]
    {'precision': 1.0, 'recall': 0.5, 'f1': 0.666..., 'support': 2}
    """
    c = _counts(y_true, y_pred)
    precision = _ratio(c.true_positives, c.predicted)
    recall = _ratio(c.true_positives, c.actual)
    f1 = _f1(c.true_positives, c.predicted, c.actual)
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(c.classes.tolist(), precision, recall, f1, c.actual)
    }


def summary(true: LabelSets, predicted: LabelSets, ranked: LabelSets, k: int) -> dict[str, float]:
    """accuracy, precision@k, recall@k, f1_micro and f1_macro at once (what
    Classifier.evaluate reports), from flattened label sets."""
    c = _count_sets(true, predicted)
    hits, n_predicted, n_actual = _count_hits(true, ranked.first(check_int("k", k, 1)))
    return {
        "accuracy": float(np.mean(c.exact)),
        "precision@k": hits / n_predicted if n_predicted else 0.0,
        "recall@k": hits / n_actual if n_actual else 0.0,
        "f1_micro": _f1(c.true_positives.sum(), c.predicted.sum(), c.actual.sum()),
        "f1_macro": float(np.mean(_f1(c.true_positives, c.predicted, c.actual))),
    }


def _hits_at_k(y_true: Any, y_ranked: Any, k: int) -> tuple[int, int, int]:
    k = check_int("k", k, 1)
    true, ranked = LabelSets.of("y_true", y_true), LabelSets.of("y_ranked", y_ranked)
    _check_pair("y_ranked", true, ranked)
    return _count_hits(true, ranked.first(k))


def _count_hits(true: LabelSets, ranked: LabelSets) -> tuple[int, int, int]:
    """Predictions that are true labels, predictions, distinct true labels."""
    classes, (true_keys, ranked_keys) = _keys(true, ranked)
    true_keys = _sorted_unique(true_keys)
    return int(_member(true_keys, ranked_keys).sum()), len(ranked_keys), len(true_keys)


def _counts(y_true: Any, y_pred: Any) -> _Counts:
    true, predicted = LabelSets.of("y_true", y_true), LabelSets.of("y_pred", y_pred)
    _check_pair("y_pred", true, predicted)
    return _count_sets(true, predicted)


def _count_sets(true: LabelSets, predicted: LabelSets) -> _Counts:
    classes, (true_keys, predicted_keys) = _keys(true, predicted)
    true_keys, predicted_keys = _sorted_unique(true_keys), _sorted_unique(predicted_keys)
    n_classes = len(classes)
    hit_keys = predicted_keys[_member(true_keys, predicted_keys)]

    def per_class(keys: np.ndarray) -> np.ndarray:
        return np.bincount(keys % n_classes, minlength=n_classes)

    def per_example(keys: np.ndarray) -> np.ndarray:
        return np.bincount(keys // n_classes, minlength=true.n_examples)

    n_true, n_hits = per_example(true_keys), per_example(hit_keys)
    exact = (n_true == n_hits) & (per_example(predicted_keys) == n_hits)
    return _Counts(classes, per_class(hit_keys), per_class(predicted_keys), per_class(true_keys),
                   exact)


def _keys(*sets: LabelSets) -> tuple[np.ndarray, list[np.ndarray]]:
    """The classes occurring in any of the sets (sorted), and each set's
    (example, class) pairs as int64 keys ``example * n_classes + class``."""
    kinds = {_kind(s.labels) for s in sets if len(s.labels)}
    if len(kinds) > 1:
        raise TypeError("y_true and the predictions mix str and numeric labels, so no label "
                        "can match (labels read from files are str)")
    labels = np.concatenate([s.labels for s in sets])
    classes = np.unique(labels)
    ids = np.searchsorted(classes, labels).astype(np.int64)
    bounds = np.cumsum([0] + [len(s.labels) for s in sets])
    n_classes = max(len(classes), 1)
    return classes, [s.rows.astype(np.int64) * n_classes + ids[a:b]
                     for s, a, b in zip(sets, bounds[:-1], bounds[1:])]


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """np.unique, by sorting (numpy's hashing unique is slow on many distinct keys)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _member(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in ``sorted_keys`` (sorted, unique)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    index = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[index] == keys


def _check_pair(name: str, true: LabelSets, other: LabelSets) -> None:
    if true.n_examples != other.n_examples:
        raise ValueError(f"y_true and {name} have different lengths "
                         f"({true.n_examples} != {other.n_examples})")
    if true.n_examples == 0:
        raise ValueError("y_true: no examples")


def _f1(true_positives: Any, predicted: Any, actual: Any) -> Any:
    """2·TP / (predicted + actual), which is the harmonic mean of precision and
    recall; 0 where both counts are 0."""
    return _ratio(2 * np.asarray(true_positives), np.asarray(predicted) + np.asarray(actual))


def _ratio(numerator: Any, denominator: Any) -> Any:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    result = np.divide(numerator, denominator, out=np.zeros_like(numerator),
                       where=denominator > 0)
    return float(result) if result.ndim == 0 else result


def _kind(labels: np.ndarray) -> str:
    return "str" if labels.dtype.kind in "USO" else "number"


def _is_flat(y: Any) -> bool:
    """True unless some item is a collection of labels."""
    return not any(isinstance(item, (list, tuple, set, frozenset, np.ndarray)) for item in y)


def _labels(name: str, labels: Any) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1 or array.dtype == object:
        raise TypeError(f"{name}: labels must be all str or all numbers")
    return array


def _count(name: str, labels: Any) -> int:
    if not isinstance(labels, (list, tuple, set, frozenset, np.ndarray)):
        raise TypeError(f"{name}: mixes single labels and label lists; give one label per "
                        "example, or a list of labels for every example")
    return len(labels)
