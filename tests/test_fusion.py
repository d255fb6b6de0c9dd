"""Discretized multi-modal fusion: feature tokens from PQ / RSPQ codes join the
text's bag."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import paired_modalities

import mmfast

FAST = dict(dim=16, epochs=10, buckets=10_000, n_subquantizers=4, n_bits=4, verbose=0)


@pytest.fixture(scope="module")
def data():
    train = paired_modalities(3000)
    test = paired_modalities(1000, seed=1)
    return train, test


def fitted(texts, y, features=None, **params) -> mmfast.Classifier:
    return mmfast.Classifier(**{**FAST, **params}).fit(texts, y, features=features)


@pytest.mark.parametrize("fusion", ["pq", "rspq"])
def test_fusion_beats_each_modality(data, fusion):
    (texts, X, y), (test_texts, test_X, test_y) = data
    text_only = fitted(texts, y, fusion=None).score(test_texts, test_y)
    features_only = fitted(None, y, X, fusion=fusion).score(None, test_y, features=test_X)
    fused = fitted(texts, y, X, fusion=fusion, subspace_dim=8).score(
        test_texts, test_y, features=test_X
    )
    assert text_only < 0.65 and features_only < 0.65
    assert fused > 0.9
    assert fused > max(text_only, features_only) + 0.25


def test_fused_model_exposes_its_quantizer(data):
    (texts, X, y), _ = data
    clf = fitted(texts, y, X, fusion="rspq", subspace_dim=8)
    assert isinstance(clf.quantizer_, mmfast.RSPQ)
    assert clf.quantizer_.subspaces_.shape == (4, 8)
    assert clf.n_features_in_ == 32


def test_codes_can_be_passed_instead_of_features(data):
    (texts, X, y), (test_texts, test_X, test_y) = data
    quantizer = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4).fit(X)
    codes, test_codes = quantizer.transform(X), quantizer.transform(test_X)
    from_codes = fitted(texts, y, codes, fusion="pq")
    assert from_codes.quantizer_ is None
    assert from_codes.score(test_texts, test_y, features=test_codes) > 0.9
    with pytest.raises(ValueError, match="needs codes, not float features"):
        from_codes.predict(test_texts, features=test_X)
    # With the quantizer attached, floats and codes give the same predictions.
    attached = fitted(texts, y, codes, fusion="pq", quantizer=quantizer, threads=1)
    np.testing.assert_array_equal(
        attached.predict_proba(test_texts, features=test_X),
        attached.predict_proba(test_texts, features=test_codes),
    )


def test_save_load_and_pickle_keep_fused_predictions(data, tmp_path):
    (texts, X, y), (test_texts, test_X, _) = data
    clf = fitted(texts, y, X, fusion="pq")
    expected = clf.predict_proba(test_texts, features=test_X)
    clf.save(tmp_path / "fused.mmf")
    for restored in (mmfast.load(tmp_path / "fused.mmf"), pickle.loads(pickle.dumps(clf))):
        np.testing.assert_array_equal(restored.predict_proba(test_texts, features=test_X), expected)
        np.testing.assert_array_equal(restored.quantizer_.transform(test_X),
                                      clf.quantizer_.transform(test_X))
        assert restored.get_params()["fusion"] == "pq"


def test_missing_text_modality_at_prediction(data):
    (texts, X, y), (_, test_X, test_y) = data
    clf = fitted(texts, y, X, fusion="pq")
    proba = clf.predict_proba(None, features=test_X)
    assert proba.shape == (len(test_y), 6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)


def test_bad_features_are_refused(data):
    (texts, X, y), _ = data
    with pytest.raises(ValueError, match="features are required with fusion='pq'"):
        fitted(texts, y, None, fusion="pq")
    with pytest.raises(ValueError, match="fusion=None"):
        fitted(texts, y, X)
    with pytest.raises(ValueError, match="fusion must be one of"):
        fitted(texts, y, X, fusion="gated")
    with pytest.raises(ValueError, match="features has 2999 rows but there are 3000 examples"):
        fitted(texts, y, X[:-1], fusion="pq")
    bad = X.copy()
    bad[5, 3] = np.nan
    with pytest.raises(ValueError, match="features contains NaN or infinity"):
        fitted(texts, y, bad, fusion="pq")
    with pytest.raises(ValueError, match=r"features must be in \[0, 16\)"):
        fitted(texts, y, np.full((3000, 4), 16), fusion="pq")
    with pytest.raises(TypeError, match="needs a ProductQuantizer"):
        fitted(texts, y, X, fusion="pq", quantizer=mmfast.RSPQ())

    clf = fitted(texts, y, X, fusion="pq")
    with pytest.raises(ValueError, match="features has 31 features, but the estimator was fitted"):
        clf.predict(texts[:5], features=X[:5, :31])
    with pytest.raises(ValueError, match="features are required"):
        clf.predict(texts[:5])
    with pytest.raises(ValueError, match="features has 4 rows but there are 5 texts"):
        clf.predict(texts[:5], features=X[:4])
    with pytest.raises(ValueError, match=r"features must have shape \(n_samples, 4\)"):
        clf.predict(texts[:5], features=np.zeros((5, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="trained without features"):
        fitted(texts, y).predict(texts[:5], features=X[:5])


def test_unfitted_quantizer_parameter_is_left_untouched(data):
    (texts, X, y), _ = data
    quantizer = mmfast.RSPQ(n_subspaces=4, subspace_dim=8, n_bits=4)
    clf = fitted(texts, y, X, fusion="rspq", quantizer=quantizer)
    assert not hasattr(quantizer, "subspaces_")
    assert clf.quantizer_ is not quantizer and clf.quantizer_.subspaces_.shape == (4, 8)
