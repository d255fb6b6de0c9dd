"""mmfast.Manifest: the shards of a sharded compile, opened as one dataset.

A sharded compile (``mmfast.dask.compile_shards``) writes one compiled
dataset per partition of the data, on the workers, all with the same
dictionary and label names (agreed once, before any shard is written), and a
manifest: a small JSON file that lists the shards, the settings that made
their token ids, the classes, and the quantizer of their codes. Both
``Classifier.fit(manifest)`` and ``mmfast.dask.fit`` open it as one dataset;
``mmfast.dask.predict`` reads it shard by shard. Shard paths are stored
relative to the manifest, so that the folder can move as a whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core, _jobs
from ._validation import check_file, check_path
from .dataset_file import Dataset

__all__ = ["Manifest", "is_manifest"]

# A manifest is JSON whose first key is "format", with this value.
_FORMAT = "mmfast-shards-1"
_MAGIC = b'"format": "' + _FORMAT.encode() + b'"'


def is_manifest(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a file that starts like a manifest."""
    try:
        with open(path, "rb") as file:
            return _MAGIC in file.read(2 * len(_MAGIC))
    except OSError:
        return False


class Manifest:
    """The shards of a sharded compile: ``Manifest(path)`` opens one.

    Parameters
    ----------
    path : str or path-like
        The manifest file (JSON), as ``mmfast.dask.compile_shards`` writes it.

    Attributes
    ----------
    path : str
        The manifest file.
    shards : list of str
        The shards' paths, one compiled dataset per partition.
    shard_sizes : list of int
        Examples in each shard.
    settings : dict
        ``word_ngrams``, ``buckets`` and ``min_count`` of every shard's token
        ids (as :attr:`mmfast.Dataset.settings`).
    classes_ : ndarray
        Label names in class order, the same in every shard.
    multilabel : bool
        Whether some example has several labels.
    n_features, n_codes : int
        Dense features, or feature codes, per example (0: none).
    max_code : int
        The largest feature code in any shard (-1 without codes).

    Examples
    --------
    >>> import os, tempfile
    >>> import mmfast
    >>> texts, y = mmfast.make_text_classification(n_samples=200, n_classes=3)
    >>> folder = tempfile.mkdtemp()
    >>> shards = [mmfast.Dataset.from_texts(texts[:100], y[:100], os.path.join(folder, "a.mmd")),
    ...           mmfast.Dataset.from_texts(texts[100:], y[100:], os.path.join(folder, "b.mmd"))]
    >>> manifest = mmfast.Manifest.write(os.path.join(folder, "manifest.json"), shards[:1])
    >>> len(manifest), manifest.shard_sizes
    (100, [100])
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_file("path", path)
        try:
            with open(self.path, encoding="utf-8") as file:
                data = json.load(file)
            if data.get("format") != _FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, not {_FORMAT!r}")
            folder = os.path.dirname(os.path.abspath(self.path))
            self.shards = [os.path.join(folder, shard["path"]) for shard in data["shards"]]
            self.shard_sizes = [int(shard["n_examples"]) for shard in data["shards"]]
            self.settings = {name: int(data["settings"][name])
                             for name in ("word_ngrams", "buckets", "min_count")}
            self.classes_ = np.asarray(data["classes"])
            self.multilabel = bool(data["multilabel"])
            self.n_features = int(data["n_features"])
            self.n_codes = int(data["n_codes"])
            self.max_code = int(data["max_code"])
            quantizer = data["quantizer"]
            self._quantizer_path = None if quantizer is None else os.path.join(folder, quantizer)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"manifest {self.path!r} is not an mmfast manifest "
                             f"({error})") from None

    @classmethod
    def write(cls, path: str | os.PathLike[str], shards: Sequence[Dataset],
              quantizer: Any = None) -> Manifest:
        """Write the manifest of compiled shards that share one dictionary and
        label names (those of a sharded compile), and open it.

        The file is written under a temporary name and renamed.

        Parameters
        ----------
        path : str or path-like
            The manifest file to write; the shards are stored relative to its
            folder.
        shards : sequence of Dataset
            The shards, in order.
        quantizer : ProductQuantizer, RSPQ or None, default=None
            The fitted quantizer whose codes the shards hold, saved beside the
            manifest (as ``<path>.quantizer``).

        Returns
        -------
        manifest : Manifest
            The manifest, open.
        """
        if not shards:
            raise ValueError("shards: none given")
        _core.check_shards([shard._native for shard in shards])
        return cls._write(path, [shard_entry(shard) for shard in shards], quantizer)

    @classmethod
    def _write(cls, path: str | os.PathLike[str], entries: Sequence[dict[str, Any]],
               quantizer: Any) -> Manifest:
        """Writes the manifest of shards described by :func:`shard_entry`
        (where they were written: a sharded compile's workers)."""
        path = check_path("path", path)
        folder = os.path.dirname(os.path.abspath(path))
        quantizer_name = None
        if quantizer is not None:
            quantizer_name = os.path.basename(path) + ".quantizer"
            _write_atomic(os.path.join(folder, quantizer_name), quantizer._native.to_bytes())
        first = entries[0]
        data = {
            "format": _FORMAT,
            "shards": [{"path": os.path.relpath(entry["path"], folder),
                        "n_examples": entry["n_examples"]} for entry in entries],
            **{name: first[name] for name in ("settings", "classes", "n_features", "n_codes")},
            "multilabel": any(entry["multilabel"] for entry in entries),
            "max_code": max(entry["max_code"] for entry in entries),
            "quantizer": quantizer_name,
        }
        _write_atomic(path, json.dumps(data, indent=1).encode())
        return cls(path)

    def __len__(self) -> int:
        return sum(self.shard_sizes)

    def __repr__(self) -> str:
        return f"mmfast.Manifest({self.path!r}, {len(self.shards)} shards, {len(self):,} examples)"

    def open_shards(self, n_jobs: int | None = None) -> list[Dataset]:
        """The shards, opened (each verified as :class:`mmfast.Dataset` does).

        Parameters
        ----------
        n_jobs : int or None, default=None
            Threads that verify the checksums; None uses every core.

        Returns
        -------
        shards : list of Dataset
        """
        return [Dataset(shard, n_jobs) for shard in self.shards]

    @property
    def quantizer(self) -> Any:
        """The native quantizer of the shards' codes (None when unknown)."""
        if self._quantizer_path is None:
            return None
        with open(self._quantizer_path, "rb") as file:
            return _jobs.run(_core.Quantizer.from_bytes(file.read()))


def shard_entry(shard: Dataset) -> dict[str, Any]:
    """What a manifest records of a shard."""
    return {"path": os.path.abspath(shard.path), "n_examples": len(shard),
            "settings": shard.settings, "classes": shard.classes_.tolist(),
            "multilabel": shard.multilabel, "n_features": shard.n_features,
            "n_codes": shard.n_codes, "max_code": shard.max_code}


def _write_atomic(path: str, data: bytes) -> None:
    """``data`` at ``path``, through a temporary file and a rename."""
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=name + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.remove(temporary)
        raise
