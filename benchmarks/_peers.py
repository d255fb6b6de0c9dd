"""The models that benchmarks/speed.py compares, behind one interface.

A trainer takes the training split and the shared hyperparameters, fits a
model (everything it needs to do so is timed) and returns a function that
predicts integer labels for a split. mmfast is required; the other peers are
optional: ``PEERS`` says which were importable, so the benchmark skips the rest.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

import mmfast

try:
    import fasttext
except ImportError:
    fasttext = None
try:
    import sklearn
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import SGDClassifier
except ImportError:
    sklearn = None

FASTTEXT_LABEL_PREFIX = "__label__"

# Peer name -> whether its package could be imported.
PEERS = {"mmfast": True, "fastText": fasttext is not None,
         "scikit-learn": sklearn is not None}


@dataclass(frozen=True)
class Split:
    """The same examples in every form a model may want them."""

    texts: list[str]
    y: np.ndarray
    features: np.ndarray | None  # (n, d) float32, multi-modal data only
    fasttext_path: str  # the examples in fastText's file format, for fastText's trainer


@dataclass(frozen=True)
class Hyperparameters:
    """Settings shared by every model (fastText's supervised defaults, bigrams)."""

    dim: int
    epochs: int = 5
    lr: float = 0.1
    word_ngrams: int = 2
    buckets: int = 2_000_000
    threads: int = 2
    seed: int = 0


Predictor = Callable[[Split], np.ndarray]
Trainer = Callable[[Split, Hyperparameters], Predictor]


def peer_versions() -> dict[str, str]:
    """Version of each importable peer."""
    versions = {"mmfast": mmfast.__version__}
    if fasttext is not None:
        versions["fastText"] = _distribution_version("fasttext-numpy2", "fasttext")
    if sklearn is not None:
        versions["scikit-learn"] = sklearn.__version__
    return versions


def _distribution_version(*names: str) -> str:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return "unknown version"


def encode_features(train: Split, test: Split, fusion: dict[str, Any]) -> tuple[Split, Split]:
    """Both splits with their features replaced by codes of a quantizer fitted on
    the training features: what a user stores after encoding a collection once."""
    kind = {"pq": mmfast.ProductQuantizer, "rspq": mmfast.RSPQ}[fusion["fusion"]]
    shape = {"n_subquantizers": fusion["n_subquantizers"]} if fusion["fusion"] == "pq" else {
        "n_subspaces": fusion["n_subquantizers"], "subspace_dim": fusion["subspace_dim"]}
    quantizer = kind(n_bits=fusion["n_bits"], **shape).fit(train.features)
    return (replace(train, features=quantizer.transform(train.features)),
            replace(test, features=quantizer.transform(test.features)))


def train_mmfast(
    train: Split,
    hp: Hyperparameters,
    fusion: dict[str, Any] | None = None,
    use_text: bool = True,
) -> Predictor:
    """mmfast.Classifier fit on the in-memory texts; ``fusion`` holds the
    multi-modal parameters (``fusion="pq"``, ...) and then the features are used."""

    def inputs(split: Split) -> dict[str, Any]:
        args: dict[str, Any] = {"texts": split.texts if use_text else None}
        if fusion:
            args["features"] = split.features
        return args

    model = mmfast.Classifier(
        dim=hp.dim, epochs=hp.epochs, lr=hp.lr, word_ngrams=hp.word_ngrams,
        buckets=hp.buckets, min_count=1, loss="softmax", threads=hp.threads,
        seed=hp.seed, verbose=0, **(fusion or {}),
    )
    model.fit(y=train.y, **inputs(train))
    return lambda split: model.predict(**inputs(split))


def train_fasttext(train: Split, hp: Hyperparameters) -> Predictor:
    """fastText trains from a file only: reading and tokenizing it is part of the fit."""
    model = fasttext.train_supervised(
        input=train.fasttext_path, dim=hp.dim, epoch=hp.epochs, lr=hp.lr,
        wordNgrams=hp.word_ngrams, bucket=hp.buckets, minCount=1, loss="softmax",
        thread=hp.threads, seed=hp.seed, verbose=0,
    )

    # Map fastText's label strings back to the integer labels once, not per example.
    label_ids = {label: int(label[len(FASTTEXT_LABEL_PREFIX):]) for label in model.labels}

    def predict(split: Split) -> np.ndarray:
        top_labels, _ = model.predict(split.texts)
        return np.array([label_ids[labels[0]] for labels in top_labels])

    return predict


def train_sklearn(train: Split, hp: Hyperparameters) -> Predictor:
    """Hashed unigrams..n-grams (as many hash buckets as the others) and a linear
    SGD classifier (one-vs-rest, hinge loss); the fit includes vectorizing."""
    vectorizer = HashingVectorizer(
        n_features=hp.buckets, ngram_range=(1, hp.word_ngrams), tokenizer=str.split,
        token_pattern=None, lowercase=False,
    )
    model = SGDClassifier(max_iter=hp.epochs, tol=None, n_jobs=hp.threads,
                          random_state=hp.seed)
    model.fit(vectorizer.transform(train.texts), train.y)
    return lambda split: model.predict(vectorizer.transform(split.texts))
