"""mmfast.Classifier: a fastText-class text classifier that also takes a dense
feature vector per example, fused with the text continuously (add, max,
gated, bilinear_gated) or discretized into feature tokens (pq / rspq), with a
scikit-learn interface. The work happens in the C++ core (``mmfast._core``);
this module checks arguments, maps labels to class ids, turns features into
codes for the discretized fusions and formats results."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt

from . import _core, _explain, _params, metrics
from ._estimator import Estimator, renamed
from ._params import CONTINUOUS_FUSIONS
from ._progress import ProgressLine
from ._sklearn_compat import classifier_tags, features_routing
from ._validation import (
    as_code_matrix,
    as_float_matrix,
    check_file,
    check_fitted,
    check_float,
    check_int,
    check_same_length,
    check_threads,
    is_path,
)
from .dataset_file import Dataset, is_compiled_dataset
from .quantization import RSPQ, ProductQuantizer

# A sequence of str, or the path of a fastText-format file; None: no texts.
Texts = Union[Sequence[str], str, "os.PathLike[str]", None]
# One label per example, or a sequence of labels per example (multi-label).
Labels = Union[npt.ArrayLike, Sequence[Sequence[Any]]]
# What the core predicts from: texts, dense features, feature codes (each may be None).
_Inputs = tuple[Any, Optional[np.ndarray], Optional[np.ndarray]]
_QUANTIZERS: dict[str, type[ProductQuantizer] | type[RSPQ]] = {
    "pq": ProductQuantizer, "rspq": RSPQ
}
# The methods that take `features` (scikit-learn's metadata routing names them).
_FEATURE_METHODS = ("fit", "predict", "predict_proba", "score")
_POLL_SECONDS = 0.1


class Classifier(Estimator):
    """Hashed bag of word n-grams -> averaged embeddings -> linear classifier,
    trained by lock-free multi-threaded SGD (as fastText), optionally fused
    with a dense feature vector per example.

    The Parameters section below is written from ``mmfast._params.CLASSIFIER``,
    the one table of the hyperparameters.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted; labels read from a file are str.
    multilabel_ : bool
        Whether ``y`` gave a list of labels per example; ``predict`` then
        returns a list of labels per example.
    fusion_ : str
        What the model computes: the ``fusion`` used, or "text" or "features"
        for a model of one modality.
    buckets_ : int
        Rows of the model's n-gram table: ``buckets``, or the size the
        training data gave it when ``buckets`` is None.
    quantizer_ : ProductQuantizer, RSPQ or None
        The fitted quantizer of a "pq" or "rspq" model (None when it was
        trained on codes without one).
    n_features_in_ : int
        Dimension of the feature vectors (models with features only).

    Notes
    -----
    In a scikit-learn ``Pipeline``, ``cross_val_score`` or ``GridSearchCV``,
    ``features`` travels by metadata routing: after
    ``sklearn.set_config(enable_metadata_routing=True)``, pass it as
    ``fit(texts, y, features=X)`` or ``params={"features": X}``; it is split
    with the rows and reaches ``fit``, ``predict``, ``predict_proba`` and
    ``score``, which request it.

    Examples
    --------
    >>> import mmfast
    >>> texts, X, y = mmfast.make_multimodal_classification(
    ...     n_samples=2000, n_classes=4, n_features=16, vocab_size=500, latent_dim=4)
    >>> clf = mmfast.Classifier(fusion="add", dim=16, epochs=10, lr=0.5, buckets=100_000,
    ...                         n_jobs=1, verbose=0)
    >>> clf.fit(texts[:1500], y[:1500], features=X[:1500]).predict(texts[:3], features=X[:3])
    array([...])
    >>> clf.score(texts[1500:], y[1500:], features=X[1500:]) > 0.6  # text alone: 0.45
    True
    """

    def __init__(
        self,
        dim: int = 100,
        epochs: int = 5,
        lr: float = 0.1,
        word_ngrams: int = 2,
        buckets: int | None = None,
        min_count: int = 1,
        loss: str = "softmax",
        neg: int = 5,
        threshold: float = 0.5,
        fusion: str | None = None,
        gate: str = "features",
        feature_scaling: str | None = "standard",
        feature_lr: float | None = None,
        n_subquantizers: int = 8,
        subspace_dim: int = 16,
        n_bits: int = 8,
        alpha: float = 0.5,
        quantizer: ProductQuantizer | RSPQ | None = None,
        n_jobs: int | None = None,
        random_state: int = 0,
        verbose: int = 1,
    ) -> None:
        self.dim = dim
        self.epochs = epochs
        self.lr = lr
        self.word_ngrams = word_ngrams
        self.buckets = buckets
        self.min_count = min_count
        self.loss = loss
        self.neg = neg
        self.threshold = threshold
        self.fusion = fusion
        self.gate = gate
        self.feature_scaling = feature_scaling
        self.feature_lr = feature_lr
        self.n_subquantizers = n_subquantizers
        self.subspace_dim = subspace_dim
        self.n_bits = n_bits
        self.alpha = alpha
        self.quantizer = quantizer
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- scikit-learn interoperability -----------------------------------

    _estimator_type = "classifier"

    def __sklearn_tags__(self) -> Any:
        return classifier_tags(deterministic=self.n_jobs == 1)

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "_core", None) is not None

    def __sklearn_clone__(self) -> Classifier:
        """scikit-learn's clone: unfitted, with cloned parameters, except that
        a fitted ``quantizer`` stays fitted (a copy), as fit() uses it as is."""
        from sklearn.base import clone

        params = {
            name: copy.deepcopy(value) if name == "quantizer" and _is_fitted(value)
            else clone(value, safe=False)
            for name, value in self.get_params(deep=False).items()
        }
        return type(self)(**params)

    def get_metadata_routing(self) -> Any:
        """scikit-learn metadata routing: ``fit``, ``predict``, ``predict_proba``
        and ``score`` request ``features``.

        With ``sklearn.set_config(enable_metadata_routing=True)``, a Pipeline,
        ``cross_val_score`` (``params={"features": X}``) or GridSearchCV
        (``fit(texts, y, features=X)``) splits ``features`` with the rows and
        passes it to this classifier.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRequest
        """
        return features_routing(type(self).__name__, _FEATURE_METHODS)

    # -- training --------------------------------------------------------

    def fit(
        self, texts: Texts, y: Labels | None = None, features: npt.ArrayLike | None = None
    ) -> Classifier:
        """Train the model (from scratch: a second fit forgets the first).

        Parameters
        ----------
        texts : sequence of str, path-like, Dataset or None
            The examples' texts, or the path of a fastText-format file (one
            example per line; its ``__label__`` tokens are the labels). None:
            the features alone. Also an :class:`mmfast.Dataset` or the path of
            a compiled dataset: texts, labels and features then all come from
            it (``y`` and ``features`` stay None) and training reads it in
            place, memory-mapped. Its word_ngrams, buckets and min_count must
            be this Classifier's (``buckets=None`` takes the dataset's). With
            ``n_jobs=1`` and the same ``random_state``, the model is the same,
            bit for bit, as one trained on the same examples as lists.
        y : array-like of shape (n_samples,), sequence of label lists, or None
            One label per example, or a list of labels per example
            (multi-label). Labels are all str, or all numbers (int, bool, or
            floats without a fractional part); labels read from a file are
            str. None when ``texts`` is a file path.
        features : array-like of shape (n_samples, n_features), default=None
            Each example's dense feature vector, for a model with ``fusion``
            set; for "pq"/"rspq" also the integer codes of the model's
            quantizer, of shape (n_samples, n_codes).

        Returns
        -------
        self : Classifier
            The fitted classifier. A learning rate so high that training
            diverges raises ValueError.
        """
        params = _params.validated(self)
        if isinstance(texts, Dataset) or (is_path(texts) and is_compiled_dataset(texts)):
            dataset = texts if isinstance(texts, Dataset) else Dataset(texts, params["n_jobs"])
            return self._fit_dataset(dataset, y, features, params)
        core = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        if is_path(texts):
            data = _labelled_file(texts, y)
            classes = np.asarray(data.label_names)
            offsets, ids = data.label_offsets, data.label_ids
            multilabel = bool(np.any(np.diff(offsets) != 1))
            core_texts: _core.Texts = data
        else:
            core_texts = None if texts is None else _check_texts(texts)
            if y is None:
                raise ValueError("y is None: Classifier requires y to be passed, but the target "
                                 "y is None (only a file path for texts carries its labels)")
            labels = y if isinstance(y, (Sequence, np.ndarray)) else np.asarray(y)
            if core_texts is not None:
                check_same_length("texts", core_texts, "y", labels)
            classes, offsets, ids, multilabel = _encode_labels(labels)
        if len(classes) < 2:
            raise ValueError(f"y has {len(classes)} class; a classifier needs at least 2")
        if core_texts is None and self.fusion is None:
            raise ValueError("texts is None: give texts, or features with a fusion")
        quantizer, dense, codes, codebook_size = self._fit_features(features, len(offsets) - 1)
        trainer = core.prepare_fit(core_texts, dense, codes, offsets, ids, len(classes),
                                   codebook_size)
        n_features = 0 if dense is None else dense.shape[1]
        return self._train(core, trainer, classes, multilabel, quantizer, n_features,
                           params["verbose"])

    def _fit_dataset(
        self, dataset: Dataset, y: Any, features: Any, params: dict[str, Any]
    ) -> Classifier:
        if y is not None or features is not None:
            raise ValueError("y and features must be None when training on a Dataset: "
                             "labels and features come from it")
        theirs = dataset.settings
        # buckets=None takes the dataset's, which the data sized.
        if any(getattr(self, name) not in (None, value) for name, value in theirs.items()):
            ours = ", ".join(f"{name}={getattr(self, name)}" for name in theirs)
            compiled = ", ".join(f"{name}={value}" for name, value in theirs.items())
            raise ValueError(
                f"dataset {dataset.path!r} was compiled with {compiled}, but this Classifier "
                f"has {ours}: set the dataset's (clf.set_params(**dataset.settings)) or "
                "compile it again with these"
            )
        fusion = params["fusion"]
        quantizer, codebook_size = None, 0
        if dataset.n_features:
            if fusion not in CONTINUOUS_FUSIONS:
                hint = ("call dataset.encode_features(quantizer) first to train on codes"
                        if fusion in _QUANTIZERS else "set fusion, e.g. 'add'")
                raise ValueError(f"dataset {dataset.path!r} holds float features, which "
                                 f"fusion={fusion!r} does not take: {hint}")
        elif dataset.n_codes:
            if fusion not in _QUANTIZERS:
                raise ValueError(f"dataset {dataset.path!r} holds feature codes: fusion must be "
                                 f"'pq' or 'rspq', got {fusion!r}")
            quantizer = self._dataset_quantizer(dataset, fusion)
            codebook_size = (quantizer._model.n_centroids if quantizer is not None
                             else 2 ** params["n_bits"])
            if dataset._native.max_code >= codebook_size:
                raise ValueError(f"dataset {dataset.path!r} has codes up to "
                                 f"{dataset._native.max_code}, beyond the {codebook_size} "
                                 f"values of n_bits={self.n_bits}")
        elif fusion is not None:
            raise ValueError(f"features are required with fusion={fusion!r}, and dataset "
                             f"{dataset.path!r} has none")
        core = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        trainer = core.prepare_fit_dataset(dataset._native, codebook_size)
        return self._train(core, trainer, dataset.classes_, dataset.multilabel, quantizer,
                           dataset.n_features, params["verbose"])

    def _dataset_quantizer(self, dataset: Dataset, fusion: str) -> Any:
        """The quantizer of a dataset's codes: the one it stores, else the fitted
        ``quantizer`` parameter, else None (predict then needs codes)."""
        native = dataset.quantizer
        if native is None:
            given = self.quantizer is not None and getattr(self.quantizer, "_model", None)
            return self._quantizer(fusion) if given else None
        expected = _core.ProductQuantizer if fusion == "pq" else _core.RandomSampleProductQuantizer
        if not isinstance(native, expected):
            raise ValueError(f"dataset {dataset.path!r} has codes of a "
                             f"{type(native).__name__}, which fusion={fusion!r} does not use")
        return _QUANTIZERS[fusion]._from_native(native)

    def _train(self, core: Any, trainer: Any, classes: np.ndarray, multilabel: bool,
               quantizer: Any, n_features: int, verbose: int) -> Classifier:
        """Runs the trainer, then keeps what was learned."""
        _run(trainer, verbose)
        self.__dict__.pop("n_features_in_", None)
        if quantizer is not None:
            core.set_quantizer(quantizer._model)
            self.n_features_in_ = quantizer.n_features_in_
        elif n_features:
            self.n_features_in_ = n_features
        self._core = core
        self.classes_ = classes
        self.multilabel_ = multilabel
        self.quantizer_ = quantizer
        self.fusion_ = _trained_fusion(core, self.fusion)
        self.buckets_ = core.buckets
        return self

    def _fit_features(
        self, features: Any, n_examples: int
    ) -> tuple[Any, np.ndarray | None, np.ndarray | None, int]:
        """The fitted quantizer (pq/rspq; None when trained on given codes without
        one), the dense training features (continuous fusions) or codes
        (pq/rspq), and the codes' range."""
        fusion = _params.checked(self, "fusion")
        if fusion is None:
            if features is not None:
                raise ValueError(
                    "features: given, but fusion=None; set fusion (e.g. 'add' or 'pq') to use them"
                )
            return None, None, None, 0
        if features is None:
            raise ValueError(f"features are required with fusion={fusion!r}")
        if fusion in CONTINUOUS_FUSIONS:
            dense = as_float_matrix("features", features)
            _check_rows(dense, n_examples)
            return None, dense, None, 0
        quantizer = self._quantizer(fusion)
        codebook_size = 2 ** check_int("n_bits", quantizer.n_bits, 1, 16)
        fitted = _is_fitted(quantizer)
        if _is_codes(features):
            n_codes = quantizer._model.n_codes if fitted else np.shape(features)[-1]
            codes = as_code_matrix("features", features, n_codes, codebook_size)
            _check_rows(codes, n_examples)
            return (quantizer if fitted else None), None, codes, codebook_size
        X = as_float_matrix("features", features)
        if not fitted:
            quantizer._fit(X, "features")
        codes = quantizer._transform(X, "features")
        _check_rows(codes, n_examples)
        return quantizer, None, codes, codebook_size

    def _quantizer(self, fusion: str) -> ProductQuantizer | RSPQ:
        """The `quantizer` parameter when fitted, else a new unfitted one (a copy
        of the parameter's settings, which fit() leaves untouched)."""
        kind = _QUANTIZERS[fusion]
        if self.quantizer is not None:
            if not isinstance(self.quantizer, kind):
                raise TypeError(
                    f"quantizer: fusion={fusion!r} needs a {kind.__name__}, "
                    f"got {type(self.quantizer).__name__}"
                )
            if _is_fitted(self.quantizer):
                return self.quantizer
            return kind(**self.quantizer.get_params(deep=False))
        shape = {"n_subquantizers": self.n_subquantizers} if fusion == "pq" else {
            "n_subspaces": self.n_subquantizers, "subspace_dim": self.subspace_dim
        }
        return kind(n_bits=self.n_bits, random_state=self.random_state, n_jobs=self.n_jobs, **shape)

    # -- prediction ------------------------------------------------------

    def predict(
        self, texts: Texts, features: npt.ArrayLike | None = None
    ) -> np.ndarray | list[list[Any]]:
        """The most probable label of each example.

        Parameters
        ----------
        texts : sequence of str, path-like or None
            The examples' texts, or the path of a fastText-format file (one
            example per line; its ``__label__`` tokens are the labels). None:
            the features alone.
        features : array-like of shape (n_samples, n_features), default=None
            Each example's dense feature vector, for a model with ``fusion``
            set; for "pq"/"rspq" also the integer codes of the model's
            quantizer, of shape (n_samples, n_codes).

        Returns
        -------
        labels : ndarray of shape (n_samples,), or list of lists
            Labels from ``classes_``, one per example (with a file path, one
            per line of the file, blank lines included). A model trained on
            multi-label data gives
            a list of labels per example instead: those with probability >=
            ``threshold``, at least the top one, in ``classes_`` order (this
            computes every class's probability; with very many classes, use
            ``predict_top``).
        """
        inputs = self._inputs(texts, features)
        if self.multilabel_:
            return [self.classes_[row].tolist() for row in self._chosen(inputs)]
        return self.classes_[self._top_ids(inputs, 1)[:, 0]]

    def predict_proba(self, texts: Texts, features: npt.ArrayLike | None = None) -> np.ndarray:
        """Each class's probability for each example.

        Parameters
        ----------
        texts : sequence of str, path-like or None
            The examples' texts, or the path of a fastText-format file (one
            example per line; its ``__label__`` tokens are the labels). None:
            the features alone.
        features : array-like of shape (n_samples, n_features), default=None
            Each example's dense feature vector, for a model with ``fusion``
            set; for "pq"/"rspq" also the integer codes of the model's
            quantizer, of shape (n_samples, n_codes).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Columns in ``classes_`` order: a distribution for softmax and hs,
            independent sigmoids for ns and ova.
        """
        return self._fitted_core().predict_proba(
            *self._inputs(texts, features), self._threads()
        )

    def predict_top(
        self,
        texts: Texts,
        features: npt.ArrayLike | None = None,
        k: int = 1,
        threshold: float = 0.0,
    ) -> tuple[list[list[Any]], list[np.ndarray]]:
        """fastText-style prediction: the most probable labels of each example.

        Parameters
        ----------
        texts : sequence of str, path-like or None
            The examples' texts, or the path of a fastText-format file (one
            example per line; its ``__label__`` tokens are the labels). None:
            the features alone.
        features : array-like of shape (n_samples, n_features), default=None
            Each example's dense feature vector, for a model with ``fusion``
            set; for "pq"/"rspq" also the integer codes of the model's
            quantizer, of shape (n_samples, n_codes).
        k : int, default=1
            Labels per example, at most (beyond the number of classes: all).
        threshold : float, default=0.0
            Only labels with at least this probability.

        Returns
        -------
        labels : list of lists
            Up to ``k`` labels per example, best first (with a file path, one
            row per line of the file, blank lines included).
        probabilities : list of ndarray, float32
            Their probabilities.
        """
        k = min(check_int("k", k, 1), len(self._fitted_classes()))
        threshold = check_float("threshold", threshold, 0.0, inclusive=True)
        ids, probs = self._fitted_core().predict_top(
            *self._inputs(texts, features), k, threshold, self._threads()
        )
        kept = ids >= 0
        labels = [self.classes_[row[mask]].tolist() for row, mask in zip(ids, kept)]
        return labels, [row[mask] for row, mask in zip(probs, kept)]

    def score(
        self, texts: Texts, y: Labels | None = None, features: npt.ArrayLike | None = None
    ) -> float:
        """Precision at 1: the share of examples whose most probable label is
        one of theirs (the accuracy, for single-label data).

        Parameters
        ----------
        texts : sequence of str, path-like or None
            The examples' texts, or the path of a fastText-format file (one
            example per line; its ``__label__`` tokens are the labels). None:
            the features alone.
        y : array-like of shape (n_samples,), sequence of label lists, or None
            One label per example (str or numbers), or a list of labels per
            example (multi-label). None when ``texts`` is a file path.
        features : array-like of shape (n_samples, n_features), default=None
            Each example's dense feature vector, for a model with ``fusion``
            set; for "pq"/"rspq" also the integer codes of the model's
            quantizer, of shape (n_samples, n_codes).

        Returns
        -------
        score : float
            In [0, 1]. ``y`` must share at least one label with ``classes_``
            (a model fitted on a file has str classes).
        """
        return self.evaluate(texts, y, features, k=1)["precision@k"]

    def evaluate(
        self,
        texts: Texts,
        y: Labels | None = None,
        features: npt.ArrayLike | None = None,
        k: int = 1,
    ) -> dict[str, float]:
        """Metrics of the model on labelled examples (see ``mmfast.metrics``).

        Parameters
        ----------
        texts : sequence of str, path-like or None
            The examples' texts, or the path of a fastText-format file (one
            example per line; its ``__label__`` tokens are the labels). None:
            the features alone.
        y : array-like of shape (n_samples,), sequence of label lists, or None
            One label per example (str or numbers), or a list of labels per
            example (multi-label). None when ``texts`` is a file path, whose
            labels are str.
        features : array-like of shape (n_samples, n_features), default=None
            Each example's dense feature vector, for a model with ``fusion``
            set; for "pq"/"rspq" also the integer codes of the model's
            quantizer, of shape (n_samples, n_codes).
        k : int, default=1
            Predictions per example for precision@k and recall@k.

        Returns
        -------
        metrics : dict
            ``"accuracy"`` (exact match of the predicted label set),
            ``"f1_micro"`` and ``"f1_macro"`` of what ``predict`` returns,
            fastText's ``"precision@k"`` and ``"recall@k"`` over the ``k``
            most probable labels of each example (fewer when the model has
            fewer classes), ``"k"`` and ``"n_examples"``.
        """
        k = check_int("k", k, 1)
        if is_path(texts):
            data = _labelled_file(texts, y)
            names = np.asarray(data.label_names)
            rows = np.repeat(np.arange(len(data)), np.diff(data.label_offsets))
            truth = metrics.LabelSets(rows, names[data.label_ids], len(data))
            texts = data
        elif y is None:
            raise ValueError("y is required when texts is not a file path")
        else:
            truth = metrics.LabelSets.of("y", y)
        inputs = self._inputs(texts, features)
        n = truth.n_examples
        n_inputs = len(next(part for part in inputs if part is not None))
        if n_inputs != n:
            raise ValueError(f"y has {n} examples but there are {n_inputs} inputs")
        _check_shares_a_class(truth.labels, self.classes_)
        ranked_ids = self._top_ids(inputs, min(k, len(self.classes_)))
        ranked = metrics.LabelSets(np.repeat(np.arange(n), ranked_ids.shape[1]),
                                   self.classes_[ranked_ids.ravel()], n)
        if self.multilabel_:
            rows, ids = np.nonzero(self._chosen(inputs))
            predicted = metrics.LabelSets(rows, self.classes_[ids], n)
        else:
            predicted = metrics.LabelSets(np.arange(n), self.classes_[ranked_ids[:, 0]], n)
        return {**metrics.summary(truth, predicted, ranked, k), "k": k, "n_examples": n}

    def explain(
        self, text: str | None, features: npt.ArrayLike | None = None, label: Any = None
    ) -> _explain.Explanation:
        """Why the model scores a class as it does for one example.

        The split is exact for text-only, add, pq and rspq models, whose hidden
        vector is a weighted sum of rows. For the other fusions it is exact
        given what the example decided: max credits each hidden coordinate to
        the modality that won it; gated credits the gated modality's rows
        scaled by the gate (the gating modality gets no entry);
        bilinear_gated credits the text rows, read through the class's
        weights times the feature gate (the features get no entry). The
        list's ``meaning`` says which applies. In a notebook the result
        renders as the text shaded by contribution.

        Parameters
        ----------
        text : str or None
            The example's text (None for a features-only model).
        features : array-like of shape (n_features,) or (n_codes,), default=None
            The example's feature vector (or codes), for a model with features.
        label : label or None, default=None
            The class to explain; None: the most probable one.

        Returns
        -------
        explanation : Explanation
            ``[(token, contribution), ...]`` over the text's words and word
            n-grams (in the order the model reads them; a word out of the
            vocabulary counts only through its n-grams), then the feature
            tokens (``FeatureToken(subquantizer, centroid)``, pq/rspq) or one
            ``"<features>"`` entry for the continuous feature part. The
            contributions add up to its ``score``: the class's logit before the
            softmax (softmax), its own logit (ns, ova: sigmoid(score) is
            ``predict_proba``), or with hs the signed sum of the logits of the
            decisions on the class's tree path (+ to the right, whose
            probability is sigmoid(logit)).
        """
        return _explain.explain(self, text, features, label)

    def top_feature_tokens(self, label: Any, n: int = 10) -> list[_explain.FeatureTokenScore]:
        """The feature tokens (pq/rspq) that most favour a class.

        Parameters
        ----------
        label : label
            A class of ``classes_``.
        n : int, default=10
            How many tokens.

        Returns
        -------
        tokens : list of FeatureTokenScore
            Best first: what each adds to the class's score when an example
            has it (alpha / n_subquantizers times its row's score, as in
            ``explain``), with the quantizer's centroid it stands for
            (``center``, the values of feature dimensions ``dims``). The
            training examples that have token (m, c) are those with
            ``quantizer_.transform(X)[:, m] == c``.
        """
        return _explain.top_feature_tokens(self, label, n)

    def _top_ids(self, inputs: _Inputs, k: int) -> np.ndarray:
        """(n, k) class ids, most probable first."""
        ids, _ = self._fitted_core().predict_top(*inputs, k, 0.0, self._threads())
        unscored = np.flatnonzero(ids[:, 0] < 0)
        if len(unscored):
            raise ValueError(
                f"the model's probabilities are NaN for {len(unscored)} examples (the first is "
                f"example {unscored[0]}): its weights are damaged"
            )
        return ids

    def _chosen(self, inputs: _Inputs) -> np.ndarray:
        """(n, n_classes) bool: the labels ``predict`` gives a multi-label model."""
        threshold = _params.checked(self, "threshold")
        proba = self._fitted_core().predict_proba(*inputs, self._threads())
        chosen = proba >= threshold
        chosen[np.arange(len(proba)), proba.argmax(axis=1)] = True
        return chosen

    def _fitted_core(self) -> Any:
        check_fitted(self, "_core")
        return self._core

    def _fitted_classes(self) -> np.ndarray:
        self._fitted_core()
        return self.classes_

    def _threads(self) -> int:
        return check_threads(self.n_jobs)

    def _inputs(self, texts: Texts, features: Any) -> _Inputs:
        """What the core predicts from: texts, dense features and codes (each
        None when the model does not take it)."""
        core = self._fitted_core()
        if isinstance(texts, Dataset):
            raise TypeError("texts: predicting from a compiled Dataset is not supported; pass "
                            "the texts (a list or a fastText-format file) and features")
        core_texts: _core.Texts
        if isinstance(texts, _core.LabeledTexts):
            core_texts = texts
        elif is_path(texts):
            core_texts = _core.read_fasttext_file(check_file("texts", texts), keep_unlabeled=True)
        else:
            core_texts = None if texts is None else _check_texts(texts, allow_empty=True)
        if core.fusion == "features" and core_texts is not None:
            raise ValueError("texts: this model was trained on features only; pass texts=None")
        if core.fusion == "text" and core_texts is None:
            raise ValueError("texts is None, and this model was trained on texts only")
        if core.n_codes == 0 and core.n_features == 0:
            if features is not None:
                raise ValueError("features: this model was trained without features")
            return core_texts, None, None
        if features is None:
            raise ValueError(
                f"features are required: this model was trained with fusion={self.fusion!r}"
            )
        dense, codes = None, None
        if core.n_features > 0:
            dense = as_float_matrix("features", features, core.n_features, self)
        elif _is_codes(features):
            codes = as_code_matrix("features", features, core.n_codes, core.codebook_size)
        elif self.quantizer_ is None:
            raise ValueError("features: this model was trained on codes without a quantizer, "
                             "so it needs codes, not float features")
        else:
            codes = self.quantizer_._transform(features, "features")
        matrix = dense if dense is not None else codes
        rows = 0 if matrix is None else len(matrix)
        if core_texts is not None and len(core_texts) != rows:
            raise ValueError(f"features has {rows} rows but there are {len(core_texts)} texts")
        return core_texts, dense, codes

    # -- persistence -----------------------------------------------------

    def _metadata(self) -> bytes:
        return json.dumps({
            "params": {**self.get_params(deep=False), "quantizer": None},
            "classes": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str,
            "multilabel": self.multilabel_,
        }).encode()

    @classmethod
    def _from_core(cls, core: Any, metadata: bytes) -> Classifier:
        try:
            meta = json.loads(metadata)
            clf = cls(**renamed(meta["params"]))
            clf.classes_ = np.asarray(meta["classes"], dtype=np.dtype(meta["classes_dtype"]))
            clf.multilabel_ = bool(meta["multilabel"])
            clf.fusion_ = _trained_fusion(core, meta["params"]["fusion"])
            clf.buckets_ = core.buckets
            native = core.quantizer
            fusion = meta["params"]["fusion"]
            clf.quantizer_ = None if native is None else _QUANTIZERS[fusion]._from_native(native)
            if clf.quantizer_ is not None:
                clf.n_features_in_ = clf.quantizer_.n_features_in_
            elif core.n_features > 0:
                clf.n_features_in_ = core.n_features
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"corrupt mmfast model: unreadable metadata ({e})") from None
        if len(clf.classes_) != core.n_classes:
            raise ValueError("corrupt mmfast model: class names do not match the model")
        clf._core = core
        return clf

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to a file (versioned and checksummed).

        The file is written under a temporary name and renamed, so a failed
        save leaves any previous file intact. A path the system refuses raises
        the matching OSError (FileNotFoundError, IsADirectoryError,
        PermissionError, ...) naming ``path``.

        Parameters
        ----------
        path : str or path-like
            The file to write; ``mmfast.load`` reads it.
        """
        self._fitted_core().save(os.fspath(path), self._metadata())

    def __getstate__(self) -> dict[str, Any]:
        state = self.get_params(deep=False)
        if getattr(self, "_core", None) is not None:
            state["_model"] = self._core.to_bytes(self._metadata())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = renamed(state)
        model = state.pop("_model", None)
        if model is not None:
            fitted = self._from_core(*_core.Classifier.from_bytes(model))
            self.__dict__.update(fitted.__dict__)
        self.set_params(**state)


Classifier.__doc__ = _params.document(Classifier.__doc__ or "")


def load(path: str | os.PathLike[str]) -> Classifier:
    """Read a model written by ``Classifier.save``.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    classifier : Classifier
        The fitted classifier. A truncated, corrupt or foreign file raises
        ValueError.
    """
    return Classifier._from_core(*_core.Classifier.load(os.fspath(path)))


def _run(trainer: Any, verbose: int) -> None:
    """Runs the C++ workers while this thread polls progress; Ctrl-C stops them."""
    line = ProgressLine() if verbose else None
    trainer.start()
    try:
        while not trainer.wait(_POLL_SECONDS):
            if line:
                line.update(trainer.progress())
    except BaseException:
        trainer.request_stop()
        trainer.join()
        raise
    trainer.join()
    if line:
        line.update(trainer.progress())
        line.close()


def _labelled_file(path: str | os.PathLike[str], y: Any) -> Any:
    """The labelled lines of a fastText-format file."""
    path = check_file("texts", path)
    if y is not None:
        raise ValueError("y must be None when texts is a file path: labels come from the file")
    data = _core.read_fasttext_file(path, keep_unlabeled=False)
    if len(data) == 0:
        raise ValueError(
            f"texts: file {path!r} has no labelled lines (labels are tokens that start "
            "with __label__)"
        )
    return data


def _check_texts(texts: Any, allow_empty: bool = False) -> Sequence[str]:
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("texts must be a sequence of str or a file path, got bytes")
    if not isinstance(texts, Sequence) and not isinstance(texts, np.ndarray):
        texts = list(texts)
    if len(texts) == 0 and not allow_empty:
        raise ValueError("texts: no examples (got an empty sequence)")
    return texts


def _trained_fusion(core: Any, fusion: str | None) -> str:
    """What the fitted core computes: "text", "features" (one modality), or the
    fusion parameter's name."""
    return core.fusion if core.fusion in ("text", "features") else str(fusion)


def _check_rows(features: np.ndarray, n_examples: int) -> None:
    if len(features) != n_examples:
        raise ValueError(
            f"features has {len(features)} rows but there are {n_examples} examples"
        )


def _is_fitted(quantizer: Any) -> bool:
    return getattr(quantizer, "_model", None) is not None


def _is_codes(features: Any) -> bool:
    """Integer features are codes from a quantizer; anything else is floats."""
    return np.issubdtype(np.asarray(features).dtype, np.integer)


_LABEL_LISTS = (list, tuple, set, frozenset, np.ndarray)


def _is_multilabel(y: Sequence[Any] | np.ndarray) -> bool:
    """Whether ``y`` holds a list of labels per text (as its first element
    does); ValueError when it mixes lists and single labels."""
    if len(y) == 0 or not isinstance(y[0], _LABEL_LISTS):
        return False
    _check_not_mixed(y)
    return True


def _check_not_mixed(y: Sequence[Any] | np.ndarray) -> None:
    lists = [isinstance(labels, _LABEL_LISTS) for labels in y]
    if any(lists) and not all(lists):
        first_list, first_label = lists.index(True), lists.index(False)
        raise ValueError(
            "y must hold one label per text, or one list of labels per text, not a mix: "
            f"y[{first_list}] is of type {type(y[first_list]).__name__}, "
            f"y[{first_label}] of type {type(y[first_label]).__name__}"
        )


def _label_array(labels: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Labels as a 1-D array of one kind, str or numbers (int, float, bool), so
    that they survive save/pickle and compare as given."""
    try:
        values = np.asarray(labels)
        items = labels
        if values.dtype == object:  # e.g. pandas' object columns: typed by their items
            items = values.tolist()
            values = np.asarray(items)
    except ValueError:  # numpy's "inhomogeneous shape": lists among the labels
        _check_not_mixed(labels)
        raise
    if values.ndim != 1:
        _check_not_mixed(labels)
        raise ValueError("y must hold one label per text, or one list of labels per text")
    # numpy turns [1, "a"] into strings: refuse the mix instead.
    if values.dtype.kind == "U" and not isinstance(items, np.ndarray):
        if not all(isinstance(label, str) for label in items):
            kinds = sorted({type(label).__name__ for label in items})
            raise TypeError(
                f"y: labels must be all str or all numbers, got a mix of {', '.join(kinds)}"
            )
    if values.dtype.kind == "c":  # ValueError with this message, as scikit-learn's
        raise ValueError("y: Complex data not supported; labels are str, int, float or bool")
    if values.dtype.kind not in "Uiufb":
        _check_not_mixed(labels)
        if values.dtype.kind == "S":
            got = "bytes (decode them to str)"
        elif values.dtype == object:
            got = ", ".join(sorted({type(label).__name__ for label in labels}))
        else:
            got = str(values.dtype)
        raise TypeError(f"y: Unknown label type: labels must be str, int, float or bool, "
                        f"got {got}")
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise ValueError("y contains NaN or infinity")
    if values.dtype.kind == "f" and not np.array_equal(values, np.round(values)):
        raise ValueError("y: Unknown label type: continuous (floats with a fractional part); "
                         "a classifier's labels are classes: str, int, or integral floats")
    return values


def _encode_labels(
    y: Sequence[Any] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """classes (sorted), then per-example class ids as (offsets, ids), and
    whether the data is multi-label."""
    multilabel = _is_multilabel(y)
    flat: Sequence[Any] | np.ndarray = y
    if multilabel:
        lengths = np.fromiter((len(labels) for labels in y), dtype=np.int64, count=len(y))
        flat = [label for labels in y for label in labels]
    else:
        lengths = np.ones(len(y), dtype=np.int64)
    classes, ids = np.unique(_label_array(flat), return_inverse=True)
    offsets = np.zeros(len(y) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return classes, offsets, ids.astype(np.int32).ravel(), multilabel


def _check_shares_a_class(labels: np.ndarray, classes: np.ndarray) -> None:
    """ValueError unless one of the true ``labels`` of y is one of ``classes``:
    comparing with labels of another type (1 against "1") would score 0
    silently."""
    known = set(classes.tolist())
    if len(labels) and not any(_hashable(label) in known for label in labels):
        shown = ", ".join(repr(c) for c in classes[:5].tolist())
        more = ", ..." if len(classes) > 5 else ""
        raise ValueError(
            f"y shares no label with the model's classes_ ({shown}{more}); "
            f"the model's labels are {type(classes[:1].tolist()[0]).__name__} (labels read "
            "from a file are str)"
        )


def _hashable(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label
