"""mmfast's default learning rate and epochs against fastText's and autotune's.

    python benchmarks/small_data.py [--budget 30] [--threads 1]

For each generated text set: held-out accuracy of a Classifier at fastText's
lr 0.1 and 5 epochs, at mmfast's defaults (lr=None, epochs=None: decided by
the training data, python/mmfast/_schedule.py), and of what
``mmfast.autotune`` finds within ``--budget`` seconds (scored on 20% of the
training documents, then refitted on all of them). See README.md, "Learning
rate and epochs: decided by the data".
"""

from __future__ import annotations

import argparse
import time
from typing import NamedTuple

import numpy as np

import mmfast


class TextSet(NamedTuple):
    name: str
    n_train: int
    n_test: int
    generator: dict[str, int]  # make_text_classification's arguments


SETS = (
    TextSet("1,000 docs, 5 classes", 1_000, 5_000, {"n_classes": 5}),
    # The README's first example: 2,000 training documents of a 2,000-word vocabulary.
    TextSet("README's first example", 2_000, 1_000, {"n_classes": 5, "vocab_size": 2_000}),
    TextSet("3,000 docs, 20 classes", 3_000, 5_000, {"n_classes": 20}),
    TextSet("10,000 docs, 50 classes", 10_000, 5_000, {"n_classes": 50}),
    TextSet("30,000 docs, 50 classes", 30_000, 5_000, {"n_classes": 50}),
)


def measure(data: TextSet, budget: float, threads: int) -> str:
    texts, y = mmfast.make_text_classification(n_samples=data.n_train + data.n_test, seed=0,
                                               **data.generator)
    train, test = slice(0, data.n_train), slice(data.n_train, None)
    cells = []
    for settings in ({"lr": 0.1, "epochs": 5}, {}):
        began = time.perf_counter()
        clf = mmfast.Classifier(n_jobs=threads, verbose=0, **settings).fit(texts[train], y[train])
        cells.append(f"{clf.score(texts[test], y[test]):.3f} ({time.perf_counter() - began:.1f} s)")
    cells[-1] += f", lr {clf.lr_:.3g}, {clf.epochs_} epochs"
    tuned, trials = mmfast.autotune(texts[train], y[train], budget=budget,
                                    start=mmfast.Classifier(n_jobs=threads), verbose=0)
    best = max(trials, key=lambda trial: trial.score).params
    # A value left to the data (None) is shown as the refitted model resolved it.
    best = {name: getattr(tuned, f"{name}_") if value is None else value
            for name, value in best.items()}
    shown = ", ".join(f"{name} {value:.3g}" if isinstance(value, float) else f"{name} {value}"
                      for name, value in best.items())
    cells.append(f"{tuned.score(texts[test], y[test]):.3f} ({len(trials)} trials; {shown})")
    return f"| {data.name} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=30.0, help="autotune's seconds per set")
    parser.add_argument("--threads", type=int, default=1, help="training threads (default 1)")
    parser.add_argument("--sets", default=",".join(str(i) for i in range(len(SETS))),
                        help="which sets, by number (default all)")
    args = parser.parse_args()
    print(f"held-out accuracy; dim 100, word bigrams, {args.threads} thread(s); numpy "
          f"{np.__version__}")
    print("| training set | lr 0.1, 5 epochs (fastText's) | mmfast's defaults | "
          f"autotune, {args.budget:g} s |")
    print("|---|---|---|---|")
    for index in args.sets.split(","):
        print(measure(SETS[int(index)], args.budget, args.threads), flush=True)


if __name__ == "__main__":
    main()
