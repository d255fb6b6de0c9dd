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
from typing import IO, Any, Optional, Union

import numpy as np
import numpy.typing as npt

from . import _core, _explain, _jobs, _params, metrics
from ._estimator import Estimator, renamed
from ._features import (
    dataset_features,
    is_fitted,
    native_quantizer,
    prediction_features,
    quantizer_from_native,
    training_features,
)
from ._inputs import Compiled, Source, document_inputs, resolve
from ._labels import check_shares_a_class
from ._progress import ProgressLine
from ._sklearn_compat import classifier_tags, features_routing
from ._validation import (
    check_fitted,
    check_float,
    check_int,
    check_threads,
)
from .dataset_file import Dataset
from .quantization import RSPQ, ProductQuantizer

# A sequence of str; a fastText-format file (a path or a stream) or a compiled
# dataset (a path or a Dataset); inputs _inputs.resolve resolved; None: no texts.
Texts = Union[Sequence[str], str, "os.PathLike[str]", IO[Any], Dataset, Source, None]
# One label per example, or a sequence of labels per example (multi-label).
Labels = Union[npt.ArrayLike, Sequence[Sequence[Any]]]
# What the core predicts from: texts, dense features, feature codes (each may be None).
_Inputs = tuple[Any, Optional[np.ndarray], Optional[np.ndarray]]
# k-means iterations per codebook of Classifier.compress. fastText.zip runs 25;
# on pieces of dsub=2 dimensions k-means settles sooner, and 25 made
# compression take 2-3 times the training time of speed.py's quick text model.
_COMPRESS_ITERATIONS = 8
# The methods that take `features` (scikit-learn's metadata routing names them).
_FEATURE_METHODS = ("fit", "predict", "predict_proba", "score")


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
        return getattr(self, "_native", None) is not None

    def __sklearn_clone__(self) -> Classifier:
        """scikit-learn's clone: unfitted, with cloned parameters, except that
        a fitted ``quantizer`` stays fitted (a copy), as fit() uses it as is."""
        from sklearn.base import clone

        params = {
            name: copy.deepcopy(value) if name == "quantizer" and is_fitted(value)
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

        A compiled dataset is trained on in place, memory-mapped; with
        ``n_jobs=1`` and the same ``random_state``, the model is the same, bit
        for bit, as one trained on the same examples as lists.

        Parameters
        ----------
        {texts}
        {y}
        {features}

        Returns
        -------
        self : Classifier
            The fitted classifier. A learning rate so high that training
            diverges raises :class:`mmfast.TrainingDivergedError` (a
            ValueError).
        """
        params = _params.validated(self)
        source = resolve(texts, y, features, labelled=True)
        if isinstance(source, Compiled):
            return self._fit_dataset(source, params)
        core_texts = source.core_texts
        if len(source) == 0:
            raise ValueError("texts: no examples (got an empty sequence)")
        classes, offsets, ids, multilabel = source.encoded_labels()
        if len(classes) < 2:
            raise ValueError(f"y has {len(classes)} class; a classifier needs at least 2")
        if core_texts is None and self.fusion is None:
            raise ValueError("texts is None: give texts, or features with a fusion")
        quantizer, dense, codes, codebook_size = training_features(params, source.features)
        core = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        trainer = _jobs.run(core.prepare_fit(core_texts, dense, codes, offsets, ids, len(classes),
                                             codebook_size))
        n_features = 0 if dense is None else dense.shape[1]
        return self._train(core, trainer, classes, multilabel, quantizer, n_features,
                           params["verbose"])

    def _fit_dataset(self, source: Compiled, params: dict[str, Any]) -> Classifier:
        dataset = source.dataset
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
        quantizer, codebook_size = dataset_features(params, dataset)
        core = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        trainer = _jobs.run(core.prepare_fit_dataset(source.core_texts, codebook_size))
        return self._train(core, trainer, dataset.classes_, dataset.multilabel, quantizer,
                           dataset.n_features, params["verbose"])

    def _train(self, core: Any, trainer: Any, classes: np.ndarray, multilabel: bool,
               quantizer: Any, n_features: int, verbose: int) -> Classifier:
        """Runs the trainer, then keeps what was learned."""
        _jobs.run(trainer.train(), ProgressLine() if verbose else None)
        self.__dict__.pop("n_features_in_", None)
        if quantizer is not None:
            core.set_quantizer(native_quantizer(quantizer))
            self.n_features_in_ = quantizer.n_features_in_
        elif n_features:
            self.n_features_in_ = n_features
        self._native = core
        self.classes_ = classes
        self.multilabel_ = multilabel
        self.quantizer_ = quantizer
        self.fusion_ = _trained_fusion(core, self.fusion)
        self.buckets_ = core.buckets
        return self

    # -- compression -----------------------------------------------------

    def compress(
        self,
        texts: Texts = None,
        y: Labels | None = None,
        features: npt.ArrayLike | None = None,
        *,
        n_rows: int | None = None,
        dsub: int = 2,
        qnorm: bool = True,
        qout: bool = False,
        cover: bool = True,
        retrain_epochs: int = 1,
    ) -> Classifier:
        """A smaller copy of this fitted model (fastText.zip, Joulin et al. 2016).

        The text table keeps at most ``n_rows`` rows: with the training
        examples and ``cover``, first each example's row of largest norm (so
        that every training example keeps a token, the paper's max-cover),
        then the rows of largest norm. Each kept row, and each feature-token
        row of a pq/rspq model, is product-quantized: ``dsub`` dimensions per
        one-byte code, and with ``qnorm`` its norm as one more byte. A short
        retraining on the examples then fits the float weights (the output
        layer, and C of a continuous fusion) to the quantized rows. C and the
        feature scaling stay float; ``qout`` quantizes the output layer too.

        The result predicts, scores, explains, saves and pickles as any
        model; prediction decodes the rows an example reads, never the whole
        table. A pruned row counts as a word out of the vocabulary. ``fit``
        on it trains a new, full model, as ``fit`` always does; it cannot be
        compressed again.

        Parameters
        ----------
        texts : sequence of str, a fastText-format file, or None, default=None
            The training examples, for max-cover pruning and retraining
            (as ``fit`` takes them; not a compiled dataset). None: prune by
            norm alone, no retraining.
        y : labels, default=None
            Their labels, among ``classes_``.
        features : array-like, default=None
            Their features, for a model with features.
        n_rows : int or None, default=None
            Text rows to keep; None: every row that training changed.
        dsub : int, default=2
            Dimensions per code of a quantized row.
        qnorm : bool, default=True
            Code each row's norm apart from its direction.
        qout : bool, default=False
            Quantize the output layer as well (pays off with many classes).
        cover : bool, default=True
            With examples, keep every training example covered first.
        retrain_epochs : int, default=1
            Passes of retraining over the examples, at ``lr`` decaying to 0
            (0: none).

        Returns
        -------
        compressed : Classifier
            A new fitted classifier; this one is unchanged.
        """
        core = self._fitted_native()
        if core.compressed:
            raise ValueError("this model is already compressed")
        n_rows = -1 if n_rows is None else check_int("n_rows", n_rows, 1)
        dsub = check_int("dsub", dsub, 1)
        retrain_epochs = check_int("retrain_epochs", retrain_epochs, 0)
        inputs: _Inputs = (None, None, None)
        offsets = np.zeros(1, dtype=np.int64)
        ids = np.zeros(0, dtype=np.int32)
        if texts is not None or y is not None or features is not None:
            source = resolve(texts, y, features, labelled=True)
            if isinstance(source, Compiled):
                raise ValueError("texts: compress takes the training examples as lists or a "
                                 "fastText-format file, not a compiled dataset")
            if len(source) == 0:
                raise ValueError("texts: no examples (got an empty sequence)")
            inputs = self._core_inputs(source)
            offsets, ids = self._class_ids(source)
        params = _params.validated(self)
        small = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        trainer = _jobs.run(small.prepare_compress(
            core, *inputs, offsets, ids, n_rows, bool(cover), dsub, bool(qnorm),
            _COMPRESS_ITERATIONS, retrain_epochs))
        if trainer is not None:
            _jobs.run(trainer.train(), ProgressLine() if params["verbose"] else None)
        if qout:
            small.quantize_output(dsub, bool(qnorm), _COMPRESS_ITERATIONS)
        compressed = copy.copy(self)
        compressed._native = small
        return compressed

    def _class_ids(self, source: Source) -> tuple[np.ndarray, np.ndarray]:
        """The source's labels as (offsets, ids) of this model's classes_."""
        classes, offsets, ids, _ = source.encoded_labels()
        position = {label: i for i, label in enumerate(self.classes_.tolist())}
        ours = np.array([position.get(label, -1) for label in classes.tolist()], dtype=np.int32)
        if len(ours) and ours.min() < 0:
            unknown = classes.tolist()[int(np.flatnonzero(ours < 0)[0])]
            raise ValueError(f"y: label {unknown!r} is not one of the model's classes_")
        return offsets, ours[ids]

    # -- prediction ------------------------------------------------------

    def predict(
        self, texts: Texts, features: npt.ArrayLike | None = None
    ) -> np.ndarray | list[list[Any]]:
        """The most probable label of each example.

        Parameters
        ----------
        {texts}
        {features}

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
        inputs = self._prediction_inputs(texts, features)
        if self.multilabel_:
            return [self.classes_[row].tolist() for row in self._chosen(inputs)]
        return self.classes_[self._top_ids(inputs, 1)[:, 0]]

    def predict_proba(self, texts: Texts, features: npt.ArrayLike | None = None) -> np.ndarray:
        """Each class's probability for each example.

        Parameters
        ----------
        {texts}
        {features}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Columns in ``classes_`` order: a distribution for softmax and hs,
            independent sigmoids for ns and ova.
        """
        return _jobs.run(self._fitted_native().predict_proba(
            *self._prediction_inputs(texts, features), self._threads()
        ))

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
        {texts}
        {features}
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
        ids, probs = _jobs.run(self._fitted_native().predict_top(
            *self._prediction_inputs(texts, features), k, threshold, self._threads()
        ))
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
        {texts}
        {y}
        {features}

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
        {texts}
        {y}
        {features}
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
        source = resolve(texts, y, features, labelled=True)
        if len(source) == 0:
            raise ValueError("texts: no examples to evaluate on (got an empty sequence)")
        truth = source.truth()
        inputs = self._core_inputs(source)
        n = truth.n_examples
        if len(source) != n:
            raise ValueError(f"y has {n} examples but there are {len(source)} inputs")
        check_shares_a_class(truth.labels, self.classes_)
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
        ids, _ = _jobs.run(self._fitted_native().predict_top(*inputs, k, 0.0, self._threads()))
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
        proba = _jobs.run(self._fitted_native().predict_proba(*inputs, self._threads()))
        chosen = proba >= threshold
        chosen[np.arange(len(proba)), proba.argmax(axis=1)] = True
        return chosen

    def _fitted_native(self) -> Any:
        check_fitted(self, "_native")
        return self._native

    def _fitted_classes(self) -> np.ndarray:
        self._fitted_native()
        return self.classes_

    def _threads(self) -> int:
        return check_threads(self.n_jobs)

    def _prediction_inputs(self, texts: Texts, features: Any) -> _Inputs:
        """What the core predicts from, for the public methods' arguments."""
        return self._core_inputs(resolve(texts, features=features, labelled=False))

    def _core_inputs(self, source: Source) -> _Inputs:
        """What the core predicts from: the source's texts (or compiled
        dataset), dense features and codes (each None when the model does not
        take it)."""
        core = self._fitted_native()
        core_texts = source.core_texts
        if isinstance(source, Compiled):
            return core_texts, None, None  # the core reads what the model takes
        if core.fusion == "features" and core_texts is not None:
            raise ValueError("texts: this model was trained on features only; pass texts=None")
        if core.fusion == "text" and core_texts is None:
            raise ValueError("texts is None, and this model was trained on texts only")
        dense, codes = prediction_features(self, core, source.features)
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
    def _from_native(cls, core: Any, metadata: bytes) -> Classifier:
        try:
            meta = json.loads(metadata)
            clf = cls(**renamed(meta["params"]))
            clf.classes_ = np.asarray(meta["classes"], dtype=np.dtype(meta["classes_dtype"]))
            clf.multilabel_ = bool(meta["multilabel"])
            clf.fusion_ = _trained_fusion(core, meta["params"]["fusion"])
            clf.buckets_ = core.buckets
            native = core.quantizer
            fusion = meta["params"]["fusion"]
            clf.quantizer_ = None if native is None else quantizer_from_native(fusion, native)
            if clf.quantizer_ is not None:
                clf.n_features_in_ = clf.quantizer_.n_features_in_
            elif core.n_features > 0:
                clf.n_features_in_ = core.n_features
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"corrupt mmfast model: unreadable metadata ({e})") from None
        if len(clf.classes_) != core.n_classes:
            raise ValueError("corrupt mmfast model: class names do not match the model")
        clf._native = core
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
        self._fitted_native().save(os.fspath(path), self._metadata())

    def __getstate__(self) -> dict[str, Any]:
        state = self.get_params(deep=False)
        if getattr(self, "_native", None) is not None:
            state["_native"] = self._native.to_bytes(self._metadata())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = renamed(state)
        model = state.pop("_native", None)
        if model is not None:
            fitted = self._from_native(*_jobs.run(_core.Classifier.from_bytes(model)))
            self.__dict__.update(fitted.__dict__)
        self.set_params(**state)


Classifier.__doc__ = _params.document(Classifier.__doc__ or "")
for _method in (Classifier.fit, Classifier.predict, Classifier.predict_proba,
                Classifier.predict_top, Classifier.score, Classifier.evaluate):
    _method.__doc__ = document_inputs(_method.__doc__ or "")


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
    return Classifier._from_native(*_jobs.run(_core.Classifier.load(os.fspath(path))))


def _trained_fusion(core: Any, fusion: str | None) -> str:
    """What the fitted core computes: "text", "features" (one modality), or the
    fusion parameter's name."""
    return core.fusion if core.fusion in ("text", "features") else str(fusion)
