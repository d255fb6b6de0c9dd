"""One way in. Every entry point that takes examples (``Classifier.fit``,
``predict``, ``predict_proba``, ``predict_top``, ``score``, ``evaluate``,
``explain``, ``autotune``, the command line) hands its ``(texts, y,
features)`` to :func:`resolve`, which decides once what they are and returns
one tagged source:

- :class:`Examples`: texts (a sequence of str, or None), ``y`` and
  ``features`` in memory;
- :class:`TextFile`: a fastText-format file, read by the core (the line
  format's one owner is cpp/fasttext_format.h), with ``features`` whose row i
  is line i's;
- :class:`Compiled`: a compiled dataset (:class:`mmfast.Dataset`, or a path
  whose first bytes are the dataset magic, whatever its name), whose examples
  carry their labels and features and are read in place, in C++;
- :class:`Sharded`: the shards of a sharded compile (:class:`mmfast.Manifest`,
  or a path to one, known by its first bytes), read as one compiled dataset.

A str or path-like is a file, never a text; so is a stream of fastText lines
(standard input). A source passes through
:func:`resolve` unchanged, so a caller that resolved its inputs itself (the
command line) hands the source to the public methods. Every source gives the
same three things: the examples as the core reads them (``core_texts`` and
``features``), their true labels (:meth:`truth`, for scoring) and, for
training, their encoded labels (:meth:`encoded_labels`); and it can be cut
into rows (:meth:`select`), which is how autotune splits off its validation
set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from . import _core, _jobs, metrics
from ._labels import encode_labels
from ._progress import CountProgressLine
from ._validation import check_file, check_same_length, is_path
from .dataset_file import Dataset, is_compiled_dataset
from .manifest import Manifest, is_manifest

# (classes, per-example offsets into ids, class ids, multi-label?)
EncodedLabels = tuple[np.ndarray, np.ndarray, np.ndarray, bool]


@dataclass
class Examples:
    """Examples in memory: ``texts`` None (features only) or a sequence of
    str, ``y`` None when not needed, ``features`` as given."""

    texts: Sequence[str] | None
    y: Any
    features: Any

    def __len__(self) -> int:
        if self.texts is not None:
            return len(self.texts)
        return len(self.y) if self.y is not None else _n_rows(self.features)

    @property
    def core_texts(self) -> Sequence[str] | None:
        return self.texts

    def encoded_labels(self) -> EncodedLabels:
        return encode_labels(self.y)

    def truth(self) -> metrics.LabelSets:
        return metrics.LabelSets.of("y", self.y)

    def select(self, rows: np.ndarray) -> Examples:
        return Examples(_take(self.texts, rows), _take(self.y, rows), _take(self.features, rows))


@dataclass
class TextFile:
    """The examples of a fastText-format file: every line (for prediction)
    or the labelled ones (for training and scoring), with their features."""

    path: str
    lines: _core.LabeledTexts
    features: Any

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def core_texts(self) -> _core.LabeledTexts:
        return self.lines

    def encoded_labels(self) -> EncodedLabels:
        offsets = self.lines.label_offsets
        multilabel = bool(np.any(np.diff(offsets) != 1))
        return np.asarray(self.lines.label_names), offsets, self.lines.label_ids, multilabel

    def truth(self) -> metrics.LabelSets:
        return _label_sets(np.asarray(self.lines.label_names), self.lines.label_offsets,
                           self.lines.label_ids)

    def select(self, rows: np.ndarray) -> TextFile:
        rows = np.asarray(rows, dtype=np.int64)
        return TextFile(self.path, self.lines.select(rows), _take(self.features, rows))


@dataclass
class Compiled:
    """A compiled dataset: labels and features come from it."""

    dataset: Dataset

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def core_texts(self) -> Any:
        return self.dataset._native

    @property
    def features(self) -> None:
        return None  # in the dataset, read there

    def encoded_labels(self) -> EncodedLabels:
        offsets, ids = self.dataset._native.labels()
        return self.dataset.classes_, offsets, ids, self.dataset.multilabel

    def truth(self) -> metrics.LabelSets:
        return _label_sets(self.dataset.classes_, *self.dataset._native.labels())

    def select(self, rows: np.ndarray) -> Compiled:
        raise ValueError(f"dataset {self.dataset.path!r}: a compiled dataset is read whole; "
                         "give the examples to split as lists or a fastText-format file")

    def prepare_fit(self, core: Any, codebook_size: int,
                    schedule: tuple[int, float, float] | None = None,
                    hash_unknown_words: bool = False) -> Any:
        """The job that prepares ``core``'s training on these examples
        (``schedule``: (epochs, lr, lr_end), None for the configured ones;
        ``hash_unknown_words``: a stream's vocabulary rule)."""
        return core.prepare_fit_dataset(self.dataset._native, codebook_size, schedule,
                                        hash_unknown_words)


@dataclass
class Sharded:
    """The shards of a sharded compile, read as one compiled dataset: the
    manifest stands for the dataset (settings, classes, features)."""

    dataset: Manifest

    def __post_init__(self) -> None:
        self.shards = self.dataset.open_shards()

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def core_texts(self) -> Any:
        raise ValueError(f"manifest {self.dataset.path!r}: predict shard by shard "
                         "(mmfast.dask.predict(clf, manifest), or clf.predict(shard) for each "
                         "of manifest.shards)")

    @property
    def features(self) -> None:
        return None  # in the shards, read there

    def encoded_labels(self) -> EncodedLabels:
        offsets, ids = self._labels()
        return self.dataset.classes_, offsets, ids, self.dataset.multilabel

    def truth(self) -> metrics.LabelSets:
        return _label_sets(self.dataset.classes_, *self._labels())

    def select(self, rows: np.ndarray) -> Sharded:
        raise ValueError(f"manifest {self.dataset.path!r}: shards are read whole; give the "
                         "examples to split as lists or a fastText-format file")

    def prepare_fit(self, core: Any, codebook_size: int,
                    schedule: tuple[int, float, float] | None = None,
                    hash_unknown_words: bool = False) -> Any:
        """The job that prepares ``core``'s training on every shard's examples."""
        if schedule is not None or hash_unknown_words:
            raise ValueError(f"manifest {self.dataset.path!r}: a stream (partial_fit) starts "
                             "from lists, a file or one compiled dataset, not a manifest")
        return core.prepare_fit_shards([shard._native for shard in self.shards], codebook_size)

    def _labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets, class ids) of every shard's examples, one after another."""
        parts = [shard._native.labels() for shard in self.shards]
        ends = np.cumsum([0] + [int(offsets[-1]) for offsets, _ in parts])
        offsets = np.concatenate([[0]] + [offsets[1:] + end for (offsets, _), end
                                          in zip(parts, ends)])
        return offsets, np.concatenate([ids for _, ids in parts])


Source = Union[Examples, TextFile, Compiled, Sharded]

# The inputs' entries of the numpydoc Parameters of every method that takes
# them (document_inputs): what resolve takes, said once.
_DOCS = {
    "texts": """texts : sequence of str, path-like, file object, Dataset or None
    The examples' texts (None: the features alone); or a fastText-format
    file, as a path or a stream such as ``sys.stdin`` (one example per line,
    its ``__label__`` tokens the labels; ``features`` then has a row per
    line); or a compiled dataset (an :class:`mmfast.Dataset`, or a path to
    one, known by its first bytes): its labels and features come from it,
    and it is read in place, in C++ (to train on it, its word_ngrams,
    buckets and min_count must be this Classifier's, or buckets None to
    take the dataset's; to predict from it,
    word_ngrams and buckets must be the model's, and min_count 1 unless
    the model was trained on it).""",
    "y": """y : array-like of shape (n_samples,), sequence of label lists, or None
    One label per example, or a list of labels per example (multi-label).
    Labels are all str, or all numbers (int, bool, or floats without a
    fractional part); a 2-D indicator matrix is refused. None when
    ``texts`` is a file or a compiled dataset, whose labels are used (a
    file's are str).""",
    "features": """features : array-like of shape (n_samples, n_features), default=None
    Each example's dense feature vector, for a model with ``fusion`` set;
    for "pq"/"rspq" also the integer codes of the model's quantizer, of
    shape (n_samples, n_codes). None with a compiled dataset.""",
}


def document_inputs(docstring: str) -> str:
    """``docstring`` with its ``{texts}``, ``{y}`` and ``{features}`` lines
    replaced by the shared entries, indented as they are."""
    for name, entry in _DOCS.items():
        marker = "{" + name + "}"
        for line in docstring.splitlines():
            if line.strip() == marker:
                indent = line[:len(line) - len(line.lstrip())]
                text = "\n".join(indent + part if part else part for part in entry.splitlines())
                docstring = docstring.replace(line, text)
    return docstring
SOURCES = (Examples, TextFile, Compiled, Sharded)


def resolve(texts: Any, y: Any = None, features: Any = None, *, labelled: bool,
            verbose: bool = False) -> Source:
    """The source ``(texts, y, features)`` stand for. ``labelled``: the caller
    needs true labels (fit, score, evaluate): ``y`` with texts in memory, the
    labelled lines of a file; else (prediction) a file gives every line and
    ``y`` is not looked at. ``verbose``: a progress line while a fastText-format
    file is read."""
    if type(texts) in _IN_MEMORY:  # the common case, decided at once (a list of texts)
        return _examples(texts, y, features, labelled)
    if isinstance(texts, SOURCES):
        _check_none(y, features, "resolved inputs carry")
        return texts
    if isinstance(texts, Dataset):
        _check_none(y, features, "a compiled dataset carries")
        return Compiled(texts)
    if isinstance(texts, Manifest):
        _check_none(y, features, "compiled shards carry")
        return Sharded(texts)
    if is_path(texts):
        path = check_file("texts", texts)
        if is_compiled_dataset(path):
            _check_none(y, features, "a compiled dataset carries")
            return Compiled(Dataset(path))
        if is_manifest(path):
            _check_none(y, features, "compiled shards carry")
            return Sharded(Manifest(path))
        return _text_file(path, y, features, labelled, verbose)
    if hasattr(texts, "read"):  # a stream of fastText lines, such as standard input
        return _text_file(texts, y, features, labelled, verbose)
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("texts must be a sequence of str or a file path, got bytes")
    if texts is not None and not isinstance(texts, (Sequence, np.ndarray)):
        texts = list(texts)
    return _examples(texts, y, features, labelled)


# Types that are texts in memory, whatever else holds: no other check needed.
_IN_MEMORY = (list, tuple, type(None))


def _examples(texts: Any, y: Any, features: Any, labelled: bool) -> Examples:
    if labelled:
        y = _checked_y(texts, y)
    examples = Examples(texts, y, features)
    if features is not None and (texts is not None or y is not None):
        rows = _n_rows(features)
        if rows != len(examples):
            what = "texts" if texts is not None else "labels in y"
            raise ValueError(f"features has {rows} rows but there are {len(examples)} {what}")
    return examples


def _text_file(file: Any, y: Any, features: Any, labelled: bool, verbose: bool) -> TextFile:
    """The examples of a fastText-format file: a path, or a stream (binary,
    or text read as UTF-8), read to its end."""
    if labelled and y is not None:
        raise ValueError("y must be None when texts is a file path: labels come from the file")
    path = file if isinstance(file, str) else str(getattr(file, "name", "<stream>"))
    # The line first: its clock must start before a short job, which runs at once.
    progress = CountProgressLine(f"Reading {path}", "bytes") if verbose else None
    if isinstance(file, str):
        job = _core.read_fasttext_file(path, keep_unlabeled=not labelled)
    else:
        data = file.read()
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        job = _core.read_fasttext_bytes(data, path, keep_unlabeled=not labelled)
    lines = _jobs.run(job, progress)
    if labelled and len(lines) == 0:
        raise ValueError(f"texts: file {path!r} has no labelled lines (labels are tokens that "
                         f"start with {_core.LABEL_PREFIX})")
    if features is not None:
        rows = _n_rows(features)
        if rows != lines.n_lines:
            raise ValueError(f"features has {rows} rows but file {path!r} has {lines.n_lines} "
                             "lines: row i holds the features of line i")
        if len(lines) != lines.n_lines:
            features = _take(features, lines.lines)
    return TextFile(path, lines, features)


def _check_none(y: Any, features: Any, what: str) -> None:
    if y is not None or features is not None:
        raise ValueError(f"y and features must be None: {what} its labels and features")


def _checked_y(texts: Any, y: Any) -> Any:
    """``y`` as a sequence or an array, one entry per text."""
    if y is None:
        raise ValueError("y is None: Classifier requires y to be passed, but the target y is "
                         "None (only a file path for texts carries its labels)")
    if not isinstance(y, (Sequence, np.ndarray)) and not hasattr(y, "tocsr"):
        y = np.asarray(y)
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object and y.shape[1] == 1:
        y = y.ravel()  # a column of labels
    if hasattr(y, "tocsr") or (isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object):
        # scikit-learn's multi-label form; read as lists, every example had every label.
        raise ValueError(
            "y is a 2-D array: a multi-label indicator matrix is not taken; give a list of "
            "labels per example, e.g. [np.flatnonzero(row) for row in y]"
        )
    if texts is not None:
        check_same_length("texts", texts, "y", y)
    return y


def _label_sets(names: np.ndarray, offsets: np.ndarray, ids: np.ndarray) -> metrics.LabelSets:
    """The labels of examples whose class ids are ``ids[offsets[i]:offsets[i + 1]]``."""
    n = len(offsets) - 1
    return metrics.LabelSets(np.repeat(np.arange(n), np.diff(offsets)), names[ids], n)


def _n_rows(values: Any) -> int:
    """Rows of an array (sparse ones too, which the features' checks refuse
    later with a message that says so) or of a sequence."""
    shape = getattr(values, "shape", None)
    if shape:
        return int(shape[0])
    return len(values) if hasattr(values, "__len__") else len(np.asarray(values))


def _take(values: Any, rows: np.ndarray) -> Any:
    """Rows of an array or a sequence (None stays None)."""
    if values is None:
        return None
    if hasattr(values, "__array__"):
        return np.asarray(values)[rows]
    return [values[i] for i in rows]
