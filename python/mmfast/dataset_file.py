"""mmfast.Dataset: examples compiled once into a memory-mapped file.

A compiled dataset holds the token ids of every text (words, then hashed word
n-grams), the labels, and the feature codes or dense features of each example,
in page-aligned, checksummed sections of one file, with the dictionary and the
settings that made the token ids. ``Classifier.fit(dataset)`` trains on it in
place: the file's pages belong to the page cache, so the process's own memory
does not grow with the number of examples. Compiling reads its input in
chunks, never whole (cpp/dataset_file.h).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

import numpy as np

from . import _core
from ._progress import CompileProgressLine
from ._validation import (
    as_code_matrix,
    as_float_matrix,
    check_file,
    check_int,
    check_same_length,
    check_threads,
)

__all__ = ["Dataset", "DatasetWriter", "is_compiled_dataset"]

_MAGIC = b"MMFDATA\n"
_POLL_SECONDS = 0.1
# .npy dtypes the compiler reads, as its dtype codes.
_FEATURE_DTYPES = {
    np.dtype("<f4"): "f4",
    np.dtype("u1"): "u1",
    np.dtype("<u2"): "u2",
    np.dtype("<i4"): "i4",
    np.dtype("<i8"): "i8",
}
_LABEL_PREFIX = "__label__"
_TOKEN_SEPARATORS = " \t\n\v\f\r"  # what the core splits words on


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
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"dataset: no file {path!r}")
        self._native = _core.CompiledDataset.open(path, check_threads(n_jobs))

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
            sizes the n-gram table by the distinct n-grams of the texts,
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
        source = _npy_source(features, copy_features, path)
        job = _core.compile_dataset(
            texts, path, **source,
            **_settings(word_ngrams, buckets, min_count), numeric_labels=False,
            threads=check_threads(n_jobs),
        )
        _wait(job, verbose, texts)
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
        n_jobs: int | None = None,
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

        Returns
        -------
        dataset : Dataset
            The encoded dataset, open.
        """
        features = self.features
        if features is None:
            raise ValueError(f"dataset {self.path!r} has no float features to encode")
        if getattr(quantizer, "_model", None) is None:
            cap = quantizer.max_points_per_centroid * 2**quantizer.n_bits
            step = max(1, len(self) // cap)
            quantizer.fit(np.ascontiguousarray(features[::step][:cap]))
        out = self.path if path is None else os.fspath(path)
        self._native.encode_features(quantizer._model, out, check_threads(n_jobs))
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
        return None if data is None else _core.Quantizer.from_bytes(data)

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
        the n-gram table by the distinct n-grams of all the shards' texts.
    n_jobs : int or None, default=None
        Worker threads; None uses every core.
    verbose : int, default=0
        1 shows a progress line while compiling.

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
    ) -> None:
        self.path = os.fspath(path)
        self._settings = _settings(word_ngrams, buckets, min_count)
        self._threads = check_threads(n_jobs)
        self._verbose = verbose
        self._text_path = f"{self.path}.texts.tmp{os.getpid()}"
        self._feature_path = f"{self.path}.features.tmp{os.getpid()}"
        self._texts: TextIO | None = open(self._text_path, "w", encoding="utf-8", newline="\n")
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
        if self._texts is None:
            raise ValueError("this DatasetWriter is closed")
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be a sequence of str")
        check_same_length("texts", texts, "y", y)
        if (features is None) != (self._feature_kind is None) and self._rows > 0:
            raise ValueError("features: give them with every shard or with none")
        if features is not None:
            self._add_features(features, len(texts))
        lines = []
        for i, (text, labels) in enumerate(zip(texts, y)):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be str, got {type(text).__name__}")
            lines.append(f"{self._labels(labels, i)} {_one_line(text, i)}\n")
        self._texts.writelines(lines)
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
            )
            _wait(job, self._verbose, self.path)
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

    def _labels(self, labels: Any, i: int) -> str:
        many = isinstance(labels, (list, tuple, np.ndarray))
        items = list(labels) if many else [labels]
        if not items:
            raise ValueError(f"y[{i}]: no label")
        for label in items:
            numeric = isinstance(label, (int, np.integer)) and not isinstance(label, bool)
            if not numeric and not isinstance(label, str):
                raise TypeError(f"y[{i}]: labels must be str or integers, got "
                                f"{type(label).__name__}")
            if self._numeric_labels is None:
                self._numeric_labels = numeric
            elif self._numeric_labels != numeric:
                raise TypeError("y: labels must be all str or all integers")
            name = str(label)
            if not name or any(c.isspace() for c in name):
                raise ValueError(f"y[{i}]: labels must be non-empty and contain no whitespace, "
                                 f"got {name!r}")
        return " ".join(_LABEL_PREFIX + str(label) for label in items)

    def _add_features(self, features: Any, n: int) -> None:
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
            self._features = open(self._feature_path, "wb")
        elif self._feature_kind != kind:
            raise ValueError(f"features: every shard needs the same kind and columns, "
                             f"got {kind} after {self._feature_kind}")
        assert self._features is not None
        self._features.write(np.ascontiguousarray(array).tobytes())

    def _close_spools(self) -> None:
        for spool in (self._texts, self._features):
            if spool is not None:
                spool.close()
        self._texts = self._features = None

    def _discard(self) -> None:
        self._close_spools()
        for spool in (self._text_path, self._feature_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(spool)


def _settings(word_ngrams: int, buckets: int | None, min_count: int) -> dict[str, Any]:
    return {"word_ngrams": check_int("word_ngrams", word_ngrams, 1),
            "buckets": _core.AUTO_BUCKETS if buckets is None
            else check_int("buckets", buckets, 0, 2**31 - 2),
            "min_count": check_int("min_count", min_count, 1)}


def _one_line(text: str, i: int) -> str:
    """``text`` on one line, with the same words (the core splits on ASCII
    whitespace, newlines included); a word that a fastText file would read as
    a label is refused."""
    if _LABEL_PREFIX in text and any(
        word.startswith(_LABEL_PREFIX) for word in _split_words(text)
    ):
        raise ValueError(f"texts[{i}] has a word that starts with {_LABEL_PREFIX!r}, which a "
                         "compiled dataset would read as a label")
    return text.replace("\n", " ").replace("\r", " ")


def _split_words(text: str) -> list[str]:
    for separator in _TOKEN_SEPARATORS[1:]:
        text = text.replace(separator, " ")
    return text.split(" ")


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
    by_reference = dtype == "f4" and not copy
    # Stored relative to the dataset's folder, so that both can move together.
    folder = os.path.dirname(os.path.abspath(dataset_path))
    reference = os.path.relpath(os.path.abspath(path), folder) if by_reference else ""
    return {"feature_path": path, "feature_offset": int(array.offset), "dtype": dtype,
            "rows": int(array.shape[0]), "cols": int(array.shape[1]),
            "by_reference": by_reference, "reference": reference}


def _wait(job: Any, verbose: int, source: str) -> None:
    """Polls a compile job, showing progress; Ctrl-C stops it (no file is left)."""
    line = CompileProgressLine(source) if verbose else None
    try:
        while not job.wait(_POLL_SECONDS):
            if line:
                line.update(job.progress())
    except BaseException:
        job.request_stop()
        with contextlib.suppress(RuntimeError):
            job.join()
        raise
    try:
        job.join()
    finally:
        if line:
            line.update(job.progress())
            line.close()
