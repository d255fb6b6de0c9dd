"""Accuracy and training time of every model on real multi-modal sets, with
fastText (text only), logistic regression (features only) and their late
fusion as peers.

    python benchmarks/real.py /work/shared/data/real/fortunes /work/shared/data/real/icons

Each directory holds fastText-format ``train.txt`` / ``test.txt`` (one
example a line, its ``__label__`` words its labels) and line-aligned
``train_features.npy`` / ``test_features.npy``. Every mmfast model runs
with its default settings (the pq and rspq rows also alone: their feature
tokens without the text). fastText gets mmfast's shared defaults (dim 100,
5 epochs, lr 0.1, bigrams); logistic regression is scikit-learn's, on
standardized features; late fusion sums the two peers' log-probabilities.

A set with several labels on some line is multi-label: every model, mmfast's
and fastText, trains with ``loss="ova"``, logistic regression is one-vs-rest,
the late fusion averages the two peers' probabilities, and the table gives
precision at 1 (P@1) and the micro-averaged F1 of the predicted label sets
(every label of probability >= 0.5, and the most probable one when none is:
mmfast's ``predict``, applied to every row alike) instead of accuracy.
Timings are of one fit on ``--threads`` threads (noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _peers import FASTTEXT_LABEL_PREFIX, PEERS, import_peer

import mmfast
from mmfast import metrics

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
THRESHOLD = 0.5  # a multi-label prediction's labels: probability >= THRESHOLD


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[list[str]]  # each example's labels, in line order
    features: np.ndarray
    path: str  # the fastText-format file

    @property
    def multilabel(self) -> bool:
        return any(len(labels) != 1 for labels in self.labels)


def load_split(directory: str, name: str) -> Split:
    path = os.path.join(directory, f"{name}.txt")
    texts, labels = [], []
    with open(path, encoding="utf-8") as file:
        for line in file:
            words = line.split()
            labels.append([w[len(FASTTEXT_LABEL_PREFIX):] for w in words
                           if w.startswith(FASTTEXT_LABEL_PREFIX)])
            texts.append(" ".join(w for w in words if not w.startswith(FASTTEXT_LABEL_PREFIX)))
    features = np.load(os.path.join(directory, f"{name}_features.npy"))
    if len(features) != len(texts):
        raise ValueError(f"{directory}: {name}_features.npy has {len(features)} rows, "
                         f"{name}.txt {len(texts)} lines")
    return Split(texts, labels, features, path)


@dataclass(frozen=True)
class Task:
    """What the models of one set learn and how they are scored."""

    classes: np.ndarray  # the training labels, sorted: every probability matrix's columns
    multilabel: bool
    truth: list[Any]  # the test examples' label (single-label) or labels

    @property
    def score_names(self) -> tuple[str, ...]:
        return ("P@1", "micro-F1") if self.multilabel else ("accuracy",)

    @property
    def loss(self) -> str:
        return "ova" if self.multilabel else "softmax"

    def targets(self, split: Split) -> list[Any]:
        """y for a fit: a label per example, or a list of labels."""
        return split.labels if self.multilabel else [labels[0] for labels in split.labels]

    def scores(self, proba: np.ndarray) -> dict[str, float]:
        """Accuracy of the most probable class; for multi-label sets P@1 and
        the micro-F1 of the label sets mmfast's ``predict`` would give."""
        best = self.classes[proba.argmax(axis=1)]
        if not self.multilabel:
            return {"accuracy": float(np.mean(best == np.asarray(self.truth)))}
        chosen = proba >= THRESHOLD
        chosen[np.arange(len(proba)), proba.argmax(axis=1)] = True
        predicted = [list(self.classes[row]) for row in chosen]
        return {"P@1": metrics.precision_at_k(self.truth, best[:, None], k=1),
                "micro-F1": metrics.f1_score(self.truth, predicted)}


@dataclass(frozen=True)
class Result:
    scores: dict[str, float]
    seconds: float
    proba: np.ndarray | None = None  # test x classes (peers only)


def timed(fit: Callable[[], Callable[[], np.ndarray]], task: Task,
          keep: bool = False) -> Result:
    """``fit`` trains (timed) and returns what gives the test probabilities."""
    began = time.perf_counter()
    predict_proba = fit()
    seconds = time.perf_counter() - began
    proba = predict_proba()
    return Result(task.scores(proba), seconds, proba if keep else None)


def run_mmfast(params: dict[str, str | None], use_text: bool, train: Split, test: Split,
               task: Task, threads: int, seed: int) -> Result:
    clf = mmfast.Classifier(**params, loss=task.loss, threshold=THRESHOLD, n_jobs=threads,
                            random_state=seed, verbose=0)

    def fit() -> Callable[[], np.ndarray]:
        use_features = params["fusion"] is not None
        clf.fit(train.texts if use_text else None, task.targets(train),
                features=train.features if use_features else None)
        return lambda: clf.predict_proba(test.texts if use_text else None,
                                         features=test.features if use_features else None)

    try:
        return timed(fit, task)
    except mmfast.TrainingDivergedError:
        return Result(dict.fromkeys(task.score_names, float("nan")), float("nan"))


def run_fasttext(train: Split, test: Split, task: Task, threads: int, seed: int) -> Result:
    import fasttext

    def fit() -> Callable[[], np.ndarray]:
        model = fasttext.train_supervised(input=train.path, dim=100, epoch=5, lr=0.1,
                                          wordNgrams=2, minCount=1, loss=task.loss,
                                          thread=threads, seed=seed, verbose=0)

        def predict_proba() -> np.ndarray:
            labels, probs = model.predict(test.texts, k=-1, threshold=0.0)
            proba = np.full((len(test.texts), len(task.classes)), 1e-12)
            column = {FASTTEXT_LABEL_PREFIX + c: k for k, c in enumerate(task.classes)}
            for i, (names, p) in enumerate(zip(labels, probs)):
                proba[i, [column[name] for name in names]] = np.maximum(p, 1e-12)
            return proba

        return predict_proba

    return timed(fit, task, keep=True)


def run_logistic(train: Split, test: Split, task: Task, seed: int) -> Result:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

    def fit() -> Callable[[], np.ndarray]:
        classifier: Any = LogisticRegression(max_iter=1000, random_state=seed)
        y: Any = task.targets(train)
        if task.multilabel:
            classifier = OneVsRestClassifier(classifier)
            y = MultiLabelBinarizer(classes=task.classes).fit_transform(y)
        model = make_pipeline(StandardScaler(), classifier).fit(train.features, y)
        return lambda: model.predict_proba(test.features)  # columns: sorted labels

    return timed(fit, task, keep=True)


def late_fusion(text: Result, features: Result, task: Task) -> Result:
    """Single-label: the sum of the peers' log-probabilities; multi-label:
    the mean of their (independent per label) probabilities."""
    assert text.proba is not None and features.proba is not None
    if task.multilabel:
        proba = (text.proba + features.proba) / 2
    else:
        proba = np.log(np.maximum(text.proba, 1e-12)) + np.log(np.maximum(features.proba, 1e-12))
    return Result(task.scores(proba), text.seconds + features.seconds)


def evaluate(directory: str, threads: int, seed: int) -> tuple[Task, dict[str, Result]]:
    train, test = load_split(directory, "train"), load_split(directory, "test")
    multilabel = train.multilabel or test.multilabel
    classes = np.unique([label for labels in train.labels for label in labels])
    task = Task(classes, multilabel,
                test.labels if multilabel else [labels[0] for labels in test.labels])
    results = {name: run_mmfast(params, use_text, train, test, task, threads, seed)
               for name, (params, use_text) in MODELS.items()}
    if PEERS["fastText"]:
        results[FASTTEXT] = run_fasttext(train, test, task, threads, seed)
    if PEERS["scikit-learn"]:
        results[LOGISTIC] = run_logistic(train, test, task, seed)
    if FASTTEXT in results and LOGISTIC in results:
        results[LATE] = late_fusion(results[FASTTEXT], results[LOGISTIC], task)
    return task, results


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
    # Each set's columns: its scores (accuracy, or P@1 and micro-F1), then seconds.
    columns = {n: list(task.score_names) for n, (task, _) in table.items()}
    print(f"test scores, training seconds ({args.threads} threads, seed {args.seed}); "
          "every model at its defaults")
    # A single score is named by its set ("fortunes"), the first of several
    # by both ("debtags P@1").
    header = [f"{n} {m}" if k == 0 and len(columns[n]) > 1 else (n if k == 0 else m)
              for n in names for k, m in enumerate([*columns[n], "s"])]
    print("| model | " + " | ".join(header) + " |")
    print("|---|" + "".join("---:|" * (len(columns[n]) + 1) for n in names))
    rows = list(dict.fromkeys(row for _, results in table.values() for row in results))
    for row in rows:
        cells = []
        for n in names:
            result = table[n][1].get(row)
            if result is None:
                cells += [""] * (len(columns[n]) + 1)
            elif np.isnan(result.seconds):
                cells += ["diverged"] + [""] * len(columns[n])
            else:
                cells += [f"{result.scores[m]:.3f}" for m in columns[n]] + [f"{result.seconds:.2f}"]
        print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
