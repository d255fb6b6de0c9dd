"""Training-time tables: mmfast's models side by side with fastText and scikit-learn.

    python benchmarks/speed.py --quick

Tables (``--sets``): ``text``, mmfast against fastText and scikit-learn on
text alone; ``food101`` and ``flickrtag``, the paper's training-time table on
generated multi-modal sets: every fusion model, both single modalities, late
fusion, fastText and scikit-learn. ``--train``/``--test`` (fastText-format
files) with ``--train-features``/``--test-features`` (.npy) run the same
table on your own data. Every row runs in its own fresh process (peak memory
is per model); the data is generated and written to files once, untimed.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from typing import Any, TypeVar, Union

import numpy as np
from _peers import (
    FASTTEXT_LABEL_PREFIX,
    PEER_MODULES,
    PEERS,
    Hyperparameters,
    Split,
    Trainer,
    encode_features,
    import_peer,
    peer_versions,
    train_fasttext,
    train_mmfast,
    train_sklearn_features,
    train_sklearn_text,
)
from _plot import Panel, Point, draw, have_matplotlib

from mmfast import Dataset
from mmfast._schedule import training_schedule
from mmfast.datasets import (
    make_flickrtag_like,
    make_food101_like,
    make_text_classification,
    write_fasttext_file,
)

N_CLASSES_TEXT = 50
N_CODES = 16  # pq/rspq codes per example, one byte each (n_bits=8)
TEXT_ONLY, FEATURES_ONLY = "text-only", "features-only"
SGD_FEATURES = "scikit-learn SGD, features-only"
# Under hs, the features-only row the scikit-learn target compares: one
# binary classifier per class, as SGDClassifier's one-vs-rest. hs makes each
# tree node separate a frequency-built union of classes, which a linear model
# of dense features cannot (FlickrTag-like --quick: 49.5% under hs, 58.9%
# with ova, SGD 58.3%; README, "Choosing the fusion's settings").
FEATURES_ONLY_FLAT = "features-only, loss=ova"
LATE_FUSION = "late fusion (text-only + features-only)"
PQ_CODES_GIVEN = f"pq M={N_CODES}, codes given"
# The rows of the "≤ 1.2× (text-only + features-only)" target: name -> Classifier settings.
CONTINUOUS = {
    "add": {"fusion": "add"},
    "max": {"fusion": "max"},
    "gated, gate=features": {"fusion": "gated", "gate": "features"},
    "gated, gate=text": {"fusion": "gated", "gate": "text"},
}
BILINEAR = "bilinear_gated"

T = TypeVar("T")


@dataclass(frozen=True)
class DataFiles:
    """A split on disk: what a worker process loads before it is measured."""

    fasttext_path: str  # "__label__<y> <text>" lines; the texts are read from it
    labels_path: str  # .npy of the labels (ints for generated data, else str)
    features_path: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One measured row of a table."""

    name: str
    peer: str  # key of PEERS: the row is skipped when that package is missing
    train: Trainer
    hp: Hyperparameters
    baseline: str  # name of the row this row's train time is divided by
    uses_texts: bool = True
    uses_features: bool = False
    feature_bytes: int | None = None  # bytes of feature data stored per example
    # Untimed preparation of (train, test), e.g. encoding features into codes.
    prepare: Callable[[Split, Split], tuple[Split, Split]] | None = None
    max_train: int | None = None  # trains on the first max_train examples only
    keep_probabilities: bool = False  # saved for a late-fusion row


@dataclass(frozen=True)
class LateFusion:
    """A row computed from two measured rows: the mean of their test
    probabilities; its train time is the sum of theirs."""

    name: str
    parts: tuple[str, str]
    baseline: str


Row = Union[ModelSpec, LateFusion]


@dataclass(frozen=True)
class Measurement:
    fit_seconds: float
    train_examples_per_second: float  # training examples × epochs / fit seconds
    accuracy: float
    predictions_per_second: float
    train_peak_mb: float  # peak resident memory during the fit, above the loaded data
    model_mb: float  # size of the saved model file
    feature_bytes: int | None
    n_train: int
    probabilities_path: str | None = None


# A measurement, or the reason there is none.
Outcome = Union[Measurement, str]


def timed(function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process image.

    Linux's ru_maxrss survives execve, so a spawned worker would start at its
    (large) parent's peak; VmHWM belongs to the current image only.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except FileNotFoundError:  # not Linux: ru_maxrss is in bytes on macOS
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


# -- data on disk ------------------------------------------------------------


def write_split(directory: str, name: str, texts: Sequence[str], y: np.ndarray,
                features: np.ndarray | None = None) -> DataFiles:
    files = DataFiles(
        fasttext_path=os.path.join(directory, f"{name}.txt"),
        labels_path=os.path.join(directory, f"{name}.labels.npy"),
        features_path=None if features is None else os.path.join(directory, f"{name}.features.npy"),
    )
    write_fasttext_file(files.fasttext_path, texts, y)
    np.save(files.labels_path, y)
    if features is not None:
        np.save(files.features_path, features)
    return files


def write_train_test(directory: str, name: str, n_train: int, texts: Sequence[str],
                     y: np.ndarray, features: np.ndarray | None = None,
                     ) -> tuple[DataFiles, DataFiles]:
    """The first ``n_train`` examples are the training split, the rest the test split."""
    def part(rows: slice, suffix: str) -> DataFiles:
        return write_split(directory, f"{name}-{suffix}", texts[rows], y[rows],
                           None if features is None else features[rows])

    return part(slice(None, n_train), "train"), part(slice(n_train, None), "test")


def user_split(directory: str, name: str, text_path: str,
               features_path: str | None) -> DataFiles:
    """A user's fastText-format file (one label per line, first) and optional
    .npy features, checked once here so that every row reads them alike."""
    labels = []
    with open(text_path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            tokens = line.split()
            n_labels = sum(token.startswith(FASTTEXT_LABEL_PREFIX) for token in tokens)
            if n_labels != 1 or not tokens[0].startswith(FASTTEXT_LABEL_PREFIX):
                raise ValueError(
                    f"{text_path}, line {number}: expected one {FASTTEXT_LABEL_PREFIX} label "
                    f"at the start of each line (single-label data), got {n_labels} labels")
            labels.append(tokens[0][len(FASTTEXT_LABEL_PREFIX):])
    if not labels:
        raise ValueError(f"{text_path}: no examples")
    if features_path is not None:
        shape = np.load(features_path, mmap_mode="r").shape
        if len(shape) != 2 or shape[0] != len(labels):
            raise ValueError(f"{features_path}: expected a 2-d array with one row per line of "
                             f"{text_path} ({len(labels)}), got shape {shape}")
    labels_path = os.path.join(directory, f"{name}.labels.npy")
    np.save(labels_path, np.array(labels))
    return DataFiles(os.path.abspath(text_path), labels_path,
                     None if features_path is None else os.path.abspath(features_path))


def load_split(files: DataFiles, texts: bool, features: bool) -> Split:
    """The forms of the split that a row uses."""
    loaded_texts = None
    if texts:
        with open(files.fasttext_path, encoding="utf-8") as lines:
            # Each line is "__label__<y> <text>"; the labels come from the .npy file.
            loaded_texts = [(line.split(None, 1)[1:] or [""])[0].rstrip("\n") for line in lines]
    return Split(np.load(files.labels_path), loaded_texts,
                 np.load(files.features_path) if features else None, files.fasttext_path)


def n_features_of(files: DataFiles) -> int:
    assert files.features_path is not None
    return int(np.load(files.features_path, mmap_mode="r").shape[1])


# -- measuring a row ---------------------------------------------------------


def measure(spec: ModelSpec, train_files: DataFiles, test_files: DataFiles,
            directory: str) -> Measurement:
    """Runs in a fresh process, so that the peak memory is this model's alone."""
    def load(files: DataFiles) -> Split:
        return load_split(files, spec.uses_texts, spec.uses_features)

    train, test = load(train_files), load(test_files)
    if spec.max_train is not None:
        train = train.head(spec.max_train)
    if spec.prepare is not None:
        train, test = spec.prepare(train, test)
    import_peer(spec.peer)
    gc.collect()
    loaded_mb = peak_rss_mb()
    model, fit_seconds = timed(lambda: spec.train(train, spec.hp))
    train_peak_mb = peak_rss_mb() - loaded_mb
    predicted, predict_seconds = timed(lambda: model.predict(test))

    stem = os.path.join(directory, re.sub(r"\W+", "_", spec.name))
    probabilities_path = None
    if spec.keep_probabilities:
        probabilities_path = f"{stem}.probabilities.npy"
        np.save(probabilities_path, model.predict_proba(test))
    model.save(f"{stem}.model")
    model_mb = os.path.getsize(f"{stem}.model") / 1e6
    os.remove(f"{stem}.model")
    return Measurement(
        fit_seconds=fit_seconds,
        train_examples_per_second=len(train.y) * spec.hp.epochs / fit_seconds,
        accuracy=float(np.mean(predicted == test.y)),
        predictions_per_second=len(test.y) / predict_seconds,
        train_peak_mb=train_peak_mb,
        model_mb=model_mb,
        feature_bytes=spec.feature_bytes,
        n_train=len(train.y),
        probabilities_path=probabilities_path,
    )


def fresh_processes() -> BaseContext:
    """Where each row runs: a process of its own (its peak memory its
    model's alone), forked from a server that imported this script and the
    peers once, where the platform has one; a new interpreter otherwise.
    Starting an interpreter and importing mmfast, numpy and scikit-learn took
    0.5 to 2 s per row: --quick took 87 s that way, 79 to 82 s this way
    (benchmarks/README.md, "What is measured")."""
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload(["__main__", *PEER_MODULES])
    return context


def measure_in_fresh_process(spec: ModelSpec, train_files: DataFiles,
                             test_files: DataFiles, repeats: int, directory: str) -> Outcome:
    """The best of `repeats` runs, each in a fresh process: the shared machine's
    noise only ever adds time, so the fastest run is the most faithful."""
    if not PEERS[spec.peer]:
        return f"skipped: {spec.peer} not installed"
    runs = []
    for attempt in range(repeats):
        print(f"  running {spec.name} ({attempt + 1}/{repeats}) ...", file=sys.stderr, flush=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=fresh_processes()) as pool:
            try:
                runs.append(pool.submit(measure, spec, train_files, test_files,
                                        directory).result())
            # An argument this mmfast does not take (a fusion it does not have)
            # skips the row; any error fails only its row.
            except (ValueError, TypeError) as error:
                return f"skipped: {type(error).__name__}: {error}"
            except Exception as error:
                return f"failed: {type(error).__name__}: {error}"
    best = min(runs, key=lambda run: run.fit_seconds)
    return replace(best, accuracy=runs[0].accuracy,
                   predictions_per_second=max(run.predictions_per_second for run in runs),
                   train_peak_mb=max(run.train_peak_mb for run in runs),
                   probabilities_path=runs[0].probabilities_path)


def late_fusion(row: LateFusion, outcomes: dict[str, Outcome], train_files: DataFiles,
                test_files: DataFiles) -> Outcome:
    parts = [outcomes[name] for name in row.parts]
    missing = [name for name, part in zip(row.parts, parts) if not isinstance(part, Measurement)]
    if missing:
        return f"skipped: needs {' and '.join(missing)}"
    first, second = parts
    assert isinstance(first, Measurement) and isinstance(second, Measurement)
    assert first.probabilities_path and second.probabilities_path
    # Both models' columns are the sorted training labels.
    classes = np.unique(np.load(train_files.labels_path))
    probabilities = (np.load(first.probabilities_path) + np.load(second.probabilities_path)) / 2
    predicted = classes[probabilities.argmax(axis=1)]
    fit_seconds = first.fit_seconds + second.fit_seconds
    return Measurement(
        fit_seconds=fit_seconds,
        train_examples_per_second=1 / (1 / first.train_examples_per_second
                                       + 1 / second.train_examples_per_second),
        accuracy=float(np.mean(predicted == np.load(test_files.labels_path))),
        predictions_per_second=1 / (1 / first.predictions_per_second
                                    + 1 / second.predictions_per_second),
        train_peak_mb=max(first.train_peak_mb, second.train_peak_mb),
        model_mb=first.model_mb + second.model_mb,
        feature_bytes=max(first.feature_bytes or 0, second.feature_bytes or 0),
        n_train=first.n_train,
    )


@dataclass(frozen=True)
class Check:
    """One model's result on a target: its ratio (or difference) and whether it
    meets the target."""

    name: str  # the row(s) it is about; "" when the target is about a whole table
    value: str  # e.g. "0.41×"
    met: bool


@dataclass(frozen=True)
class Target:
    label: str  # what the target asks, e.g. "mmfast train time ≤ 0.8× fastText"
    checks: tuple[Check, ...]  # empty when the rows it needs are missing


@dataclass(frozen=True)
class Report:
    """A table as measured, for the verdict and the plot."""

    title: str
    rows: list[Row]
    outcomes: dict[str, Outcome]
    targets: list[Target]


def run_table(title: str, rows: list[Row], train_files: DataFiles, test_files: DataFiles,
              ratio_header: str, repeats: int, directory: str) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    start = time.perf_counter()
    for row in rows:
        outcomes[row.name] = (
            late_fusion(row, outcomes, train_files, test_files) if isinstance(row, LateFusion)
            else measure_in_fresh_process(row, train_files, test_files, repeats, directory))
    print(f"\n{title} (best of {repeats} run{'s' if repeats > 1 else ''}; the table took "
          f"{time.perf_counter() - start:.0f} s)")
    print(format_table(rows, outcomes, ratio_header))
    return outcomes


def format_table(rows: list[Row], outcomes: dict[str, Outcome], ratio_header: str) -> str:
    show_bytes = any(isinstance(row, ModelSpec) and row.feature_bytes is not None
                     for row in rows)
    header = ["model"] + (["feature B/ex"] if show_bytes else []) + [
        "train s", ratio_header, "train ex/s", "accuracy %", "model MB", "predict ex/s",
        "train peak MB"]
    lines = []
    for row in rows:
        outcome = outcomes[row.name]
        cells = [row.name]
        if isinstance(outcome, Measurement):
            baseline = outcomes.get(row.baseline)
            ratio = (f"{outcome.fit_seconds / baseline.fit_seconds:.2f}×"
                     if isinstance(baseline, Measurement) else "n/a")
            cells += ([str(outcome.feature_bytes or 0)] if show_bytes else []) + [
                f"{outcome.fit_seconds:.2f}", ratio, f"{outcome.train_examples_per_second:,.0f}",
                f"{100 * outcome.accuracy:.2f}", f"{outcome.model_mb:,.1f}",
                f"{outcome.predictions_per_second:,.0f}", f"{outcome.train_peak_mb:,.0f}"]
        else:
            cells.append(outcome)
        lines.append(cells)
    # A reason spans the measurement columns, so it does not set their widths.
    measured = [cells for cells in lines if len(cells) == len(header)]
    widths = [max(len(cells[i]) for cells in [header, *measured]) for i in range(len(header))]
    widths[0] = max(len(cells[0]) for cells in [header, *lines])
    text = []
    for cells in [header, *lines]:
        first, *rest = cells
        text.append("  ".join([first.ljust(widths[0])] +
                              [cell.rjust(width) for cell, width in zip(rest, widths[1:])]))
    text.insert(1, "-" * len(text[0]))
    return "\n".join(line.rstrip() for line in text)


# -- the text table ----------------------------------------------------------


def text_specs(dims: list[int], hp: Hyperparameters) -> list[Row]:
    specs: list[Row] = []
    for dim in dims:
        fasttext_row = f"fastText dim={dim}"
        specs += [
            ModelSpec(f"mmfast dim={dim}", "mmfast", train_mmfast, replace(hp, dim=dim),
                      fasttext_row),
            ModelSpec(fasttext_row, "fastText", train_fasttext, replace(hp, dim=dim),
                      fasttext_row),
        ]
    # A linear model on hashed n-grams has no embedding dim; it is compared to
    # fastText at the first dim.
    specs.append(ModelSpec("sklearn hashing+SGD", "scikit-learn", train_sklearn_text,
                           replace(hp, dim=dims[0]), f"fastText dim={dims[0]}"))
    return specs


def text_targets(dims: list[int], outcomes: dict[str, Outcome]) -> list[Target]:
    """mmfast against fastText at each dim: train time, accuracy, prediction."""
    pairs = []
    for dim in dims:
        ours, theirs = outcomes[f"mmfast dim={dim}"], outcomes[f"fastText dim={dim}"]
        if isinstance(ours, Measurement) and isinstance(theirs, Measurement):
            pairs.append((f"dim {dim}", ours, theirs))
    time_ratios = [(name, ours.fit_seconds / theirs.fit_seconds) for name, ours, theirs in pairs]
    points = [(name, 100 * (ours.accuracy - theirs.accuracy)) for name, ours, theirs in pairs]
    speedups = [(name, ours.predictions_per_second / theirs.predictions_per_second)
                for name, ours, theirs in pairs]
    return [
        Target("mmfast train time ≤ 0.8× fastText's",
               tuple(Check(name, f"{ratio:.2f}×", ratio <= 0.8) for name, ratio in time_ratios)),
        Target("mmfast accuracy within 0.5 points of fastText's",
               tuple(Check(name, f"{diff:+.2f} points", abs(diff) <= 0.5)
                     for name, diff in points)),
        Target("mmfast predicts ≥ 2× as fast as fastText",
               tuple(Check(name, f"{ratio:.2f}×", ratio >= 2) for name, ratio in speedups)),
    ]


# -- the multi-modal table ---------------------------------------------------


@dataclass(frozen=True)
class FusionSet:
    """A generated multi-modal set and the settings of its table."""

    title: str
    generate: Callable[..., tuple[list[str], np.ndarray, np.ndarray]]
    n_train: int
    n_test: int
    quick_sizes: tuple[int, int]  # (n_train, n_test) with --quick
    quick_settings: dict[str, Any]  # the generator's settings with --quick
    hp: Hyperparameters
    why: str  # why these settings
    sgd_max_train: int | None = None  # scikit-learn's training examples (None: all)


FUSION_SETS = {
    "food101": FusionSet(
        "Food-101-like", make_food101_like, 90_000, 10_000, (5_000, 1_000), {"n_classes": 21},
        Hyperparameters(dim=100), "fastText's default"),
    "flickrtag": FusionSet(
        "FlickrTag-like", make_flickrtag_like, 1_000_000, 50_000, (20_000, 4_000),
        {"n_classes": 51}, Hyperparameters(dim=50, loss="hs"),
        "as fastText trains on tags; dim 50: at dim 100 bilinear_gated alone would take "
        "~6 min, the table over 35 min on 2 cores",
        # scikit-learn fits one binary SGD per class: 500 classes × 1M × 512-d
        # × 5 epochs would take most of an hour on 2 cores.
        sgd_max_train=50_000),
}


def fusion_specs(hp: Hyperparameters, n_train: int, n_features: int,
                 sgd_max_train: int | None = None) -> list[Row]:
    if sgd_max_train is not None and sgd_max_train >= n_train:
        sgd_max_train = None
    float_bytes = 4 * n_features  # float32 features
    pq = {"fusion": "pq", "n_subquantizers": N_CODES, "n_bits": 8}
    rspq = {"fusion": "rspq", "n_subquantizers": N_CODES,
            "subspace_dim": max(1, n_features // N_CODES), "n_bits": 8}

    def mmfast_row(name: str, fusion: dict[str, Any] | None, use_text: bool = True,
                   feature_bytes: int = float_bytes, row_hp: Hyperparameters = hp,
                   **options: Any) -> ModelSpec:
        return ModelSpec(name, "mmfast", partial(train_mmfast, fusion=fusion, use_text=use_text),
                         row_hp, TEXT_ONLY, uses_texts=use_text, uses_features=fusion is not None,
                         feature_bytes=feature_bytes if fusion else 0, **options)

    flat_features_only = ([mmfast_row(FEATURES_ONLY_FLAT, {"fusion": "add"}, use_text=False,
                                      row_hp=replace(hp, loss="ova"))]
                          if hp.loss == "hs" else [])

    return [
        mmfast_row(TEXT_ONLY, None, keep_probabilities=True),
        ModelSpec("fastText text-only", "fastText", train_fasttext, hp, TEXT_ONLY,
                  feature_bytes=0),
        mmfast_row(FEATURES_ONLY, {"fusion": "add"}, use_text=False, keep_probabilities=True),
        *flat_features_only,
        *[mmfast_row(name, fusion) for name, fusion in CONTINUOUS.items()],
        mmfast_row(BILINEAR, {"fusion": "bilinear_gated"}),
        # Quantizer fitted and features encoded inside the timed fit:
        mmfast_row(f"pq M={N_CODES}", pq, feature_bytes=N_CODES),
        mmfast_row(f"rspq R={N_CODES} s={rspq['subspace_dim']}", rspq, feature_bytes=N_CODES),
        # Features encoded once beforehand (untimed); the fit trains on the codes:
        mmfast_row(PQ_CODES_GIVEN, pq, feature_bytes=N_CODES,
                   prepare=partial(encode_features, fusion=pq)),
        LateFusion(LATE_FUSION, (TEXT_ONLY, FEATURES_ONLY), TEXT_ONLY),
        ModelSpec(SGD_FEATURES + ("" if sgd_max_train is None else
                                  f" (first {sgd_max_train:,} train examples)"),
                  "scikit-learn", train_sklearn_features, hp, TEXT_ONLY, uses_texts=False,
                  uses_features=True, feature_bytes=float_bytes, max_train=sgd_max_train),
    ]


def fusion_targets(rows: list[Row], outcomes: dict[str, Outcome]) -> list[Target]:
    """The paper's targets, each a ratio of two rows of this run."""
    measured = {name: outcome for name, outcome in outcomes.items()
                if isinstance(outcome, Measurement)}
    sgd = next(row.name for row in rows if row.name.startswith(SGD_FEATURES))

    def have(*names: str) -> bool:
        return all(name in measured for name in names)

    def seconds_per_example(name: str) -> float:
        return 1 / measured[name].train_examples_per_second

    def continuous_vs_single_modalities() -> tuple[Check, ...]:
        if not have(TEXT_ONLY, FEATURES_ONLY):
            return ()
        both = seconds_per_example(TEXT_ONLY) + seconds_per_example(FEATURES_ONLY)
        return tuple(Check(name, f"{seconds_per_example(name) / both:.2f}×",
                           seconds_per_example(name) <= 1.2 * both)
                     for name in CONTINUOUS if name in measured)

    def features_only_vs_sgd() -> tuple[Check, ...]:
        features_only = FEATURES_ONLY_FLAT if have(FEATURES_ONLY_FLAT) else FEATURES_ONLY
        if not have(features_only, sgd):
            return ()
        ours, theirs = measured[features_only], measured[sgd]
        ratio = ours.train_examples_per_second / theirs.train_examples_per_second
        points = 100 * (ours.accuracy - theirs.accuracy)
        if theirs.n_train == ours.n_train:
            return (Check("", f"{ratio:.2f}×, accuracy {points:+.2f} points",
                          ratio >= 3 and points >= 0),)
        return (Check("", f"{ratio:.2f}× (accuracy not comparable: scikit-learn trained on "
                          f"{theirs.n_train:,} of the {ours.n_train:,} examples)", ratio >= 3),)

    def pq_vs_text_only() -> tuple[Check, ...]:
        if not have(PQ_CODES_GIVEN, TEXT_ONLY):
            return ()
        ratio = seconds_per_example(PQ_CODES_GIVEN) / seconds_per_example(TEXT_ONLY)
        return (Check("", f"{ratio:.2f}×", ratio <= 1.3),)

    def fused_above_single_modalities() -> tuple[Check, ...]:
        if not have(TEXT_ONLY, FEATURES_ONLY):
            return ()
        best_single = max(measured[TEXT_ONLY].accuracy, measured[FEATURES_ONLY].accuracy)
        fused = [row.name for row in rows if row.name in measured and (
            isinstance(row, LateFusion) or row.uses_texts and row.uses_features)]
        below = [name for name in fused if measured[name].accuracy <= best_single]
        return (Check("", f"{len(fused) - len(below)} of {len(fused)}" + (
            f" (not: {', '.join(below)})" if below else ""), not below),)

    return [
        Target("add, max, gated: time per example ≤ 1.2× (text-only + features-only)",
               continuous_vs_single_modalities()),
        Target("features-only: throughput ≥ 3× scikit-learn SGDClassifier's at equal or "
               "better accuracy", features_only_vs_sgd()),
        Target("pq, codes given: time per example ≤ 1.3× text-only", pq_vs_text_only()),
        Target("paper's shape: every fused model above both single modalities",
               fused_above_single_modalities()),
    ]


def print_verdict(reports: list[Report]) -> None:
    """Every target of every table, met or MISSED, with its ratio."""
    checks = [check for report in reports for target in report.targets
              for check in target.checks]
    print(f"\nverdict: {sum(check.met for check in checks)} of {len(checks)} targets met "
          "(each a ratio of rows of the same run)")
    for report in reports:
        for target in report.targets:
            results = "; ".join(
                (f"{check.name} " if check.name else "") + check.value
                + (" met" if check.met else " MISSED") for check in target.checks)
            print(f"  {report.title}: {target.label}: {results or 'n/a (rows missing)'}")


def plot(reports: list[Report], path: str) -> None:
    """Accuracy against training time, one point per measured row, a panel per table."""
    def kind(row: Row) -> str:
        if isinstance(row, LateFusion) or (row.uses_texts and row.uses_features):
            return "fused"
        return "mmfast" if row.peer == "mmfast" else "peer"

    panels = []
    for report in reports:
        points = [Point(row.name, outcome.fit_seconds, outcome.accuracy, kind(row))
                  for row in report.rows
                  if isinstance(outcome := report.outcomes[row.name], Measurement)]
        n_train = max((point.n_train for point in report.outcomes.values()
                       if isinstance(point, Measurement)), default=0)
        panels.append(Panel(f"{report.title}: {n_train:,} training examples", points))
    draw(panels, path)


def run_fusion_table(name: str, hp: Hyperparameters, why: str, train_files: DataFiles,
                     test_files: DataFiles, repeats: int, directory: str,
                     sgd_max_train: int | None = None) -> Report:
    hp = replace(hp, buckets=data_sized_buckets(train_files, hp.word_ngrams, directory))
    print(f"settings: dim {hp.dim}, {hp.epochs} epochs, lr {hp.lr:.3g}, word n-grams "
          f"{hp.word_ngrams}, {buckets_text(hp)}, loss {hp.loss} ({why}); bilinear_gated "
          f"has dim² = {hp.dim ** 2:,} hidden units; pq/rspq "
          f"{N_CODES} codes of 8 bits; alpha, feature lr and feature scaling at mmfast's "
          "defaults; scikit-learn: StandardScaler + SGDClassifier (hinge, one-vs-rest), "
          f"{hp.epochs} epochs")
    n_train = len(np.load(train_files.labels_path, mmap_mode="r"))
    rows = fusion_specs(hp, n_train, n_features_of(train_files), sgd_max_train)
    outcomes = run_table(f"{name}: text + features", rows, train_files, test_files,
                         "vs text-only", repeats, directory)
    return Report(name, rows, outcomes, fusion_targets(rows, outcomes))


def data_sized_buckets(files: DataFiles, word_ngrams: int, directory: str) -> int:
    """The n-gram table's rows that mmfast's default (buckets=None) gives this
    training set: compiling it, untimed, decides the size the same way."""
    path = os.path.join(directory, "sizing.mmd")
    buckets = Dataset.build(files.fasttext_path, path, word_ngrams=word_ngrams, verbose=0).buckets
    os.remove(path)
    return buckets


def buckets_text(hp: Hyperparameters) -> str:
    return f"{hp.buckets:,} buckets (sized by the data, mmfast's default; the peers get as many)"


# -- command line ------------------------------------------------------------


def describe_machine(threads: int) -> None:
    versions = peer_versions()
    found = ", ".join(f"{name} {version}" for name, version in versions.items())
    missing = [name for name, present in PEERS.items() if not present]
    print(f"machine: {len(os.sched_getaffinity(0))} CPUs (nproc), {platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}; threads={threads}")
    print(f"peers: {found}" + (f"; not installed: {', '.join(missing)} (their rows are "
                               "skipped)" if missing else ""))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="the main job in under a minute (CI): 5-20k examples per "
                             "set, fewer classes, one run per row")
    parser.add_argument("--sets", default="text,food101,flickrtag",
                        help="tables to print, of text, food101, flickrtag "
                             "(default all three)")
    parser.add_argument("--threads", type=int, default=2, help="training threads (default 2)")
    parser.add_argument("--repeats", type=int,
                        help="runs per row, the fastest reported (default 3 for the text "
                             "table, 1 for the multi-modal ones; 1 with --quick)")
    parser.add_argument("--n-train", type=int,
                        help="training examples of every generated set (default: text 300000, "
                             "food101 90000, flickrtag 1000000)")
    parser.add_argument("--n-test", type=int,
                        help="test examples of every generated set (default: text 50000, "
                             "food101 10000, flickrtag 50000)")
    parser.add_argument("--dims", default="100,10", help="text table's embedding dims "
                                                         "(default 100,10)")
    parser.add_argument("--dim", type=int, help="multi-modal tables' dim (default 100)")
    parser.add_argument("--epochs", type=int,
                        help="every table's epochs (default 5; with --quick mmfast's "
                             "default for each set)")
    parser.add_argument("--lr", type=float,
                        help="every table's learning rate (default 0.1; with --quick mmfast's "
                             "default for each set)")
    parser.add_argument("--loss", choices=("softmax", "hs"),
                        help="multi-modal tables' loss (default: food101 and your data "
                             "softmax, flickrtag hs)")
    parser.add_argument("--train", help="your training data, a fastText-format file "
                                        "(one __label__ per line, first)")
    parser.add_argument("--test", help="your test data, same format")
    parser.add_argument("--train-features", help=".npy (n, d) float features, one row per "
                                                  "line of --train")
    parser.add_argument("--test-features", help=".npy features of --test")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="also draw accuracy against training time, one point per model "
                             "and a panel per table (needs matplotlib: pip install "
                             "'mmfast[bench]')")
    args = parser.parse_args()
    if args.plot and not have_matplotlib():
        parser.error("--plot needs matplotlib: pip install matplotlib (or mmfast[bench])")
    args.dims = [int(dim) for dim in args.dims.split(",")]
    args.sets = args.sets.split(",")
    unknown = set(args.sets) - {"text", *FUSION_SETS}
    if unknown:
        parser.error(f"--sets: unknown {', '.join(sorted(unknown))}; "
                     f"choose from text, {', '.join(FUSION_SETS)}")
    if (args.train is None) != (args.test is None):
        parser.error("--train and --test go together")
    if (args.train_features is None) != (args.test_features is None):
        parser.error("--train-features and --test-features go together")
    if args.train_features is not None and args.train is None:
        parser.error("--train-features needs --train and --test")
    return args


def sizes(args: argparse.Namespace, full: tuple[int, int], quick: tuple[int, int],
          ) -> tuple[int, int]:
    n_train, n_test = quick if args.quick else full
    return args.n_train or n_train, args.n_test or n_test


def shared_settings(args: argparse.Namespace, hp: Hyperparameters,
                    train_files: DataFiles) -> Hyperparameters:
    """A table's settings with the command line's overrides. The full run
    keeps fastText's learning rate and epochs; --quick's sets are too small
    for them (five epochs at 0.1 leave every model near chance), so there the
    ones not given are mmfast's defaults for the table's training set
    (lr=None, epochs=None), and every model of the table gets them."""
    lr, epochs = args.lr, args.epochs
    if args.quick:
        y = np.load(train_files.labels_path)  # one label per example
        lr, epochs = training_schedule(lr, epochs, len(y), len(np.unique(y)))
    overrides = {name: value for name, value in
                 {"dim": args.dim, "epochs": epochs, "lr": lr, "loss": args.loss}.items()
                 if value is not None}
    return replace(hp, threads=args.threads, **overrides)


def run_text_table(name: str, args: argparse.Namespace, train_files: DataFiles,
                   test_files: DataFiles, directory: str, repeats: int) -> Report:
    hp = shared_settings(args, Hyperparameters(dim=args.dims[0]), train_files)
    hp = replace(hp, buckets=data_sized_buckets(train_files, hp.word_ngrams, directory))
    print(f"settings: dims {args.dims}, {hp.epochs} epochs, lr {hp.lr:.3g}, word n-grams "
          f"{hp.word_ngrams}, {buckets_text(hp)}, loss {hp.loss}")
    rows = text_specs(args.dims, hp)
    outcomes = run_table(f"{name}: text classification", rows, train_files, test_files,
                         "vs fastText", repeats, directory)
    return Report(name, rows, outcomes, text_targets(args.dims, outcomes))


def run_generated_text_table(args: argparse.Namespace, directory: str, repeats: int) -> Report:
    n_train, n_test = sizes(args, (300_000, 50_000), (20_000, 5_000))
    (texts, y), seconds = timed(lambda: make_text_classification(
        n_train + n_test, n_classes=N_CLASSES_TEXT))
    print(f"\ntext data: {n_train:,} train / {n_test:,} test documents, {N_CLASSES_TEXT} "
          f"classes (generated in {seconds:.1f} s)")
    train_files, test_files = write_train_test(directory, "text", n_train, texts, y)
    del texts, y
    return run_text_table("text", args, train_files, test_files, directory, repeats)


def run_generated_fusion_table(args: argparse.Namespace, key: str, directory: str,
                               repeats: int) -> Report:
    data = FUSION_SETS[key]
    n_train, n_test = sizes(args, (data.n_train, data.n_test), data.quick_sizes)
    settings = data.quick_settings if args.quick else {}
    (texts, features, y), seconds = timed(lambda: data.generate(n_samples=n_train + n_test,
                                                                **settings))
    print(f"\n{data.title} data: {n_train:,} train / {n_test:,} test examples, "
          f"{len(np.unique(y))} classes, {features.shape[1]}-d float32 features "
          f"(mean norm {np.linalg.norm(features[:1000], axis=1).mean():.0f}; generated in "
          f"{seconds:.1f} s)")
    train_files, test_files = write_train_test(directory, key, n_train, texts, y, features)
    del texts, features, y
    return run_fusion_table(data.title, shared_settings(args, data.hp, train_files), data.why,
                            train_files, test_files, repeats, directory, data.sgd_max_train)


def run_user_table(args: argparse.Namespace, directory: str, repeats: int) -> Report:
    try:
        train_files = user_split(directory, "user-train", args.train, args.train_features)
        test_files = user_split(directory, "user-test", args.test, args.test_features)
    except (ValueError, OSError) as error:
        sys.exit(f"speed.py: error: {error}")
    print(f"\nyour data: {args.train} / {args.test}"
          + (f", features {args.train_features} / {args.test_features}"
             if args.train_features else ""))
    if args.train_features is None:
        return run_text_table("your data", args, train_files, test_files, directory, repeats)
    return run_fusion_table("your data",
                            shared_settings(args, Hyperparameters(dim=100), train_files),
                            "your data", train_files, test_files, repeats, directory)


def main() -> None:
    args = parse_args()
    describe_machine(args.threads)
    with tempfile.TemporaryDirectory(prefix="mmfast-bench-") as directory:
        if args.train is not None:
            reports = [run_user_table(args, directory, args.repeats or 1)]
        else:
            reports = []
            if "text" in args.sets:
                reports.append(run_generated_text_table(
                    args, directory, args.repeats or (1 if args.quick else 3)))
            reports += [run_generated_fusion_table(args, key, directory, args.repeats or 1)
                        for key in FUSION_SETS if key in args.sets]
    print_verdict(reports)
    if args.plot:
        plot(reports, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
