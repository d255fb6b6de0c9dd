"""The partitions of a Dask input, as the per-partition pieces that mmfast's
tasks take, and the results of those tasks put back together as a Dask
collection aligned with the input's partitions.

Texts come as a dask bag of str, a dask dataframe column (a dask Series), a
list of compiled shards (paths or :class:`mmfast.Dataset`) or a
:class:`mmfast.Manifest` of them; labels ``y``
as a bag, a Series or a 1-D dask array; features as a dask array whose row
chunks are the texts' partitions. Each partition becomes one task: Python
only wires the graph, the rows are read in the task, by the C++ core.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..dataset_file import Dataset, is_compiled_dataset
from ..manifest import Manifest

# Rows of a partition when only computing it tells (a bag, plain shard paths).
UNKNOWN = float("nan")


@dataclass
class Parts:
    """One entry per partition: its texts, labels and features (each a
    Delayed, a shard path, or None), and how many rows it has."""

    texts: list[Any]
    y: list[Any]
    features: list[Any]
    rows: tuple[float, ...]
    series: Any = None  # the dask Series the texts came from: results keep its index

    def __len__(self) -> int:
        return len(self.rows)


def split(texts: Any, y: Any = None, features: Any = None) -> Parts:
    """The partitions of ``(texts, y, features)``; ValueError or TypeError
    naming the argument when they are not Dask collections with matching
    partitions."""
    series = None
    if isinstance(texts, Manifest):
        text_parts: list[Any] = list(texts.shards)
        rows: tuple[float, ...] = tuple(float(n) for n in texts.shard_sizes)
    elif isinstance(texts, (list, tuple)):
        text_parts = [_shard_path(shard, i) for i, shard in enumerate(texts)]
        rows = (UNKNOWN,) * len(text_parts)
    elif texts is None:
        text_parts, rows = [], ()
    elif _is_series(texts):
        series = texts
        text_parts = list(texts.to_delayed())
        rows = (UNKNOWN,) * len(text_parts)
    elif _is_bag(texts):
        text_parts = list(texts.to_delayed())
        rows = (UNKNOWN,) * len(text_parts)
    else:
        raise TypeError(
            "texts must be a dask bag of str, a dask dataframe column, a list of compiled "
            f"shards or a Manifest (or None with features), got {type(texts).__name__}"
        )
    shards = bool(text_parts) and isinstance(text_parts[0], str)
    if shards and (y is not None or features is not None):
        raise ValueError("y and features must be None: compiled shards carry their labels "
                         "and features")
    feature_parts = _array_parts("features", features, 2)
    if texts is None:
        if features is None:
            raise ValueError("texts and features are both None: give texts, features or both")
        text_parts = [None] * len(feature_parts)
        rows = tuple(float(n) for n in features.chunks[0])
    elif features is not None:
        _check_count("features", len(feature_parts), len(text_parts))
        rows = tuple(float(n) for n in features.chunks[0])
    y_parts = _label_parts(y)
    if y is not None:
        _check_count("y", len(y_parts), len(text_parts))
    none = [None] * len(text_parts)
    return Parts(text_parts, y_parts or none, feature_parts or none, rows, series)


def shared(value: Any) -> Any:
    """``value`` (a fitted model or quantizer) as the tasks receive it: sent
    to each worker once, not once per task. With a distributed Client it is
    scattered to every worker; otherwise it is one node of the graph, which
    every task depends on."""
    import dask

    client = current_client()
    if client is not None:
        return client.scatter(value, broadcast=True, hash=False)
    return dask.delayed(value, name=f"mmfast-shared-{uuid.uuid4().hex}", traverse=False)


def current_client() -> Any:
    """The distributed Client in use, or None (no distributed, or no Client)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def as_array(pieces: list[Any], rows: tuple[float, ...], trailing: tuple[int, ...],
             dtype: Any) -> Any:
    """One dask array from per-partition delayed arrays of ``rows[i]`` rows
    (NaN: unknown until computed) and ``trailing`` further dimensions."""
    import dask.array as da

    blocks = [da.from_delayed(piece, shape=(n, *trailing), dtype=dtype)
              for piece, n in zip(pieces, rows)]
    return da.concatenate(blocks, axis=0)


def as_frame(pieces: list[Any], series: Any, columns: Any, dtype: Any) -> Any:
    """A dask Series (``columns`` None) or DataFrame over ``series``'s index
    and divisions, from per-partition delayed arrays."""
    import dask
    import dask.dataframe as dd
    import pandas as pd

    def frame(values: np.ndarray, index: Any) -> Any:
        if columns is None:
            return pd.Series(values, index=index, name=series.name)
        return pd.DataFrame(values, index=index, columns=columns)

    indexes = [dask.delayed(_index)(part) for part in series.to_delayed()]
    parts = [dask.delayed(frame)(piece, index) for piece, index in zip(pieces, indexes)]
    empty = np.empty((0,) if columns is None else (0, len(columns)), dtype=dtype)
    meta = frame(empty, pd.Index([], dtype=series._meta.index.dtype))
    return dd.from_delayed(parts, meta=meta, divisions=series.divisions, verify_meta=False)


def as_list(texts: Any) -> Any:
    """A partition's texts as mmfast takes them: a list of str for a bag's or
    a Series' partition, a shard path as is."""
    if texts is None or isinstance(texts, str):
        return texts
    if hasattr(texts, "tolist"):
        return texts.tolist()
    return list(texts)


def per_partition(function: Callable[..., Any], model: Any, parts: Parts) -> list[Any]:
    """``function(model, texts, y, features)`` as one delayed task per partition."""
    import dask

    task = dask.delayed(function, pure=True)
    return [task(model, texts, y, features)
            for texts, y, features in zip(parts.texts, parts.y, parts.features)]


def _index(part: Any) -> Any:
    return part.index


def _shard_path(shard: Any, i: int) -> str:
    """A shard's path; it must be a compiled dataset here too (storage that
    the client and the workers share), which also tells a list of shard paths
    from a list of texts."""
    if isinstance(shard, Dataset):
        return shard.path
    if isinstance(shard, (str, os.PathLike)) and is_compiled_dataset(shard):
        return os.fspath(shard)
    raise TypeError("texts must be a dask bag of str, a dask dataframe column or a list of "
                    f"compiled shards (paths or mmfast.Dataset); texts[{i}] is not a compiled "
                    "dataset file")


def _array_parts(name: str, values: Any, ndim: int) -> list[Any]:
    """The row blocks of a dask array (one chunk along the other axes)."""
    if values is None:
        return []
    if not _is_array(values):
        raise TypeError(f"{name} must be a dask array, got {type(values).__name__} "
                        "(dask.array.from_array makes one)")
    if values.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D dask array, got {values.ndim}-D")
    if ndim == 2:
        return list(values.rechunk({1: -1}).to_delayed()[:, 0])
    return list(values.to_delayed())


def _label_parts(y: Any) -> list[Any]:
    if y is None:
        return []
    if _is_series(y) or _is_bag(y):
        return list(y.to_delayed())
    return _array_parts("y", y, 1)


def _check_count(name: str, count: int, expected: int) -> None:
    if count != expected:
        raise ValueError(f"{name} has {count} partitions (row chunks) but texts has "
                         f"{expected}: partition {name} as texts is (e.g. rechunk it to the "
                         "texts' partition sizes)")


def _is_bag(values: Any) -> bool:
    return type(values).__module__.startswith("dask.bag")


def _is_series(values: Any) -> bool:
    module = type(values).__module__
    dataframe = module.startswith("dask.dataframe") or module.startswith("dask_expr")
    return dataframe and type(values).__name__ == "Series"


def _is_array(values: Any) -> bool:
    return type(values).__module__.startswith("dask.array")
