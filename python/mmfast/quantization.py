"""Vector quantizers with scikit-learn conventions: KMeans, ProductQuantizer, RSPQ.

The work happens in the native core (cpp/kmeans.h, cpp/quantizer.h); these
classes validate arguments, convert arrays once to contiguous float32, and keep
the fitted native model. ``__init__`` only stores parameters; learned
attributes end in ``_``. Fitted estimators pickle through the core's checked
binary format.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._estimator import Estimator
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
    code_dtype,
)

__all__ = ["KMeans", "ProductQuantizer", "RSPQ"]


class _NativeEstimator(Estimator):
    """Pickles the fitted native model (``self._model``) as bytes."""

    _native_type: Any  # the _core class whose from_bytes restores _model

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "_model" in state:
            state["_model"] = state["_model"].to_bytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "_model" in state:
            state = dict(state, _model=self._native_type.from_bytes(state["_model"]))
        self.__dict__.update(state)

    def _kmeans_options(self) -> dict[str, int]:
        """The validated k-means settings every native estimator takes."""
        return {
            "n_iter": check_positive_int("n_iter", self.n_iter),
            "max_points_per_centroid": check_positive_int(
                "max_points_per_centroid", self.max_points_per_centroid, INT64_MAX
            ),
            "seed": check_seed("seed", self.seed),
        }

    def _check_samples(self, n_samples: int, n_centroids: int, what: str, name: str) -> None:
        if n_samples < n_centroids:
            raise ValueError(
                f"{name} has {n_samples} samples, fewer than the {n_centroids} {what}: "
                "k-means needs at least one training sample per centroid"
            )


class KMeans(_NativeEstimator):
    """Lloyd's k-means, multi-threaded, with faiss-style defaults.

    Trains on at most ``max_points_per_centroid * n_clusters`` samples (a seeded
    random subset), starting from ``n_clusters`` distinct random samples; a
    cluster that becomes empty takes over half of a populated one. Needs at
    least ``n_clusters`` samples. The result depends on ``seed`` only, not on
    ``threads`` (None: all cores).

    Attributes: ``cluster_centers_`` (n_clusters, n_features) float32,
    ``objective_`` (n_iter,) sum of squared distances of the training subset at
    the start of each iteration, ``labels_`` and ``inertia_`` (sum of squared
    distances) of the fitted X, ``n_features_in_``.
    """

    _native_type = _core.KMeans

    def __init__(
        self,
        n_clusters: int = 256,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_iter = n_iter
        self.max_points_per_centroid = max_points_per_centroid
        self.seed = seed
        self.threads = threads

    def fit(self, X: Any, y: Any = None) -> KMeans:
        n_clusters = check_int("n_clusters", self.n_clusters, 1, INT32_MAX)
        kmeans = self._kmeans_options()
        threads = check_threads(self.threads)
        X = as_float_matrix("X", X)
        self._check_samples(X.shape[0], n_clusters, "clusters (n_clusters)", "X")

        model = _core.KMeans(X.shape[1], n_clusters, **kmeans)
        model.train(X, threads)
        labels, distances = model.assign(X, threads)
        self._model = model
        self.cluster_centers_ = model.centroids
        self.objective_ = np.asarray(model.objective, dtype=np.float64)
        self.labels_ = labels
        self.inertia_ = float(distances.sum(dtype=np.float64))
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest cluster center of each row, (n_samples,) int32."""
        check_fitted(self, "_model")
        X = as_float_matrix("X", X, self.n_features_in_)
        return self._model.assign(X, check_threads(self.threads))[0]

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        return self.fit(X).labels_

    def transform(self, X: Any) -> np.ndarray:
        """Nearest-center codes, (n_samples, 1), uint8/uint16/uint32 by n_clusters."""
        return self._as_codes(self.predict(X))

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        return self._as_codes(self.fit(X).labels_)

    def _as_codes(self, labels: np.ndarray) -> np.ndarray:
        return labels.astype(code_dtype(len(self.cluster_centers_))).reshape(-1, 1)

    def inverse_transform(self, codes: Any) -> np.ndarray:
        """The cluster centers that `codes` (n_samples, 1) name, (n_samples, n_features)."""
        check_fitted(self, "_model")
        codes = as_code_matrix("codes", codes, 1, len(self.cluster_centers_))
        return self.cluster_centers_[codes[:, 0]]


class _SubspaceQuantizer(_NativeEstimator):
    """What ProductQuantizer and RSPQ share: fit, transform, inverse_transform."""

    _native_type = _core.Quantizer
    n_bits: int
    n_iter: int
    max_points_per_centroid: int
    seed: int
    threads: int | None

    def _make_model(
        self, n_features: int, n_bits: int, kmeans: dict[str, int], name: str
    ) -> Any:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> _SubspaceQuantizer:
        return self._fit(X, "X")

    def _fit(self, X: Any, name: str) -> _SubspaceQuantizer:
        """fit(), with errors about the data naming it `name` (the Classifier's
        ``features``)."""
        n_bits = check_int("n_bits", self.n_bits, 1, 16)
        kmeans = self._kmeans_options()
        threads = check_threads(self.threads)
        X = as_float_matrix(name, X)
        model = self._make_model(X.shape[1], n_bits, kmeans, name)
        self._check_samples(X.shape[0], 2**n_bits, "centroids per codebook (2**n_bits)", name)
        model.train(X, threads)
        self._set_fitted(model)
        return self

    def _set_fitted(self, model: Any) -> None:
        """Sets the learned attributes from a trained native quantizer."""
        self._model = model
        self.n_features_in_ = model.dim
        self.centroids_ = [model.codebook(r).centroids for r in range(model.n_codes)]

    @classmethod
    def _native_params(cls, model: Any) -> dict[str, Any]:
        """The constructor parameters that produced the native `model`."""
        raise NotImplementedError

    @classmethod
    def _from_native(cls, model: Any) -> _SubspaceQuantizer:
        """A fitted estimator around a trained native quantizer, such as the one a
        saved Classifier carries."""
        estimator = cls(
            n_bits=model.n_bits, n_iter=model.n_iter,
            max_points_per_centroid=model.max_points_per_centroid, seed=model.seed,
            **cls._native_params(model),
        )
        estimator._set_fitted(model)
        return estimator

    def transform(self, X: Any) -> np.ndarray:
        """Codes (n_samples, n_codes): uint8 when n_bits <= 8, else uint16."""
        return self._transform(X, "X")

    def _transform(self, X: Any, name: str) -> np.ndarray:
        check_fitted(self, "_model")
        X = as_float_matrix(name, X, self.n_features_in_)
        return self._model.encode(X, check_threads(self.threads))

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        X = as_float_matrix("X", X)
        return self.fit(X).transform(X)

    def inverse_transform(self, codes: Any) -> np.ndarray:
        """The approximation (n_samples, n_features) float32 that `codes` encode."""
        check_fitted(self, "_model")
        model = self._model
        codes = as_code_matrix("codes", codes, model.n_codes, model.n_centroids)
        return model.decode(codes, check_threads(self.threads))


class ProductQuantizer(_SubspaceQuantizer):
    """Product quantization: M contiguous subvectors, a 2**n_bits k-means codebook each.

    The d features split into ``n_subquantizers`` (M) contiguous subvectors of
    near-equal length: the first d % M get ceil(d / M) features, the rest
    floor(d / M), so any M <= d works. Fitting needs at least 2**n_bits samples.

    Attributes: ``centroids_`` (list of M float32 arrays, the m-th of shape
    (2**n_bits, length of subvector m)), ``subvector_bounds_`` ((M + 1,) int64:
    subvector m is ``X[:, b[m]:b[m + 1]]``), ``n_features_in_``.
    """

    def __init__(
        self,
        n_subquantizers: int = 8,
        n_bits: int = 8,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        self.n_subquantizers = n_subquantizers
        self.n_bits = n_bits
        self.n_iter = n_iter
        self.max_points_per_centroid = max_points_per_centroid
        self.seed = seed
        self.threads = threads

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

    Attributes: ``subspaces_`` (R, s) int32 (increasing within a row),
    ``centroids_`` (list of R float32 arrays of shape (2**n_bits, s)),
    ``n_features_in_``.
    """

    def __init__(
        self,
        n_subspaces: int = 8,
        subspace_dim: int = 16,
        n_bits: int = 8,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        self.n_subspaces = n_subspaces
        self.subspace_dim = subspace_dim
        self.n_bits = n_bits
        self.n_iter = n_iter
        self.max_points_per_centroid = max_points_per_centroid
        self.seed = seed
        self.threads = threads

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
