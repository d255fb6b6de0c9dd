"""Training that continues from the current weights: the core's hook
(``Classifier._continue_training``: passes over examples with a learning
rate moving from a start to an end), which partial_fit, warm_start and
data-parallel training are built on."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import paired_modalities, separable_texts

import mmfast


def small(**params) -> mmfast.Classifier:
    settings = dict(dim=16, epochs=1, lr=0.5, buckets=4096, n_jobs=1, verbose=0)
    return mmfast.Classifier(**{**settings, **params})


def weights(clf: mmfast.Classifier) -> dict[str, np.ndarray]:
    return {name: np.array(table) for name, table in clf._native.weights().items()}


@pytest.fixture(scope="module")
def texts_y():
    return separable_texts(1500, seed=3)


def test_continuing_starts_from_the_current_weights(texts_y):
    texts, y = texts_y
    clf = small().fit(texts[:300], y[:300])
    before = weights(clf)
    # A step size too small to move anything: the weights are not initialized again.
    clf._continue_training(texts, y, epochs=1, lr=1e-9, lr_end=0.0)
    for name, table in weights(clf).items():
        np.testing.assert_allclose(table, before[name], atol=1e-6, err_msg=name)
    low = clf.score(texts[1000:], y[1000:])
    clf._continue_training(texts[:1000], y[:1000], epochs=3, lr=0.5, lr_end=0.0)
    assert clf.score(texts[1000:], y[1000:]) > low + 0.1


def test_continuing_is_reproducible_with_one_thread(texts_y):
    texts, y = texts_y
    runs = []
    for seed in (1, 1, 2):
        clf = small().fit(texts[:300], y[:300])
        clf._continue_training(texts, y, epochs=1, lr=0.3, lr_end=0.1, seed=seed)
        runs.append(clf.predict_proba(texts[:100]))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_a_compiled_dataset_trains_as_its_lists(texts_y, tmp_path):
    texts, y = texts_y
    base = small().fit(texts[:300], y[:300])
    ds = mmfast.Dataset.from_texts(texts[300:], y[300:], tmp_path / "more.mmd",
                                   word_ngrams=2, buckets=4096)
    a, b = pickle.loads(pickle.dumps(base)), pickle.loads(pickle.dumps(base))
    a._continue_training(texts[300:], y[300:], epochs=2, lr=0.4, lr_end=0.0)
    b._continue_training(ds, epochs=2, lr=0.4, lr_end=0.0)
    np.testing.assert_array_equal(a.predict_proba(texts[:200]), b.predict_proba(texts[:200]))


@pytest.mark.parametrize("fusion", ["add", "gated", "pq"])
def test_every_fusion_continues(fusion):
    texts, X, y = paired_modalities(1500, seed=4)
    clf = small(fusion=fusion, n_subquantizers=4, n_bits=4).fit(texts[:200], y[:200],
                                                                features=X[:200])
    low = clf.score(texts[1000:], y[1000:], features=X[1000:])
    clf._continue_training(texts[:1000], y[:1000], X[:1000], epochs=4, lr=0.5, lr_end=0.0)
    assert clf.score(texts[1000:], y[1000:], features=X[1000:]) > low + 0.05


def test_continuing_refuses_what_the_model_cannot_take(texts_y):
    texts, y = texts_y
    clf = small().fit(texts[:300], y[:300])
    with pytest.raises(ValueError, match="not among the model's classes_: 99"):
        clf._continue_training(texts[:2], [0, 99], epochs=1, lr=0.1, lr_end=0.0)
    with pytest.raises(ValueError, match="lr_end must be <= lr"):
        clf._continue_training(texts[:2], y[:2], epochs=1, lr=0.1, lr_end=0.2)
    with pytest.raises(ValueError, match="features: this model was trained without"):
        clf._continue_training(texts[:2], y[:2], np.ones((2, 3)), epochs=1, lr=0.1, lr_end=0.0)
    with pytest.raises(mmfast.NotFittedError):
        small()._continue_training(texts[:2], y[:2], epochs=1, lr=0.1, lr_end=0.0)
