"""Discretized multi-modal fusion: feature tokens from PQ / RSPQ codes join the
text's bag."""

from __future__ import annotations

import pickle
from pathlib import Path

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
    attached = fitted(texts, y, codes, fusion="pq", quantizer=quantizer, n_jobs=1)
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
        fitted(texts, y, X, fusion="concat")
    with pytest.raises(ValueError, match="features has 2999 rows but there are 3000 texts"):
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
    with pytest.raises(ValueError, match="features has 31 features, but ProductQuantizer is"):
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


# -- continuous fusion ---------------------------------------------------------

CONTINUOUS = [("add", {}), ("max", {}), ("gated", {}), ("gated", {"gate": "features"}),
              ("bilinear_gated", {}), ("bilinear_gated_paper", {})]


@pytest.fixture(scope="module")
def generated():
    """The generator's task that neither modality solves alone."""
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=5500, n_classes=6, n_features=48, vocab_size=2000, latent_dim=8)
    return (texts[:4000], X[:4000], y[:4000]), (texts[4000:], X[4000:], y[4000:])


@pytest.mark.parametrize(("fusion", "extra"), CONTINUOUS)
def test_each_continuous_fusion_beats_both_modalities(generated, fusion, extra):
    (texts, X, y), (test_texts, test_X, test_y) = generated
    text_only = fitted(texts, y).score(test_texts, test_y)
    features_only = fitted(None, y, X, fusion=fusion, **extra)
    assert features_only.fusion_ == "features"
    features_score = features_only.score(None, test_y, features=test_X)
    fused = fitted(texts, y, X, fusion=fusion, **extra)
    assert fused.fusion_ == fusion and fused.n_features_in_ == 48
    score = fused.score(test_texts, test_y, features=test_X)
    assert text_only < 0.65 and features_score < 0.65
    assert score > max(text_only, features_score) + 0.2


def test_bilinear_gated_reads_the_features_without_the_text(generated):
    # In the paper's model the features only gate the text: with no known
    # word (t = 0) every class scores 0 whatever the features, and on a real
    # set (icons) it learned to ignore them. bilinear_gated's additive part
    # lets them count on their own.
    (texts, X, y), (_, test_X, test_y) = generated
    unknown = ["unseen"] * len(test_y)
    paper = fitted(texts, y, X, fusion="bilinear_gated_paper")
    np.testing.assert_allclose(paper.predict_proba(unknown, test_X), 1 / len(paper.classes_),
                               rtol=1e-5)
    fused = fitted(texts, y, X, fusion="bilinear_gated")
    assert fused.score(unknown, test_y, features=test_X) > 2 / len(fused.classes_)


def test_under_ova_the_bilinear_step_cap_is_divided_by_the_labels_per_example(generated):
    # Two labels per example: bilinear_gated's cap on lr (0.2) becomes 0.1, so
    # a fit asked for lr 0.5 trains as one at 0.1 (n_jobs=1). At
    # the cap alone bilinear_gated diverged on a real set of 3.1 labels each.
    (texts, X, y), _ = generated
    texts, X, y = texts[:600], X[:600], y[:600]
    two_labels = [[int(label), int(label + 1) % 6] for label in y]
    settings = dict(FAST, fusion="bilinear_gated", loss="ova", epochs=2, feature_lr=1e-3,
                    n_jobs=1)
    asked = mmfast.Classifier(**settings, lr=0.5).fit(texts, two_labels, features=X)
    capped = mmfast.Classifier(**settings, lr=0.1).fit(texts, two_labels, features=X)
    np.testing.assert_allclose(asked.predict_proba(texts[:50], X[:50]),
                               capped.predict_proba(texts[:50], X[:50]), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("fusion", "spread"), [("bilinear_gated", True),
                                                ("bilinear_gated_paper", True), ("add", False),
                                                ("gated", False)])
def test_only_bilinear_gates_start_spread(generated, fusion, spread):
    # bilinear_gated's gates sigmoid(u_j) must differ from the start: at 0.5
    # everywhere they all receive the same updates (model.cc). The others
    # start u as small as a text mean.
    (texts, X, y), _ = generated
    clf = fitted(texts[:500], y[:500], X[:500], fusion=fusion, lr=1e-6, epochs=1)
    weights = clf._native.weights()
    scaled = (X[:500] - weights["feature_mean"]) * weights["feature_inv_scale"]
    u = scaled @ weights["projection"].T
    gates = 1 / (1 + np.exp(-u))
    assert (gates.std() > 0.05) == spread
    if spread:
        assert 0.3 < u.std() < 1.0  # about 1 / sqrt(3), not saturating the sigmoid


@pytest.mark.parametrize(("fusion", "extra"), [*CONTINUOUS, ("pq", {}), ("rspq", {})])
def test_every_model_is_reproducible_and_round_trips(data, tmp_path, fusion, extra):
    (texts, X, y), (test_texts, test_X, _) = data
    params = dict(fusion=fusion, n_jobs=1, subspace_dim=8, **extra)
    clf = fitted(texts, y, X, **params)
    expected = clf.predict_proba(test_texts, features=test_X)
    np.testing.assert_array_equal(
        fitted(texts, y, X, **params).predict_proba(test_texts, features=test_X), expected)
    clf.save(tmp_path / "model.mmf")
    for restored in (mmfast.load(tmp_path / "model.mmf"), pickle.loads(pickle.dumps(clf))):
        assert restored.fusion_ == clf.fusion_
        assert restored.n_features_in_ == clf.n_features_in_
        assert restored.get_params() == {**clf.get_params(), "quantizer": None}
        np.testing.assert_array_equal(restored.predict_proba(test_texts, features=test_X),
                                      expected)


def test_features_only_model_has_no_text_table(data, tmp_path):
    (texts, X, y), (test_texts, test_X, _) = data
    clf = fitted(None, y, X, fusion="add", buckets=2_000_000)
    assert clf._native.weights()["text_embeddings"].shape == (0, 16)
    assert clf._native.n_words == 0
    clf.save(tmp_path / "features.mmf")
    assert (tmp_path / "features.mmf").stat().st_size < 100_000
    with pytest.raises(ValueError, match="trained on features only; pass texts=None"):
        clf.predict(test_texts, features=test_X)
    pq_only = fitted(None, y, X, fusion="pq", buckets=2_000_000)
    assert pq_only._native.weights()["text_embeddings"].shape == (0, 16)


def test_feature_tokens_are_weighed_by_the_texts_length_unless_alpha_is_given(data):
    # Four tokens per text, no n-grams: alpha_ = sqrt(n_codes / 4), so that a
    # step moves the tokens' mean (alpha^2 / n_codes) as far as the text's (1 / 4).
    _, X, y = data[0]
    texts = [f"w{i % 7} w{i % 11} w{i % 13} w{i % 17}" for i in range(len(y))]
    settings = dict(word_ngrams=1, buckets=0)
    for n_codes, alpha in ((4, 1.0), (16, 2.0)):
        clf = fitted(texts, y, X, fusion="pq", n_subquantizers=n_codes, **settings)
        assert clf.alpha_ == pytest.approx(alpha)
        assert clf.alpha is None
    assert fitted(texts, y, X, fusion="pq", alpha=0.3, **settings).alpha_ == pytest.approx(0.3)
    assert fitted(None, y, X, fusion="pq").alpha_ == 1.0  # no text to weigh against
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.alpha_ == pytest.approx(2.0)


def test_rspq_subspaces_cover_the_features_by_default(data):
    (texts, X, y), _ = data
    clf = fitted(texts, y, X, fusion="rspq")  # 32 features, 4 subspaces
    assert clf.quantizer_.subspaces_.shape == (4, 8)
    assert clf.subspace_dim is None


def test_features_are_converted_once_whatever_their_layout(data):
    (texts, X, y), (test_texts, test_X, _) = data
    clf = fitted(texts, y, X, fusion="add", n_jobs=1)
    expected = clf.predict_proba(test_texts, features=test_X)
    wide = np.zeros((len(test_X), 2 * test_X.shape[1]), dtype=np.float64)
    wide[:, ::2] = test_X
    for layout in (test_X.astype(np.float64), np.asfortranarray(test_X), wide[:, ::2]):
        np.testing.assert_array_equal(clf.predict_proba(test_texts, features=layout), expected)
    np.testing.assert_array_equal(
        fitted(texts, y, np.asfortranarray(X.astype(np.float64)), fusion="add", n_jobs=1)
        .predict_proba(test_texts, features=test_X),
        expected)


def test_feature_scaling_is_stored_and_can_be_turned_off(data):
    (texts, X, y), _ = data
    standard = fitted(texts, y, X, fusion="add")._native.weights()
    np.testing.assert_allclose(standard["feature_mean"], X.mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(1 / standard["feature_inv_scale"], X.std(axis=0), rtol=1e-3)
    raw = fitted(texts, y, X, fusion="add", feature_scaling=None)._native.weights()
    assert not raw["feature_mean"].any() and (raw["feature_inv_scale"] == 1).all()
    with pytest.raises(ValueError, match="feature_scaling must be one of"):
        fitted(texts, y, X, fusion="add", feature_scaling="minmax")


def test_bad_dense_features_are_refused(data):
    (texts, X, y), _ = data
    bad = X.copy()
    bad[7, 2] = np.inf
    with pytest.raises(ValueError, match="features contains NaN or infinity"):
        fitted(texts, y, bad, fusion="max")
    with pytest.raises(ValueError, match="features must be a 2-D array"):
        fitted(texts, y, X[:, 0], fusion="max")
    with pytest.raises(ValueError, match="features has 2999 rows but there are 3000 texts"):
        fitted(texts, y, X[:-1], fusion="gated")
    with pytest.raises(ValueError, match="features are required with fusion='add'"):
        fitted(texts, y, None, fusion="add")
    with pytest.raises(ValueError, match="gate must be one of"):
        fitted(texts, y, X, fusion="gated", gate="both")
    with pytest.raises(ValueError, match="feature_lr must be a finite number > 0"):
        fitted(texts, y, X, fusion="add", feature_lr=-1.0)
    clf = fitted(texts, y, X, fusion="add")
    with pytest.raises(ValueError, match="features has 31 features, but Classifier is"):
        clf.predict(texts[:5], features=X[:5, :31])
    with pytest.raises(ValueError, match="features are required"):
        clf.predict(texts[:5])
    with pytest.raises(ValueError, match="features contains NaN"):
        clf.predict(texts[:1], features=np.full((1, 32), np.nan))


def test_models_saved_by_format_version_1_are_refused_with_their_version():
    """tests/data/v1_text.mmf was written by mmfast before continuous fusion
    and before the checksum could be verified ahead of parsing (format 1)."""
    with pytest.raises(ValueError, match="unsupported mmfast model format version 1"):
        mmfast.load(Path(__file__).parent / "data" / "v1_text.mmf")


def test_unknown_format_version_is_refused_with_its_number(tmp_path):
    data = bytearray((Path(__file__).parent / "data" / "v1_text.mmf").read_bytes())
    data[4:8] = (7).to_bytes(4, "little")
    (tmp_path / "v7.mmf").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="unsupported mmfast model format version 7"):
        mmfast.load(tmp_path / "v7.mmf")


def test_bilinear_models_saved_before_its_additive_part_load_as_the_papers_model():
    """tests/data/v4_bilinear.mmf: fusion="bilinear_gated" (dim 4) written in
    format 4 by the paper's model, on the first 200 examples below;
    v4_bilinear.proba.npy holds its probabilities on the last 100."""
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=300, n_classes=4, n_features=6, vocab_size=300, latent_dim=4, seed=7)
    clf = mmfast.load(Path(__file__).parent / "data" / "v4_bilinear.mmf")
    assert clf.fusion == clf.fusion_ == "bilinear_gated_paper"
    np.testing.assert_allclose(clf.predict_proba(texts[200:], features=X[200:]),
                               np.load(Path(__file__).parent / "data" / "v4_bilinear.proba.npy"),
                               rtol=1e-5, atol=1e-7)
    # A refit makes the model that the file holds.
    refit = mmfast.Classifier(**clf.get_params()).fit(texts[:200], y[:200], features=X[:200])
    assert refit._native.weights()["output"].shape == clf._native.weights()["output"].shape


def test_features_only_models_learn_how_frequent_each_class_is():
    # Standardized features have mean zero: without an intercept a linear
    # model of them scores every class 0 on an average example. Here the
    # features say nothing, and only the intercept can learn that 80% of the
    # examples are of class 0 (before it: about half of them predicted 1).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 16)).astype(np.float32)
    y = (rng.random(1000) < 0.2).astype(int)
    clf = mmfast.Classifier(fusion="add", dim=8, n_jobs=1, verbose=0).fit(None, y, features=X)
    new = rng.normal(size=(500, 16)).astype(np.float32)
    assert np.mean(clf.predict(None, features=new) == 0) > 0.9
    # The intercept is the output layer's last column, beside dim weights.
    assert clf._native.weights()["output"].shape == (2, 9)


def test_features_only_models_of_format_version_4_load_without_an_intercept():
    """tests/data/v4_features.mmf: a features-only model (dim 4, 8 features)
    written in format 4, before features-only models had an intercept,
    trained on the first 200 examples below; v4_features.proba.npy holds its
    probabilities on the last 100, as this machine's kernels computed them."""
    _, X, _ = mmfast.make_multimodal_classification(
        n_samples=300, n_classes=4, n_features=8, vocab_size=200, latent_dim=3, seed=5)
    clf = mmfast.load(Path(__file__).parent / "data" / "v4_features.mmf")
    np.testing.assert_allclose(clf.predict_proba(None, features=X[200:]),
                               np.load(Path(__file__).parent / "data" / "v4_features.proba.npy"),
                               rtol=1e-5, atol=1e-7)
    assert clf._native.weights()["output"].shape == (4, 4)
