"""Writing examples as fastText lines. The line format has one owner, the C++
core (cpp/fasttext_format.h): it writes the lines and refuses, naming the row,
what would not read back as the same example. This module only hands it the
texts and the labels' names."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from . import _core, _jobs

LABEL_PREFIX: str = _core.LABEL_PREFIX


def write_examples(
    path: str | os.PathLike[str], texts: Sequence[str],
    labels: tuple[np.ndarray, np.ndarray, np.ndarray], *, append: bool = False,
    line_breaks_as_spaces: bool = False,
) -> None:
    """Writes one line per text (``append``: at the end of ``path``, else
    replacing it whole, through a temporary file). ``labels`` are (classes,
    offsets, ids) as ``_labels.encode_labels`` gives them; each class is
    written as ``str()`` writes it. ``line_breaks_as_spaces`` writes a line
    break in a text as a space (the same words) instead of refusing it."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of str")
    classes, offsets, ids = labels
    if len(offsets) != len(texts) + 1:
        raise ValueError(f"texts and y have different lengths ({len(texts)} != "
                         f"{len(offsets) - 1})")
    names = [str(label) for label in classes.tolist()]
    _jobs.run(_core.write_fasttext_file(os.fspath(path), texts, names, offsets, ids, append,
                                        line_breaks_as_spaces))
