"""Training-time table: mmfast side by side with fastText and scikit-learn.

    PYTHONPATH=python python benchmarks/speed.py --quick

Every row runs in its own fresh process (peak memory is per model); the data
is generated and written to files once, untimed. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from typing import Any, TypeVar, Union

import numpy as np
from _peers import (
    PEERS,
    Hyperparameters,
    Split,
    Trainer,
    encode_features,
    peer_versions,
    train_fasttext,
    train_mmfast,
    train_sklearn,
)

from mmfast.datasets import (
    make_multimodal_classification,
    make_text_classification,
    write_fasttext_file,
)

TARGETS = ("target: mmfast train time ≤ 0.8× fastText, accuracy within 0.5 points; "
           "predict ≥ 2× fastText")
MULTIMODAL_TARGETS = ("target: discretized training (codes given) ≤ 1.3× text-only time, "
                      "accuracy above both single modalities")
N_CLASSES_TEXT = 50
N_CLASSES_MULTIMODAL = 20
N_FEATURES = 512

T = TypeVar("T")


@dataclass(frozen=True)
class DataFiles:
    """A split on disk: what a worker process loads before it is measured."""

    fasttext_path: str
    labels_path: str
    features_path: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One row of a table."""

    name: str
    peer: str  # key of PEERS: the row is skipped when that package is missing
    train: Trainer
    hp: Hyperparameters
    baseline: str  # name of the row this row's train time is divided by
    feature_bytes: int | None = None  # bytes of feature data stored per example
    # Untimed preparation of (train, test), e.g. encoding features into codes.
    prepare: Callable[[Split, Split], tuple[Split, Split]] | None = None


@dataclass(frozen=True)
class Measurement:
    fit_seconds: float
    accuracy: float
    predictions_per_second: float
    train_peak_mb: float  # peak resident memory during the fit, above the loaded data


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


def load_split(files: DataFiles) -> Split:
    with open(files.fasttext_path, encoding="utf-8") as lines:
        # Each line is "__label__<y> <text>"; the labels come from the .npy file.
        texts = [line.rstrip("\n").split(" ", 1)[1] for line in lines]
    features = None if files.features_path is None else np.load(files.features_path)
    return Split(texts, np.load(files.labels_path), features, files.fasttext_path)


def measure(spec: ModelSpec, train_files: DataFiles, test_files: DataFiles) -> Measurement:
    """Runs in a fresh process, so that the peak memory is this model's alone."""
    train, test = load_split(train_files), load_split(test_files)
    if spec.prepare is not None:
        train, test = spec.prepare(train, test)
    gc.collect()
    loaded_mb = peak_rss_mb()
    predict, fit_seconds = timed(lambda: spec.train(train, spec.hp))
    train_peak_mb = peak_rss_mb() - loaded_mb
    predicted, predict_seconds = timed(lambda: predict(test))
    return Measurement(
        fit_seconds=fit_seconds,
        accuracy=float(np.mean(predicted == test.y)),
        predictions_per_second=len(test.y) / predict_seconds,
        train_peak_mb=train_peak_mb,
    )


def measure_in_fresh_process(spec: ModelSpec, train_files: DataFiles,
                             test_files: DataFiles, repeats: int) -> Outcome:
    """The best of `repeats` runs, each in a fresh process: the shared machine's
    noise only ever adds time, so the fastest run is the most faithful."""
    if not PEERS[spec.peer]:
        return f"{spec.peer} not installed"
    runs = []
    for attempt in range(repeats):
        print(f"  running {spec.name} ({attempt + 1}/{repeats}) ...", file=sys.stderr, flush=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            try:
                runs.append(pool.submit(measure, spec, train_files, test_files).result())
            except Exception as error:  # one failing model must not hide the other rows
                return f"failed: {type(error).__name__}: {error}"
    return Measurement(
        fit_seconds=min(run.fit_seconds for run in runs),
        accuracy=runs[0].accuracy,
        predictions_per_second=max(run.predictions_per_second for run in runs),
        train_peak_mb=max(run.train_peak_mb for run in runs),
    )


def run_table(title: str, specs: list[ModelSpec], train_files: DataFiles,
              test_files: DataFiles, ratio_header: str, repeats: int) -> dict[str, Outcome]:
    outcomes = {spec.name: measure_in_fresh_process(spec, train_files, test_files, repeats)
                for spec in specs}
    print(f"\n{title} (best of {repeats} run{'s' if repeats > 1 else ''})")
    print(format_table(specs, outcomes, ratio_header))
    return outcomes


def format_table(specs: list[ModelSpec], outcomes: dict[str, Outcome],
                 ratio_header: str) -> str:
    show_bytes = any(spec.feature_bytes is not None for spec in specs)
    header = ["model"] + (["feature B/ex"] if show_bytes else []) + [
        "train s", ratio_header, "accuracy %", "predict ex/s", "train peak MB"]
    rows = []
    for spec in specs:
        outcome = outcomes[spec.name]
        cells = [spec.name] + ([str(spec.feature_bytes)] if show_bytes else [])
        if isinstance(outcome, Measurement):
            baseline = outcomes.get(spec.baseline)
            ratio = (f"{outcome.fit_seconds / baseline.fit_seconds:.2f}×"
                     if isinstance(baseline, Measurement) else "n/a")
            cells += [f"{outcome.fit_seconds:.2f}", ratio, f"{100 * outcome.accuracy:.2f}",
                      f"{outcome.predictions_per_second:,.0f}", f"{outcome.train_peak_mb:,.0f}"]
        else:
            cells.append(outcome)
        rows.append(cells)
    # A reason spans the measurement columns, so it does not set their widths.
    measured = [row for row in rows if len(row) == len(header)]
    widths = [max(len(row[i]) for row in [header, *measured]) for i in range(len(header))]
    widths[0] = max(len(row[0]) for row in [header, *rows])
    lines = []
    for row in [header, *rows]:
        first, *rest = row
        lines.append("  ".join([first.ljust(widths[0])] +
                               [cell.rjust(width) for cell, width in zip(rest, widths[1:])]))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(line.rstrip() for line in lines)


def text_specs(dims: list[int], threads: int) -> list[ModelSpec]:
    specs = []
    for dim in dims:
        hp = Hyperparameters(dim=dim, threads=threads)
        fasttext_row = f"fastText dim={dim}"
        specs += [
            ModelSpec(f"mmfast dim={dim}", "mmfast", train_mmfast, hp, fasttext_row),
            ModelSpec(fasttext_row, "fastText", train_fasttext, hp, fasttext_row),
        ]
    # A linear model on hashed n-grams has no embedding dim; it is compared to
    # fastText at the first dim.
    specs.append(ModelSpec("sklearn hashing+SGD", "scikit-learn", train_sklearn,
                           Hyperparameters(dim=dims[0], threads=threads),
                           f"fastText dim={dims[0]}"))
    return specs


def multimodal_specs(dim: int, threads: int) -> list[ModelSpec]:
    hp = Hyperparameters(dim=dim, threads=threads)
    text_only = "mmfast text-only"
    n_codes = 16  # one byte each (n_bits=8)
    pq = {"fusion": "pq", "n_subquantizers": n_codes, "n_bits": 8}
    rspq = {"fusion": "rspq", "n_subquantizers": n_codes, "subspace_dim": N_FEATURES // n_codes,
            "n_bits": 8}

    def fused(name: str, fusion: dict[str, Any], use_text: bool = True,
              precoded: bool = False) -> ModelSpec:
        prepare = partial(encode_features, fusion=fusion) if precoded else None
        return ModelSpec(name, "mmfast", partial(train_mmfast, fusion=fusion, use_text=use_text),
                         hp, text_only, feature_bytes=n_codes, prepare=prepare)

    rspq_name = f"rspq R={n_codes} s={rspq['subspace_dim']}"
    return [
        ModelSpec(text_only, "mmfast", train_mmfast, hp, text_only, feature_bytes=0),
        # Quantizer fitted and features encoded inside the timed fit:
        fused(f"mmfast pq M={n_codes}", pq),
        fused(f"mmfast {rspq_name}", rspq),
        fused(f"mmfast features-only (pq M={n_codes})", pq, use_text=False),
        # Features encoded once beforehand (untimed); the fit trains on the codes:
        fused(f"mmfast pq M={n_codes}, codes given", pq, precoded=True),
        fused(f"mmfast {rspq_name}, codes given", rspq, precoded=True),
    ]


def print_target_check(dims: list[int], outcomes: dict[str, Outcome]) -> None:
    for dim in dims:
        ours, theirs = outcomes[f"mmfast dim={dim}"], outcomes[f"fastText dim={dim}"]
        if isinstance(ours, Measurement) and isinstance(theirs, Measurement):
            print(f"dim {dim}: mmfast train {ours.fit_seconds / theirs.fit_seconds:.2f}× fastText, "
                  f"accuracy {100 * (ours.accuracy - theirs.accuracy):+.2f} points, predict "
                  f"{ours.predictions_per_second / theirs.predictions_per_second:.2f}× fastText")
    print(TARGETS)


def describe_machine(threads: int) -> None:
    versions = peer_versions()
    found = ", ".join(f"{name} {version}" for name, version in versions.items())
    missing = [name for name, present in PEERS.items() if not present]
    print(f"machine: {len(os.sched_getaffinity(0))} CPUs (nproc), {platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}; threads={threads}")
    print(f"peers: {found}" + (f"; not installed: {', '.join(missing)}" if missing else ""))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 60k/10k text and 10k/2k multi-modal examples")
    parser.add_argument("--n-train", type=int, help="training documents (default 300000)")
    parser.add_argument("--n-test", type=int, help="held-out documents (default 50000)")
    parser.add_argument("--n-train-multimodal", type=int,
                        help="training examples of the multi-modal table (default 300000)")
    parser.add_argument("--threads", type=int, default=2, help="training threads (default 2)")
    parser.add_argument("--dims", default="100,10", help="embedding dims (default 100,10)")
    parser.add_argument("--repeats", type=int,
                        help="runs per row, the fastest reported (default 3; 1 with --quick)")
    args = parser.parse_args()
    quick_or_full = (60_000, 10_000, 10_000, 1) if args.quick else (300_000, 50_000, 300_000, 3)
    for name, default in zip(("n_train", "n_test", "n_train_multimodal", "repeats"),
                             quick_or_full):
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.dims = [int(dim) for dim in args.dims.split(",")]
    return args


def main() -> None:
    args = parse_args()
    describe_machine(args.threads)
    hp = Hyperparameters(dim=args.dims[0], threads=args.threads)
    print(f"shared settings: dims {args.dims}, epochs {hp.epochs}, lr {hp.lr}, "
          f"word_ngrams {hp.word_ngrams}, buckets {hp.buckets:,}, loss softmax")
    with tempfile.TemporaryDirectory(prefix="mmfast-bench-") as directory:
        (texts, y), seconds = timed(lambda: make_text_classification(
            args.n_train + args.n_test, n_classes=N_CLASSES_TEXT))
        print(f"\ntext data: {args.n_train:,} train / {args.n_test:,} test documents, "
              f"{N_CLASSES_TEXT} classes (generated in {seconds:.1f} s)")
        train_files, test_files = write_train_test(directory, "text", args.n_train, texts, y)
        del texts, y
        outcomes = run_table("Text classification", text_specs(args.dims, args.threads),
                             train_files, test_files, "vs fastText", args.repeats)
        print_target_check(args.dims, outcomes)

        n_test = args.n_test // 5
        texts, features, y = make_multimodal_classification(
            args.n_train_multimodal + n_test, n_classes=N_CLASSES_MULTIMODAL,
            n_features=N_FEATURES)
        print(f"\nmulti-modal data: {args.n_train_multimodal:,} train / {n_test:,} test, "
              f"{N_CLASSES_MULTIMODAL} classes, {N_FEATURES}-d float32 features "
              f"({4 * N_FEATURES} B/example)")
        train_files, test_files = write_train_test(
            directory, "multimodal", args.n_train_multimodal, texts, y, features)
        del texts, features, y
        run_table("Multi-modal classification", multimodal_specs(args.dims[0], args.threads),
                  train_files, test_files, "vs text-only", args.repeats)
        print(MULTIMODAL_TARGETS)


if __name__ == "__main__":
    main()
