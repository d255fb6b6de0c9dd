"""mmfast.autotune: search on a validation split; the trials and the returned
model. No timing asserts: the budget only bounds how many trials start."""

from __future__ import annotations

import pytest

import mmfast
from mmfast.autotune import Trial

BAD_START = mmfast.Classifier(dim=4, epochs=1, lr=0.01, buckets=20_000, n_subquantizers=4,
                              n_bits=4, subspace_dim=4, n_jobs=2, verbose=0)


@pytest.fixture(scope="module")
def data():
    # One task, split afterwards: another seed would generate another task.
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=1500, n_classes=4, n_features=16, vocab_size=500, latent_dim=4, seed=2)
    return (texts[:1000], X[:1000], y[:1000]), (texts[1000:], X[1000:], y[1000:])


def test_text_search_does_at_least_as_well_as_a_bad_start(data, capsys):
    (texts, _, y), (valid_texts, _, valid_y) = data
    clf, trials = mmfast.autotune(texts, y, validation=(valid_texts, valid_y), budget=60,
                                  max_trials=5, start=BAD_START, random_state=1)
    assert 1 <= len(trials) <= 5 and all(isinstance(t, Trial) for t in trials)
    assert trials[0].params == {"dim": 4, "epochs": 1, "lr": 0.01, "word_ngrams": 2}
    assert all(set(t.params) == {"dim", "epochs", "lr", "word_ngrams"} for t in trials)
    assert all(t.seconds > 0 for t in trials)
    best = max(t.score for t in trials)
    assert best >= trials[0].score
    # With a given validation set the best trial's model comes back as it is.
    assert clf.evaluate(valid_texts, valid_y)["f1_micro"] == pytest.approx(best)
    assert clf.fusion_ == "text" and clf.buckets == 20_000  # unsearched: from start
    assert capsys.readouterr().err.count("autotune: trial") == len(trials)


def test_fused_search_covers_fusion_kinds_and_refits(data):
    (texts, X, y), (test_texts, test_X, test_y) = data
    clf, trials = mmfast.autotune(texts, y, X, budget=60, max_trials=6, start=BAD_START,
                                  fusions=("add", "pq"), random_state=3, verbose=0)
    assert 1 <= len(trials) <= 6
    assert {t.params["fusion"] for t in trials} <= {"add", "pq"}
    for t in trials:  # each trial records what applies to its fusion
        assert ("alpha" in t.params) == (t.params["fusion"] == "pq")
        assert ("feature_lr" in t.params) == (t.params["fusion"] == "add")
    # Refit on all the data: a fitted fused model that takes the test set.
    assert clf.fusion_ in ("add", "pq")
    assert 0.0 <= clf.score(test_texts, test_y, features=test_X) <= 1.0


def test_features_only_search(data):
    (_, X, y), _ = data
    clf, trials = mmfast.autotune(None, y, X, budget=60, max_trials=3, start=BAD_START,
                                  refit=False, verbose=0)
    assert 1 <= len(trials) <= 3 and clf.fusion_ == "features"
    assert all(t.params["fusion"] in ("add", "pq", "rspq") for t in trials)
    assert "word_ngrams" not in trials[0].params


def test_first_trial_always_runs(data):
    (texts, _, y), _ = data
    _, trials = mmfast.autotune(texts, y, budget=1e-9, start=BAD_START, verbose=0)
    assert len(trials) == 1


def test_bad_arguments(data):
    (texts, X, y), _ = data
    with pytest.raises(ValueError, match="metric"):
        mmfast.autotune(texts, y, metric="auc")
    with pytest.raises(ValueError, match="search"):
        mmfast.autotune(None, y, X, search=["word_ngrams"])
    with pytest.raises(ValueError, match="validation_size"):
        mmfast.autotune(texts, y, validation_size=1.0)
    with pytest.raises(ValueError, match="validation"):
        mmfast.autotune(texts, y, X, validation=(texts, y))
    with pytest.raises(ValueError, match="features has"):
        mmfast.autotune(texts, y, X[:10])
    with pytest.raises(ValueError, match="does not exist"):
        mmfast.autotune("train.txt", y)
    with pytest.raises(TypeError, match="start must be a Classifier"):
        mmfast.autotune(texts, y, start={"dim": 8})
    with pytest.raises(ValueError, match="budget"):
        mmfast.autotune(texts, y, budget=0)


def test_diverging_trials_do_not_end_the_search_early():
    """A trial whose training diverges is a failed trial; only when every trial
    diverged does autotune raise."""
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=600, n_classes=4, n_features=8, vocab_size=300, latent_dim=4)
    with pytest.raises(ValueError, match="diverged in every trial"):
        mmfast.autotune(texts, y, start=mmfast.Classifier(lr=1e6, dim=10), max_trials=2,
                        budget=30, verbose=0)
