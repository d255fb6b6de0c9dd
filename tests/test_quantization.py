"""Behaviour of mmfast.KMeans, ProductQuantizer and RSPQ (never timing)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mmfast
from mmfast import _core, _jobs


def gaussian_mixture(n: int, d: int, n_blobs: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = 3.0 * rng.standard_normal((n_blobs, d))
    return (centers[rng.integers(0, n_blobs, n)] + rng.standard_normal((n, d))).astype(np.float32)


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return gaussian_mixture(3000, 24)


def mse(quantizer, X: np.ndarray) -> float:
    return float(((quantizer.inverse_transform(quantizer.transform(X)) - X) ** 2).mean())


# --- k-means -----------------------------------------------------------------


def test_kmeans_objective_never_increases(X):
    kmeans = mmfast.KMeans(n_clusters=32, n_iter=15).fit(X)
    objective = kmeans.objective_
    assert objective.shape == (15,)
    assert np.all(np.diff(objective) <= 1e-4 * objective[:-1])
    assert objective[-1] < 0.8 * objective[0]


def test_kmeans_finds_every_well_separated_blob():
    # A random start (as in faiss) can put two centers in one blob when k equals
    # the number of blobs, so give k-means more centers than blobs: every blob
    # must get a center, and every center must sit in a blob.
    rng = np.random.default_rng(42)
    true_centers = rng.uniform(-10, 10, (5, 16))
    X = np.repeat(true_centers, 400, axis=0) + 0.1 * rng.standard_normal((2000, 16))
    kmeans = mmfast.KMeans(n_clusters=40, random_state=3).fit(X)
    distances = np.sqrt(((kmeans.cluster_centers_[:, None] - true_centers[None]) ** 2).sum(-1))
    assert distances.min(axis=1).max() < 0.5  # each found center is in a blob
    assert distances.min(axis=0).max() < 0.5  # each blob has a found center


def test_kmeans_labels_are_the_nearest_centers(X):
    kmeans = mmfast.KMeans(n_clusters=20, n_iter=5).fit(X)
    distances = ((X[:, None, :] - kmeans.cluster_centers_[None]) ** 2).sum(-1)
    labels = kmeans.predict(X)
    assert labels.shape == (len(X),)
    np.testing.assert_array_equal(labels, distances.argmin(axis=1))
    np.testing.assert_array_equal(labels, kmeans.labels_)
    assert kmeans.inertia_ == pytest.approx(distances.min(axis=1).sum(), rel=1e-4)
    # transform: the distance to every center, as sklearn.cluster.KMeans's.
    np.testing.assert_allclose(kmeans.transform(X[:50]) ** 2, distances[:50], rtol=1e-3, atol=1e-3)
    assert kmeans.n_features_in_ == X.shape[1] and kmeans.n_iter_ == 5


def test_kmeans_with_fewer_samples_than_clusters_is_refused():
    with pytest.raises(ValueError, match="X has n_samples=10, fewer than the 16 clusters"):
        mmfast.KMeans(n_clusters=16).fit(np.zeros((10, 3)))


# --- reconstruction quality ------------------------------------------------


def test_pq_error_falls_as_subquantizers_and_bits_grow(X):
    by_m = [mse(mmfast.ProductQuantizer(n_subquantizers=m, n_bits=6).fit(X), X) for m in (2, 4, 8)]
    assert by_m[0] > by_m[1] > by_m[2]
    by_bits = [
        mse(mmfast.ProductQuantizer(n_subquantizers=4, n_bits=b).fit(X), X) for b in (2, 4, 6)
    ]
    assert by_bits[0] > by_bits[1] > by_bits[2]


def test_rspq_error_falls_as_subspaces_and_bits_grow(X):
    by_r = [mse(mmfast.RSPQ(n_subspaces=r, subspace_dim=6, n_bits=6).fit(X), X) for r in (2, 6, 16)]
    assert by_r[0] > by_r[1] > by_r[2]
    by_bits = [
        mse(mmfast.RSPQ(n_subspaces=8, subspace_dim=6, n_bits=b).fit(X), X) for b in (2, 4, 6)
    ]
    assert by_bits[0] > by_bits[1] > by_bits[2]


# --- exactness -------------------------------------------------------------


@pytest.mark.parametrize("n_subquantizers", [4, 5])  # 24 = 4 x 6; 5 gives 5,5,5,5,4
def test_pq_decoding_a_code_gives_its_centroids(X, n_subquantizers):
    pq = mmfast.ProductQuantizer(n_subquantizers=n_subquantizers, n_bits=4).fit(X)
    bounds = pq.subvector_bounds_
    assert bounds[0] == 0 and bounds[-1] == X.shape[1]
    assert np.diff(bounds).max() - np.diff(bounds).min() <= 1
    codes = pq.transform(X[:50])
    decoded = pq.inverse_transform(codes)
    for m, centroids in enumerate(pq.centroids_):
        np.testing.assert_array_equal(decoded[:, bounds[m] : bounds[m + 1]], centroids[codes[:, m]])
    np.testing.assert_array_equal(pq.transform(decoded), codes)


def test_rspq_uncovered_features_decode_to_their_mean(X):
    rspq = mmfast.RSPQ(n_subspaces=2, subspace_dim=3, n_bits=4).fit(X)
    uncovered = np.setdiff1d(np.arange(X.shape[1]), rspq.subspaces_.ravel())
    decoded = rspq.inverse_transform(rspq.transform(X[:5]))
    np.testing.assert_allclose(
        decoded[:, uncovered],
        np.broadcast_to(X.mean(0)[uncovered], (5, len(uncovered))),
        rtol=1e-5,
        atol=1e-5,
    )


def test_rspq_averages_overlapping_subspaces(X):
    rspq = mmfast.RSPQ(n_subspaces=2, subspace_dim=X.shape[1], n_bits=4).fit(X)
    codes = rspq.transform(X[:20])
    first, second = rspq.centroids_
    expected = (first[codes[:, 0]] + second[codes[:, 1]]) / 2
    np.testing.assert_allclose(rspq.inverse_transform(codes), expected, rtol=1e-6, atol=1e-6)


def test_rspq_subspaces_are_seeded(X):
    def subspaces(seed: int) -> np.ndarray:
        rspq = mmfast.RSPQ(n_subspaces=5, subspace_dim=7, n_bits=2, random_state=seed)
        return rspq.fit(X).subspaces_

    first = subspaces(1)
    assert first.shape == (5, 7) and first.dtype == np.int32
    assert all(len(set(row)) == 7 and list(row) == sorted(row) for row in first)
    assert first.min() >= 0 and first.max() < X.shape[1]
    np.testing.assert_array_equal(first, subspaces(1))
    assert not np.array_equal(first, subspaces(2))


# --- reproducibility and persistence ------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda threads: mmfast.KMeans(n_clusters=16, random_state=5, n_jobs=threads),
        lambda threads: mmfast.ProductQuantizer(
            n_subquantizers=3, n_bits=5, random_state=5, n_jobs=threads
        ),
        lambda threads: mmfast.RSPQ(
            n_subspaces=3, subspace_dim=5, n_bits=5, random_state=5, n_jobs=threads
        ),
    ],
)
def test_same_seed_gives_bit_identical_models(X, make):
    def centroids(threads: int) -> list[np.ndarray]:
        fitted = make(threads).fit(X)
        return (
            [fitted.cluster_centers_] if hasattr(fitted, "cluster_centers_") else fitted.centroids_
        )

    single = centroids(1)
    for again in (centroids(1), centroids(2)):  # the thread count does not matter either
        for a, b in zip(single, again):
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "quantizer",
    [
        mmfast.KMeans(n_clusters=8),
        mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4),
        mmfast.RSPQ(n_subspaces=4, subspace_dim=5, n_bits=4),
    ],
)
def test_pickling_round_trip(X, quantizer):
    quantizer.fit(X)
    restored = pickle.loads(pickle.dumps(quantizer))
    codes = quantizer.transform(X)
    np.testing.assert_array_equal(restored.transform(X), codes)
    if hasattr(quantizer, "inverse_transform"):
        np.testing.assert_array_equal(
            restored.inverse_transform(codes), quantizer.inverse_transform(codes)
        )
    assert restored.get_params() == quantizer.get_params()


def test_corrupt_bytes_are_refused(X):
    data = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4).fit(X)._native.to_bytes()
    with pytest.raises(ValueError, match="corrupt mmfast model"):
        _jobs.run(_core.Quantizer.from_bytes(data[:-20]))
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    with pytest.raises(ValueError, match="corrupt"):
        _jobs.run(_core.Quantizer.from_bytes(bytes(flipped)))
    with pytest.raises(ValueError, match="not an mmfast model"):
        _jobs.run(_core.Quantizer.from_bytes(b"junk" * 10))


def test_code_dtypes_follow_n_bits(X):
    assert (
        mmfast.ProductQuantizer(n_subquantizers=2, n_bits=8).fit(X).transform(X).dtype == np.uint8
    )
    pq = mmfast.ProductQuantizer(n_subquantizers=2, n_bits=9, n_iter=2).fit(X)
    codes = pq.transform(X)
    assert codes.dtype == np.uint16 and codes.max() < 512
    # Any integer dtype decodes, once in range.
    np.testing.assert_array_equal(
        pq.inverse_transform(codes.astype(np.int64)), pq.inverse_transform(codes)
    )


def test_params_follow_sklearn_conventions():
    pq = mmfast.ProductQuantizer(n_subquantizers=3)
    assert pq.get_params() == {
        "n_subquantizers": 3,
        "n_bits": 8,
        "n_iter": 25,
        "max_points_per_centroid": 256,
        "random_state": 0,
        "n_jobs": None,
        "verbose": 0,
    }
    assert pq.set_params(n_bits=4) is pq and pq.n_bits == 4
    with pytest.raises(ValueError, match="invalid parameter 'bits'"):
        pq.set_params(bits=4)
    assert not hasattr(mmfast.RSPQ(subspace_dim=1000), "subspaces_")  # __init__ only stores


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, message",
    [
        (mmfast.ProductQuantizer(n_bits=0), r"n_bits must be in \[1, 16\], got 0"),
        (mmfast.ProductQuantizer(n_bits=17), r"n_bits must be in \[1, 16\], got 17"),
        (
            mmfast.ProductQuantizer(n_subquantizers=25),
            "n_subquantizers=25 exceeds the number of features of X",
        ),
        (mmfast.ProductQuantizer(n_subquantizers=0), "n_subquantizers must be >= 1"),
        (mmfast.RSPQ(subspace_dim=25), "subspace_dim=25 exceeds the number of features of X"),
        (mmfast.RSPQ(n_subspaces=-1), r"n_subspaces must be in \[1"),
        (mmfast.RSPQ(n_iter=0), "n_iter must be >= 1"),
        (mmfast.KMeans(n_clusters=0), r"n_clusters must be in \[1"),
        (mmfast.KMeans(max_points_per_centroid=0), "max_points_per_centroid must be >= 1"),
        (mmfast.KMeans(random_state=-1), "random_state must be in"),
        (mmfast.KMeans(n_jobs=0), "n_jobs must be >= 1"),
    ],
)
def test_bad_params_are_named(X, estimator, message):
    with pytest.raises(ValueError, match=message):
        estimator.fit(X)


def test_non_integer_params_are_a_type_error(X):
    with pytest.raises(TypeError, match="n_bits must be an int, got float"):
        mmfast.ProductQuantizer(n_bits=4.0).fit(X)


@pytest.mark.parametrize("cls", [mmfast.KMeans, mmfast.ProductQuantizer, mmfast.RSPQ])
def test_bad_X_is_named(cls, X):
    estimator = cls(n_bits=2) if cls is not mmfast.KMeans else cls(n_clusters=4)
    with pytest.raises(mmfast.NotFittedError, match=f"this {cls.__name__} is not fitted yet"):
        estimator.transform(X)
    with pytest.raises(ValueError, match=r"X must be a 2-D array .* got shape \(24,\)"):
        estimator.fit(X[0])
    with pytest.raises(TypeError, match="X must be a 2-D array of numbers"):
        estimator.fit([["a", "b"]])
    with_nan = X.copy()
    with_nan[3, 4] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        estimator.fit(with_nan)
    with pytest.raises(ValueError, match="X has n_samples=2, fewer than the 4"):
        estimator.fit(X[:2])
    estimator.fit(X)
    with pytest.raises(ValueError, match=f"X has 23 features, but {cls.__name__} is expecting 24"):
        estimator.transform(X[:, 1:])
    X_inf = X[:5].copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        estimator.transform(X_inf)


@pytest.mark.parametrize("cls", [mmfast.ProductQuantizer, mmfast.RSPQ])
def test_bad_codes_are_named(cls, X):
    quantizer = cls(n_bits=3).fit(X)  # 8 codes per vector, values in [0, 8)
    codes = quantizer.transform(X[:4])
    with pytest.raises(ValueError, match=r"codes must be in \[0, 8\), got values in \[0, 8\]"):
        quantizer.inverse_transform(np.where(codes == codes[0, 0], 8, codes))
    with pytest.raises(ValueError, match=r"codes must be in \[0, 8\)"):
        quantizer.inverse_transform(codes.astype(np.int64) - 1)
    with pytest.raises(
        ValueError, match=r"codes must have shape \(n_samples, 8\), got shape \(4, 7\)"
    ):
        quantizer.inverse_transform(codes[:, 1:])
    with pytest.raises(TypeError, match="codes must be an integer array, got dtype float32"):
        quantizer.inverse_transform(codes.astype(np.float32))


def test_native_layer_names_shapes_and_dtypes():
    pq = _core.ProductQuantizer(8, 2, 2)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 8\), got \(5, 3\)"):
        _jobs.run(pq.train(np.zeros((5, 3), np.float32)))
    _jobs.run(pq.train(np.random.default_rng(0).standard_normal((64, 8)).astype(np.float32)))
    with pytest.raises(TypeError, match="codes must be a uint8 or uint16 array"):
        _jobs.run(pq.decode(np.zeros((3, 2), np.int32)))
    with pytest.raises(ValueError, match=r"code 9 out of range \[0, 4\)"):
        _jobs.run(pq.decode(np.full((3, 2), 9, np.uint16)))
