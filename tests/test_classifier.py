"""Behaviour of mmfast.Classifier: learning, losses, reproducibility, I/O, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import separable_texts

import mmfast

FAST = dict(dim=16, epochs=5, buckets=10_000, verbose=0)


def fitted(texts, y, **params) -> mmfast.Classifier:
    return mmfast.Classifier(**{**FAST, **params}).fit(texts, y)


def test_learns_a_separable_task(text_data):
    texts, y = text_data
    clf = fitted(texts, y)
    test_texts, test_y = separable_texts(1000, seed=1)
    assert clf.score(test_texts, test_y) >= 0.98
    assert list(clf.classes_) == [0, 1, 2, 3, 4]
    assert clf.predict(test_texts[:3]).dtype == clf.classes_.dtype


@pytest.mark.parametrize("loss", ["softmax", "hs", "ns", "ova"])
def test_every_loss_learns(text_data, loss):
    texts, y = text_data
    clf = fitted(texts, y, loss=loss, n_jobs=2)
    test_texts, test_y = separable_texts(1000, seed=2)
    assert clf.score(test_texts, test_y) >= 0.95
    proba = clf.predict_proba(test_texts)
    assert proba.shape == (1000, 5) and proba.dtype == np.float32
    assert np.all((proba >= 0) & (proba <= 1))
    if loss in ("softmax", "hs"):
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(test_texts))


def test_ova_learns_multilabel_data():
    rng = np.random.default_rng(3)
    texts, y = [], []
    for _ in range(3000):
        labels = sorted(rng.choice(6, size=rng.integers(1, 3), replace=False).tolist())
        words = [f"w{w}" for w in rng.integers(0, 300, 6)]
        words += [f"topic{label}_{rng.integers(0, 5)}" for label in labels for _ in range(2)]
        texts.append(" ".join(rng.permutation(words)))
        y.append([f"t{label}" for label in labels])
    clf = fitted(texts[:2500], y[:2500], loss="ova", epochs=10)
    assert clf.multilabel_
    assert clf.score(texts[2500:], y[2500:]) >= 0.95  # precision at 1
    labels, probs = clf.predict_top(texts[2500:], k=6, threshold=0.5)
    exact = np.mean([set(p) == set(t) for p, t in zip(labels, y[2500:])])
    assert exact >= 0.8
    assert all(np.all(p >= 0.5) for p in probs)


def test_ova_on_features_alone_learns_each_labels_prior():
    # 20 labels, 1 or 2 per example: each label's prior is low. Standardized
    # features have mean 0, so without an intercept per label every sigmoid sat
    # near 0.5 where the features said little, and most labels passed the
    # threshold (9.3 per example here; micro-F1 .28).
    rng = np.random.default_rng(4)
    centers = rng.normal(size=(20, 16))
    y = [sorted(rng.choice(20, size=rng.integers(1, 3), replace=False).tolist())
         for _ in range(3000)]
    X = np.array([centers[labels].sum(axis=0) for labels in y]) + rng.normal(size=(3000, 16))
    clf = mmfast.Classifier(**FAST, loss="ova", fusion="add", n_jobs=1).fit(
        None, y[:2500], features=X[:2500])
    predicted = clf.predict(None, features=X[2500:])
    assert mmfast.metrics.f1_score(y[2500:], predicted) >= 0.8
    assert np.mean([len(p) for p in predicted]) < 2.0  # the truth: 1.5


def test_single_thread_fit_is_reproducible(text_data):
    texts, y = text_data
    a = fitted(texts, y, n_jobs=1, random_state=7).predict_proba(texts[:200])
    b = fitted(texts, y, n_jobs=1, random_state=7).predict_proba(texts[:200])
    c = fitted(texts, y, n_jobs=1, random_state=8).predict_proba(texts[:200])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_save_load_and_pickle_keep_probabilities(text_data, tmp_path):
    texts, y = text_data
    clf = fitted(texts, y, loss="hs")
    path = tmp_path / "model.mmf"
    clf.save(path)
    loaded = mmfast.load(path)
    unpickled = pickle.loads(pickle.dumps(clf))
    expected = clf.predict_proba(texts[:300])
    np.testing.assert_array_equal(loaded.predict_proba(texts[:300]), expected)
    np.testing.assert_array_equal(unpickled.predict_proba(texts[:300]), expected)
    assert loaded.get_params() == clf.get_params()
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)


def test_unfitted_classifier_pickles():
    clf = pickle.loads(pickle.dumps(mmfast.Classifier(dim=7)))
    assert clf.dim == 7 and not hasattr(clf, "classes_")


def test_damaged_model_files_are_refused(text_data, tmp_path):
    texts, y = text_data
    path = tmp_path / "model.mmf"
    fitted(texts, y).save(path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.mmf"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        mmfast.load(truncated)
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    corrupt = tmp_path / "corrupt.mmf"
    corrupt.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupt"):
        mmfast.load(corrupt)
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"PK\x03\x04 this is a zip file, not a model")
    with pytest.raises(ValueError, match="not an mmfast model"):
        mmfast.load(foreign)
    state = fitted(texts, y).__getstate__()
    state["_native"] = state["_native"][:-5000]
    with pytest.raises(ValueError, match="truncated"):
        mmfast.Classifier().__setstate__(state)


def test_failed_save_leaves_the_old_file_intact(text_data, tmp_path):
    texts, y = text_data
    path = tmp_path / "model.mmf"
    fitted(texts, y).save(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="not fitted"):
        mmfast.Classifier().save(path)
    with pytest.raises(IsADirectoryError):
        fitted(texts, y).save(tmp_path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.mmf"]


def test_file_input_matches_in_memory_data(text_data, tmp_path):
    texts, y = text_data
    labels = [f"c{label}" for label in y]
    path = tmp_path / "train.txt"
    path.write_text("".join(f"__label__{label} {text}\n" for label, text in zip(labels, texts)))
    from_memory = fitted(texts, labels, n_jobs=1)
    from_file = fitted(path, None, n_jobs=1)
    np.testing.assert_array_equal(from_file.classes_, from_memory.classes_)
    np.testing.assert_array_equal(
        from_file.predict_proba(texts[:300]), from_memory.predict_proba(texts[:300])
    )
    assert from_file.score(path) == from_memory.score(texts, labels)


def test_file_labels_may_stand_anywhere_and_unlabelled_lines_are_skipped(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(
        "__label__a red apple\n\nno label here\nbanana __label__b yellow\n__label__a apple\n"
        "__label__b __label__c yellow cherry\n"
    )
    clf = fitted(path, None, epochs=50, lr=0.5)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.multilabel_
    assert [labels[0] for labels in clf.predict(["apple", "yellow"])] == ["a", "b"]


def test_predict_top_orders_and_thresholds(text_data):
    texts, y = text_data
    clf = fitted(texts, y)
    labels, probs = clf.predict_top(texts[:50], k=3)
    assert all(len(row) == 3 for row in labels)
    assert all(np.all(np.diff(p) <= 0) for p in probs)
    np.testing.assert_array_equal([row[0] for row in labels], clf.predict(texts[:50]))
    labels, probs = clf.predict_top(texts[:50], k=10, threshold=0.5)
    assert all(len(row) == 1 for row in labels)  # one confident class each
    labels, _ = clf.predict_top(texts[:5], k=10)
    assert all(len(row) == 5 for row in labels)  # k capped at the number of classes


def test_min_count_drops_rare_words(text_data):
    texts, y = text_data
    assert fitted(texts, y, min_count=50)._native.n_words < fitted(texts, y)._native.n_words


def test_progress_line_is_shown_when_verbose(text_data, capsys):
    texts, y = text_data
    mmfast.Classifier(**{**FAST, "verbose": 1}).fit(texts, y)
    err = capsys.readouterr().err
    assert "Progress: 100.0%" in err and "ex/s" in err and "loss" in err


def test_params_and_repr():
    clf = mmfast.Classifier(dim=10, loss="hs")
    assert clf.get_params()["dim"] == 10
    assert repr(clf) == "Classifier(dim=10, loss='hs')"
    assert clf.set_params(epochs=3) is clf and clf.epochs == 3
    with pytest.raises(ValueError, match="invalid parameter 'bogus'"):
        clf.set_params(bogus=1)


def test_sklearn_clone_and_cross_validation(text_data):
    sklearn_base = pytest.importorskip("sklearn.base")
    model_selection = pytest.importorskip("sklearn.model_selection")
    texts, y = text_data
    clone = sklearn_base.clone(mmfast.Classifier(**FAST))
    scores = model_selection.cross_val_score(clone, np.array(texts), y, cv=2)
    assert np.all(scores >= 0.95)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"loss": "hinge"}, ValueError, "loss must be one of"),
        ({"dim": 0}, ValueError, "dim must be >= 1"),
        ({"epochs": -1}, ValueError, "epochs must be >= 1"),
        ({"lr": 0.0}, ValueError, "lr must be a finite number > 0"),
        ({"lr": float("nan")}, ValueError, "lr must be"),
        ({"dim": 2.5}, TypeError, "dim must be an int"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be >= 1"),
    ],
)
def test_bad_parameters_are_refused(text_data, params, error, match):
    texts, y = text_data
    with pytest.raises(error, match=match):
        mmfast.Classifier(**{**FAST, **params}).fit(texts, y)


def test_bad_data_is_refused(text_data, tmp_path):
    texts, y = text_data
    clf = mmfast.Classifier(**FAST)
    with pytest.raises(ValueError, match="no examples"):
        clf.fit([], [])
    with pytest.raises(ValueError, match="different lengths"):
        clf.fit(texts, y[:-1])
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        clf.fit(["a b", "   ", "c"], [0, 1, 0])
    with pytest.raises(ValueError, match="empty string"):
        clf.fit("", None)
    with pytest.raises(TypeError, match=r"texts\[1\] must be str"):
        clf.fit(["a", 3], [0, 1])
    with pytest.raises(ValueError, match="needs at least 2"):
        clf.fit(["a", "b"], [1, 1])
    with pytest.raises(ValueError, match="y is None"):
        clf.fit(texts)
    with pytest.raises(ValueError, match="does not exist"):
        clf.fit(tmp_path / "missing.txt")
    unlabeled = tmp_path / "unlabeled.txt"
    unlabeled.write_text("just words\nmore words\n")
    with pytest.raises(ValueError, match="no labelled lines"):
        clf.fit(unlabeled)
    with pytest.raises(ValueError, match="not fitted"):
        clf.predict(["a"])
    with pytest.raises(ValueError, match="not fitted"):
        clf.predict_proba(["a"])
    with pytest.raises(ValueError, match="k must be >= 1"):
        fitted(texts, y).predict_top(texts[:2], k=0)


def test_empty_text_at_prediction_gets_a_valid_distribution(text_data):
    texts, y = text_data
    proba = fitted(texts, y).predict_proba(["", "never seen words"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_ctrl_c_stops_the_workers_and_leaves_the_model_unfitted(text_data, monkeypatch):
    texts, y = text_data
    polls = []

    def interrupt(self, progress):
        polls.append(progress)
        raise KeyboardInterrupt

    monkeypatch.setattr(mmfast.classifier.ProgressLine, "update", interrupt)
    clf = mmfast.Classifier(**{**FAST, "epochs": 100_000, "verbose": 1})
    with pytest.raises(KeyboardInterrupt):
        clf.fit(texts, y)
    assert len(polls) == 1 and polls[0]["examples_done"] < polls[0]["examples_total"]
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize("threads", [1, 2])
def test_word_counts_add_up_across_threads(threads):
    # "shared" occurs once in each half of the data, which two threads count apart.
    texts = ["shared a", "b c", "d e", "f g", "h i", "j shared"]
    clf = fitted(texts, [0, 1, 0, 1, 0, 1], min_count=2, n_jobs=threads)
    assert clf._native.n_words == 1


@pytest.mark.parametrize("word_ngrams, buckets, min_count, hash_unknown_words", [
    (2, 1000, 1, False), (3, None, 2, False), (2, 50, 2, True), (1, 0, 1, False)])
def test_building_the_dictionary_on_threads_gives_the_ids_of_one_thread(
        word_ngrams, buckets, min_count, hash_unknown_words):
    # Building counts and encodes every text in one pass, each thread its own
    # part: every thread count must give one thread's vocabulary, and the rows
    # that encoding each text alone gives (prediction's way), in order.
    rng = np.random.default_rng(0)
    texts = [" ".join(f"w{int(k)}" for k in rng.zipf(1.5, size=rng.integers(0, 12)) % 300)
             for _ in range(500)] + ["", "  w1\tw2 \n", "w1 w1 w1"]
    settings = (word_ngrams, buckets, min_count, 1, hash_unknown_words)
    words, sized, offsets, rows, *_ = mmfast._core._testing.build_dictionary(texts, *settings)
    assert 0 < len(words) < 300 and (buckets is not None or sized > 0)
    for threads in (1, 2, 3, 7, 600):
        built = mmfast._core._testing.build_dictionary(texts, *settings[:3], threads,
                                                       hash_unknown_words)
        assert built[:2] == (words, sized), threads
        for got, expected in zip(built[2:], (offsets, rows, offsets, rows)):
            np.testing.assert_array_equal(got, expected, err_msg=str(threads))


def test_dir_lists_the_api_without_typing_helpers():
    names = dir(mmfast)
    assert set(mmfast.__all__) <= set(names) and "__version__" in names
    assert not {"Any", "TYPE_CHECKING", "annotations"} & set(names)
