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


# --- partial_fit and warm_start ----------------------------------------------


def batches(n: int, k: int) -> list[np.ndarray]:
    return np.array_split(np.arange(n), k)


def test_partial_fit_over_batches_is_within_a_point_of_fit():
    texts, y = mmfast.make_text_classification(n_samples=5000, n_classes=5, vocab_size=2000,
                                               seed=2)
    texts = np.asarray(texts, dtype=object)
    train, test = slice(0, 4000), slice(4000, None)
    params = dict(dim=20, epochs=5, lr=0.5, buckets=65536, n_jobs=1, verbose=0)
    full = mmfast.Classifier(**params).fit(list(texts[train]), y[train])
    stream = mmfast.Classifier(**params)
    for _ in range(5):  # the same data, the same passes, in 10 batches
        for rows in batches(4000, 10):
            stream.partial_fit(list(texts[rows]), y[rows], classes=np.arange(5))
    expected = full.score(list(texts[test]), y[test])
    assert stream.score(list(texts[test]), y[test]) >= expected - 0.01


def test_the_first_batch_fixes_classes_and_vocabulary(texts_y):
    texts, y = texts_y
    with pytest.raises(ValueError, match="first partial_fit needs every label"):
        small().partial_fit(texts[:10], y[:10])
    first = [i for i in range(600) if y[i] != 4]  # class 4 comes later
    clf = small().partial_fit([texts[i] for i in first], y[first], classes=[0, 1, 2, 3, 4])
    words = clf._native.n_words
    assert list(clf.classes_) == [0, 1, 2, 3, 4]
    for _ in range(3):
        for rows in batches(1000, 4):
            clf.partial_fit([texts[i] for i in rows], y[rows])
    # Class 4's words came after the vocabulary was fixed: it is learned
    # through the hashed n-grams they take part in.
    assert clf._native.n_words == words
    assert clf.score(texts[1000:], y[1000:]) > 0.9
    assert np.mean(clf.predict(texts[1000:])[y[1000:] == 4] == 4) > 0.5
    with pytest.raises(ValueError, match="not among the model's classes_: 7"):
        clf.partial_fit(texts[:2], [0, 7])
    with pytest.raises(ValueError, match="is not the model's classes_"):
        clf.partial_fit(texts[:2], y[:2], classes=[0, 1])


def test_a_stream_takes_the_largest_table_unless_told():
    clf = mmfast.Classifier(dim=2, verbose=0, n_jobs=1)
    clf.partial_fit(["a b c", "b c d"], ["x", "y"], classes=["x", "y"])
    assert clf.buckets_ == mmfast._core.MAX_AUTO_BUCKETS


def test_partial_fit_reads_files_and_compiled_datasets(texts_y, tmp_path):
    texts, y = texts_y
    mmfast.write_fasttext_file(tmp_path / "a.txt", texts[:500], y[:500])
    ds = mmfast.Dataset.from_texts(texts[500:1000], y[500:1000].astype(str), tmp_path / "b.mmd",
                                   word_ngrams=2, buckets=4096)
    clf = small().partial_fit(tmp_path / "a.txt", classes=[str(c) for c in range(5)])
    for _ in range(3):
        clf.partial_fit(ds).partial_fit(tmp_path / "a.txt")
    assert clf.score(texts[1000:], y[1000:].astype(str)) > 0.8
    with pytest.raises(ValueError, match="must carry exactly its classes"):
        small().partial_fit(ds, classes=[str(c) for c in range(6)])
    assert small().partial_fit(ds, classes=[str(c) for c in range(5)]).score(ds) > 0.2


@pytest.mark.parametrize("fusion", ["add", "pq"])
def test_scaling_and_quantizer_are_fixed_by_the_first_batch(fusion):
    texts, X, y = paired_modalities(1600, seed=5)
    clf = small(fusion=fusion, n_subquantizers=4, n_bits=4)
    clf.partial_fit(texts[:400], y[:400], features=X[:400], classes=np.arange(6))
    fixed = {name: table for name, table in weights(clf).items()
             if name.startswith("feature_") and not name.endswith("embeddings")}
    centroids = None if clf.quantizer_ is None else clf.quantizer_.transform(X[:50])
    for _ in range(4):
        for rows in batches(1200, 3):
            clf.partial_fit([texts[i] for i in rows], y[rows], features=X[rows])
    for name, table in fixed.items():
        np.testing.assert_array_equal(weights(clf)[name], table, err_msg=name)
    if centroids is not None:
        np.testing.assert_array_equal(clf.quantizer_.transform(X[:50]), centroids)
    assert clf.score(texts[1200:], y[1200:], features=X[1200:]) > 0.8


def test_a_stream_survives_saving(texts_y, tmp_path):
    texts, y = texts_y
    clf = small().partial_fit(texts[:500], y[:500], classes=np.arange(5))
    clf.save(tmp_path / "m.mmf")
    loaded = mmfast.load(tmp_path / "m.mmf")
    for c in (clf, loaded):
        c.partial_fit(texts[500:1000], y[500:1000])
    np.testing.assert_array_equal(clf.predict_proba(texts[:50]), loaded.predict_proba(texts[:50]))


def test_warm_start_continues_from_the_weights(texts_y):
    texts, y = texts_y
    clf = small(warm_start=True).fit(texts[:300], y[:300])
    words, before = clf._native.n_words, weights(clf)
    clf.set_params(lr=1e-9).fit(texts[300:1000], y[300:1000])  # too small to move anything
    for name, table in weights(clf).items():
        np.testing.assert_allclose(table, before[name], atol=1e-6, err_msg=name)
    low = clf.score(texts[1000:], y[1000:])
    clf.set_params(lr=0.5, epochs=3).fit(texts[:1000], y[:1000])
    assert clf._native.n_words == words and clf.score(texts[1000:], y[1000:]) > low + 0.1
    fresh = small(warm_start=False).fit(texts[:1000], y[:1000])
    assert fresh._native.n_words > words


def test_a_diverging_batch_is_named(texts_y):
    texts, y = texts_y
    clf = small().partial_fit(texts[:300], y[:300], classes=np.arange(5))
    with pytest.raises(mmfast.TrainingDivergedError, match="lower lr"):
        clf.set_params(lr=1e30).partial_fit(texts[300:600], y[300:600])


def test_a_stream_hashes_the_words_it_meets_after_the_first_batch(tmp_path):
    """A stream's vocabulary is its first batch's; a word first seen later
    takes a row of the n-gram table by its hash, in training and prediction
    alike (with word_ngrams=1 it used to be dropped: no row at all)."""
    clf = small(word_ngrams=1).partial_fit(["a b", "c d"], ["x", "y"], classes=["x", "y"])
    n_words = clf._native.n_words
    _, rows, _ = clf._native.token_rows("a zebra")
    assert len(rows) == 2 and rows[0] < n_words <= rows[1] < n_words + 4096
    for _ in range(30):
        clf.partial_fit(["zebra", "yak"], ["x", "y"])
    assert clf._native.n_words == n_words
    assert list(clf.predict(["zebra", "yak"])) == ["x", "y"]
    # The rule is the model's: saved, pickled, and read through a compiled dataset.
    clf.save(tmp_path / "m.mmf")
    expected = clf.predict_proba(["zebra", "yak"])
    for copy in (mmfast.load(tmp_path / "m.mmf"), pickle.loads(pickle.dumps(clf))):
        np.testing.assert_array_equal(copy.predict_proba(["zebra", "yak"]), expected)
    ds = mmfast.Dataset.from_texts(["yak zebra", "zebra", "yak"], ["y", "x", "y"],
                                   tmp_path / "later.mmd", word_ngrams=1, buckets=4096)
    np.testing.assert_allclose(clf.predict_proba(ds)[1:], expected, rtol=1e-6)
    # fit's models drop an unknown word, as fastText does.
    fitted = small(word_ngrams=1).fit(["a b", "c d"], ["x", "y"])
    assert len(fitted._native.token_rows("a zebra")[1]) == 1
