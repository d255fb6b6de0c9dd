"""Classifier.compress: pruned, product-quantized models (fastText.zip) that
predict, explain, save and pickle as any other."""

from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from model_format import reseal

import mmfast
from mmfast import _core, _jobs

DATA = Path(__file__).parent / "data"
FAST = dict(dim=16, epochs=5, lr=0.5, n_jobs=1, verbose=0)


@pytest.fixture(scope="module")
def multimodal():
    return mmfast.make_multimodal_classification(
        n_samples=600, n_classes=4, n_features=16, vocab_size=300, latent_dim=4, seed=3)


FUSIONS = [None, "add", "max", "gated", "bilinear_gated", "pq", "rspq"]


@pytest.mark.parametrize("fusion", FUSIONS + ["features only"])
def test_compressed_models_of_every_fusion_round_trip(fusion, multimodal, tmp_path):
    texts, X, y = multimodal
    features = None if fusion is None else X[:400]
    train_texts = None if fusion == "features only" else texts[:400]
    kind = "add" if fusion == "features only" else fusion
    clf = mmfast.Classifier(fusion=kind, n_subquantizers=4, n_bits=4, **FAST)
    clf.fit(train_texts, y[:400], features=features)
    small = clf.compress(train_texts, y[:400], features=features, n_rows=300)
    test_texts = None if train_texts is None else texts[400:]
    test_features = None if fusion is None else X[400:]
    proba = small.predict_proba(test_texts, features=test_features)
    # A features-only model of dense features has no rows to quantize.
    assert small._native.compressed == (fusion != "features only")
    assert not clf._native.compressed
    clf.save(tmp_path / "full.mmf")
    small.save(tmp_path / "small.mmf")
    assert os.path.getsize(tmp_path / "small.mmf") <= os.path.getsize(tmp_path / "full.mmf")
    for copy in (mmfast.load(tmp_path / "small.mmf"), pickle.loads(pickle.dumps(small))):
        np.testing.assert_array_equal(copy.predict_proba(test_texts, features=test_features),
                                      proba)
        # Saving a loaded compressed model writes the same file.
        assert copy._native.to_bytes(b"") == small._native.to_bytes(b"")
    # About as good as the full model (200 test examples: a few points are noise).
    full_score = clf.score(test_texts, y[400:], features=test_features)
    assert small.score(test_texts, y[400:], features=test_features) >= full_score - 0.1
    # explain reads the decoded rows: its contributions add up to the score.
    one = None if test_texts is None else test_texts[0]
    explanation = small.explain(one, None if test_features is None else test_features[0])
    if fusion in (None, "add", "pq", "rspq", "features only"):
        assert sum(c for _, c in explanation) == pytest.approx(explanation.score, abs=1e-4)


def test_the_readme_model_compresses_50_times_within_a_point(tmp_path):
    """The README's text model (3000 documents, dim 50), against the full
    model as saved today (only the rows training changed)."""
    texts, y = mmfast.make_text_classification(n_samples=3000, n_classes=5, vocab_size=2000)
    train, test = slice(0, 2000), slice(2000, None)
    clf = mmfast.Classifier(dim=50, epochs=10, lr=0.5, word_ngrams=2, loss="softmax",
                            verbose=0).fit(texts[train], y[train])
    small = clf.compress(texts[train], y[train], n_rows=1000)
    clf.save(tmp_path / "full.mmf")
    small.save(tmp_path / "small.mmf")
    ratio = os.path.getsize(tmp_path / "full.mmf") / os.path.getsize(tmp_path / "small.mmf")
    assert ratio >= 50
    assert small.score(texts[test], y[test]) >= clf.score(texts[test], y[test]) - 0.01


def test_max_cover_keeps_a_token_of_every_training_example():
    texts, y = mmfast.make_text_classification(n_samples=400, n_classes=3, vocab_size=500, seed=2)
    clf = mmfast.Classifier(**FAST).fit(texts, y)

    def covered(model):
        core = model._native
        return [core.table_rows("text", _core._testing.token_ids(core, text).astype(np.int64))[1]
                .any() for text in texts]

    by_norm = clf.compress(n_rows=40)
    by_cover = clf.compress(texts, y, n_rows=40, retrain_epochs=0)
    assert sum(covered(by_cover)) > sum(covered(by_norm))
    assert all(covered(clf.compress(texts, y, n_rows=150, retrain_epochs=0)))


def test_pruned_words_leave_the_vocabulary():
    texts, y = mmfast.make_text_classification(n_samples=400, n_classes=3, vocab_size=500, seed=2)
    clf = mmfast.Classifier(**FAST).fit(texts, y)
    small = clf.compress(n_rows=50)
    assert small._native.n_words <= 50 < clf._native.n_words
    assert small.buckets_ == clf.buckets_
    # The n-gram rows still answer: a text of pruned words keeps its n-grams.
    assert small.predict_proba(texts[:5]).shape == (5, 3)


def test_the_output_layer_can_be_quantized_too(tmp_path):
    texts, y = mmfast.make_text_classification(n_samples=1500, n_classes=20, vocab_size=1000,
                                               seed=4)
    clf = mmfast.Classifier(**{**FAST, "epochs": 10}).fit(texts[:1000], y[:1000])
    small = clf.compress(texts[:1000], y[:1000], n_rows=2000, qout=True)
    assert small._native.output_quantized
    small.save(tmp_path / "small.mmf")
    loaded = mmfast.load(tmp_path / "small.mmf")
    np.testing.assert_array_equal(loaded.predict_proba(texts), small.predict_proba(texts))
    assert small.score(texts[1000:], y[1000:]) >= clf.score(texts[1000:], y[1000:]) - 0.03


def test_compress_refuses_what_it_cannot_do():
    texts, y = mmfast.make_text_classification(n_samples=200, n_classes=3, vocab_size=300)
    clf = mmfast.Classifier(**FAST)
    with pytest.raises(Exception, match="not fitted"):
        clf.compress()
    clf.fit(texts, y)
    small = clf.compress(n_rows=100)
    with pytest.raises(ValueError, match="already compressed"):
        small.compress()
    with pytest.raises(ValueError, match="n_rows"):
        clf.compress(n_rows=0)
    with pytest.raises(ValueError, match="dsub must be in"):
        clf.compress(dsub=17)
    with pytest.raises(ValueError, match="not among the model's classes_: 99"):
        clf.compress(texts[:3], [99, y[1], y[2]])
    # fit starts over, as always: a full model again.
    assert not small.fit(texts, y)._native.compressed


def test_a_compressed_model_refuses_to_continue_training():
    """Its quantized rows cannot learn: partial_fit and a warm-started fit
    would move the output layer alone, so they refuse, and leave it as it was."""
    texts, y = mmfast.make_text_classification(n_samples=200, n_classes=3, vocab_size=300)
    small = mmfast.Classifier(**FAST).fit(texts, y).compress(texts, y, n_rows=100)
    before = small.predict_proba(texts)
    with pytest.raises(ValueError, match="partial_fit: this model is compressed"):
        small.partial_fit(texts, y)
    small.set_params(warm_start=True)
    with pytest.raises(ValueError, match="warm_start=True: this model is compressed"):
        small.fit(texts, y)
    np.testing.assert_array_equal(small.predict_proba(texts), before)


def test_models_of_format_version_3_still_load_with_the_same_predictions():
    """tests/data/v3_text.mmf: a text model (dim 8, 1000 buckets) written in
    format 3 on the first 200 examples below; v3_text.proba.npy holds its
    probabilities on the last 100, as this machine's kernels computed them
    (another CPU's or a sanitizer build's sums round in another order)."""
    texts, y = mmfast.make_text_classification(n_samples=300, n_classes=3, vocab_size=300,
                                               seed=7)
    clf = mmfast.load(DATA / "v3_text.mmf")
    np.testing.assert_allclose(clf.predict_proba(texts[200:]),
                               np.load(DATA / "v3_text.proba.npy"), rtol=1e-5, atol=1e-7)
    assert clf.compress(n_rows=100).predict_proba(texts[200:]).shape == (100, 3)


def test_a_forged_quantized_table_is_refused():
    texts, y = mmfast.make_text_classification(n_samples=200, n_classes=3, vocab_size=300)
    clf = mmfast.Classifier(**FAST, buckets=1000).fit(texts, y)
    data = bytearray(clf._native.to_bytes(b""))
    rows = clf._native.n_words + 1000
    header = data.rfind(struct.pack("<qq", rows, 16))  # the text table's
    n_words = (rows + 63) // 64
    encoding = header + 16 + 1 + 8 + 4 + 8 + 8 * n_words  # after the changed rows' bitmap
    assert data[encoding] == 0
    data[encoding] = 1  # product-quantized, but float rows follow
    with pytest.raises(ValueError, match="corrupt mmfast model"):
        _jobs.run(_core.Classifier.from_bytes(reseal(bytes(data))))
