"""lr=None and epochs=None: the learning rate and epochs decided by the data
(python/mmfast/_schedule.py)."""

from __future__ import annotations

import pickle

import pytest

import mmfast
from mmfast._schedule import training_schedule


@pytest.fixture(scope="module")
def small_set():
    """1,000 training documents of 5 classes, and 2,000 held out: where
    fastText's lr 0.1 and 5 epochs score near chance."""
    texts, y = mmfast.make_text_classification(n_samples=3000, n_classes=5, seed=0)
    return (texts[:1000], y[:1000]), (texts[1000:], y[1000:])


def test_the_defaults_learn_on_a_small_set(small_set):
    # Before: lr 0.1 and 5 epochs ended at the loss of a uniform guess (0.56 held out).
    (texts, y), (test_texts, test_y) = small_set
    clf = mmfast.Classifier(dim=20, n_jobs=1, verbose=0).fit(texts, y)
    assert clf.score(test_texts, test_y) >= 0.85
    assert (clf.lr_, clf.epochs_) == (0.5, 10)
    assert (clf.lr, clf.epochs) == (None, None)  # get_params and clone stay honest


def test_fasttext_defaults_where_each_class_has_2000_examples():
    assert training_schedule(None, None, n_labels=300_000, n_classes=50) == (0.1, 5)
    assert training_schedule(None, None, n_labels=10_000, n_classes=5) == (0.1, 5)


def test_the_learning_rate_rises_first_then_the_epochs():
    # A step budget of lr * epochs * examples per class = 1,000.
    assert training_schedule(None, None, n_labels=20_000, n_classes=50) == (0.5, 5)
    lr, epochs = training_schedule(None, None, n_labels=5_000, n_classes=5)
    assert (lr, epochs) == (pytest.approx(0.2), 5)
    assert training_schedule(None, None, n_labels=1_000, n_classes=20) == (0.5, 40)
    assert training_schedule(None, None, n_labels=100, n_classes=100) == (0.5, 100)  # at most


def test_a_given_value_wins_and_the_other_adapts_to_it():
    assert training_schedule(0.05, 3, n_labels=1_000, n_classes=5) == (0.05, 3)
    assert training_schedule(0.25, None, n_labels=1_000, n_classes=5) == (0.25, 20)
    assert training_schedule(0.25, None, n_labels=300_000, n_classes=50) == (0.25, 5)
    assert training_schedule(None, 20, n_labels=1_000, n_classes=5) == (0.25, 20)
    assert training_schedule(None, 20, n_labels=300_000, n_classes=50) == (0.1, 20)


def test_multilabel_data_counts_label_occurrences():
    # Two labels per example: twice the examples per class of single labels.
    texts, y = mmfast.make_text_classification(n_samples=1000, n_classes=5, seed=0)
    pairs = [[label, (label + 1) % 5] for label in y.tolist()]
    clf = mmfast.Classifier(dim=8, loss="ova", n_jobs=1, verbose=0).fit(texts, pairs)
    assert (clf.lr_, clf.epochs_) == training_schedule(None, None, 2000, 5) == (0.5, 5)


def test_explicit_values_are_used_as_given(small_set):
    (texts, y), _ = small_set
    clf = mmfast.Classifier(dim=8, lr=0.1, epochs=5, n_jobs=1, verbose=0).fit(texts, y)
    assert (clf.lr_, clf.epochs_) == (0.1, 5)


def test_a_compiled_dataset_gets_the_schedule_of_its_examples(small_set, tmp_path):
    (texts, y), _ = small_set
    dataset = mmfast.Dataset.from_texts(texts, y, tmp_path / "small.mmd")
    from_lists = mmfast.Classifier(dim=8, n_jobs=1, verbose=0).fit(texts, y)
    from_dataset = mmfast.Classifier(dim=8, n_jobs=1, verbose=0).fit(dataset)
    assert (from_dataset.lr_, from_dataset.epochs_) == (from_lists.lr_, from_lists.epochs_)
    assert (from_dataset.predict(texts) == from_lists.predict(texts)).all()


def test_the_schedule_survives_save_load_and_pickle(small_set, tmp_path):
    (texts, y), _ = small_set
    clf = mmfast.Classifier(dim=8, n_jobs=1, verbose=0).fit(texts, y)
    clf.save(tmp_path / "m.mmf")
    for copy in (mmfast.load(tmp_path / "m.mmf"), pickle.loads(pickle.dumps(clf))):
        assert (copy.lr_, copy.epochs_, copy.lr, copy.epochs) == (0.5, 10, None, None)


def test_with_2000_examples_per_class_the_defaults_fit_fasttexts_model():
    # As on the 300k-document, 50-class benchmark: the same model, bit for bit.
    texts, y = mmfast.make_text_classification(n_samples=6000, n_classes=3, vocab_size=2000)
    default = mmfast.Classifier(dim=8, n_jobs=1, verbose=0).fit(texts, y)
    fasttext = mmfast.Classifier(dim=8, lr=0.1, epochs=5, n_jobs=1, verbose=0).fit(texts, y)
    assert (default.lr_, default.epochs_) == (0.1, 5)
    assert (default.predict_proba(texts) == fasttext.predict_proba(texts)).all()
