"""Accuracy and training time of every model on real multi-modal sets, with
fastText (text only), logistic regression (features only) and their late
fusion as peers.

    python benchmarks/real.py /work/shared/data/real/fortunes /work/shared/data/real/icons

Each directory holds fastText-format ``train.txt`` / ``test.txt`` (one
example a line, its first ``__label__`` the class) and line-aligned
``train_features.npy`` / ``test_features.npy``. Every mmfast model runs
with its default settings (the pq and rspq rows also alone: their feature
tokens without the text). fastText gets mmfast's shared defaults (dim 100,
5 epochs, lr 0.1, bigrams); logistic regression is scikit-learn's, on
standardized features; late fusion sums the two peers' log-probabilities.
Timings are of one fit on ``--threads`` threads (noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from _peers import FASTTEXT_LABEL_PREFIX, PEERS, import_peer

import mmfast

# Row name -> the Classifier's parameters and whether the model sees the text.
MODELS: dict[str, tuple[dict[str, str | None], bool]] = {
    "text only": ({"fusion": None}, True),
    "features only": ({"fusion": "add"}, False),
    "add": ({"fusion": "add"}, True),
    "max": ({"fusion": "max"}, True),
    "gated": ({"fusion": "gated"}, True),
    "bilinear_gated": ({"fusion": "bilinear_gated"}, True),
    "bilinear_gated_paper": ({"fusion": "bilinear_gated_paper"}, True),
    "pq": ({"fusion": "pq"}, True),
    "pq tokens alone": ({"fusion": "pq"}, False),
    "rspq": ({"fusion": "rspq"}, True),
    "rspq tokens alone": ({"fusion": "rspq"}, False),
}
FASTTEXT, LOGISTIC, LATE = ("fastText, text only", "logistic regression, features only",
                            "late fusion (fastText + logistic regression)")


@dataclass(frozen=True)
class Split:
    texts: list[str]
    y: np.ndarray
    features: np.ndarray
    path: str  # the fastText-format file


def load_split(directory: str, name: str) -> Split:
    path = os.path.join(directory, f"{name}.txt")
    texts, labels = [], []
    with open(path, encoding="utf-8") as file:
        for line in file:
            words = line.split()
            labels.append(next(w for w in words if w.startswith(FASTTEXT_LABEL_PREFIX))
                          [len(FASTTEXT_LABEL_PREFIX):])
            texts.append(" ".join(w for w in words if not w.startswith(FASTTEXT_LABEL_PREFIX)))
    features = np.load(os.path.join(directory, f"{name}_features.npy"))
    if len(features) != len(texts):
        raise ValueError(f"{directory}: {name}_features.npy has {len(features)} rows, "
                         f"{name}.txt {len(texts)} lines")
    return Split(texts, np.array(labels), features, path)


@dataclass(frozen=True)
class Result:
    accuracy: float
    seconds: float
    log_proba: np.ndarray | None = None  # test x classes, sorted labels (peers only)


def timed(fit: Callable[[], Callable[[], np.ndarray]], y_test: np.ndarray) -> Result:
    """``fit`` trains (timed) and returns what predicts the test labels."""
    began = time.perf_counter()
    predict = fit()
    seconds = time.perf_counter() - began
    return Result(float(np.mean(predict() == y_test)), seconds)


def run_mmfast(params: dict[str, str | None], use_text: bool, train: Split, test: Split,
               threads: int, seed: int) -> Result:
    clf = mmfast.Classifier(**params, n_jobs=threads, random_state=seed, verbose=0)

    def fit() -> Callable[[], np.ndarray]:
        use_features = params["fusion"] is not None
        clf.fit(train.texts if use_text else None, train.y,
                features=train.features if use_features else None)
        return lambda: clf.predict(test.texts if use_text else None,
                                   features=test.features if use_features else None)

    return timed(fit, test.y)


def run_fasttext(train: Split, test: Split, threads: int, seed: int) -> Result:
    import fasttext

    classes = np.unique(train.y)
    began = time.perf_counter()
    model = fasttext.train_supervised(input=train.path, dim=100, epoch=5, lr=0.1, wordNgrams=2,
                                      minCount=1, thread=threads, seed=seed, verbose=0)
    seconds = time.perf_counter() - began
    labels, probs = model.predict(test.texts, k=-1)
    proba = np.full((len(test.texts), len(classes)), 1e-12)
    column = {FASTTEXT_LABEL_PREFIX + c: k for k, c in enumerate(classes)}
    for i, (names, p) in enumerate(zip(labels, probs)):
        proba[i, [column[name] for name in names]] = np.maximum(p, 1e-12)
    log_proba = np.log(proba)
    return Result(float(np.mean(classes[log_proba.argmax(1)] == test.y)), seconds, log_proba)


def run_logistic(train: Split, test: Split, seed: int) -> Result:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    began = time.perf_counter()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
    model.fit(train.features, train.y)
    seconds = time.perf_counter() - began
    log_proba = model.predict_log_proba(test.features)  # columns: sorted labels
    return Result(float(np.mean(model.classes_[log_proba.argmax(1)] == test.y)), seconds,
                  log_proba)


def evaluate(directory: str, threads: int, seed: int) -> dict[str, Result]:
    train, test = load_split(directory, "train"), load_split(directory, "test")
    results = {name: run_mmfast(params, use_text, train, test, threads, seed)
               for name, (params, use_text) in MODELS.items()}
    if PEERS["fastText"]:
        results[FASTTEXT] = run_fasttext(train, test, threads, seed)
    if PEERS["scikit-learn"]:
        results[LOGISTIC] = run_logistic(train, test, seed)
    peers = [results.get(FASTTEXT), results.get(LOGISTIC)]
    if all(peer is not None and peer.log_proba is not None for peer in peers):
        summed = sum(peer.log_proba for peer in peers if peer is not None)
        predicted = np.unique(train.y)[np.asarray(summed).argmax(1)]
        results[LATE] = Result(float(np.mean(predicted == test.y)),
                               sum(peer.seconds for peer in peers if peer is not None))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="+", help="real set directories")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in ("fastText", "scikit-learn"):
        if PEERS[name]:
            import_peer(name)  # not inside a timed fit
    names = [os.path.basename(os.path.normpath(d)) for d in args.directories]
    table = {name: evaluate(d, args.threads, args.seed) for name, d in zip(names, args.directories)}
    print(f"test accuracy, training seconds ({args.threads} threads, seed {args.seed}); "
          "every model at its defaults")
    print("| model | " + " | ".join(f"{n} | s" for n in names) + " |")
    print("|---|" + "---:|---:|" * len(names))
    rows = list(dict.fromkeys(row for results in table.values() for row in results))
    for row in rows:
        cells = [(f"{table[n][row].accuracy:.3f}", f"{table[n][row].seconds:.2f}")
                 if row in table[n] else ("", "") for n in names]
        print(f"| {row} | " + " | ".join(f"{a} | {s}" for a, s in cells) + " |")


if __name__ == "__main__":
    main()
