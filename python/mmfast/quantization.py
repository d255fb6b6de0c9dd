"""Vector quantizers with scikit-learn conventions: KMeans, ProductQuantizer, RSPQ.

The work happens in the native core (cpp/kmeans.h, cpp/quantizer.h); these
classes validate arguments, convert arrays once to contiguous float32, and keep
the fitted native model. ``__init__`` only stores parameters; learned
attributes end in ``_``. Fitted estimators pickle through the core's checked
binary format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core, _jobs
from ._estimator import Estimator, renamed
from ._progress import CountProgressLine
from ._sklearn_compat import transformer_tags
from ._validation import (
    INT32_MAX,
    INT64_MAX,
    as_code_matrix,
    as_float_matrix,
    check_fitted,
    check_int,
    check_positive_int,
    check_seed,
    check_threads,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["KMeans", "ProductQuantizer", "RSPQ"]


class _NativeEstimator(Estimator):
    """Pickles the fitted native model (``self._native``) as bytes."""

    _native_type: Any  # the _core class whose from_bytes restores _native
    n_iter: int
    max_points_per_centroid: int
    random_state: int
    n_jobs: int | None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "_native" in state:
            state["_native"] = state["_native"].to_bytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = renamed(state)
        if "_native" in state:
            state = dict(state, _native=_jobs.run(self._native_type.from_bytes(state["_native"])))
        self.__dict__.update(state)

    def _kmeans_options(self) -> dict[str, int]:
        """The validated k-means settings every native estimator takes."""
        return {
            "n_iter": check_positive_int("n_iter", self.n_iter),
            "max_points_per_centroid": check_positive_int(
                "max_points_per_centroid", self.max_points_per_centroid, INT64_MAX
            ),
            "seed": check_seed("random_state", self.random_state),
        }

    def _check_samples(self, n_samples: int, n_centroids: int, what: str, name: str) -> None:
        if n_samples < n_centroids:
            raise ValueError(
                f"{name} has n_samples={n_samples}, fewer than the {n_centroids} {what}: "
                "k-means needs at least one training sample per centroid"
            )

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "_native", None) is not None


class KMeans(_NativeEstimator):
    """Lloyd's k-means, multi-threaded, with faiss-style defaults.

    Trains on at most ``max_points_per_centroid * n_clusters`` samples (a seeded
    random subset), starting from ``n_clusters`` distinct random samples, for
    exactly ``n_iter`` iterations; a cluster that becomes empty takes over half
    of a populated one. Needs at least ``n_clusters`` samples. The result
    depends on ``random_state`` only, not on ``n_jobs``. Methods and attributes follow
    ``sklearn.cluster.KMeans`` where the names are shared.

    Parameters
    ----------
    n_clusters : int, default=256
        Number of clusters (centroids).
    n_iter : int, default=25
        Lloyd iterations.
    max_points_per_centroid : int, default=256
        Training uses at most this many samples per centroid.
    random_state : int, default=0
        Seeds the subset and the initial centroids.
    n_jobs : int or None, default=None
        Worker threads; None uses every core.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features), float32
        The centroids.
    labels_ : ndarray of shape (n_samples,), int32
        Index of the nearest centroid of each training sample.
    inertia_ : float
        Sum of squared distances of the training samples to their nearest centroid.
    n_iter_ : int
        Iterations run (always ``n_iter``).
    objective_ : ndarray of shape (n_iter,), float64
        Sum of squared distances of the training subset at the start of each
        iteration.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> import mmfast
    >>> X = np.random.default_rng(0).normal(size=(1000, 8)).astype(np.float32)
    >>> km = mmfast.KMeans(n_clusters=16, n_jobs=1).fit(X)
    >>> km.cluster_centers_.shape, km.predict(X[:3]).shape, km.transform(X[:3]).shape
    ((16, 8), (3,), (3, 16))
    """

    _native_type = _core.KMeans

    def __init__(
        self,
        n_clusters: int = 256,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_iter = n_iter
        self.max_points_per_centroid = max_points_per_centroid
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Any:
        return transformer_tags(preserves_dtype=["float32"], clusterer=True)

    def fit(self, X: npt.ArrayLike, y: object = None) -> KMeans:
        """Compute the centroids.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples, n_samples >= n_clusters; converted to float32.
        y : None
            Ignored.

        Returns
        -------
        self : KMeans
            The fitted estimator.
        """
        n_clusters = check_int("n_clusters", self.n_clusters, 1, INT32_MAX)
        kmeans = self._kmeans_options()
        threads = check_threads(self.n_jobs)
        X = as_float_matrix("X", X)
        self._check_samples(X.shape[0], n_clusters, "clusters (n_clusters)", "X")

        model = _core.KMeans(X.shape[1], n_clusters, **kmeans)
        _jobs.run(model.train(X, threads))
        labels, distances = _jobs.run(model.assign(X, threads))
        self._native = model
        self.cluster_centers_ = model.centroids
        self.objective_ = np.asarray(model.objective, dtype=np.float64)
        self.n_iter_ = len(self.objective_)
        self.labels_ = labels
        self.inertia_ = float(distances.sum(dtype=np.float64))
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """The nearest centroid of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
            Index of the nearest centroid (ties to the lowest index).
        """
        return self._assign(X)[0]

    def fit_predict(self, X: npt.ArrayLike, y: object = None) -> np.ndarray:
        """Fit, then return ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
            Index of the nearest centroid of each sample.
        """
        return self.fit(X).labels_

    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """Distances to every centroid (as ``sklearn.cluster.KMeans.transform``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), float32
            Euclidean distance of each sample to each centroid.
        """
        check_fitted(self, "_native")
        X = as_float_matrix("X", X, self.n_features_in_, self)
        return _jobs.run(self._native.distances(X, check_threads(self.n_jobs)))

    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> np.ndarray:
        """Fit, then return the distances of X to every centroid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : None
            Ignored.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), float32
            Euclidean distance of each sample to each centroid.
        """
        X = as_float_matrix("X", X)
        return self.fit(X).transform(X)

    def score(self, X: npt.ArrayLike, y: object = None) -> float:
        """Opposite of the inertia of X (higher is better, as in scikit-learn).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Minus the sum of squared distances of X to their nearest centroids.
        """
        return -float(self._assign(X)[1].sum(dtype=np.float64))

    def _assign(self, X: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Nearest centroid of each row and the squared distance to it."""
        check_fitted(self, "_native")
        X = as_float_matrix("X", X, self.n_features_in_, self)
        return _jobs.run(self._native.assign(X, check_threads(self.n_jobs)))


class _SubspaceQuantizer(_NativeEstimator):
    """What ProductQuantizer and RSPQ share: fit, transform, inverse_transform."""

    _native_type = _core.Quantizer
    n_bits: int
    verbose: int

    def _progress(self, what: str, unit: str, verbose: int | None) -> CountProgressLine | None:
        """The progress line of a long call when ``verbose`` (None: the
        estimator's; a quantizer pickled before it had one is quiet)."""
        if verbose is None:
            verbose = getattr(self, "verbose", 0)
        return CountProgressLine(f"{what} ({type(self).__name__})", unit) if verbose else None

    def __sklearn_tags__(self) -> Any:
        return transformer_tags(preserves_dtype=[])  # transform returns integer codes

    def _make_model(
        self, n_features: int, n_bits: int, kmeans: dict[str, int], name: str
    ) -> Any:
        raise NotImplementedError

    def fit(self, X: npt.ArrayLike, y: object = None) -> Self:
        """Train one k-means codebook per subspace.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors, n_samples >= 2**n_bits; converted to float32.
        y : None
            Ignored.

        Returns
        -------
        self : estimator
            The fitted quantizer.
        """
        return self._fit(X, "X")

    def _fit(self, X: npt.ArrayLike, name: str, verbose: int | None = None) -> Self:
        """fit(), with errors about the data naming it `name` (the Classifier's
        ``features``) and a progress line when ``verbose`` (None: the
        estimator's own)."""
        n_bits = check_int("n_bits", self.n_bits, 1, 16)
        kmeans = self._kmeans_options()
        threads = check_threads(self.n_jobs)
        X = as_float_matrix(name, X)
        model = self._make_model(X.shape[1], n_bits, kmeans, name)
        self._check_samples(X.shape[0], 2**n_bits, "centroids per codebook (2**n_bits)", name)
        progress = self._progress("Fitting", "k-means iterations", verbose)  # its clock first
        _jobs.run(model.train(X, threads), progress)
        self._set_fitted(model)
        return self

    def _set_fitted(self, model: Any) -> None:
        """Sets the learned attributes from a trained native quantizer."""
        self._native = model
        self.n_features_in_ = model.dim
        self.centroids_ = [model.codebook(r).centroids for r in range(model.n_codes)]

    @classmethod
    def _native_params(cls, model: Any) -> dict[str, Any]:
        """The constructor parameters that produced the native `model`."""
        raise NotImplementedError

    @classmethod
    def _from_native(cls, model: Any) -> Self:
        """A fitted estimator around a trained native quantizer, such as the one a
        saved Classifier carries."""
        params = dict(n_bits=model.n_bits, n_iter=model.n_iter, random_state=model.seed,
                      max_points_per_centroid=model.max_points_per_centroid)
        estimator = cls(**params, **cls._native_params(model))
        estimator._set_fitted(model)
        return estimator

    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """Encode vectors: the nearest centroid of each subvector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Vectors to encode.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            uint8 when n_bits <= 8, else uint16.
        """
        return self._transform(X, "X")

    def _transform(self, X: npt.ArrayLike, name: str, verbose: int | None = None) -> np.ndarray:
        check_fitted(self, "_native")
        X = as_float_matrix(name, X, self.n_features_in_, self)
        progress = self._progress("Encoding", "vectors", verbose)  # its clock first
        return _jobs.run(self._native.encode(X, check_threads(self.n_jobs)), progress)

    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> np.ndarray:
        """Fit, then encode X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors.
        y : None
            Ignored.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            uint8 when n_bits <= 8, else uint16.
        """
        X = as_float_matrix("X", X)
        return self.fit(X).transform(X)

    def inverse_transform(self, codes: npt.ArrayLike) -> np.ndarray:
        """Decode codes into approximate vectors.

        Parameters
        ----------
        codes : array-like of int, shape (n_samples, n_codes)
            Codes in [0, 2**n_bits), e.g. from ``transform``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), float32
            The approximation that the codes encode.
        """
        check_fitted(self, "_native")
        model = self._native
        codes = as_code_matrix("codes", codes, model.n_codes, model.n_centroids)
        return _jobs.run(model.decode(codes, check_threads(self.n_jobs)))


class ProductQuantizer(_SubspaceQuantizer):
    """Product quantization: M contiguous subvectors, a 2**n_bits k-means codebook each.

    The d features split into ``n_subquantizers`` (M) contiguous subvectors of
    near-equal length: the first d % M get ceil(d / M) features, the rest
    floor(d / M), so any M <= d works. Fitting needs at least 2**n_bits samples.

    Parameters
    ----------
    n_subquantizers : int, default=8
        M, the number of subvectors and of codes per vector.
    n_bits : int, default=8
        Each code takes one of 2**n_bits values (1 to 16).
    n_iter : int, default=25
        k-means iterations per codebook.
    max_points_per_centroid : int, default=256
        Each k-means trains on at most this many samples per centroid.
    random_state : int, default=0
        Seeds the k-means.
    n_jobs : int or None, default=None
        Worker threads; None uses every core. The result does not depend on it.
    verbose : int, default=0
        1 shows a progress line on stderr while fitting and encoding.

    Attributes
    ----------
    centroids_ : list of M ndarrays, float32
        The m-th has shape (2**n_bits, length of subvector m).
    subvector_bounds_ : ndarray of shape (M + 1,), int64
        Subvector m is ``X[:, b[m]:b[m + 1]]``.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> import mmfast
    >>> X = np.random.default_rng(0).normal(size=(1000, 16)).astype(np.float32)
    >>> pq = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4, n_jobs=1).fit(X)
    >>> codes = pq.transform(X)
    >>> codes.shape, codes.dtype, pq.inverse_transform(codes).shape
    ((1000, 4), dtype('uint8'), (1000, 16))
    """

    def __init__(
        self,
        n_subquantizers: int = 8,
        n_bits: int = 8,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        random_state: int = 0,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.n_subquantizers = n_subquantizers
        self.n_bits = n_bits
        self.n_iter = n_iter
        self.max_points_per_centroid = max_points_per_centroid
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _make_model(
        self, n_features: int, n_bits: int, kmeans: dict[str, int], name: str
    ) -> Any:
        m = check_positive_int("n_subquantizers", self.n_subquantizers)
        if m > n_features:
            raise ValueError(
                f"n_subquantizers={m} exceeds the number of features of {name} ({n_features})"
            )
        return _core.ProductQuantizer(n_features, m, n_bits, **kmeans)

    @classmethod
    def _native_params(cls, model: Any) -> dict[str, Any]:
        return {"n_subquantizers": model.n_codes}

    def _set_fitted(self, model: Any) -> None:
        super()._set_fitted(model)
        lengths = [len(centroids[0]) for centroids in self.centroids_]
        self.subvector_bounds_ = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


class RSPQ(_SubspaceQuantizer):
    """Random sample product quantization.

    ``n_subspaces`` (R) subspaces, each ``subspace_dim`` (s) distinct features
    drawn at random (seeded; subspaces may overlap), each with its own 2**n_bits
    k-means codebook: R codes per vector. Decoding averages the overlapping
    reconstructions; a feature no subspace covers decodes to its training mean.

    Parameters
    ----------
    n_subspaces : int, default=8
        R, the number of random subspaces and of codes per vector.
    subspace_dim : int, default=16
        s, the features per subspace (at most the number of features).
    n_bits : int, default=8
        Each code takes one of 2**n_bits values (1 to 16).
    n_iter : int, default=25
        k-means iterations per codebook.
    max_points_per_centroid : int, default=256
        Each k-means trains on at most this many samples per centroid.
    random_state : int, default=0
        Seeds the subspaces and the k-means.
    n_jobs : int or None, default=None
        Worker threads; None uses every core. The result does not depend on it.
    verbose : int, default=0
        1 shows a progress line on stderr while fitting and encoding.

    Attributes
    ----------
    subspaces_ : ndarray of shape (R, s), int32
        The features of each subspace, increasing within a row.
    centroids_ : list of R ndarrays of shape (2**n_bits, s), float32
        The codebooks.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> import mmfast
    >>> X = np.random.default_rng(0).normal(size=(1000, 16)).astype(np.float32)
    >>> rspq = mmfast.RSPQ(n_subspaces=6, subspace_dim=4, n_bits=4, n_jobs=1).fit(X)
    >>> rspq.transform(X).shape, rspq.subspaces_.shape
    ((1000, 6), (6, 4))
    """

    def __init__(
        self,
        n_subspaces: int = 8,
        subspace_dim: int = 16,
        n_bits: int = 8,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        random_state: int = 0,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.n_subspaces = n_subspaces
        self.subspace_dim = subspace_dim
        self.n_bits = n_bits
        self.n_iter = n_iter
        self.max_points_per_centroid = max_points_per_centroid
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _make_model(
        self, n_features: int, n_bits: int, kmeans: dict[str, int], name: str
    ) -> Any:
        r = check_int("n_subspaces", self.n_subspaces, 1, INT32_MAX)
        s = check_positive_int("subspace_dim", self.subspace_dim)
        if s > n_features:
            raise ValueError(
                f"subspace_dim={s} exceeds the number of features of {name} ({n_features})"
            )
        return _core.RandomSampleProductQuantizer(n_features, r, s, n_bits, **kmeans)

    @classmethod
    def _native_params(cls, model: Any) -> dict[str, Any]:
        return {"n_subspaces": model.n_codes, "subspace_dim": len(model.subspace(0))}

    def _set_fitted(self, model: Any) -> None:
        super()._set_fitted(model)
        self.subspaces_ = np.stack([model.subspace(r) for r in range(model.n_codes)])
