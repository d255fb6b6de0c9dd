"""Models sized by their data: the n-gram table's default size follows the
recurring n-grams of the training texts, and saving stores only the rows that
training changed (the others are made again from the seed at load)."""

from __future__ import annotations

import os
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import separable_texts
from model_format import reseal

import mmfast
from mmfast import _core, _jobs

DATA = Path(__file__).parent / "data"
FAST = dict(dim=8, epochs=2, verbose=0)


def recurring_ngrams(texts: list[str], longest: int = 2) -> int:
    """Distinct word n-grams (n = 2..longest) seen more than once."""
    counts: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        words = text.split()
        for n in range(2, longest + 1):
            counts.update(zip(*(words[i:] for i in range(n))))
    return sum(count > 1 for count in counts.values())


def size_rule(recurring: int) -> int:
    """The smallest power of two at least four times ``recurring``, at most
    2,000,000; none when no n-gram recurs."""
    if recurring == 0:
        return 0
    rows = 1
    while rows < 4 * recurring:
        rows *= 2
    return min(rows, 2_000_000)


# -- the n-gram table's size -------------------------------------------------


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_default_buckets_follow_the_recurring_ngrams_of_the_data(n_jobs):
    texts, y = separable_texts(600)
    clf = mmfast.Classifier(**FAST, n_jobs=n_jobs).fit(texts, y)
    assert clf.buckets is None  # the parameter stays as given
    assert clf.buckets_ == size_rule(recurring_ngrams(texts))
    trigrams = mmfast.Classifier(**FAST, word_ngrams=3, n_jobs=n_jobs).fit(texts, y)
    assert trigrams.buckets_ == size_rule(recurring_ngrams(texts, 3))


def test_given_buckets_win_and_unigrams_need_none():
    texts, y = separable_texts(300)
    assert mmfast.Classifier(**FAST, buckets=1000).fit(texts, y).buckets_ == 1000
    unigrams = mmfast.Classifier(**dict(FAST, epochs=10, lr=0.5), word_ngrams=1).fit(texts, y)
    assert unigrams.buckets_ == 0
    assert unigrams.score(texts, y) > 0.9


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ngrams_seen_once_do_not_grow_the_table(n_jobs):
    """Every bigram of these texts is seen once (each text has its own words):
    no row of the table could learn what another example reads, so there is
    none; the first text again, last, makes its 5 bigrams recur (on 2 threads,
    each counted once by each thread's chunk)."""
    texts = [" ".join(f"w{i}_{j}" for j in range(6)) for i in range(200)]
    y = np.arange(200) % 2
    assert mmfast.Classifier(**FAST, n_jobs=n_jobs).fit(texts, y).buckets_ == 0
    again = mmfast.Classifier(**FAST, n_jobs=n_jobs).fit(texts + texts[:1], np.r_[y, 0])
    assert again.buckets_ == 32


def test_a_corpus_of_a_million_distinct_ngrams_gets_the_largest_table():
    """Over 2^20 distinct bigrams, none recurring: the counter stops there (its
    memory bounded) and gives fastText's size, as for many recurring ones."""
    words = np.arange(21 * 53_000).reshape(-1, 21)  # 20 bigrams a text: 1,060,000
    texts = [" ".join(f"w{w}" for w in row) for row in words]
    clf = mmfast.Classifier(dim=1, epochs=1, min_count=2, verbose=0)
    assert clf.fit(texts, np.arange(len(texts)) % 2).buckets_ == 2_000_000


def test_the_size_is_capped_at_fasttexts_two_million_rows():
    """~700k distinct bigrams, ~320k of them seen more than once: four times
    that passes 2M, so the cap applies (the counter stops counting there, so
    its memory stays bounded)."""
    rng = np.random.default_rng(0)
    words = rng.integers(0, 1000, (60_000, 20))
    texts = [" ".join(f"w{w}" for w in row) for row in words]
    clf = mmfast.Classifier(dim=1, epochs=1, verbose=0).fit(texts, rng.integers(0, 2, 60_000))
    assert clf.buckets_ == 2_000_000


def test_features_only_models_have_no_ngram_table():
    rng = np.random.default_rng(0)
    clf = mmfast.Classifier(fusion="add", **FAST).fit(None, [0, 1] * 20,
                                                      features=rng.random((40, 3)))
    assert clf.buckets_ == 0


def test_compiled_datasets_size_their_table_in_the_first_pass(tmp_path):
    texts, y = separable_texts(500, seed=2)
    expected = size_rule(recurring_ngrams(texts))
    listed = mmfast.Dataset.from_texts(texts, y, tmp_path / "listed.mmd")
    assert listed.buckets == expected and listed.settings["buckets"] == expected
    mmfast.write_fasttext_file(tmp_path / "train.txt", texts, y)
    built = mmfast.Dataset.build(tmp_path / "train.txt", tmp_path / "built.mmd", verbose=0)
    assert built.buckets == expected
    with mmfast.Dataset.writer(tmp_path / "shards.mmd") as writer:
        for start in range(0, 500, 200):
            writer.add(texts[start:start + 200], y[start:start + 200])
    assert writer.dataset is not None and writer.dataset.buckets == expected
    assert mmfast.Dataset.from_texts(texts, y, tmp_path / "given.mmd", buckets=300).buckets == 300
    # buckets=None takes the dataset's; the same model as from the lists.
    settings = dict(FAST, n_jobs=1, random_state=3)
    from_dataset = mmfast.Classifier(**settings).fit(listed)
    from_lists = mmfast.Classifier(**settings).fit(texts, y)
    assert from_dataset.buckets_ == from_lists.buckets_ == expected
    np.testing.assert_array_equal(from_dataset.predict_proba(texts),
                                  from_lists.predict_proba(texts))
    with pytest.raises(ValueError, match=f"compiled with word_ngrams=2, buckets={expected}"):
        mmfast.Classifier(**settings, buckets=expected * 2).fit(listed)


# -- the rows a model file stores ---------------------------------------------


def test_a_model_stores_only_the_rows_training_changed(tmp_path):
    """1,000 documents of 5 classes with the defaults: under 5 MB instead of
    the 800 MB of a full 2M-row table, and the same predictions after
    loading."""
    texts, y = mmfast.make_text_classification(n_samples=1000, n_classes=5, seed=0)
    clf = mmfast.Classifier(verbose=0).fit(texts, y)
    clf.save(tmp_path / "small.mmf")
    assert os.path.getsize(tmp_path / "small.mmf") < 5e6
    big = mmfast.Classifier(buckets=2_000_000, dim=10, verbose=0).fit(texts, y)
    big.save(tmp_path / "big.mmf")
    assert os.path.getsize(tmp_path / "big.mmf") < 2e6  # every row: 80 MB
    for model, path in ((clf, "small.mmf"), (big, "big.mmf")):
        loaded = mmfast.load(tmp_path / path)
        np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
        for name, table in model._native.weights().items():
            np.testing.assert_array_equal(loaded._native.weights()[name], table, err_msg=name)
        # Loaded tables remember their initialization: saving again stores the same.
        assert loaded._native.to_bytes(b"") == model._native.to_bytes(b"")


def test_a_model_whose_every_row_changed_is_stored_whole():
    texts, y = separable_texts(300)
    clf = mmfast.Classifier(**FAST, buckets=4).fit(texts, y)
    data = clf._native.to_bytes(b"")
    rows = clf._native.n_words + 4
    header = data.rfind(struct.pack("<qq", rows, 8))  # the table's, after the model's
    assert data[header + 16:header + 18] == b"\x00\x00"  # every row, float32


def test_models_of_format_version_2_still_load_with_the_same_predictions():
    """tests/data/v2_pq.mmf was written before models stored only their changed
    rows (format 2): a pq model (dim 4, 500 buckets, 2 codes of 3 bits) trained
    on the first 200 examples below; v2_pq.proba.npy holds its probabilities
    on the last 100, as this machine's kernels computed them: another CPU's
    (or a sanitizer build's) sums round in another order, so within float32
    rounding."""
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=300, n_classes=4, n_features=8, vocab_size=200, latent_dim=3, seed=5)
    clf = mmfast.load(DATA / "v2_pq.mmf")
    expected = np.load(DATA / "v2_pq.proba.npy")
    np.testing.assert_allclose(clf.predict_proba(texts[200:], features=X[200:]), expected,
                               rtol=1e-5, atol=1e-7)
    assert clf.buckets_ == 500


def test_ova_models_of_format_version_4_load_without_intercepts_and_predict_as_before(tmp_path):
    """tests/data/v4_ova.mmf was written before ova had intercepts (format
    4): a multi-label add model (dim 4, 500 buckets, loss ova) trained on the
    first 200 examples below; v4_ova.proba.npy holds its probabilities on the
    last 100 (as v2_pq's, within float32 rounding)."""
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=300, n_classes=4, n_features=8, vocab_size=200, latent_dim=3, seed=5)
    clf = mmfast.load(DATA / "v4_ova.mmf")
    np.testing.assert_allclose(clf.predict_proba(texts[200:], features=X[200:]),
                               np.load(DATA / "v4_ova.proba.npy"), rtol=1e-5, atol=1e-7)
    assert not clf._native.intercept and clf._native.weights()["output"].shape == (6, 4)
    # Saved again (format 5), it keeps what it predicts.
    clf.save(tmp_path / "v5_ova.mmf")
    again = mmfast.load(tmp_path / "v5_ova.mmf")
    np.testing.assert_array_equal(again.predict_proba(texts[200:], features=X[200:]),
                                  clf.predict_proba(texts[200:], features=X[200:]))


def test_datasets_whose_settings_were_written_in_format_2_still_open():
    """tests/data/v2_meta.mmd: 20 examples compiled with buckets=100 when the
    dataset's settings section was written in model format 2."""
    dataset = mmfast.Dataset(DATA / "v2_meta.mmd")
    assert len(dataset) == 20 and dataset.settings["buckets"] == 100
    mmfast.Classifier(**FAST).fit(dataset)


def test_a_forged_row_set_is_refused():
    texts, y = separable_texts(200)
    clf = mmfast.Classifier(**FAST, buckets=5000).fit(texts, y)
    data = bytearray(clf._native.to_bytes(b""))
    rows = clf._native.n_words + 5000
    header = data.rfind(struct.pack("<qq", rows, 8))  # the table's, after the model's
    assert data[header + 16] == 1  # the changed rows
    n_words = (rows + 63) // 64
    bitmap = header + 16 + 1 + 8 + 4 + 8  # row set, key, bound, word count
    assert struct.unpack_from("<Q", data, bitmap - 8)[0] == n_words
    last = bitmap + 8 * (n_words - 1)
    forged = data.copy()
    forged[last:last + 8] = b"\xff" * 8  # bits past the last row
    with pytest.raises(ValueError, match="row set does not match its rows"):
        _jobs.run(_core.Classifier.from_bytes(reseal(bytes(forged))))
    forged = data.copy()
    forged[header + 16] = 3
    with pytest.raises(ValueError, match="unknown matrix row set"):
        _jobs.run(_core.Classifier.from_bytes(reseal(bytes(forged))))
