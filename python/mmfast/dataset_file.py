"""mmfast.Dataset: examples compiled once into a memory-mapped file.

A compiled dataset holds the token ids of every text (words, then hashed word
n-grams), the labels, and the feature codes or dense features of each example,
in page-aligned, checksummed sections of one file, with the dictionary and the
settings that made the token ids. ``Classifier.fit(dataset)`` trains on it in
place: the file's pages belong to the page cache, so the process's own memory
does not grow with the number of examples. Compiling reads its input in
chunks, never whole (cpp/dataset_compiler.h).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np

from . import _core, _jobs
from ._fasttext import write_examples
from ._labels import encode_labels
from ._progress import CompileProgressLine, CountProgressLine
from ._validation import (
    as_code_matrix,
    as_float_matrix,
    check_file,
    check_int,
    check_path,
    check_same_length,
    check_threads,
)

__all__ = ["Dataset", "DatasetWriter", "is_compiled_dataset"]

_MAGIC = b"MMFDATA\n"
# .npy dtypes the compiler reads, as its dtype codes.
_FEATURE_DTYPES = {
    np.dtype("<f4"): "f4",
    np.dtype("u1"): "u1",
    np.dtype("<u2"): "u2",
    np.dtype("<i4"): "i4",
    np.dtype("<i8"): "i8",
}


def is_compiled_dataset(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a file that starts like a compiled dataset."""
    try:
        with open(path, "rb") as file:
            return file.read(len(_MAGIC)) == _MAGIC
    except OSError:
        return False


class Dataset:
    """A compiled dataset, memory-mapped: ``Dataset(path)`` opens one.

    Opening verifies every section's checksum and that ids and offsets are in
    range: a truncated, corrupt or foreign file, or a referenced feature file
    that changed, raises ValueError naming the file. Make one with
    :meth:`build` (from a fastText-format file), :meth:`from_texts` or
    :meth:`writer` (from Python data, in shards).

    Parameters
    ----------
    path : str or path-like
        The compiled dataset file.
    n_jobs : int or None, default=None
        Threads that verify the checksums; None uses every core.

    Attributes
    ----------
    path : str
        The file.
    word_ngrams, buckets, min_count : int
        The settings that made the token ids (``buckets`` as the data sized
        it, when built with None); a Classifier trained on the dataset must
        have the same, or ``buckets=None`` (``settings`` holds them).
    classes_ : ndarray
        Label names in class order.
    multilabel : bool
        Whether some example has several labels.
    n_features, features : int, ndarray of shape (n, n_features) or None
        Dense float features, read in place.
    n_codes, codes : int, ndarray of shape (n, n_codes) or None
        Feature codes.
    max_code : int
        The largest code (-1 without codes).
    nbytes : int
        Size on disk.

    Examples
    --------
    >>> import os, tempfile
    >>> import mmfast
    >>> texts, y = mmfast.make_text_classification(n_samples=200, n_classes=3)
    >>> path = os.path.join(tempfile.mkdtemp(), "train.mmd")
    >>> ds = mmfast.Dataset.from_texts(texts, y, path, buckets=1000)
    >>> len(ds), ds.classes_.tolist(), ds.settings["buckets"]
    (200, [0, 1, 2], 1000)
    """

    def __init__(self, path: str | os.PathLike[str], n_jobs: int | None = None) -> None:
        path = check_path("path", path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"dataset: no file {path!r}")
        self._native = _jobs.run(_core.CompiledDataset.open(path, check_threads(n_jobs)))

    # -- making one -------------------------------------------------------

    @classmethod
    def build(
        cls,
        texts: str | os.PathLike[str],
        path: str | os.PathLike[str],
        features: str | os.PathLike[str] | None = None,
        *,
        word_ngrams: int = 2,
        buckets: int | None = None,
        min_count: int = 1,
        copy_features: bool = False,
        n_jobs: int | None = None,
        verbose: int = 1,
    ) -> Dataset:
        """Compile a fastText-format file into a dataset file and open it.

        The file is read in chunks, twice (once to count words and labels,
        once to write), with a progress line when ``verbose``.

        Parameters
        ----------
        texts : str or path-like
            The fastText-format file.
        path : str or path-like
            The dataset file to write.
        features : str, path-like or None, default=None
            A .npy file with one row per line of ``texts`` (so every line must
            then be a labelled example): float32 features, which the dataset
            reads in place from the .npy unless ``copy_features``, or integer
            codes of a quantizer (stored as uint8 when all are < 256).
        word_ngrams, buckets, min_count : int or None
            As :class:`Classifier`'s (defaults 2, None, 1): ``buckets=None``
            sizes the n-gram table by the recurring n-grams of the texts,
            counted in the first pass.
        copy_features : bool, default=False
            Copy float features into the dataset file.
        n_jobs : int or None, default=None
            Worker threads; None uses every core.
        verbose : int, default=1
            1 shows a progress line.

        Returns
        -------
        dataset : Dataset
            The compiled dataset, open.
        """
        texts = check_file("texts", texts)
        path = os.fspath(path)
        _check_output(path, texts=texts, features=features)
        source = _npy_source(features, copy_features, path)
        job = _core.compile_dataset(
            texts, path, **source,
            **compile_settings(word_ngrams, buckets, min_count), numeric_labels=False,
            threads=check_threads(n_jobs),
        )
        _jobs.run(job, CompileProgressLine(texts) if verbose else None)
        return cls(path, n_jobs)

    @classmethod
    def from_texts(
        cls,
        texts: Sequence[str],
        y: Sequence[Any],
        path: str | os.PathLike[str],
        features: Any = None,
        **settings: Any,
    ) -> Dataset:
        """Compile examples given in memory into a dataset file and open it (the
        same as one :meth:`writer` shard).

        Parameters
        ----------
        texts : sequence of str
            The examples' texts.
        y : sequence
            One label (str or integer) per text, or a list of labels per text.
        path : str or path-like
            The dataset file to write.
        features : array-like or None, default=None
            (n, d) float features or (n, n_codes) integer codes.
        **settings : dict
            Those of :class:`DatasetWriter`.

        Returns
        -------
        dataset : Dataset
            The compiled dataset, open.
        """
        with cls.writer(path, **settings) as writer:
            writer.add(texts, y, features)
        return writer.close()  # compiled on leaving the block; close() returns it

    @classmethod
    def writer(cls, path: str | os.PathLike[str], **settings: Any) -> DatasetWriter:
        """A writer that compiles shards of examples into a dataset file.

        Parameters
        ----------
        path : str or path-like
            The dataset file to write.
        **settings : dict
            Those of :class:`DatasetWriter`.

        Returns
        -------
        writer : DatasetWriter
        """
        return DatasetWriter(path, **settings)

    def encode_features(
        self, quantizer: Any, path: str | os.PathLike[str] | None = None,
        n_jobs: int | None = None, verbose: int = 1,
    ) -> Dataset:
        """Write this dataset with a quantizer's codes in place of its float features.

        Parameters
        ----------
        quantizer : ProductQuantizer or RSPQ
            Kept with the codes (uint8 when ``n_bits <= 8``); an unfitted one
            is fitted first on evenly spaced rows (at most
            ``max_points_per_centroid * 2**n_bits``).
        path : str, path-like or None, default=None
            Where to write; None replaces this dataset's own file.
        n_jobs : int or None, default=None
            Worker threads; None uses every core.
        verbose : int, default=1
            1 shows progress lines (fitting the quantizer, encoding).

        Returns
        -------
        dataset : Dataset
            The encoded dataset, open.
        """
        features = self.features
        if features is None:
            raise ValueError(f"dataset {self.path!r} has no float features to encode")
        if getattr(quantizer, "_native", None) is None:
            cap = quantizer.max_points_per_centroid * 2**quantizer.n_bits
            step = max(1, len(self) // cap)
            quantizer._fit(np.ascontiguousarray(features[::step][:cap]), "features", verbose)
        out = self.path if path is None else os.fspath(path)
        reference = self._native.feature_reference
        if reference:
            _check_output(out, features=os.path.join(os.path.dirname(self.path), reference))
        progress = (CountProgressLine(f"Encoding the features of {self.path}", "examples")
                    if verbose else None)  # its clock first: a short job runs at once
        _jobs.run(self._native.encode_features(quantizer._native, out, check_threads(n_jobs)),
                  progress)
        return Dataset(out, n_jobs)

    # -- what it holds ----------------------------------------------------

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return f"mmfast.Dataset({self.path!r}, {len(self):,} examples)"

    @property
    def path(self) -> str:
        return self._native.path

    @property
    def word_ngrams(self) -> int:
        return self._native.word_ngrams

    @property
    def buckets(self) -> int:
        return self._native.buckets

    @property
    def min_count(self) -> int:
        return self._native.min_count

    @property
    def settings(self) -> dict[str, int]:
        """The Classifier parameters that must match the dataset's token ids."""
        return {"word_ngrams": self.word_ngrams, "buckets": self.buckets,
                "min_count": self.min_count}

    @property
    def classes_(self) -> np.ndarray:
        names = self._native.label_names
        return np.asarray(names, dtype=np.int64 if self._native.numeric_labels else None)

    @property
    def multilabel(self) -> bool:
        return self._native.multilabel

    @property
    def n_features(self) -> int:
        return self._native.n_features

    @property
    def n_codes(self) -> int:
        return self._native.n_codes

    @property
    def max_code(self) -> int:
        """The largest feature code (-1 without codes)."""
        return self._native.max_code

    @property
    def features(self) -> np.ndarray | None:
        """The dense features, (n, n_features) float32, read-only and read in
        place from the mapped file; None without."""
        return self._native.features()

    @property
    def codes(self) -> np.ndarray | None:
        """The feature codes, (n, n_codes) uint8 or uint16, read-only and in
        place; None without."""
        return self._native.codes()

    @property
    def quantizer(self) -> Any:
        """The native quantizer the codes came from (None when unknown)."""
        data = self._native.quantizer
        return None if data is None else _jobs.run(_core.Quantizer.from_bytes(data))

    @property
    def nbytes(self) -> int:
        """Bytes on disk (not counting a referenced feature file)."""
        return self._native.file_bytes


class DatasetWriter:
    """Compiles a dataset from examples given in shards, for data that does not
    fit in memory or comes from another store.

    Shards go to temporary files next to ``path`` (texts as fastText lines,
    features as raw rows); closing compiles them, reading them in chunks, and
    deletes them. Labels are stored as text: all str, or all integers (then
    ``classes_`` are integers, ordered as numbers). Features of every shard are
    all floats (stored in the dataset) or all integer codes.

    Parameters
    ----------
    path : str or path-like
        The dataset file to write.
    word_ngrams, buckets, min_count : int or None
        As :class:`Classifier`'s (defaults 2, None, 1): ``buckets=None`` sizes
        the n-gram table by the recurring n-grams of all the shards' texts.
    n_jobs : int or None, default=None
        Worker threads; None uses every core.
    verbose : int, default=0
        1 shows a progress line while compiling.
    vocabulary : tuple of (bytes, list of str) or None, default=None
        The dictionary (as ``mmfast.dask.compile_shards`` agrees it, from the
        merged word counts of every shard) and the label names, in class
        order, that every shard of a sharded compile shares; None: the
        examples' own.

    Attributes
    ----------
    dataset : Dataset or None
        The compiled dataset, once closed.

    Examples
    --------
    >>> import os, tempfile
    >>> import mmfast
    >>> texts, y = mmfast.make_text_classification(n_samples=300, n_classes=3)
    >>> path = os.path.join(tempfile.mkdtemp(), "train.mmd")
    >>> with mmfast.Dataset.writer(path, buckets=1000) as writer:
    ...     for start in range(0, 300, 100):  # shards, e.g. read from another store
    ...         writer.add(texts[start:start + 100], y[start:start + 100])
    >>> len(writer.dataset)
    300
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        word_ngrams: int = 2,
        buckets: int | None = None,
        min_count: int = 1,
        n_jobs: int | None = None,
        verbose: int = 0,
        vocabulary: tuple[bytes, list[str]] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self._settings = compile_settings(word_ngrams, buckets, min_count)
        self._dictionary, label_names = vocabulary if vocabulary is not None else (b"", [])
        self._label_names = list(label_names)
        self._threads = check_threads(n_jobs)
        self._verbose = verbose
        # Spools of their own, next to the dataset: two writers of one path
        # never mix their examples (the last to close wins, whole).
        self._text_path = _spool(self.path, ".texts.tmp")  # the shards' lines are appended
        self._feature_path = _spool(self.path, ".features.tmp")
        self._closed = False
        self._features: BinaryIO | None = None
        self._feature_kind: tuple[str, int] | None = None  # (dtype code, columns)
        self._numeric_labels: bool | None = None
        self._rows = 0
        self.dataset: Dataset | None = None

    def add(self, texts: Sequence[str], y: Sequence[Any], features: Any = None) -> None:
        """Append a shard of examples.

        Parameters
        ----------
        texts : sequence of str
            The texts.
        y : sequence
            One label (str or integer), or a list of labels, per text.
        features : array-like or None, default=None
            (n, d) floats or (n, n_codes) integer codes; with every shard or
            with none.
        """
        if self._closed:
            raise ValueError("this DatasetWriter is closed")
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be a sequence of str")
        check_same_length("texts", texts, "y", y)
        _check_output(self.path, features=features)
        if (features is None) != (self._feature_kind is None) and self._rows > 0:
            raise ValueError("features: give them with every shard or with none")
        labels = encode_labels(y)[:3]
        self._check_label_kind(labels[0])
        rows = None if features is None else self._feature_rows(features, len(texts))
        # The texts are checked whole before any line is written; the rows then follow.
        write_examples(self._text_path, texts, labels, append=True, line_breaks_as_spaces=True)
        if rows is not None:
            if self._features is None:
                self._features = open(self._feature_path, "ab")
            self._features.write(rows.tobytes())
        self._rows += len(texts)

    def close(self) -> Dataset:
        """Compile the shards into the dataset file and open it.

        Returns
        -------
        dataset : Dataset
            The compiled dataset (also ``.dataset``).
        """
        if self.dataset is not None:
            return self.dataset
        try:
            if self._rows == 0:
                raise ValueError("DatasetWriter: no examples were added")
            self._close_spools()
            source: dict[str, Any] = {"feature_path": "", "feature_offset": 0, "dtype": "",
                                      "rows": 0, "cols": 0, "by_reference": False,
                                      "reference": ""}
            if self._feature_kind is not None:
                dtype, cols = self._feature_kind
                source.update(feature_path=self._feature_path, dtype=dtype, rows=self._rows,
                              cols=cols)
            job = _core.compile_dataset(
                self._text_path, self.path, **source, **self._settings,
                numeric_labels=bool(self._numeric_labels), threads=self._threads,
                dictionary=self._dictionary, label_names=self._label_names,
            )
            _jobs.run(job, CompileProgressLine(self.path) if self._verbose else None)
        finally:
            self._discard()
        self.dataset = Dataset(self.path, self._threads or None)
        return self.dataset

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is None:
            self.close()
        else:
            self._discard()

    def _check_label_kind(self, classes: np.ndarray) -> None:
        """Labels are all str or all integers, in every shard: the dataset
        orders its classes as strings or as numbers."""
        if len(classes) == 0:
            return
        if classes.dtype.kind not in "Uiu":
            raise TypeError(f"y: labels must be str or integers, got {classes.dtype}")
        numeric = classes.dtype.kind != "U"
        if self._numeric_labels is None:
            self._numeric_labels = numeric
        elif self._numeric_labels != numeric:
            raise TypeError("y: labels must be all str or all integers")

    def _feature_rows(self, features: Any, n: int) -> np.ndarray:
        """A shard's features as the rows the spool holds, checked against the
        earlier shards'."""
        integer = np.issubdtype(np.asarray(features).dtype, np.integer)
        if integer:
            array = as_code_matrix("features", features, np.shape(features)[-1], 2**16)
            array = array.astype("<u2", copy=False)
        else:
            array = as_float_matrix("features", features)
        if len(array) != n:
            raise ValueError(f"features has {len(array)} rows but there are {n} texts")
        kind = ("u2" if integer else "f4", array.shape[1])
        if self._feature_kind is None and self._rows == 0:
            self._feature_kind = kind
        elif self._feature_kind != kind:
            raise ValueError(f"features: every shard needs the same kind and columns, "
                             f"got {kind} after {self._feature_kind}")
        return np.ascontiguousarray(array)

    def _close_spools(self) -> None:
        self._closed = True
        if self._features is not None:
            self._features.close()
            self._features = None

    def _discard(self) -> None:
        self._close_spools()
        for spool in (self._text_path, self._feature_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(spool)


def compile_settings(word_ngrams: int, buckets: int | None, min_count: int) -> dict[str, Any]:
    """The compiler's settings, checked (ValueError naming the one out of range)."""
    return {"word_ngrams": check_int("word_ngrams", word_ngrams, 1),
            "buckets": _core.AUTO_BUCKETS if buckets is None
            else check_int("buckets", buckets, 0, 2**31 - 2),
            "min_count": check_int("min_count", min_count, 1)}


def _spool(path: str, suffix: str) -> str:
    """A new, empty temporary file next to ``path``, unique to its caller."""
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, spool = tempfile.mkstemp(suffix=suffix, prefix=name + ".", dir=folder)
    os.close(descriptor)
    return spool


def _check_output(path: str, **inputs: Any) -> None:
    """ValueError when the dataset file to write is one of the files it is
    made from (``inputs``: paths, or arrays mapped from a file): writing it
    would replace that input."""
    for name, given in inputs.items():
        source = getattr(given, "filename", given)  # a np.memmap's file
        if not isinstance(source, (str, os.PathLike)):
            continue
        if os.path.exists(path) and os.path.exists(source):
            same = os.path.samefile(path, source)
        else:
            same = os.path.realpath(path) == os.path.realpath(source)
        if same:
            raise ValueError(f"path: {path!r} is {name}, an input of the dataset; writing the "
                             "dataset there would replace it: choose another path")


def _npy_source(
    features: str | os.PathLike[str] | None, copy: bool, dataset_path: str
) -> dict[str, Any]:
    """The compiler's description of a .npy feature file."""
    if features is None:
        return {"feature_path": "", "feature_offset": 0, "dtype": "", "rows": 0, "cols": 0,
                "by_reference": False, "reference": ""}
    path = check_file("features", features)
    try:
        array = np.load(path, mmap_mode="r")
    except (ValueError, OSError) as error:
        raise ValueError(f"features: {path!r} is not a .npy file ({error})") from None
    dtype = _FEATURE_DTYPES.get(array.dtype)
    if dtype is None:
        raise ValueError(f"features: {path!r} holds {array.dtype}; expected float32 features or "
                         "uint8, uint16, int32 or int64 codes (little-endian)")
    if array.ndim != 2 or not array.flags.c_contiguous:
        raise ValueError(f"features: {path!r} must hold a C-ordered 2-D array, got shape "
                         f"{array.shape}")
    if dtype == "f4":
        as_float_matrix("features", array)  # checked as features given as a list are
    by_reference = dtype == "f4" and not copy
    # Stored relative to the dataset's folder, so that both can move together.
    folder = os.path.dirname(os.path.abspath(dataset_path))
    reference = os.path.relpath(os.path.abspath(path), folder) if by_reference else ""
    return {"feature_path": path, "feature_offset": int(array.offset), "dtype": dtype,
            "rows": int(array.shape[0]), "cols": int(array.shape[1]),
            "by_reference": by_reference, "reference": reference}
