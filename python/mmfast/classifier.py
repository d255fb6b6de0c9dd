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
from typing import IO, Any, NamedTuple, Union

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
from ._inputs import Compiled, Sharded, Source, TextFile, document_inputs, resolve
from ._labels import check_shares_a_class, encode_labels, ids_among
from ._progress import CountProgressLine, ProgressLine
from ._schedule import training_schedule
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
# k-means iterations per codebook of Classifier.compress. fastText.zip runs 25;
# on pieces of dsub=2 dimensions k-means settles sooner, and 25 made
# compression take 2-3 times the training time of speed.py's quick text model.
_COMPRESS_ITERATIONS = 8


class _Inputs(NamedTuple):
    """What the core predicts from: texts, dense features, feature codes (each
    may be None), and the file or compiled dataset they were read from (None:
    in memory), which a progress line names."""

    texts: Any
    dense: np.ndarray | None
    codes: np.ndarray | None
    origin: str | None


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
    lr_ : float
        The learning rate the fit started from: ``lr``, or the one the
        training data gave it when ``lr`` is None.
    epochs_ : int
        The passes the fit made: ``epochs``, or as many as the training data
        gave it when ``epochs`` is None.
    alpha_ : float
        The weight of the feature tokens (pq, rspq): ``alpha``, or the one the
        training data gave it when ``alpha`` is None (1 for other fusions).
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
        epochs: int | None = None,
        lr: float | None = None,
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
        modality_dropout: float | None = None,
        n_subquantizers: int = 8,
        subspace_dim: int | None = None,
        n_bits: int = 8,
        alpha: float | None = None,
        quantizer: ProductQuantizer | RSPQ | None = None,
        n_jobs: int | None = None,
        random_state: int = 0,
        warm_start: bool = False,
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
        self.modality_dropout = modality_dropout
        self.n_subquantizers = n_subquantizers
        self.subspace_dim = subspace_dim
        self.n_bits = n_bits
        self.alpha = alpha
        self.quantizer = quantizer
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.warm_start = warm_start
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
        """Train the model (from scratch, unless ``warm_start``: a second fit
        forgets the first).

        A compiled dataset is trained on in place, memory-mapped; with
        ``n_jobs=1`` and the same ``random_state``, the model is the same, bit
        for bit, as one trained on the same examples as lists. With
        ``warm_start=True`` a fitted model continues from its weights instead.

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
        source = resolve(texts, y, features, labelled=True, verbose=bool(params["verbose"]))
        if params["warm_start"] and self.__sklearn_is_fitted__():
            self._check_trainable("fit with warm_start=True")
            # None: as the first fit resolved them (lr_, epochs_).
            return self._continue_training(
                source, epochs=self.epochs_ if params["epochs"] is None else params["epochs"],
                lr=self.lr_ if params["lr"] is None else params["lr"], lr_end=0.0)
        return self._start(source, params)

    def partial_fit(
        self, texts: Texts, y: Labels | None = None, features: npt.ArrayLike | None = None,
        classes: npt.ArrayLike | None = None,
    ) -> Classifier:
        """One pass over a batch of examples, continuing the model: learning
        from a stream, batch by batch (scikit-learn's incremental protocol,
        which dask-ml's ``Incremental`` drives).

        The first call (on an unfitted model) makes the model from its batch
        and fixes what a stream cannot change later: the classes (``classes``
        lists every label the stream will carry), the vocabulary (the batch's
        words seen ``min_count`` times; a word first seen later counts through
        the hashed n-grams it takes part in, as at prediction), the n-gram
        table (``buckets``, or with None fastText's 2,000,000 rows: a stream's
        size is unknown and the table cannot grow once rows are learned; a
        compiled dataset keeps its own), the feature scaling (the batch's
        mean and scale, then fixed) and the quantizer of pq/rspq (fitted on
        the batch unless ``quantizer`` is fitted). Every call, the first
        included, then runs one pass over its batch at the constant learning
        rate ``lr`` (``epochs`` is not used): a stream has no end to decay
        towards. After ``fit``, partial_fit continues that model. Ctrl-C
        keeps the steps taken so far and raises KeyboardInterrupt.

        Parameters
        ----------
        {texts}
        {y}
        {features}
        classes : array-like of shape (n_classes,), default=None
            Every label of the stream; required at the first call, and when
            given later, must be ``classes_``.

        Returns
        -------
        self : Classifier
        """
        params = _params.validated(self)
        source = resolve(texts, y, features, labelled=True, verbose=bool(params["verbose"]))
        if not self.__sklearn_is_fitted__():
            if classes is None:
                raise ValueError("classes: the first partial_fit needs every label the stream "
                                 "will carry (classes=...); later batches may lack some")
            return self._start(source, params, encode_labels(np.asarray(classes))[0])
        self._check_trainable("partial_fit")
        if classes is not None and not np.array_equal(encode_labels(np.asarray(classes))[0],
                                                      self.classes_):
            raise ValueError(f"classes={classes!r} is not the model's classes_ "
                             f"{self.classes_!r}, which the first call fixed")
        # lr=None: the rate the first batch resolved (lr_), constant from then on.
        epochs, lr, lr_end = _stream_pass(self.lr_ if params["lr"] is None else params["lr"])
        return self._continue_training(source, epochs=epochs, lr=lr, lr_end=lr_end)

    def _start(self, source: Source, params: dict[str, Any],
               stream_classes: np.ndarray | None = None) -> Classifier:
        """A fresh model for ``source``, trained: fit's (``epochs`` passes, lr
        to 0), or with ``stream_classes`` (the first partial_fit) the stream's,
        made from its first batch and trained one pass over it."""
        if isinstance(source, (Compiled, Sharded)):
            core, trainer, *learned = self._prepare_dataset(source, params, stream_classes)
            self._train(trainer, params["verbose"])
            return self._keep(core, *learned)
        if len(source) == 0:
            raise ValueError("texts: no examples (got an empty sequence)")
        classes, offsets, ids, multilabel = source.encoded_labels()
        if stream_classes is not None:
            classes, ids = stream_classes, ids_among(stream_classes, classes, ids)
        if len(classes) < 2:
            raise ValueError(f"y has {len(classes)} class; a classifier needs at least 2")
        core_texts = source.core_texts
        if core_texts is None and self.fusion is None:
            raise ValueError("texts is None: give texts, or features with a fusion")
        params = _scheduled(params, int(offsets[-1]), len(classes))
        quantizer, dense, codes, codebook_size = training_features(params, source.features)
        config = _params.core_config(params, _core.ClassifierConfig())
        if stream_classes is not None and params["buckets"] is None:
            config.buckets = _core.MAX_AUTO_BUCKETS  # a stream's size is unknown
        core = _core.Classifier(config)
        inputs = (core_texts, dense, codes, offsets, ids, len(classes), codebook_size)
        n_features = 0 if dense is None else dense.shape[1]
        stream = stream_classes is not None
        self._train(_jobs.run(core.prepare_fit(*inputs, _schedule(params, stream_classes),
                                               hash_unknown_words=stream)), params["verbose"])
        return self._keep(core, classes, multilabel, quantizer, n_features, params)

    def _prepare_dataset(
        self, source: Compiled | Sharded, params: dict[str, Any],
        stream_classes: np.ndarray | None = None,
    ) -> tuple[Any, Any, np.ndarray, bool, Any, int, dict[str, Any]]:
        """(core, trainer, classes, multilabel, quantizer, n_features, params):
        a model initialized for a compiled dataset or a manifest's shards, and
        its trainer, not run yet (a data-parallel fit trains it in slices)."""
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
        _, offsets, _, _ = source.encoded_labels()
        params = _scheduled(params, int(offsets[-1]), len(dataset.classes_))
        core = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        classes = dataset.classes_
        if stream_classes is not None and not np.array_equal(classes, stream_classes):
            # The model's classes are the dataset's, whose label ids it trains on in place.
            raise ValueError(f"classes: a compiled dataset that starts a stream must carry "
                             f"exactly its classes; dataset {dataset.path!r} has "
                             f"{classes.tolist()!r}: start with lists or a file")
        trainer = _jobs.run(source.prepare_fit(core, codebook_size,
                                               _schedule(params, stream_classes),
                                               hash_unknown_words=stream_classes is not None))
        return (core, trainer, classes, dataset.multilabel, quantizer, dataset.n_features,
                params)

    @staticmethod
    def _train(trainer: Any, verbose: int) -> None:
        _jobs.run(trainer.train(), ProgressLine() if verbose else None)

    def _keep(self, core: Any, classes: np.ndarray, multilabel: bool, quantizer: Any,
              n_features: int, params: dict[str, Any]) -> Classifier:
        """Keeps a new model and what it was made with (`params`: those it ran with)."""
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
        self.alpha_ = core.alpha
        self.lr_ = params["lr"]
        self.epochs_ = params["epochs"]
        return self

    def _check_trainable(self, method: str) -> None:
        """Refuses to continue training a compressed model: its quantized rows
        cannot learn, so the stream would update the output layer alone."""
        if self._fitted_native().compressed:
            raise ValueError(f"{method}: this model is compressed (Classifier.compress), and its "
                             "quantized rows cannot learn; continue training the full model "
                             "and compress it again")

    def _continue_training(
        self, texts: Texts, y: Labels | None = None, features: npt.ArrayLike | None = None, *,
        epochs: int, lr: float, lr_end: float, seed: int | None = None,
    ) -> Classifier:
        """``epochs`` passes over the examples from the current weights, the
        learning rate moving linearly from ``lr`` to ``lr_end``: the one way to
        train a fitted model further (partial_fit, warm_start, a data-parallel
        worker's slice of an epoch under one global schedule).

        Nothing is rebuilt: the examples are read through the model's
        vocabulary (words it does not know count through their n-grams), n-gram
        table, feature scaling and quantizer, and their labels must be among
        ``classes_``. ``feature_lr``, when set, scales with ``lr / self.lr``;
        ``seed`` (default ``random_state``) orders the examples. Ctrl-C keeps
        the steps taken so far (the model stays valid, partly trained on them)
        and raises KeyboardInterrupt.
        """
        params = _params.validated(self)
        core = self._fitted_native()
        epochs = check_int("epochs", epochs, 1)
        lr = check_float("lr", lr, 0.0)
        lr_end = check_float("lr_end", lr_end, 0.0, inclusive=True)
        if lr_end > lr:
            raise ValueError(f"lr_end must be <= lr ({lr}), got {lr_end}")
        seed = params["random_state"] if seed is None else check_int("seed", seed, 0, 2**64 - 1)
        source = resolve(texts, y, features, labelled=True)
        if len(source) == 0:
            raise ValueError("texts: no examples (got an empty sequence)")
        offsets, ids = self._class_ids(source)
        # A feature_lr that was set follows lr; the core's 0 is its default rule.
        given = params["feature_lr"]
        feature_lr = 0.0 if given is None else given * lr / self.lr_
        inputs = self._core_inputs(source)
        trainer = _jobs.run(core.prepare_training(inputs.texts, inputs.dense, inputs.codes, offsets,
                                                  ids, epochs, lr, lr_end, feature_lr, seed))
        self._train(trainer, params["verbose"])
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
        compressed again, and ``partial_fit`` and ``fit`` with
        ``warm_start=True`` refuse it (its quantized rows cannot learn).

        Parameters
        ----------
        texts : sequence of str, a fastText-format file, or None, default=None
            The training examples, for max-cover pruning and retraining
            (as ``fit`` takes them, a compiled dataset included). None:
            prune by norm alone, no retraining.
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
        source = None
        inputs = _Inputs(None, None, None, None)
        offsets, ids = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32)
        if texts is not None or y is not None or features is not None:
            source = resolve(texts, y, features, labelled=True)
            if len(source) == 0:
                raise ValueError("texts: no examples (got an empty sequence)")
            inputs = self._core_inputs(source)
            offsets, ids = self._class_ids(source)
        params = _params.validated(self)
        small = _core.Classifier(_params.core_config(params, _core.ClassifierConfig()))
        _jobs.run(small.compress_from(core, inputs.texts, inputs.dense, inputs.codes, offsets,
                                      ids, n_rows, bool(cover), dsub, bool(qnorm),
                                      _COMPRESS_ITERATIONS))
        # Built from the small core directly: copy.copy would pickle and
        # unpickle the full model first (3.7 s of a 4.1 s compress of a
        # 300k-document model).
        compressed = self._from_native(small, self._metadata())
        compressed.set_params(**self.get_params(deep=False))
        if source is not None and retrain_epochs > 0:
            compressed._continue_training(source, epochs=retrain_epochs, lr=self.lr_, lr_end=0.0)
        if qout:
            small.quantize_output(dsub, bool(qnorm), _COMPRESS_ITERATIONS)
        return compressed

    def _class_ids(self, source: Source) -> tuple[np.ndarray, np.ndarray]:
        """The labels of ``source`` as (offsets, ids) of this fitted model's
        ``classes_``: ValueError for a label that is not one, or for several
        labels per example when the model was trained on one."""
        labels, offsets, ids, multilabel = source.encoded_labels()
        if multilabel and not self.multilabel_:
            raise ValueError("y has several labels per example, and this model was trained on "
                             "one label per example")
        return offsets, ids_among(self.classes_, labels, ids)

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
        return self._predicted(self._prediction_inputs(texts, features), "predict_proba")

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
        ids, probs = self._predicted(self._prediction_inputs(texts, features), "predict_top",
                                     k, threshold)
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
        source = resolve(texts, y, features, labelled=True,
                         verbose=bool(_params.checked(self, "verbose")))
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
            ``"<features>"`` entry for the continuous feature part, and in a
            features-only model of dense features an ``"<intercept>"``
            entry (the class's intercept). The contributions add up to its
            ``score``: the class's logit before the softmax (softmax), its
            own logit (ns, ova: sigmoid(score) is ``predict_proba``), or with
            hs the signed sum of the logits of the decisions on the class's
            tree path (+ to the right, whose probability is sigmoid(logit)).
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
        ids, _ = self._predicted(inputs, "predict_top", k, 0.0)
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
        proba = self._predicted(inputs, "predict_proba")
        chosen = proba >= threshold
        chosen[np.arange(len(proba)), proba.argmax(axis=1)] = True
        return chosen

    def _predicted(self, inputs: _Inputs, method: str, *args: Any) -> Any:
        """The result of the core's prediction ``method`` ("predict_top" or
        "predict_proba", with ``args`` before the threads), with a progress
        line over a file or a compiled dataset when ``verbose``."""
        shown = inputs.origin is not None and _params.checked(self, "verbose")
        # The line first: its clock must start before a short job, which runs at once.
        progress = CountProgressLine(f"Predicting {inputs.origin}", "examples") if shown else None
        job = getattr(self._fitted_native(), method)(inputs.texts, inputs.dense, inputs.codes,
                                                     *args, self._threads())
        return _jobs.run(job, progress)

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
        verbose = bool(_params.checked(self, "verbose"))
        return self._core_inputs(resolve(texts, features=features, labelled=False,
                                         verbose=verbose))

    def _core_inputs(self, source: Source) -> _Inputs:
        """What the core predicts from: the source's texts (or compiled
        dataset), dense features and codes (each None when the model does not
        take it)."""
        core = self._fitted_native()
        core_texts = source.core_texts
        if isinstance(source, Compiled):  # the core reads what the model takes
            return _Inputs(core_texts, None, None, source.dataset.path)
        if core.fusion == "features" and core_texts is not None:
            raise ValueError("texts: this model was trained on features only; pass texts=None")
        if core.fusion == "text" and core_texts is None:
            raise ValueError("texts is None, and this model was trained on texts only")
        dense, codes = prediction_features(self, core, source.features)
        return _Inputs(core_texts, dense, codes,
                       source.path if isinstance(source, TextFile) else None)

    # -- persistence -----------------------------------------------------

    def _metadata(self) -> bytes:
        return json.dumps({
            "params": {**self.get_params(deep=False), "quantizer": None},
            "classes": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str,
            "multilabel": self.multilabel_,
            "schedule": [self.lr_, self.epochs_],
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
            clf.alpha_ = core.alpha
            # Files from before lr=None and epochs=None had both in their params.
            clf.lr_, clf.epochs_ = meta.get("schedule", [clf.lr, clf.epochs])
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
for _method in (Classifier.fit, Classifier.partial_fit, Classifier.predict,
                Classifier.predict_proba, Classifier.predict_top, Classifier.score,
                Classifier.evaluate):
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


def _scheduled(params: dict[str, Any], n_labels: int, n_classes: int) -> dict[str, Any]:
    """`params` with lr and epochs decided (for None) by the training data's size."""
    lr, epochs = training_schedule(params["lr"], params["epochs"], n_labels, n_classes)
    return {**params, "lr": lr, "epochs": epochs}


def _stream_pass(lr: float) -> tuple[int, float, float]:
    """(epochs, lr, lr_end) of a partial_fit call: one pass at the constant ``lr``."""
    return 1, lr, lr


def _schedule(params: dict[str, Any],
              stream_classes: np.ndarray | None) -> tuple[int, float, float] | None:
    """The schedule of a new model's first training: a stream's pass, or None
    for fit's configured epochs, lr to 0."""
    return None if stream_classes is None else _stream_pass(params["lr"])


def _trained_fusion(core: Any, fusion: str | None) -> str:
    """What the fitted core computes: "text", "features" (one modality), or the
    fusion parameter's name."""
    return core.fusion if core.fusion in ("text", "features") else str(fusion)
