"""Training on several threads: each thread trains replicas of the small dense
tables (the output matrix, the feature projection C, the feature-token
table) and merges them into the shared model every few examples,
and applies only every k-th of its updates of the busiest text rows, k times as
large, so every loss and fusion learns as on one thread; one thread trains in
place and stays reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import paired_modalities

import mmfast
from mmfast._core import _testing

FAST = dict(dim=16, epochs=10, buckets=10_000, n_subquantizers=4, n_bits=4, verbose=0)


@pytest.fixture(scope="module")
def data():
    return paired_modalities(3000), paired_modalities(1000, seed=1)


def fitted(texts, y, features=None, **params) -> mmfast.Classifier:
    return mmfast.Classifier(**{**FAST, **params}).fit(texts, y, features=features)


@pytest.mark.parametrize(
    "fusion, loss",
    [(fusion, "softmax") for fusion in ("add", "max", "gated", "bilinear_gated", "pq")]
    + [("add", loss) for loss in ("hs", "ns", "ova")],
)
def test_every_fusion_and_loss_learns_on_two_threads(data, fusion, loss):
    # Each modality alone gets about half right: only a model whose replicas
    # of the output matrix and C (pq: of the feature-token table) reached the
    # shared weights gets them all.
    (texts, X, y), (test_texts, test_X, test_y) = data
    clf = fitted(texts, y, X, fusion=fusion, loss=loss, n_jobs=2)
    assert clf.score(test_texts, test_y, features=test_X) > 0.9


def test_features_alone_learn_on_two_threads(data):
    (_, X, y), (_, test_X, test_y) = data
    clf = fitted(None, y, X, fusion="add", n_jobs=2)
    # The features tell apart only pairs of classes: about half right.
    assert clf.score(None, test_y, features=test_X) > 0.4


def test_single_thread_fused_fit_is_reproducible(data):
    (texts, X, y), (test_texts, test_X, _) = data
    a, b = (fitted(texts, y, X, fusion="add", n_jobs=1, random_state=3, epochs=2)
            .predict_proba(test_texts, features=test_X) for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_a_merge_adds_what_both_threads_changed():
    shared = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    after, copy = _testing.replica_steps(shared, steps=4, own_step=0.5, other_step=0.25)
    # The other thread's updates are kept, this thread's added, and the
    # replica then starts again from the sum.
    np.testing.assert_allclose(after, shared + 4 * (0.5 + 0.25), rtol=1e-6)
    np.testing.assert_array_equal(copy, after)


@pytest.mark.parametrize("loss", ["softmax", "hs", "ns", "ova"])
def test_text_models_learn_on_two_threads_as_on_one(loss):
    # 14,000 examples x 10 epochs: enough for two threads to thin their
    # writes of the rows of the text's frequent words.
    texts, _, y = paired_modalities(14_000)
    test_texts, _, test_y = paired_modalities(1000, seed=1)
    one, two = (fitted(texts, y, loss=loss, n_jobs=n).score(test_texts, test_y) for n in (1, 2))
    assert two > one - 0.05


def test_the_busiest_rows_are_hot_and_their_writes_thinned_k_fold():
    # Rows 3 and 7 are in every example, row 5 in two, row 9 in one.
    examples = [[3, 7, 5], [3, 7], [7, 3, 5], [3, 7, 9]]
    offsets = np.cumsum([0] + [len(e) for e in examples])
    ids = np.concatenate(examples).astype(np.int32)
    hot, factors = _testing.thinned_writes(offsets, ids, table_rows=12, n_hot=2, k=4,
                                           updates=np.array([3, 9, 7, 3, 3, 9, 7, 7, 3]))
    assert np.flatnonzero(hot).tolist() == [3, 7]
    # Cold rows are written every time; of the hot rows' updates, every 4th,
    # 4 times as large: the same sum in expectation.
    assert factors.tolist() == [0, 1, 0, 0, 4, 1, 0, 0, 0]


def test_rows_used_once_are_never_hot():
    offsets = np.array([0, 2, 4])
    ids = np.array([0, 1, 2, 3], dtype=np.int32)
    hot, _ = _testing.thinned_writes(offsets, ids, table_rows=4, n_hot=4, k=2,
                                     updates=np.array([0]))
    assert not hot.any()
