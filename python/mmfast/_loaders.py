"""Loaders for the multi-modal research data sets, in the layouts they ship in:
UPMC Food-101, MM-IMDB and YFCC100M-style tag prediction (FlickrTag).

Each returns a :class:`LoadedDataset`: texts, labels and (when a feature file
is given) a float32 feature matrix, aligned row for row, plus the id of each
example. Feature matrices are keyed by id: a ``.npy`` of shape (n, d) and a
text file naming row i on line i (extract features from the images once, save
them so, and every split finds its rows by name). Parsing happens in Python's
csv and json modules; files are read once, line by line.

A missing file, field or column raises an error that names the file and the
column (or field); a row too short for a column names its line.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from typing import Any, NamedTuple, Union
from urllib.parse import unquote_plus

import numpy as np

__all__ = ["LoadedDataset", "clean_text", "load_flickr_tags", "load_food101", "load_mmimdb"]

Path = Union[str, "os.PathLike[str]"]
Column = Union[int, str]


class LoadedDataset(NamedTuple):
    """Aligned examples: ``texts[i]``, ``labels[i]`` (a label, or a list of labels
    for multi-label sets), ``features[i]`` (None when no feature file was
    given) and ``ids[i]`` (image name, movie id or line number)."""

    texts: list[str]
    labels: list[Any]
    features: np.ndarray | None
    ids: list[str]


# fastText's normalization for its classification examples (the sed script in
# classification-example.sh): punctuation split off as tokens, quotes, ';' and
# ':' dropped, lower case, single spaces.
_PUNCTUATION = str.maketrans({
    "'": " ' ", '"': "", ".": " . ", ",": " , ", "(": " ( ", ")": " ) ",
    "!": " ! ", "?": " ? ", ";": " ", ":": " ",
})
_HTML_TAG = re.compile(r"<[^>]*>")


def clean_text(text: str) -> str:
    """Normalize a text as fastText's example scripts do.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    cleaned : str
        Lower case, HTML tags removed, punctuation split off into tokens,
        whitespace collapsed to single spaces.
    """
    return " ".join(_HTML_TAG.sub(" ", text).translate(_PUNCTUATION).lower().split())


def load_food101(
    csv_path: Path,
    features: Path | None = None,
    feature_names: Path | None = None,
    columns: Sequence[Column] = (0, 1, 2),
    header: bool = False,
    clean: bool = False,
) -> LoadedDataset:
    """UPMC Food-101: a CSV file of (image name, text, label) rows, such as
    ``texts/train_titles.csv``; one label per example.

    Parameters
    ----------
    csv_path : str or path-like
        The CSV file.
    features, feature_names : str, path-like or None
        Optional ``.npy`` (n_images, d) and the text file whose line i names
        the image of row i; each CSV row gets the row of its image name.
    columns : sequence of int or str, default=(0, 1, 2)
        The image-name, text and label columns, by position or (with
        ``header=True``) by name, e.g. ``("image_path", "text", "food")``.
    header : bool, default=False
        The first line names the columns.
    clean : bool, default=False
        Apply :func:`clean_text` to the texts (else whitespace is only
        collapsed).

    Returns
    -------
    dataset : LoadedDataset
        ``texts``, ``labels``, ``features`` and ``ids`` (image names), aligned.
    """
    rows = _table(csv_path, ",", columns, ("image name", "text", "label"), header)
    ids, texts, labels = [], [], []
    for image, text, label in rows:
        ids.append(image)
        texts.append(_text(text, clean))
        labels.append(_label(label))
    return LoadedDataset(texts, labels, _features(features, feature_names, ids, csv_path), ids)


def load_mmimdb(
    root: Path,
    split: str = "train",
    split_file: Path | None = None,
    features: Path | None = None,
    feature_names: Path | None = None,
    clean: bool = False,
) -> LoadedDataset:
    """MM-IMDB: ``root/split.json`` maps each split ("train", "dev", "test") to
    movie ids, and ``root/dataset/<id>.json`` holds a movie's ``plot`` (a list
    of strings, joined by spaces) and ``genres`` (its labels: multi-label).

    Parameters
    ----------
    root : str or path-like
        The extracted ``mmimdb`` folder.
    split : str, default="train"
        Which split to load.
    split_file : str, path-like or None, default=None
        The split file, if not ``root/split.json``.
    features, feature_names : str, path-like or None
        Optional ``.npy`` and names file keyed by movie id (see
        :func:`load_food101`).
    clean : bool, default=False
        Apply :func:`clean_text` to the plots.

    Returns
    -------
    dataset : LoadedDataset
        ``texts``, ``labels`` (a list of genres each), ``features`` and ``ids``
        (movie ids), aligned.
    """
    root = os.fspath(root)
    split_file = os.fspath(split_file) if split_file is not None else os.path.join(
        root, "split.json")
    splits = _json(split_file)
    if not isinstance(splits, dict) or split not in splits:
        found = list(splits) if isinstance(splits, dict) else type(splits).__name__
        raise ValueError(f"{split_file}: no split {split!r} (found {found})")
    ids = [str(movie) for movie in splits[split]]
    texts, labels = [], []
    for movie in ids:
        path = os.path.join(root, "dataset", f"{movie}.json")
        record = _json(path)
        plot = _field(record, "plot", path)
        genres = _field(record, "genres", path)
        if isinstance(plot, str):
            plot = [plot]
        if not isinstance(genres, list) or not genres:
            raise ValueError(f"{path}: field 'genres' must be a non-empty list, got {genres!r}")
        texts.append(_text(" ".join(plot), clean))
        labels.append([_label(genre) for genre in genres])
    return LoadedDataset(texts, labels, _features(features, feature_names, ids, split_file), ids)


def load_flickr_tags(
    path: Path,
    columns: Sequence[Column] = ("title", "description", "tags"),
    header: bool = True,
    url_encoded: bool = True,
) -> LoadedDataset:
    """YFCC100M / FlickrTag tag prediction: a tab-separated file of (title,
    description, tags); the tags are the labels (multi-label).

    As fastText's FlickrTag experiments: the text is the title and the
    description, cleaned by :func:`clean_text`; tags are split on commas,
    lower-cased, inner spaces become ``_``, repeats are dropped. Rows without a
    tag are left out (``ids`` holds the 1-based line number of each kept row).

    Parameters
    ----------
    path : str or path-like
        The TSV file.
    columns : sequence of int or str, default=("title", "description", "tags")
        Title, description and tags columns, by name (with a header) or by
        position; the YFCC100M metadata file has no header and these in
        columns ``(8, 9, 10)``.
    header : bool, default=True
        The first line names the columns.
    url_encoded : bool, default=True
        The fields are URL-encoded (``+`` for a space, ``%xx``), as in the
        YFCC100M metadata.

    Returns
    -------
    dataset : LoadedDataset
        ``texts``, ``labels`` (a list of tags each), ``features`` (None) and
        ``ids`` (line numbers), aligned.
    """
    decode = unquote_plus if url_encoded else str
    rows = _table(path, "\t", columns, ("title", "description", "tags"), header, numbered=True)
    texts, labels, ids = [], [], []
    for line, (title, description, tags) in rows:
        tag_list = list(dict.fromkeys(
            "_".join(decode(tag).lower().split()) for tag in tags.split(",")))
        tag_list = [tag for tag in tag_list if tag]
        if tag_list:
            texts.append(clean_text(f"{decode(title)} {decode(description)}"))
            labels.append(tag_list)
            ids.append(str(line))
    return LoadedDataset(texts, labels, None, ids)


def _table(
    path: Path, delimiter: str, columns: Sequence[Column], roles: Sequence[str], header: bool,
    numbered: bool = False,
) -> list[Any]:
    """The chosen columns of every row (with the row's line number when
    ``numbered``); errors name the file, the column and the line."""
    path = os.fspath(path)
    if len(columns) != len(roles):
        raise ValueError(f"columns must name {len(roles)} columns ({', '.join(roles)}), "
                         f"got {list(columns)}")
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.reader(file, delimiter=delimiter,
                            quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
        try:
            names = next(reader, None) if header else None
            if header and names is None:
                raise ValueError(f"{path}: empty file, expected a header line")
            indices = [_column_index(path, names, column, role)
                       for column, role in zip(columns, roles)]
            rows = []
            for row in reader:
                if not row:
                    continue
                if len(row) <= max(indices):
                    j = next(j for j, index in enumerate(indices) if index >= len(row))
                    raise ValueError(f"{path}, line {reader.line_num}: no column "
                                     f"{columns[j]!r} ({roles[j]}): the row has {len(row)} fields")
                fields = [row[index] for index in indices]
                rows.append((reader.line_num, fields) if numbered else fields)
        except (UnicodeDecodeError, csv.Error) as error:
            raise ValueError(f"{path}, line {reader.line_num}: {error}") from None
    return rows


def _column_index(path: str, header: list[str] | None, column: Column, role: str) -> int:
    if isinstance(column, bool) or not isinstance(column, (int, str)):
        raise TypeError(f"columns: each column is a position or a name, got {column!r}")
    if isinstance(column, int):
        if column < 0:
            raise ValueError(f"columns: positions must be >= 0, got {column}")
        return column
    if header is None:
        raise ValueError(f"columns: {column!r} ({role}) is a name, but header=False; give "
                         "positions or header=True")
    if column not in header:
        raise ValueError(f"{path}: no column {column!r} ({role}) in the header {header}")
    return header.index(column)


def _json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None


def _field(record: Any, name: str, path: str) -> Any:
    if not isinstance(record, dict) or name not in record:
        raise ValueError(f"{path}: no field {name!r}")
    return record[name]


def _text(text: str, clean: bool) -> str:
    return clean_text(text) if clean else " ".join(text.split())


def _label(label: Any) -> str:
    """A label as a single token (fastText-format files cannot hold spaces in one)."""
    return "_".join(str(label).split())


def _features(
    features: Path | None, feature_names: Path | None, ids: list[str], source: Path
) -> np.ndarray | None:
    """The feature rows of ``ids``, looked up by name; None without a feature file."""
    if features is None and feature_names is None:
        return None
    if features is None or feature_names is None:
        raise ValueError("features and feature_names go together: the .npy file and the "
                         "file naming its rows")
    features, feature_names = os.fspath(features), os.fspath(feature_names)
    matrix = np.load(features, mmap_mode="r", allow_pickle=False)
    with open(feature_names, encoding="utf-8") as file:
        names = [line.strip() for line in file if line.strip()]
    if matrix.ndim != 2 or len(matrix) != len(names):
        raise ValueError(f"{features} has shape {matrix.shape}, but {feature_names} names "
                         f"{len(names)} rows: expected ({len(names)}, n_features)")
    row_of = {name: row for row, name in enumerate(names)}
    missing = [name for name in ids if name not in row_of]
    if missing:
        raise ValueError(f"{feature_names}: no features for {len(missing)} ids of {source}, "
                         f"such as {missing[0]!r}")
    return np.asarray(matrix[[row_of[name] for name in ids]], dtype=np.float32)
