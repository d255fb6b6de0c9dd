"""Learning from a stream: the text set fed batch by batch through
``Classifier.partial_fit`` against one ``fit`` on all of it, beside
scikit-learn's ``SGDClassifier.partial_fit`` on hashed features
(``HashingVectorizer``, 2**20 columns, word uni- and bigrams as mmfast's).

Every row trains on the same training documents (speed.py's text set:
``mmfast.make_text_classification``, 50 classes) and is scored on the same
test documents. "passes" is how many times each training example is seen: a
stream seen once (1), or the batches fed again in as many rounds as fit's
epochs (the same passes as fit). A row's time covers everything it needs
from the raw texts: mmfast tokenizes each batch in every call, scikit-learn
hashes each batch once (the first time it arrives) and reuses the matrix.
Rows run one after the other in this process; timings are noisy on a shared
machine, so compare rows of one run.

    python benchmarks/stream.py                 # 100k / 20k documents, 10 and 100 batches
    python benchmarks/stream.py --quick         # 20k / 5k, for a look
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import mmfast
from mmfast.datasets import make_text_classification

N_CLASSES = 50


def mmfast_fit(texts: list[str], y: np.ndarray, params: dict[str, Any],
               epochs: int) -> mmfast.Classifier:
    return mmfast.Classifier(**params, epochs=epochs).fit(texts, y)


def mmfast_stream(texts: list[str], y: np.ndarray, params: dict[str, Any], n_batches: int,
                  passes: int) -> mmfast.Classifier:
    clf = mmfast.Classifier(**params)
    classes = np.unique(y)
    for _ in range(passes):
        for rows in np.array_split(np.arange(len(texts)), n_batches):
            clf.partial_fit([texts[i] for i in rows], y[rows], classes=classes)
    return clf


def sklearn_stream(texts: list[str], y: np.ndarray, n_batches: int, passes: int,
                   n_jobs: int) -> Callable[[list[str]], np.ndarray]:
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import SGDClassifier

    vectorizer = HashingVectorizer(n_features=2**20, ngram_range=(1, 2), alternate_sign=False,
                                   token_pattern=r"\S+", lowercase=False)
    clf = SGDClassifier(loss="log_loss", alpha=1e-6, n_jobs=n_jobs, random_state=0)
    classes = np.unique(y)
    hashed: dict[int, Any] = {}
    for _ in range(passes):
        for k, rows in enumerate(np.array_split(np.arange(len(texts)), n_batches)):
            if k not in hashed:
                hashed[k] = vectorizer.transform([texts[i] for i in rows])
            clf.partial_fit(hashed[k], y[rows], classes=classes)
    return lambda test: clf.predict(vectorizer.transform(test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k / 5k documents")
    parser.add_argument("--n-train", type=int, default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--batches", default="10,100", help="batch counts, comma-separated")
    parser.add_argument("--epochs", type=int, default=5, help="fit's epochs (and rounds)")
    parser.add_argument("--threads", type=int, default=2, help="the multi-thread rows' threads")
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--lr", type=float, default=None,
                        help="0.1 (fastText's), or 0.5 with --quick as speed.py --quick")
    parser.add_argument("--no-sklearn", action="store_true")
    args = parser.parse_args()
    n_train = args.n_train or (20_000 if args.quick else 100_000)
    n_test = args.n_test or (5_000 if args.quick else 20_000)
    # Small sets under-train at 0.1 in 5 epochs (as speed.py --quick finds).
    lr = args.lr or (0.5 if args.quick else 0.1)
    texts, y = make_text_classification(n_train + n_test, n_classes=N_CLASSES)
    train, test = list(texts[:n_train]), list(texts[n_train:])
    y_train, y_test = y[:n_train], y[n_train:]
    print(f"{n_train:,} train / {n_test:,} test documents, {N_CLASSES} classes; mmfast dim "
          f"{args.dim}, lr {lr}, bigrams, fit: {args.epochs} epochs")
    print("| model | batches | passes | threads | n-gram rows | train s | accuracy % |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def row(name: str, batches: int, passes: int, threads: int,
            train_model: Callable[..., Any], *train_args: Any) -> None:
        start = time.perf_counter()
        model = train_model(train, y_train, *train_args)
        seconds = time.perf_counter() - start
        if isinstance(model, mmfast.Classifier):
            accuracy, rows = model.score(test, y_test), f"{model.buckets_:,}"
        else:
            accuracy, rows = float(np.mean(model(test) == y_test)), f"{2**20:,}"
        print(f"| {name} | {batches} | {passes} | {threads} | {rows} | {seconds:.1f} | "
              f"{100 * accuracy:.2f} |", flush=True)

    batch_counts = [int(b) for b in args.batches.split(",")]
    for threads in (1, args.threads):
        params = dict(dim=args.dim, lr=lr, n_jobs=threads, verbose=0)
        for epochs in (args.epochs, 1):
            row("mmfast fit", 1, epochs, threads, mmfast_fit, params, epochs)
        for n_batches in batch_counts:
            for passes in (args.epochs, 1):
                row("mmfast partial_fit", n_batches, passes, threads, mmfast_stream, params,
                    n_batches, passes)
        if not args.no_sklearn:
            for passes in (args.epochs, 1):
                row("scikit-learn SGDClassifier.partial_fit, hashed", batch_counts[0], passes,
                    threads, sklearn_stream, batch_counts[0], passes, threads)


if __name__ == "__main__":
    main()
