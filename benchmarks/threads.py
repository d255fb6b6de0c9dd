"""Thread scaling: examples per second and accuracy of every loss and fusion kind
at 1, 2, ... threads, with fastText's text-only scaling beside it.

    flock /tmp/mmfast-bench.lock python benchmarks/threads.py

Tables (``--sets``):

- ``scaling``: a generated multi-modal set; for every fusion kind and loss, the
  training loop's examples per second at each thread count (the dictionary,
  encoding and initialization are excluded: they scale on their own), the
  speed-up over one thread (×), the same for examples per CPU second (CPU ×:
  below 1 when threads slow each other down, whatever the machine's load),
  and the test accuracy; then the machine's ceiling: n independent one-thread
  fits in n processes against one alone.
- ``text``: 250k generated documents (dim 100, bigrams, 2M buckets, softmax):
  mmfast's and fastText's whole fit at each thread count.
- ``real``: the real sets of ``--real`` (fastText-format ``train.txt``/``test.txt``
  and ``.npy`` features per folder): accuracy at each thread count.

Every cell is the best of ``--repeats`` runs (the fastest; the accuracy is
their mean), the thread counts interleaved within each repeat so that a
change of the machine's load hits them alike. Run r of the scaling and real
tables trains with seed r at every thread count: one thread's accuracy is a
mean over seeds too, not one draw (on the scaling set, text / softmax on one
thread scores 45.36-45.92% over seeds 0-5). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from _peers import PEERS, Hyperparameters, Split, train_fasttext

import mmfast
from mmfast import _jobs
from mmfast.datasets import (
    make_multimodal_classification,
    make_text_classification,
    write_fasttext_file,
)

LOSSES = ("softmax", "hs", "ns", "ova")
N_CODES = 16  # pq/rspq codes per example


@dataclass(frozen=True)
class Kind:
    """A fusion kind as a Classifier is set up for it."""

    name: str
    settings: dict[str, Any]
    texts: bool = True
    features: str | None = "float"  # None, "float" or "codes"


KINDS = {kind.name: kind for kind in [
    Kind("text", {}, features=None),
    Kind("features", {"fusion": "add"}, texts=False),
    Kind("add", {"fusion": "add"}),
    Kind("max", {"fusion": "max"}),
    Kind("gated", {"fusion": "gated"}),
    Kind("bilinear_gated", {"fusion": "bilinear_gated"}),
    Kind("bilinear_gated_paper", {"fusion": "bilinear_gated_paper"}),
    Kind("pq", {"fusion": "pq", "n_subquantizers": N_CODES}, features="codes"),
    Kind("rspq", {"fusion": "rspq", "n_subquantizers": N_CODES}, features="codes"),
]}


@dataclass
class Cell:
    """The runs of one setting at one thread count."""

    rates: list[float] = field(default_factory=list)  # examples per second
    cpu_rates: list[float] = field(default_factory=list)  # examples per CPU second
    accuracies: list[float] = field(default_factory=list)

    def best(self) -> float:
        return max(self.rates)

    def best_cpu(self) -> float:
        return max(self.cpu_rates)

    def accuracy(self) -> float:
        return float(np.mean(self.accuracies))


@contextmanager
def training_clock() -> Iterator[list[tuple[float, float]]]:
    """(wall, CPU) seconds of each native job run inside the block
    (mmfast._jobs.run): a fit's last one is its training loop. The CPU seconds
    are the process's, all threads together (the waiting Python thread sleeps)."""
    seconds: list[tuple[float, float]] = []
    run = _jobs.run

    def timed_run(*args: Any, **kwargs: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run(*args, **kwargs)
        seconds.append((time.perf_counter() - start, time.process_time() - start_cpu))
        return result

    _jobs.run = timed_run
    try:
        yield seconds
    finally:
        _jobs.run = run


@dataclass(frozen=True)
class Data:
    train_texts: list[str]
    train_features: dict[str, np.ndarray]  # "float" and "codes"
    train_y: np.ndarray
    test_texts: list[str]
    test_features: dict[str, np.ndarray]
    test_y: np.ndarray


def fit_and_score(data: Data, kind: Kind, loss: str, hp: Hyperparameters, threads: int,
                  quantizers: dict[str, Any]) -> tuple[float, float, float]:
    """(training examples per second, per CPU second, test accuracy) of one fit."""
    settings = dict(kind.settings)
    if kind.features == "codes":
        settings["quantizer"] = quantizers[kind.settings["fusion"]]
    classifier = mmfast.Classifier(
        dim=hp.dim, epochs=hp.epochs, lr=hp.lr, word_ngrams=hp.word_ngrams,
        buckets=hp.buckets, min_count=1, loss=loss, n_jobs=threads, random_state=hp.seed,
        verbose=0, **settings)

    def inputs(texts: list[str], features: dict[str, np.ndarray]) -> dict[str, Any]:
        return {"texts": texts if kind.texts else None,
                **({"features": features[kind.features]} if kind.features else {})}

    with training_clock() as seconds:
        classifier.fit(y=data.train_y, **inputs(data.train_texts, data.train_features))
    accuracy = classifier.score(y=data.test_y, **inputs(data.test_texts, data.test_features))
    wall, cpu = seconds[-1]
    examples = len(data.train_y) * hp.epochs
    return examples / wall, examples / cpu, accuracy


def thread_counts(spec: str | None) -> list[int]:
    """--threads, or 1, 2, 4, ... and the machine's core count."""
    if spec:
        return [int(n) for n in spec.split(",")]
    cores = len(os.sched_getaffinity(0))
    counts = [1]
    while counts[-1] * 2 < cores:
        counts.append(counts[-1] * 2)
    return counts + [cores] if cores > 1 else counts


def format_rows(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join([row[0].ljust(widths[0])] +
                       [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])])
             for row in [header, *rows]]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def measure_settings(settings: list[tuple[Kind, str]], data: Data, hp: Hyperparameters,
                     counts: list[int], repeats: int,
                     quantizers: dict[str, Any]) -> dict[tuple[str, str, int], Cell]:
    cells: dict[tuple[str, str, int], Cell] = {}
    for kind, loss in settings:
        for attempt in range(repeats):
            for threads in counts:
                print(f"  {kind.name} / {loss}, {threads} thread(s) ({attempt + 1}/{repeats})",
                      file=sys.stderr, flush=True)
                rate, cpu_rate, accuracy = fit_and_score(
                    data, kind, loss, replace(hp, seed=hp.seed + attempt), threads,
                    quantizers)
                cell = cells.setdefault((kind.name, loss, threads), Cell())
                cell.rates.append(rate)
                cell.cpu_rates.append(cpu_rate)
                cell.accuracies.append(accuracy)
    return cells


def seeded_runs(repeats: int) -> str:
    """What a measure_settings table's cells are."""
    return f"best of {repeats} runs; accuracy: mean of the runs (seeds 0-{repeats - 1})"


def scaling_table(settings: list[tuple[Kind, str]], cells: dict[tuple[str, str, int], Cell],
                  counts: list[int]) -> str:
    header = ["kind / loss"]
    for threads in counts:
        header += [f"{threads}t ex/s"] + (
            [f"{threads}t ×", f"{threads}t CPU ×"] if threads > 1 else []) + [
            f"{threads}t acc %"]
    rows = []
    for kind, loss in settings:
        one = cells[(kind.name, loss, counts[0])]
        row = [f"{kind.name} / {loss}"]
        for threads in counts:
            cell = cells[(kind.name, loss, threads)]
            row += [f"{cell.best():,.0f}"]
            if threads > 1:
                row += [f"{cell.best() / one.best():.2f}",
                        f"{cell.best_cpu() / one.best_cpu():.2f}"]
            row += [f"{100 * cell.accuracy():.2f}"]
        rows.append(row)
    return format_rows(header, rows)


def generated_data(n_train: int, n_test: int, n_classes: int, n_features: int,
                   threads: int) -> tuple[Data, dict[str, Any]]:
    texts, features, y = make_multimodal_classification(
        n_train + n_test, n_classes=n_classes, n_features=n_features)
    return split_data(texts[:n_train], features[:n_train], y[:n_train], texts[n_train:],
                      features[n_train:], y[n_train:], threads)


def split_data(train_texts: list[str], train_features: np.ndarray, train_y: np.ndarray,
               test_texts: list[str], test_features: np.ndarray, test_y: np.ndarray,
               threads: int) -> tuple[Data, dict[str, Any]]:
    """The data, with pq codes of the features computed once (untimed): the
    quantizers are fitted on the training features."""
    n_features = train_features.shape[1]
    quantizers = {
        "pq": mmfast.ProductQuantizer(n_subquantizers=N_CODES, n_jobs=threads),
        "rspq": mmfast.RSPQ(n_subspaces=N_CODES, subspace_dim=max(1, n_features // N_CODES),
                            n_jobs=threads),
    }
    for quantizer in quantizers.values():
        quantizer.fit(train_features)
    # Both quantizers give codes of the same shape; pq's serve pq, rspq's rspq.
    data = Data(train_texts, {"float": train_features}, train_y,
                test_texts, {"float": test_features}, test_y)
    return data, quantizers


def run_scaling(args: argparse.Namespace, counts: list[int]) -> None:
    hp = Hyperparameters(dim=args.dim, epochs=args.epochs)
    (data, quantizers), seconds = timed(lambda: generated_data(
        args.n_train, args.n_test, args.n_classes, args.n_features, max(counts)))
    print(f"\nscaling: make_multimodal_classification, {args.n_train:,} train / "
          f"{args.n_test:,} test examples, {args.n_classes} classes, {args.n_features}-d "
          f"features (generated in {seconds:.1f} s); dim {hp.dim}, {hp.epochs} epochs, lr "
          f"{hp.lr}, bigrams, {hp.buckets:,} buckets; pq/rspq {N_CODES} codes, encoded "
          "beforehand; ex/s: training loop only")
    settings = [(KINDS[name], loss) for name in args.kinds for loss in args.losses]
    cells = measure_kinds(settings, data, hp, counts, args.repeats, quantizers)
    print(seeded_runs(args.repeats))
    print(scaling_table(settings, cells, counts))
    print_ceiling(data, hp, counts, args.repeats, quantizers)


# What the forked processes of print_ceiling train on (inherited, not pickled).
_ceiling_fit: tuple[Data, Hyperparameters, dict[str, Any]] | None = None


def one_thread_text_fit(_: int) -> float:
    """Examples per second of one one-thread text / softmax fit of _ceiling_fit."""
    assert _ceiling_fit is not None
    data, hp, quantizers = _ceiling_fit
    return fit_and_score(data, KINDS["text"], "softmax", hp, 1, quantizers)[0]


def print_ceiling(data: Data, hp: Hyperparameters, counts: list[int], repeats: int,
                  quantizers: dict[str, Any]) -> None:
    """What the machine allows: n one-thread text / softmax fits at once, in n
    processes that share nothing, against one alone. A shared machine (other
    jobs, a hypervisor's steal) can give far less than n cores."""
    global _ceiling_fit
    _ceiling_fit = (data, hp, quantizers)
    context = multiprocessing.get_context("fork")
    ratios: dict[int, list[float]] = {}
    for _ in range(repeats):
        alone = one_thread_text_fit(0)
        for n in counts[1:]:
            with context.Pool(n) as pool:
                ratios.setdefault(n, []).append(
                    sum(pool.map(one_thread_text_fit, range(n))) / alone)
    print("the machine's ceiling: n independent one-thread text / softmax fits at once, in n "
          "processes, summed examples per second over one alone (best of the runs): " + ", ".join(
              f"{n}: {max(ratio):.2f}×" for n, ratio in ratios.items()))


def measure_kinds(settings: list[tuple[Kind, str]], data: Data, hp: Hyperparameters,
                  counts: list[int], repeats: int,
                  quantizers: dict[str, Any]) -> dict[tuple[str, str, int], Cell]:
    """measure_settings with each quantizer's codes in the data for its kinds."""
    cells: dict[tuple[str, str, int], Cell] = {}
    for name in dict.fromkeys(kind.name for kind, _ in settings):
        kind = KINDS[name]
        subset = [(k, loss) for k, loss in settings if k.name == name]
        kind_data = data
        if kind.features == "codes":
            quantizer = quantizers[kind.settings["fusion"]]
            kind_data = Data(
                data.train_texts, {"codes": quantizer.transform(data.train_features["float"])},
                data.train_y, data.test_texts,
                {"codes": quantizer.transform(data.test_features["float"])}, data.test_y)
        cells.update(measure_settings(subset, kind_data, hp, counts, repeats, quantizers))
    return cells


def run_text(args: argparse.Namespace, counts: list[int], directory: str) -> None:
    hp = Hyperparameters(dim=100, epochs=args.epochs)
    n_train, n_test = args.text_train, args.text_test
    texts, y = make_text_classification(n_train + n_test, n_classes=50)
    path = os.path.join(directory, "text-train.txt")
    write_fasttext_file(path, texts[:n_train], list(y[:n_train]))
    train = Split(y[:n_train], texts[:n_train], None, path)
    test = Split(y[n_train:], texts[n_train:], None, None)
    print(f"\ntext: make_text_classification, {n_train:,} train / {n_test:,} test documents, "
          f"50 classes; dim {hp.dim}, {hp.epochs} epochs, lr {hp.lr}, bigrams, "
          f"{hp.buckets:,} buckets, softmax; whole fit (fastText reads its file, mmfast "
          "builds its dictionary from the list)")
    def fit_mmfast(h: Hyperparameters) -> mmfast.Classifier:
        return mmfast.Classifier(
            dim=h.dim, epochs=h.epochs, lr=h.lr, word_ngrams=h.word_ngrams, buckets=h.buckets,
            min_count=1, loss=h.loss, n_jobs=h.threads, random_state=h.seed,
            verbose=0).fit(train.texts, train.y)

    peers: dict[str, Callable[[Hyperparameters], Any]] = {"mmfast": fit_mmfast}
    if PEERS["fastText"]:
        peers["fastText"] = lambda h: train_fasttext(train, h)
    seconds: dict[tuple[str, int], list[float]] = {}
    accuracy: dict[tuple[str, int], list[float]] = {}
    for attempt in range(args.repeats):
        for threads in counts:
            for name, fit in peers.items():
                print(f"  {name}, {threads} thread(s) ({attempt + 1}/{args.repeats})",
                      file=sys.stderr, flush=True)
                settings = Hyperparameters(dim=hp.dim, epochs=hp.epochs, threads=threads)
                model, elapsed = timed(functools.partial(fit, settings))
                predicted = (model.predict(test.texts) if name == "mmfast"
                             else model.predict(test))
                seconds.setdefault((name, threads), []).append(elapsed)
                accuracy.setdefault((name, threads), []).append(
                    float(np.mean(predicted == test.y)))
                del model
    header = ["threads"] + [f"{name} s" for name in peers] + (
        ["mmfast / fastText"] if "fastText" in peers else []) + [
        f"{name} acc %" for name in peers]
    rows = []
    for threads in counts:
        best = {name: min(seconds[(name, threads)]) for name in peers}
        rows.append([str(threads)] + [f"{best[name]:.2f}" for name in peers] + (
            [f"{best['mmfast'] / best['fastText']:.2f}×"] if "fastText" in peers else []) + [
            f"{100 * np.mean(accuracy[(name, threads)]):.2f}" for name in peers])
    print(f"best of {args.repeats} runs; accuracy: mean of the runs")
    print(format_rows(header, rows))
    if not PEERS["fastText"]:
        print("fastText not installed: its columns are skipped")


def read_real(folder: str) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    def read(name: str) -> tuple[list[str], list[str]]:
        labels, texts = [], []
        with open(os.path.join(folder, name), encoding="utf-8") as lines:
            for line in lines:
                label, _, text = line.rstrip("\n").partition(" ")
                labels.append(label)
                texts.append(text)
        return texts, labels
    train_texts, train_y = read("train.txt")
    test_texts, test_y = read("test.txt")
    return train_texts, np.array(train_y), test_texts, np.array(test_y)


def run_real(args: argparse.Namespace, counts: list[int]) -> None:
    hp = Hyperparameters(dim=args.dim, epochs=args.epochs)
    for name in sorted(os.listdir(args.real)):
        folder = os.path.join(args.real, name)
        if not os.path.isfile(os.path.join(folder, "train.txt")):
            continue
        train_texts, train_y, test_texts, test_y = read_real(folder)
        train_features = np.load(os.path.join(folder, "train_features.npy"))
        test_features = np.load(os.path.join(folder, "test_features.npy"))
        data, quantizers = split_data(train_texts, train_features, train_y, test_texts,
                                      test_features, test_y, max(counts))
        print(f"\nreal set {name}: {len(train_y):,} train / {len(test_y):,} test examples, "
              f"{len(np.unique(train_y))} classes, {train_features.shape[1]}-d features; dim "
              f"{hp.dim}, {hp.epochs} epochs, lr {hp.lr}, bigrams, {hp.buckets:,} buckets")
        settings = [(KINDS[kind], loss) for kind in args.kinds for loss in args.losses]
        cells = measure_kinds(settings, data, hp, counts, args.repeats, quantizers)
        print(seeded_runs(args.repeats))
        print(scaling_table(settings, cells, counts))


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="scaling,text",
                        help="tables, of scaling, text, real (default scaling,text)")
    parser.add_argument("--threads", help="thread counts, e.g. 1,2,8 (default 1, 2, 4, ... "
                                          "and the machine's cores)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell (default 3)")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"fusion kinds (default all: {','.join(KINDS)})")
    parser.add_argument("--losses", default=",".join(LOSSES),
                        help=f"losses (default all: {','.join(LOSSES)})")
    parser.add_argument("--n-train", type=int, default=120_000)
    parser.add_argument("--n-test", type=int, default=20_000)
    parser.add_argument("--n-classes", type=int, default=20)
    parser.add_argument("--n-features", type=int, default=512)
    parser.add_argument("--dim", type=int, default=50, help="scaling and real tables' dim")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--text-train", type=int, default=250_000)
    parser.add_argument("--text-test", type=int, default=50_000)
    parser.add_argument("--real", default="/work/shared/data/real",
                        help="folder of real sets, one subfolder each")
    args = parser.parse_args()
    args.sets = args.sets.split(",")
    args.kinds = args.kinds.split(",")
    args.losses = args.losses.split(",")
    for option, given, known in [("--sets", args.sets, ("scaling", "text", "real")),
                                 ("--kinds", args.kinds, KINDS), ("--losses", args.losses, LOSSES)]:
        unknown = set(given) - set(known)
        if unknown:
            parser.error(f"{option}: unknown {', '.join(sorted(unknown))}; choose from "
                         f"{', '.join(known)}")
    return args


def main() -> None:
    import tempfile

    args = parse_args()
    counts = thread_counts(args.threads)
    print(f"machine: {len(os.sched_getaffinity(0))} CPUs; thread counts {counts}; "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="mmfast-threads-") as directory:
        if "scaling" in args.sets:
            run_scaling(args, counts)
        if "text" in args.sets:
            run_text(args, counts, directory)
        if "real" in args.sets:
            run_real(args, counts)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
