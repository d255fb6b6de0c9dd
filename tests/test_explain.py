"""Classifier.explain and top_feature_tokens: the contributions add up to the
class's score, and that score is the model's own (checked against predict_proba,
which the C++ core computes)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mmfast
from mmfast import _core
from mmfast._explain import CONTINUOUS, INTERCEPT, FeatureToken

SMALL = dict(dim=8, epochs=5, lr=0.5, buckets=5000, n_subquantizers=4, n_bits=4,
             subspace_dim=4, verbose=0)
MODELS = [  # (fusion, extra parameters, trained on texts)
    (None, {}, True), ("add", {}, True), ("pq", {}, True), ("rspq", {}, True),
    ("max", {}, True), ("gated", {}, True), ("gated", {"gate": "text"}, True),
    ("bilinear_gated", {}, True), ("add", {}, False), ("pq", {}, False),
]


@pytest.fixture(scope="module")
def data():
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=800, n_classes=4, n_features=16, vocab_size=400, latent_dim=4, seed=3)
    return texts, X, y


def fit(data, fusion=None, with_text=True, y=None, **params):
    texts, X, labels = data
    clf = mmfast.Classifier(**{**SMALL, "fusion": fusion, **params})
    return clf.fit(texts if with_text else None, labels if y is None else y,
                   features=None if fusion is None else X)


def example(data, fusion, with_text, i=0):
    texts, X, _ = data
    # An out-of-vocabulary word: it only counts through its n-grams.
    return (texts[i] + " unseen" if with_text else None), (None if fusion is None else X[i])


def total(explanation):
    return sum(contribution for _, contribution in explanation)


@pytest.mark.parametrize(("fusion", "extra", "with_text"), MODELS)
def test_contributions_sum_to_the_models_softmax_logits(data, fusion, extra, with_text):
    clf = fit(data, fusion, with_text, **extra)
    text, features = example(data, fusion, with_text)
    explanations = [clf.explain(text, features, label=c) for c in clf.classes_]
    scores = np.array([e.score for e in explanations])
    for e in explanations:
        assert total(e) == pytest.approx(e.score, rel=1e-5, abs=1e-5)
    # The scores are the logits: their softmax is the model's predict_proba.
    proba = clf.predict_proba(None if text is None else [text],
                              None if features is None else features[None])[0]
    log_softmax = scores - scores.max() - np.log(np.exp(scores - scores.max()).sum())
    np.testing.assert_allclose(log_softmax, np.log(proba), atol=1e-4)
    predicted = clf.explain(text, features)
    assert predicted.label == clf.classes_[np.argmax(proba)]
    assert predicted == explanations[int(np.argmax(proba))]
    # A features-only model of dense features scores its intercept too.
    intercept = fusion == "add" and not with_text
    assert (predicted[-1][0] == INTERCEPT) == intercept == ("intercept" in predicted.meaning)


@pytest.mark.parametrize("loss", ["ova", "ns"])
def test_sigmoid_losses_explain_the_class_logit(data, loss):
    clf = fit(data, "add", loss=loss)
    text, features = example(data, "add", True)
    proba = clf.predict_proba([text], features[None])[0]
    for c, p in zip(clf.classes_, proba):
        e = clf.explain(text, features, label=c)
        assert total(e) == pytest.approx(e.score, rel=1e-5, abs=1e-5)
        assert 1 / (1 + np.exp(-e.score)) == pytest.approx(p, rel=1e-4, abs=1e-6)


def test_hierarchical_softmax_explains_the_signed_path(data):
    # With two classes the tree has one decision: p(class) = sigmoid(score).
    texts, _, y = data
    clf = fit(data, "pq", loss="hs", y=y % 2)
    text, features = example(data, "pq", True)
    proba = clf.predict_proba([text], features[None])[0]
    scores = [clf.explain(text, features, label=c).score for c in clf.classes_]
    assert scores[0] == pytest.approx(-scores[1], rel=1e-6)
    np.testing.assert_allclose(1 / (1 + np.exp(-np.array(scores))), proba, rtol=1e-4)
    # More classes: p(class) is the product of the sigmoids of its path's terms.
    many = fit(data, None, loss="hs")
    for c in many.classes_:
        rows, signs = many._native.score_terms(int(np.flatnonzero(many.classes_ == c)[0]))
        assert len(rows) == len(signs) >= 1 and set(signs) <= {-1.0, 1.0}
        e = many.explain(text, label=c)
        assert total(e) == pytest.approx(e.score, rel=1e-5, abs=1e-5)
        assert "hs" in e.meaning


def test_tokens_are_the_words_and_ngrams_in_encoding_order():
    texts = ["a b c", "b c a", "c a b"] * 20
    clf = mmfast.Classifier(**{**SMALL, "word_ngrams": 3}).fit(texts, [0, 1, 2] * 20)
    e = clf.explain("a b zzz c")
    assert [token for token, _ in e] == ["a", "b", "c", "a b", "a b zzz", "b zzz",
                                         "b zzz c", "zzz c"]
    assert e.words == ["a", "b", "zzz", "c"]
    assert e.spans[:4] == [(0, 1), (1, 2), (3, 4), (0, 2)]
    words, rows, _ = clf._native.token_rows("a b zzz c")
    np.testing.assert_array_equal(rows, _core._testing.token_ids(clf._native, "a b zzz c"))
    # Each word is shaded by its own part and an equal share of its n-grams'.
    contributions = dict(e)
    assert e.word_weights()[2] == pytest.approx(
        contributions["a b zzz"] / 3 + contributions["b zzz"] / 2
        + contributions["b zzz c"] / 3 + contributions["zzz c"] / 2)
    assert clf.explain("").score == 0.0 and clf.explain("") == []


def test_the_repr_shows_the_label_and_score(data):
    clf = fit(data, "pq")
    texts, X, _ = data
    e = clf.explain(texts[0], X[0])
    assert repr(e).startswith(f"Explanation(label={e.label!r}, score={e.score:.4f}, [(")


def test_feature_entries(data):
    text, features = example(data, "pq", True)
    pq = fit(data, "pq")
    tokens = [token for token, _ in pq.explain(text, features) if not isinstance(token, str)]
    codes = pq.quantizer_.transform(features[None])[0]
    assert tokens == [FeatureToken(m, int(c)) for m, c in enumerate(codes)]
    # Codes are accepted in place of the features.
    assert pq.explain(text, codes) == pq.explain(text, features)
    add = fit(data, "add")
    assert [token for token, _ in add.explain(text, features)][-1] == CONTINUOUS


def test_what_the_gated_fusions_leave_out(data):
    text, features = example(data, "gated", True)
    by_features = fit(data, "gated").explain(text, features)  # the default gate: the features
    assert CONTINUOUS not in dict(by_features) and "gate" in by_features.meaning
    by_text = fit(data, "gated", gate="text").explain(text, features)
    assert list(dict(by_text)) == [CONTINUOUS]
    bilinear = fit(data, "bilinear_gated").explain(text, features)
    assert CONTINUOUS not in dict(bilinear) and len(bilinear) > 0


def test_explanation_is_a_list_that_renders_as_html(data):
    clf = fit(data)
    e = clf.explain("w1 <b>&")
    assert isinstance(e, list) and e == [tuple(pair) for pair in e]
    html = e._repr_html_()
    assert "&lt;b&gt;" in html and "&amp;" in html and "<b>" + str(e.label) in html
    assert pickle.loads(pickle.dumps(clf)).explain("w1 <b>&") == e


def test_explain_refuses_bad_input(data):
    clf = fit(data, "add")
    text, features = example(data, "add", True)
    with pytest.raises(ValueError, match="label"):
        clf.explain(text, features, label="no such class")
    with pytest.raises(ValueError, match="features"):
        clf.explain(text, np.vstack([features, features]))
    with pytest.raises(ValueError, match="features"):
        clf.explain(text)
    with pytest.raises(TypeError, match="text"):
        clf.explain([text], features)
    with pytest.raises(mmfast.NotFittedError):
        mmfast.Classifier().explain("a")
    with pytest.raises(ValueError, match="feature tokens"):
        clf.top_feature_tokens(clf.classes_[0])


@pytest.mark.parametrize("fusion", ["pq", "rspq"])
def test_top_feature_tokens(data, fusion):
    clf = fit(data, fusion)
    label = clf.classes_[1]
    top = clf.top_feature_tokens(label, n=5)
    assert len(top) == 5
    scores = [t.score for t in top]
    assert scores == sorted(scores, reverse=True)
    everything = clf.top_feature_tokens(label, n=10_000)
    assert len(everything) == 4 * 16
    assert [t[:3] for t in everything[:5]] == [t[:3] for t in top]
    q = clf.quantizer_
    for t in top:
        np.testing.assert_array_equal(t.center, q.centroids_[t.subquantizer][t.centroid])
        expected_dims = (q.subspaces_[t.subquantizer] if fusion == "rspq" else np.arange(
            q.subvector_bounds_[t.subquantizer], q.subvector_bounds_[t.subquantizer + 1]))
        np.testing.assert_array_equal(t.dims, expected_dims)
    # A token's score is what it contributes to an example that has it.
    text, features = example(data, fusion, True)
    by_token = {(t.subquantizer, t.centroid): t.score for t in everything}
    for token, contribution in clf.explain(text, features, label=label):
        if isinstance(token, FeatureToken):
            assert by_token[token] == pytest.approx(contribution, rel=1e-4, abs=1e-6)
