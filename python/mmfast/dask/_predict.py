"""Prediction, scoring and encoding over Dask collections: one task per
partition, each calling the local model's own method on its rows, so that
the results are the local model's, bit for bit. The fitted model or
quantizer reaches each worker once (``_partitions.shared``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_fitted
from ..manifest import Manifest
from . import _partitions
from ._partitions import Parts, as_list


def predict(clf: Any, texts: Any, features: Any = None) -> Any:
    """The most probable label of each example, computed on the workers.

    Parameters
    ----------
    {inputs}

    Returns
    -------
    labels : dask array or dask Series
        One label per example, partitioned as the input (a dask Series over
        the texts' index when they are a dask Series); a multi-label model
        gives a list of labels per example (an object array).
    """
    pieces, parts = _run(_predict_part, clf, texts, features=features)
    dtype = np.dtype(object) if clf.multilabel_ else clf.classes_.dtype
    return _assemble(pieces, parts, (), dtype, None)


def predict_proba(clf: Any, texts: Any, features: Any = None) -> Any:
    """Each class's probability for each example, computed on the workers.

    Parameters
    ----------
    {inputs}

    Returns
    -------
    proba : dask array of shape (n_samples, n_classes) or dask DataFrame
        float32, columns in ``clf.classes_`` order (a dask DataFrame with
        those columns over the texts' index when they are a dask Series).
    """
    pieces, parts = _run(_proba_part, clf, texts, features=features)
    return _assemble(pieces, parts, (len(clf.classes_),), np.dtype(np.float32), clf.classes_)


def score(clf: Any, texts: Any, y: Any = None, features: Any = None) -> Any:
    """Precision at 1 (the accuracy, for single-label data) over all the
    partitions, as ``clf.score`` gives on the same rows.

    Parameters
    ----------
    {inputs}
    y : dask bag, dask Series or 1-D dask array, default=None
        The true labels, partitioned as the texts; None with compiled shards,
        which carry theirs.

    Returns
    -------
    score : dask Delayed
        Computes to a float in [0, 1]: the examples whose most probable label
        is one of theirs, over all the examples.
    """
    import dask

    shards = isinstance(texts, (list, tuple, Manifest))
    if y is None and not shards:
        raise ValueError("y is None: give the true labels, partitioned as the texts")
    counts, _ = _run(_hits_part, clf, texts, y, features)
    return dask.delayed(_precision, pure=True)(counts)


def transform(quantizer: Any, X: Any) -> Any:
    """Encode vectors with a fitted quantizer, on the workers.

    Parameters
    ----------
    quantizer : ProductQuantizer or RSPQ
        A fitted quantizer.
    X : dask array of shape (n_samples, n_features)
        The vectors.

    Returns
    -------
    codes : dask array of shape (n_samples, n_codes)
        As ``quantizer.transform`` gives, row chunks as X's.
    """
    pieces, parts = _run(_transform_part, quantizer, None, features=X)
    example = quantizer.transform(np.zeros((1, quantizer.n_features_in_), np.float32))
    return _partitions.as_array(pieces, parts.rows, example.shape[1:], example.dtype)


def _run(task: Any, model: Any, texts: Any, y: Any = None, features: Any = None
         ) -> tuple[list[Any], Parts]:
    """``task(model, texts, y, features)`` on each partition, as delayed
    results, and the partitions; the fitted ``model`` sent once."""
    check_fitted(model, "_native")
    parts = _partitions.split(texts, y, features)
    return _partitions.per_partition(task, _partitions.shared(model), parts), parts


def _assemble(pieces: list[Any], parts: Parts, trailing: tuple[int, ...], dtype: Any,
              columns: Any) -> Any:
    if parts.series is not None:
        return _partitions.as_frame(pieces, parts.series, columns if trailing else None, dtype)
    return _partitions.as_array(pieces, parts.rows, trailing, dtype)


# The Parameters entries of predict, predict_proba and score, said once.
_INPUTS = """clf : mmfast.Classifier
        A fitted classifier.
    texts : dask bag, dask Series, list of shards, Manifest or None
        The examples' texts: a dask bag of str, a dask dataframe column, or
        compiled shards (paths or :class:`mmfast.Dataset` objects, one
        partition each, read where the workers run, or an
        :class:`mmfast.Manifest`); None for a features-only model.
    features : dask array of shape (n_samples, n_features), default=None
        The features, its row chunks the texts' partitions."""
for _function in (predict, predict_proba, score):
    _function.__doc__ = (_function.__doc__ or "").replace("{inputs}", _INPUTS)


# The tasks: each runs on a worker, on one partition.

def _predict_part(clf: Any, texts: Any, y: Any, features: Any) -> np.ndarray:
    labels = clf.predict(as_list(texts), features)
    if isinstance(labels, list):  # a multi-label model: a list of labels per example
        out = np.empty(len(labels), dtype=object)
        out[:] = labels
        return out
    return labels


def _proba_part(clf: Any, texts: Any, y: Any, features: Any) -> np.ndarray:
    return clf.predict_proba(as_list(texts), features)


def _hits_part(clf: Any, texts: Any, y: Any, features: Any) -> np.ndarray:
    """(examples whose top label is one of theirs, examples)."""
    y = None if y is None else as_list(y)
    result = clf.evaluate(as_list(texts), y, features, k=1)
    n = result["n_examples"]
    return np.array([round(result["precision@k"] * n), n], dtype=np.int64)


def _transform_part(quantizer: Any, texts: Any, y: Any, features: Any) -> np.ndarray:
    return quantizer.transform(features)


def _precision(counts: list[np.ndarray]) -> float:
    hits, n = np.sum(counts, axis=0)
    return float(hits / n) if n else 0.0
