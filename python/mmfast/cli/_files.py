"""The command line's files: opening inputs (a path, or '-' for standard
input), reading and writing .npy, checking an output path before any long
work, and errors that name the file they are about."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _core
from .._inputs import Examples, Source, TextFile, resolve
from ..classifier import Classifier, load
from ..dataset_file import is_compiled_dataset


class CommandError(Exception):
    """A bad file or value: the command line prints the message and exits 1."""


@contextlib.contextmanager
def about(path: str) -> Iterator[None]:
    """Errors raised inside name ``path`` (the file they are about), unless
    their message already does; a training that diverged or a Ctrl-C passes
    through as it is."""
    try:
        yield
    except (_core.TrainingDivergedError, KeyboardInterrupt):
        raise
    except (ValueError, TypeError, OSError) as error:
        message = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        if path in message:
            raise CommandError(message) from None
        raise CommandError(f"{path}: {message}") from None


def input_file(path: str) -> Any:
    """The input file as Classifier's methods take it: its path, or for '-'
    the standard input stream."""
    if path != "-":
        if not os.path.isfile(path):
            raise CommandError(f"{path}: no such file" if not os.path.exists(path)
                               else f"{path}: not a file")
        return path
    if sys.stdin is None or sys.stdin.closed:  # None: started with descriptor 0 closed
        raise CommandError("'-': standard input is closed")
    return getattr(sys.stdin, "buffer", sys.stdin)


def read_source(path: str | None, features: str | None, *, labelled: bool,
                verbose: int = 0) -> Source:
    """The input (a fastText-format file, '-' or a compiled dataset) and the
    --features file, resolved once: the labelled lines (``labelled``) or
    every line. Without an input (None), the features alone. ``verbose``: a
    progress line while a fastText-format file is read."""
    X = None if features is None else load_npy(features)
    if path is None:
        if X is None:
            raise CommandError("give an input file, or --features for a model trained on "
                               "features alone")
        return Examples(None, None, X)
    file = input_file(path)
    if isinstance(file, str) and X is not None and is_compiled_dataset(file):
        raise CommandError(f"{path}: a compiled dataset holds its own features: leave out "
                           "--features")
    with about(path):
        return resolve(file, features=X, labelled=labelled, verbose=bool(verbose))


def without_texts(source: TextFile, labelled: bool) -> Examples:
    """A file's examples without their texts: the labels (``labelled``) and
    the features, for a model of features alone."""
    if not labelled:
        return Examples(None, None, source.features)
    classes, offsets, ids, multilabel = source.encoded_labels()
    names = classes[ids]
    y = [row.tolist() for row in np.split(names, offsets[1:-1])] if multilabel else names
    return Examples(None, y, source.features)


def load_npy(path: str) -> np.ndarray:
    """A .npy file's array."""
    with about(path):
        try:
            return np.load(path, allow_pickle=False)
        except ValueError:  # not a .npy: numpy says it would need to unpickle it
            raise ValueError("cannot read: not a .npy file") from None


def save_npy(path: str, array: np.ndarray) -> None:
    """Writes a .npy under a temporary name and renames it to ``path``, so a
    failed write (a full disk) leaves any old file as it was."""
    temporary = f"{path}.tmp{os.getpid()}"  # one command, one writer
    try:
        with about(path), open(temporary, "xb") as file:  # np.save(path) would append ".npy"
            np.save(file, array)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def load_model(path: str, n_jobs: int | None = None, verbose: int = 1) -> Classifier:
    """The model file at ``path``, predicting with ``n_jobs`` threads (None:
    its own setting)."""
    with about(path):
        clf = load(path)
    clf.set_params(verbose=verbose)
    return clf.set_params(n_jobs=n_jobs) if n_jobs is not None else clf


def check_output(path: str) -> None:
    """Refuses an output path that cannot be written, before any long work."""
    if not path:
        raise CommandError("output: empty path")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise CommandError(f"{path}: directory {directory} is not writable")


def say(message: str) -> None:
    """A message on standard error (results go to standard output)."""
    print(message, file=sys.stderr, flush=True)
