"""The models that benchmarks/speed.py compares, behind one interface.

A trainer takes the training split and the shared hyperparameters, fits a
model (everything it needs to do so is timed) and returns it as a ``Model``:
it predicts labels for a split and saves itself (the file's size is the
model's size). mmfast is required; the other peers are optional: ``PEERS``
says which are installed, so the benchmark skips the rest. A peer is imported
by the rows that use it only (importing scikit-learn takes seconds, and every
row runs in a fresh process).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import pickle
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType, SimpleNamespace
from typing import Any, Protocol

import numpy as np

import mmfast

FASTTEXT_LABEL_PREFIX = "__label__"

# Peer name -> its import name and distributions (the first installed gives the version).
_OPTIONAL = {"fastText": ("fasttext", ("fasttext-numpy2", "fasttext")),
             "scikit-learn": ("sklearn", ("scikit-learn",))}
# Peer name -> whether it is installed.
PEERS = {"mmfast": True, **{name: importlib.util.find_spec(module) is not None
                            for name, (module, _) in _OPTIONAL.items()}}


@dataclass(frozen=True)
class Split:
    """The same examples in every form a model may want them; a row loads only
    the forms it uses (None for the others)."""

    y: np.ndarray
    texts: list[str] | None
    features: np.ndarray | None  # (n, d) float32, or integer codes
    fasttext_path: str | None  # the examples in fastText's file format, for fastText's trainer

    def head(self, n: int) -> Split:
        """The first ``n`` examples (no file holds just those: fasttext_path is dropped)."""
        return Split(self.y[:n], None if self.texts is None else self.texts[:n],
                     None if self.features is None else self.features[:n], None)


@dataclass(frozen=True)
class Hyperparameters:
    """Settings shared by every model (fastText's supervised defaults, bigrams)."""

    dim: int
    epochs: int = 5
    lr: float = 0.1
    word_ngrams: int = 2
    # Rows of the hashed n-gram table. mmfast sizes it by the training data
    # (its default, buckets=None); speed.py sets this to the size that gives
    # for each table's training set, so that the peers get the same.
    buckets: int = 2_000_000
    loss: str = "softmax"  # or "hs" (hierarchical softmax), as fastText names them
    threads: int = 2
    seed: int = 0


class Model(Protocol):
    def predict(self, split: Split) -> np.ndarray: ...

    def save(self, path: str) -> None: ...


Trainer = Callable[[Split, Hyperparameters], Model]


def _fasttext() -> ModuleType:
    import fasttext

    return fasttext


def _sklearn() -> SimpleNamespace:
    """The scikit-learn classes the benchmark uses."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return SimpleNamespace(HashingVectorizer=HashingVectorizer, SGDClassifier=SGDClassifier,
                           make_pipeline=make_pipeline, StandardScaler=StandardScaler)


# The modules the importers above load: speed.py's row processes are forked
# from one that imported them once (a missing one is skipped there).
PEER_MODULES = ("fasttext", "sklearn.feature_extraction.text", "sklearn.linear_model",
                "sklearn.pipeline", "sklearn.preprocessing")

_IMPORTERS: dict[str, Callable[[], Any]] = {
    "mmfast": lambda: mmfast, "fastText": _fasttext, "scikit-learn": _sklearn}


def import_peer(name: str) -> None:
    """Imports what the peer's trainers use, so that a timed fit does not."""
    _IMPORTERS[name]()


def peer_versions() -> dict[str, str]:
    """Version of each importable peer."""
    versions = {"mmfast": mmfast.__version__}
    for name, (_, distributions) in _OPTIONAL.items():
        if PEERS[name]:
            versions[name] = _distribution_version(*distributions)
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


@dataclass(frozen=True)
class MmfastModel:
    classifier: mmfast.Classifier
    use_text: bool
    use_features: bool

    def _inputs(self, split: Split) -> dict[str, Any]:
        return {"texts": split.texts if self.use_text else None,
                **({"features": split.features} if self.use_features else {})}

    def predict(self, split: Split) -> np.ndarray:
        return self.classifier.predict(**self._inputs(split))

    def predict_proba(self, split: Split) -> np.ndarray:
        """Columns in the order of the sorted training labels."""
        return self.classifier.predict_proba(**self._inputs(split))

    def save(self, path: str) -> None:
        self.classifier.save(path)


def train_mmfast(
    train: Split,
    hp: Hyperparameters,
    fusion: dict[str, Any] | None = None,
    use_text: bool = True,
) -> MmfastModel:
    """mmfast.Classifier fit on the in-memory texts; ``fusion`` holds the
    multi-modal parameters (``{"fusion": "add"}``, ...) and then the features
    are used; without ``use_text`` the model sees the features alone. The
    n-gram table is mmfast's default, sized by the data (which is how
    ``hp.buckets`` was chosen)."""
    classifier = mmfast.Classifier(
        dim=hp.dim, epochs=hp.epochs, lr=hp.lr, word_ngrams=hp.word_ngrams,
        buckets=None, min_count=1, loss=hp.loss, n_jobs=hp.threads,
        random_state=hp.seed, verbose=0, **(fusion or {}),
    )
    model = MmfastModel(classifier, use_text, use_features=fusion is not None)
    classifier.fit(y=train.y, **model._inputs(train))
    return model


@dataclass(frozen=True)
class FastTextModel:
    model: Any
    labels: dict[str, Any]  # fastText's label string -> the label in y

    def predict(self, split: Split) -> np.ndarray:
        top_labels, _ = self.model.predict(split.texts)
        return np.array([self.labels[labels[0]] for labels in top_labels])

    def save(self, path: str) -> None:
        self.model.save_model(path)


def train_fasttext(train: Split, hp: Hyperparameters) -> FastTextModel:
    """fastText trains from a file only: reading and tokenizing it is part of the fit."""
    model = _fasttext().train_supervised(
        input=train.fasttext_path, dim=hp.dim, epoch=hp.epochs, lr=hp.lr,
        wordNgrams=hp.word_ngrams, bucket=hp.buckets, minCount=1, loss=hp.loss,
        thread=hp.threads, seed=hp.seed, verbose=0,
    )
    # The file holds each label as str(label): map fastText's strings back once.
    labels = {FASTTEXT_LABEL_PREFIX + str(label): label for label in np.unique(train.y)}
    return FastTextModel(model, labels)


@dataclass(frozen=True)
class SklearnModel:
    pipeline: Any  # a fitted sklearn.pipeline.Pipeline
    use_text: bool  # the pipeline's input: texts, else features

    def predict(self, split: Split) -> np.ndarray:
        return self.pipeline.predict(split.texts if self.use_text else split.features)

    def save(self, path: str) -> None:
        with open(path, "wb") as file:
            pickle.dump(self.pipeline, file, protocol=pickle.HIGHEST_PROTOCOL)


def _sgd_after(step: Any, hp: Hyperparameters) -> Any:
    """``step``, then a linear SVM (hinge loss, one-vs-rest) trained by SGD in
    ``hp.epochs`` passes with scikit-learn's default learning-rate schedule."""
    sklearn = _sklearn()
    return sklearn.make_pipeline(step, sklearn.SGDClassifier(
        max_iter=hp.epochs, tol=None, n_jobs=hp.threads, random_state=hp.seed))


def train_sklearn_text(train: Split, hp: Hyperparameters) -> SklearnModel:
    """Hashed unigrams..n-grams (as many hash buckets as the others) and a linear
    SGD classifier; the fit includes vectorizing."""
    vectorizer = _sklearn().HashingVectorizer(
        n_features=hp.buckets, ngram_range=(1, hp.word_ngrams), tokenizer=str.split,
        token_pattern=None, lowercase=False,
    )
    return SklearnModel(_sgd_after(vectorizer, hp).fit(train.texts, train.y), use_text=True)


def train_sklearn_features(train: Split, hp: Hyperparameters) -> SklearnModel:
    """Each feature dimension standardized, then a linear SGD classifier; the fit
    includes fitting the scaler."""
    pipeline = _sgd_after(_sklearn().StandardScaler(), hp).fit(train.features, train.y)
    return SklearnModel(pipeline, use_text=False)
