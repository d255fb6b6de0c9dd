"""Data-parallel training on Dask by parameter mixing.

The training data are the shards of a sharded compile, split among the
workers. Training runs in rounds: in each, every worker starts from the same
weights (the mixed model, scattered to every worker once per round), trains
hogwild on its next shards (``sync_every`` of an epoch of its data), and
sends back what it changed: the embedding rows it touched, and the whole
output matrix and feature projection. The mixed model then applies every
worker's change (``mixing="sum"``, as hogwild threads of one machine do), or
moves each weight by the mean change of the workers that changed it
(``mixing="average"``, iterative parameter mixing: a row only one worker saw
keeps that worker's update whole). One learning-rate schedule runs over all
the rounds, from ``lr`` to 0, as a single-machine fit's does.

A round's tasks are pure functions of the round's model and shards: a worker
that dies costs its slice, which Dask runs again on another worker.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import _params
from .._inputs import Compiled, Sharded
from .._schedule import training_schedule
from .._validation import check_choice, check_float
from ..dataset_file import Dataset
from ..manifest import Manifest, is_manifest
from . import _partitions
from ._compile import compile_shards

# How long sending the model to every worker may take before the broadcast
# is tried again (it waits forever on a worker that died mid-broadcast).
_SCATTER_SECONDS = 60
# Tables whose rows a worker touches sparsely (sent back as the rows it
# changed), and those every step touches (sent back whole).
_SPARSE = ("text_embeddings", "feature_embeddings")
_DENSE = ("output", "output_bias", "projection")


@dataclass
class Round:
    """What ``on_sync`` is told after each round."""

    number: int  # from 0
    n_rounds: int
    lr: float  # where the learning rate ended
    bytes_sent: int  # the workers' updates, as sent back (rows changed, whole dense tables)


def fit(
    clf: Any,
    texts: Any,
    y: Any = None,
    features: Any = None,
    client: Any = None,
    *,
    sync_every: float = 0.25,
    mixing: str = "sum",
    folder: str | os.PathLike[str] | None = None,
    on_sync: Callable[[Round], None] | None = None,
) -> Any:
    """Train ``clf`` on a Dask cluster by iterative parameter mixing.

    Parameters
    ----------
    clf : mmfast.Classifier
        An unfitted classifier: its hyperparameters are used (``n_jobs``:
        threads of each worker's task), and it is returned fitted.
    texts : dask bag, dask Series, Manifest or str
        The examples' texts (with ``y`` and ``features``, compiled into
        shards first, one per partition), or the manifest of a sharded
        compile (or its path).
    y : dask bag, dask Series or 1-D dask array, default=None
        The labels, partitioned as the texts; None with a manifest.
    features : dask array, default=None
        The features, its row chunks the texts' partitions.
    client : distributed.Client or None, default=None
        The cluster; None: the default Client.
    sync_every : float, default=0.25
        The share of an epoch (of each worker's shards) trained between two
        mixings; at least one shard per worker. Smaller is closer to a
        single-machine fit and costs more rounds (see the README's rule).
    mixing : {"sum", "average"}, default="sum"
        How the workers' changes combine at each sync. "sum": every change is
        applied, as hogwild threads of one machine apply theirs (delayed to
        the sync); the closest to a one-machine fit for a few workers and
        short intervals (benchmarks/dask_workers.py), riskier with many
        workers or a high lr. "average": iterative parameter mixing, each
        weight moves by the mean change of the workers that changed it (an
        embedding row seen by one worker keeps its update whole; the output
        matrix and the projection move by the mean of every worker's change):
        stable with any number of workers, but the weights that all workers
        share learn as with an lr that many times smaller, so it needs more
        epochs or a higher lr.
    folder : str, path-like or None, default=None
        Where to compile the shards when ``texts`` is not a manifest: storage
        that the workers and this process share (None: a new temporary
        folder, which suits a LocalCluster).
    on_sync : callable or None, default=None
        Called with a :class:`Round` after each mixing (progress, logging).

    Returns
    -------
    clf : mmfast.Classifier
        ``clf``, fitted: an ordinary Classifier.
    """
    params = _params.validated(clf)
    mixing = check_choice("mixing", mixing, ("average", "sum"))
    sync_every = check_float("sync_every", sync_every, 0.0)
    if sync_every > 1:
        raise ValueError(f"sync_every must be a share of an epoch in (0, 1], got {sync_every}")
    client = client if client is not None else _partitions.current_client()
    if client is None:
        raise ValueError("client: mmfast.dask.fit needs a distributed Client (none is running)")
    manifest = _manifest(clf, texts, y, features, client, folder)
    # lr and epochs left to the data (None): decided by all the shards' examples.
    _, offsets, _, _ = Sharded(manifest).encoded_labels()
    lr, epochs = training_schedule(params["lr"], params["epochs"], int(offsets[-1]),
                                   len(manifest.classes_))
    params = {**params, "lr": lr, "epochs": epochs}
    groups = _groups(manifest, len(client.scheduler_info()["workers"]))
    per_round = max(1, math.ceil(sync_every * min(len(group) for group in groups)))
    rounds_per_epoch = math.ceil(max(len(group) for group in groups) / per_round)
    n_rounds = params["epochs"] * rounds_per_epoch

    # The initial weights, untrained: the vocabulary and classes are every
    # shard's; the class frequencies (hs, ns) and the feature scaling, the
    # first shard's.
    core, _, *learned = clf._prepare_dataset(Compiled(Dataset(manifest.shards[0])), params)
    clf._keep(core, *learned)
    for number in range(n_rounds):
        slices = [_shards_of_round(group, number % rounds_per_epoch, per_round)
                  for group in groups]
        start, end = lr * (1 - number / n_rounds), lr * (1 - (number + 1) / n_rounds)
        seeds = [params["random_state"] + 7919 * number + g for g in range(len(slices))]
        updates = _train_round(client, clf, slices, start, end, seeds)
        bytes_sent = _mix(clf, updates, mixing == "sum")
        if on_sync is not None:
            on_sync(Round(number, n_rounds, end, bytes_sent))
    return clf


def _train_round(client: Any, clf: Any, slices: list[list[tuple[str, int]]], lr: float,
                 lr_end: float, seeds: list[int], attempts: int = 3) -> list[dict[str, Any]]:
    """Every worker's update of one round. A slice whose worker died is run
    again elsewhere (by Dask, or here, from a new copy of the round's model
    when the one it read went with the worker); an error of the training
    itself is raised."""
    from distributed import wait
    from distributed.client import FutureCancelledError, FuturesCancelledError
    from distributed.scheduler import KilledWorker

    updates: dict[int, dict[str, Any]] = {}
    pending = [g for g, shards in enumerate(slices) if shards]
    for _ in range(attempts):
        model = _scatter(client, clf)
        futures = {g: client.submit(_train_slice, model, slices[g], lr, lr_end, seeds[g],
                                    pure=False, retries=3) for g in pending}
        try:
            wait(list(futures.values()))
        except (FutureCancelledError, FuturesCancelledError):
            pass  # a slice whose model went with a dead worker: its status says so below
        pending = []
        for g, future in futures.items():
            if future.status == "finished":
                updates[g] = future.result()
            elif future.status == "error" and not isinstance(future.exception(), KilledWorker):
                future.result()  # the task's own error
            else:  # cancelled (its model was lost with a worker) or killed with its workers
                pending.append(g)
        client.cancel([model, *futures.values()])
        if not pending:
            return [updates[g] for g in sorted(updates)]
    raise RuntimeError(f"mmfast.dask.fit: the slices of workers {pending} were lost "
                       f"{attempts} times in a row (workers keep dying)")


def _scatter(client: Any, model: Any, attempts: int = 5) -> Any:
    """``model`` on every worker: a copy on each, so that losing a worker
    loses no input of the round. A worker that dies while the model is sent
    fails the broadcast (a closed connection, or the scheduler's KeyError for
    the worker it removed meanwhile): try again."""
    for attempt in range(attempts - 1):
        try:
            return client.scatter(model, broadcast=True, hash=False, timeout=_SCATTER_SECONDS)
        except (OSError, KeyError):  # OSError: TimeoutError too (a broadcast to a dead worker)
            time.sleep(0.5 * 2**attempt)
    return client.scatter(model, broadcast=True, hash=False, timeout=_SCATTER_SECONDS)


def _manifest(clf: Any, texts: Any, y: Any, features: Any, client: Any,
              folder: str | os.PathLike[str] | None) -> Manifest:
    """The manifest to train on: given, or compiled from the partitions (one
    shard each: partition the texts as finely as ``sync_every`` needs)."""
    if isinstance(texts, Manifest):
        return texts
    if isinstance(texts, (str, os.PathLike)) and is_manifest(texts):
        return Manifest(texts)
    folder = tempfile.mkdtemp(prefix="mmfast-shards-") if folder is None else folder
    quantizer = clf.quantizer if clf.fusion in ("pq", "rspq") and clf.quantizer else None
    return compile_shards(texts, y, folder, features, word_ngrams=clf.word_ngrams,
                          buckets=clf.buckets, min_count=clf.min_count, quantizer=quantizer,
                          client=client)


def _groups(manifest: Manifest, n_workers: int) -> list[list[tuple[str, int]]]:
    """The shards (path, examples) of each worker: contiguous runs of about
    equal size."""
    shards = list(zip(manifest.shards, manifest.shard_sizes))
    n = max(1, min(n_workers, len(shards)))
    bounds = np.linspace(0, len(shards), n + 1).round().astype(int)
    return [shards[bounds[g]:bounds[g + 1]] for g in range(n)]


def _shards_of_round(group: list[tuple[str, int]], step: int, per_round: int
                     ) -> list[tuple[str, int]]:
    return group[step * per_round:(step + 1) * per_round]


def _mix(clf: Any, updates: list[dict[str, Any]], summed: bool) -> int:
    """Sets ``clf``'s weights to the mixing of the workers' updates: each
    weight moves by the mean of the changes of the workers that changed it
    (or, ``summed``, by their sum); returns the bytes the updates took."""
    native = clf._native
    weights = native.weights()
    sent = 0
    for name in _SPARSE:
        changed = [update[name] for update in updates if name in update]
        if not changed:
            continue
        all_rows = np.concatenate([rows for rows, _ in changed])
        rows, slot = np.unique(all_rows, return_inverse=True)
        old = np.asarray(weights[name][rows], dtype=np.float64)
        sums = np.zeros((len(rows), weights[name].shape[1]), dtype=np.float64)
        np.add.at(sums, slot, np.concatenate([values for _, values in changed]) - old[slot])
        counts = np.bincount(slot, minlength=len(rows))[:, None]
        sent += sum(r.nbytes + v.nbytes for r, v in changed)
        mixed = old + (sums if summed else sums / counts)
        native.assign_rows(name, rows, mixed.astype(np.float32))
    for name in _DENSE:
        tables = [update[name] for update in updates if name in update]
        if not tables:
            continue
        sent += sum(table.nbytes for table in tables)
        old = np.asarray(weights[name], dtype=np.float64)
        delta = np.sum(np.stack(tables) - old, axis=0)
        mixed = old + (delta if summed else delta / len(tables))
        native.assign_rows(name, np.arange(len(mixed), dtype=np.int64), mixed.astype(np.float32))
    return sent


# The task: one worker's slice of a round.

_OPENED: dict[str, Dataset] = {}  # a worker process's shards, opened once
# The weights each round's model (as scattered to this worker process)
# started with, kept by the first task on it, which then trains the model in
# place: copying it costs as much as unpickling it, the round's largest cost.
_STARTS: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_CLAIM = threading.Lock()


def _claimed(model: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """A model to train that starts from the round's weights, and those
    weights: ``model`` itself for the first task on it, else a copy set back
    to them (a second task on this worker, or a retried one)."""
    with _CLAIM:
        start = _STARTS.get(model)
        if start is None:
            _STARTS[model] = {name: np.array(table)
                              for name, table in model._native.weights().items()
                              if name in _SPARSE + _DENSE and table.size}
            return model, _STARTS[model]
    trained = copy.deepcopy(model)
    for name, table in start.items():
        trained._native.assign_rows(name, np.arange(len(table), dtype=np.int64), table)
    return trained, start


def _train_slice(model: Any, shards: list[tuple[str, int]], lr: float, lr_end: float,
                 seed: int) -> dict[str, Any]:
    """Trains ``model`` (or a copy) one pass over ``shards``, the learning rate
    moving from ``lr`` to ``lr_end`` across them; returns the rows it changed
    of each sparse table and the whole dense ones."""
    trained, before = _claimed(model)
    trained.verbose = 0
    total = sum(n for _, n in shards)
    done = 0
    for path, n in shards:
        dataset = _OPENED.get(path)
        if dataset is None:
            dataset = _OPENED[path] = Dataset(path, trained.n_jobs)
        start = lr + (lr_end - lr) * done / total
        done += n
        trained._continue_training(dataset, epochs=1, lr=start,
                                   lr_end=lr + (lr_end - lr) * done / total, seed=seed)
    after = trained._native.weights()
    update: dict[str, Any] = {}
    for name in _SPARSE:
        if name in after and after[name].size:
            rows = np.flatnonzero(np.any(after[name] != before[name], axis=1))
            update[name] = (rows, np.array(after[name][rows]))
    for name in _DENSE:
        if name in after and after[name].size:
            update[name] = np.array(after[name])
    return update
