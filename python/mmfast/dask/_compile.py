"""Sharded compile: one compiled dataset per partition, written by the
workers, and a manifest that opens them as one dataset.

Two passes over the partitions. The first counts each partition's words (and
distinct n-grams) and labels on the workers; the counts are merged in
partition order into one dictionary, which is what counting all the texts in
order would give, and the labels into one sorted list of classes. The second
writes each partition as a shard with that dictionary and those classes, so
that a token id or a class id means the same in every shard.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import _core, _jobs
from .._labels import encode_labels
from .._validation import check_int
from ..dataset_file import Dataset, DatasetWriter, compile_settings
from ..manifest import Manifest, shard_entry
from . import _partitions
from ._partitions import as_list


def compile_shards(
    texts: Any,
    y: Any,
    folder: str | os.PathLike[str],
    features: Any = None,
    *,
    word_ngrams: int = 2,
    buckets: int | None = None,
    min_count: int = 1,
    quantizer: Any = None,
    n_jobs: int = 1,
    client: Any = None,
) -> Manifest:
    """Compile each partition into a shard on the workers, with one shared
    dictionary, and write the manifest that opens them as one dataset.

    Parameters
    ----------
    texts : dask bag of str or dask Series
        The examples' texts.
    y : dask bag, dask Series or 1-D dask array
        One label (str or integer), or a list of labels, per text; partitioned
        as the texts.
    folder : str or path-like
        Where the shards (``shard-00000.mmd``, ...) and ``manifest.json`` go:
        storage that the workers and this process share.
    features : dask array of shape (n_samples, n_features), default=None
        Float features, or integer codes; row chunks the texts' partitions.
    word_ngrams, buckets, min_count : int or None
        As :class:`mmfast.Classifier`'s (defaults 2, None, 1); ``buckets=None``
        sizes the n-gram table by the recurring n-grams of all the partitions.
    quantizer : ProductQuantizer, RSPQ or None, default=None
        A fitted quantizer: the shards then hold its codes of the features
        (encoded on the workers), and the manifest keeps it.
    n_jobs : int, default=1
        Threads of each task (a worker runs as many tasks as it has threads).
    client : distributed.Client or None, default=None
        The cluster; None uses the default Client, or Dask's local scheduler.

    Returns
    -------
    manifest : Manifest
        The manifest of the shards, open; ``Classifier.fit(manifest)`` and
        :func:`mmfast.dask.fit` train on it.
    """
    import dask

    if y is None:
        raise ValueError("y is None: give the labels, partitioned as the texts")
    compile_settings(word_ngrams, buckets, min_count)  # checked before any work
    settings = {"word_ngrams": word_ngrams, "buckets": buckets, "min_count": min_count,
                "n_jobs": check_int("n_jobs", n_jobs, 1)}
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    parts = _partitions.split(texts, y, features)
    count = dask.delayed(_count_part, pure=True)
    counted = [count(texts, y, settings) for texts, y in zip(parts.texts, parts.y)]
    (vocabulary,) = compute(client, dask.delayed(_agree, pure=True)(counted, min_count))
    write = dask.delayed(_write_part, pure=True)
    coder = None if quantizer is None else _partitions.shared(quantizer)
    written = [write(texts, y, features, os.path.join(folder, f"shard-{i:05d}.mmd"), settings,
                     vocabulary, coder)
               for i, (texts, y, features) in enumerate(zip(parts.texts, parts.y, parts.features))]
    entries = compute(client, *written)
    return Manifest._write(os.path.join(folder, "manifest.json"), entries, quantizer)


def compute(client: Any, *collections: Any) -> tuple[Any, ...]:
    """The collections computed on ``client`` (None: the default one, or
    Dask's local scheduler)."""
    import dask

    if client is None:
        return tuple(dask.compute(*collections))
    return tuple(client.gather(client.compute(list(collections))))


# The tasks.

def _count_part(texts: Any, y: Any, settings: dict[str, Any]) -> tuple[bytes, np.ndarray]:
    """(word counts as bytes, the partition's classes)."""
    buckets = settings["buckets"]
    job = _core.count_words(as_list(texts), settings["word_ngrams"],
                            _core.AUTO_BUCKETS if buckets is None else buckets,
                            settings["n_jobs"])
    return _jobs.run(job), encode_labels(as_list(y))[0]


def _agree(counted: list[tuple[bytes, np.ndarray]], min_count: int) -> tuple[bytes, list[str]]:
    """The shared dictionary and label names of the partitions' counts."""
    counts = _core.merge_word_counts([words for words, _ in counted])
    classes = encode_labels(np.concatenate([classes for _, classes in counted]))[0]
    if classes.dtype.kind not in "Uiu":
        raise TypeError(f"y: labels must be str or integers, got {classes.dtype}")
    return _core.dictionary_from_counts(counts, min_count), [str(label) for label in classes]


def _write_part(texts: Any, y: Any, features: Any, path: str, settings: dict[str, Any],
                vocabulary: tuple[bytes, list[str]], quantizer: Any) -> dict[str, Any]:
    if quantizer is not None:
        features = quantizer.transform(features)
    with DatasetWriter(path, **settings, vocabulary=vocabulary) as writer:
        writer.add(as_list(texts), as_list(y), features)
    dataset: Dataset = writer.close()
    return shard_entry(dataset)
