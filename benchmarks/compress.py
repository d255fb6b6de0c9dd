"""Full against compressed models: size, accuracy, prediction speed, and the
time compression takes against training (Classifier.compress, issue 18).

    python benchmarks/compress.py --quick

Tables: the text data of speed.py's text table, beside fastText's
``quantize`` with its default settings on the same data; and a multi-modal
set (Food-101-like) with a pq and an add model. Sizes are files as saved
today: the full model stores only the rows training changed. Prediction is
one thread, best of three; training and compression run on ``--thread``
threads. Timings on a shared machine are noisy: compare ratios within a run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from _peers import FASTTEXT_LABEL_PREFIX, PEERS
from speed import N_CLASSES_TEXT

import mmfast
from mmfast.datasets import make_food101_like

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    name: str
    size_bytes: int
    accuracy: float
    predictions_per_second: float
    seconds: float  # training, or compression for a compressed row


def timed(function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def best_rate(predict: Callable[[], Any], n: int, repeats: int = 3) -> float:
    """Predictions per second: the best of `repeats` runs over n examples."""
    return n / min(timed(predict)[1] for _ in range(repeats))


def saved_size(save: Callable[[str], None], directory: str, name: str) -> int:
    path = os.path.join(directory, name)
    save(path)
    return os.path.getsize(path)


def mmfast_rows(name: str, clf: mmfast.Classifier, train: dict[str, Any], test: dict[str, Any],
                directory: str, compress: dict[str, Any]) -> list[Row]:
    """The full model and its compression, on the same examples."""
    _, fit_seconds = timed(lambda: clf.fit(**train))
    small, compress_seconds = timed(lambda: clf.compress(**train, **compress))
    inputs = {key: value for key, value in test.items() if key != "y"}
    rows = []
    for label, model, seconds in ((name, clf, fit_seconds),
                                  (f"{name}, compressed", small, compress_seconds)):
        one_thread = model.set_params(n_jobs=1)
        rows.append(Row(label, saved_size(model.save, directory, "model.mmf"),
                        model.score(**test),
                        best_rate(lambda m=one_thread: m.predict(**inputs), len(test["y"])),
                        seconds))
    return rows


def fasttext_rows(train_path: str, test_texts: list[str], y_test: np.ndarray,
                  hp: dict[str, Any], directory: str) -> list[Row]:
    import fasttext

    model, fit_seconds = timed(lambda: fasttext.train_supervised(input=train_path, verbose=0, **hp))

    def measure(name: str, suffix: str, seconds: float) -> Row:
        def accuracy() -> float:
            labels, _ = model.predict(test_texts)
            return float(np.mean([label[0] == f"{FASTTEXT_LABEL_PREFIX}{truth}"
                                  for label, truth in zip(labels, y_test)]))
        return Row(name, saved_size(model.save_model, directory, f"model.{suffix}"), accuracy(),
                   best_rate(lambda: model.predict(test_texts), len(test_texts)), seconds)

    full = measure("fastText", "bin", fit_seconds)
    # quantize's defaults: no pruning (cutoff 0), dsub 2, no qnorm, no retraining.
    _, quantize_seconds = timed(lambda: model.quantize(input=train_path, thread=hp["thread"]))
    return [full, measure("fastText, quantize (defaults)", "ftz", quantize_seconds)]


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print("| model | size | × smaller | accuracy | Δ points | predictions/s (1 thread) | "
          "train / compress s | compress ÷ train |")
    print("|---|---|---|---|---|---|---|---|")
    full: Row | None = None
    for row in rows:
        compressed = full is not None and row.name.startswith(full.name + ",")
        if not compressed:
            full = row
        assert full is not None
        ratio = f"{full.size_bytes / row.size_bytes:.0f}×" if compressed else ""
        delta = f"{100 * (row.accuracy - full.accuracy):+.1f}" if compressed else ""
        speed = f"{row.predictions_per_second:,.0f}"
        if compressed:
            speed += f" ({row.predictions_per_second / full.predictions_per_second:.2f}×)"
        seconds_ratio = f"{row.seconds / full.seconds:.2f}" if compressed else ""
        print(f"| {row.name} | {row.size_bytes / 1e6:.3f} MB | {ratio} | {row.accuracy:.3f} | "
              f"{delta} | {speed} | {row.seconds:.2f} | {seconds_ratio} |")


def schedule(args: argparse.Namespace) -> dict[str, Any]:
    """The full run keeps fastText's lr 0.1 and 5 epochs; --quick's sets are
    too small for them, so there mmfast's defaults for the data decide (lr=None,
    epochs=None, as speed.py --quick), and fastText gets what they resolved to."""
    return {} if args.quick else {"lr": 0.1, "epochs": 5}


def text_table(args: argparse.Namespace, directory: str) -> None:
    n_train, n_test = (20_000, 5_000) if args.quick else (300_000, 50_000)
    texts, y = mmfast.make_text_classification(n_train + n_test, n_classes=N_CLASSES_TEXT)
    train_path = os.path.join(directory, "train.txt")
    mmfast.write_fasttext_file(train_path, texts[:n_train], y[:n_train])
    train = {"texts": texts[:n_train], "y": y[:n_train]}
    test = {"texts": texts[n_train:], "y": y[n_train:]}
    clf = mmfast.Classifier(dim=100, **schedule(args), n_jobs=args.thread, verbose=0)
    rows = mmfast_rows("mmfast", clf, train, test, directory, {"n_rows": args.cutoff})
    if PEERS["fastText"]:
        rows += fasttext_rows(train_path, list(texts[n_train:]), y[n_train:],
                              {"dim": 100, "lr": clf.lr_, "epoch": clf.epochs_, "wordNgrams": 2,
                               "minCount": 1, "bucket": clf.buckets_, "thread": args.thread},
                              directory)
    print_table(f"text: {n_train:,} train / {n_test:,} test documents, {N_CLASSES_TEXT} classes, "
                f"dim 100, lr {clf.lr_:.3g}, {clf.epochs_} epochs, compress(n_rows={args.cutoff}) "
                f"with max-cover and one retraining epoch, {args.thread} threads", rows)


def fused_table(args: argparse.Namespace, directory: str) -> None:
    n_train, n_test = (5_000, 1_000) if args.quick else (90_000, 10_000)
    texts, X, y = make_food101_like(n_samples=n_train + n_test, n_classes=21)
    train = {"texts": texts[:n_train], "y": y[:n_train], "features": X[:n_train]}
    test = {"texts": texts[n_train:], "y": y[n_train:], "features": X[n_train:]}
    rows: list[Row] = []
    for fusion in ("pq", "add"):
        clf = mmfast.Classifier(dim=100, **schedule(args), fusion=fusion, n_jobs=args.thread,
                                verbose=0)
        rows += mmfast_rows(f"mmfast {fusion}", clf, train, test, directory,
                            {"n_rows": args.cutoff})
    print_table(f"Food-101-like: {n_train:,} train / {n_test:,} test examples, 21 classes, "
                f"{X.shape[1]}-d features, dim 100, lr {clf.lr_:.3g}, {clf.epochs_} epochs, "
                f"compress(n_rows={args.cutoff}); "
                "C and the feature scaling stay float", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="speed.py --quick's sizes (20k text, 5k multi-modal examples)")
    parser.add_argument("--cutoff", type=int, default=10_000, help="text rows to keep")
    parser.add_argument("--thread", type=int, default=os.cpu_count() or 1,
                        help="threads for training and compression")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        text_table(args, directory)
        fused_table(args, directory)


if __name__ == "__main__":
    main()
