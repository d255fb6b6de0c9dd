"""mmfast.metrics against hand-computed values and scikit-learn; Classifier.evaluate."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import separable_texts

import mmfast
from mmfast import metrics

sklearn_metrics = pytest.importorskip("sklearn.metrics")
preprocessing = pytest.importorskip("sklearn.preprocessing")


def test_hand_computed_single_label():
    y_true = ["a", "a", "b", "c"]
    y_pred = ["a", "b", "b", "b"]
    assert metrics.accuracy(y_true, y_pred) == 0.5
    # a: P 1/1, R 1/2, F1 2/3; b: P 1/3, R 1/1, F1 1/2; c: P 0, R 0, F1 0.
    assert metrics.f1_score(y_true, y_pred, "macro") == pytest.approx((2 / 3 + 1 / 2) / 3)
    assert metrics.f1_score(y_true, y_pred, "micro") == 0.5
    report = metrics.per_class_report(y_true, y_pred)
    assert list(report) == ["a", "b", "c"]
    assert report["b"] == pytest.approx({"precision": 1 / 3, "recall": 1.0, "f1": 0.5,
                                         "support": 1})
    assert report["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_hand_computed_precision_and_recall_at_k():
    y_true = [["a", "b"], ["c"], ["a"]]
    ranked = [["a", "c", "b"], ["c", "a"], ["b"]]
    # top 2: {a, c} has 1 hit, {c, a} 1 hit, {b} 0 hits: 2 of 5 predictions, 2 of 4 labels.
    assert metrics.precision_at_k(y_true, ranked, k=2) == pytest.approx(2 / 5)
    assert metrics.recall_at_k(y_true, ranked, k=2) == pytest.approx(2 / 4)
    assert metrics.precision_at_k(y_true, ranked, k=1) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(y_true, ranked, k=3) == pytest.approx(3 / 4)
    # A 2-D array of ranked labels works too; with one label each, P@1 = accuracy.
    assert metrics.precision_at_k([0, 1, 2], np.array([[0, 1], [2, 1], [2, 0]])) == 2 / 3
    assert metrics.precision_at_k(["a"], [[]]) == 0.0


def test_agrees_with_scikit_learn_single_label():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 6, 500)
    y_pred = np.where(rng.random(500) < 0.6, y_true, rng.integers(0, 7, 500))
    assert metrics.accuracy(y_true, y_pred) == sklearn_metrics.accuracy_score(y_true, y_pred)
    for average in ("micro", "macro"):
        assert metrics.f1_score(y_true, y_pred, average) == pytest.approx(
            sklearn_metrics.f1_score(y_true, y_pred, average=average, zero_division=0))
    precision, recall, f1, support = sklearn_metrics.precision_recall_fscore_support(
        y_true, y_pred, zero_division=0)
    report = metrics.per_class_report(y_true, y_pred)
    assert list(report) == list(range(7))
    np.testing.assert_allclose([r["precision"] for r in report.values()], precision)
    np.testing.assert_allclose([r["recall"] for r in report.values()], recall)
    np.testing.assert_allclose([r["f1"] for r in report.values()], f1)
    np.testing.assert_array_equal([r["support"] for r in report.values()], support)


def test_agrees_with_scikit_learn_multilabel():
    rng = np.random.default_rng(1)
    labels = np.array(list("abcdefg"))
    y_true = [rng.choice(labels[:6], rng.integers(1, 4), replace=False).tolist()
              for _ in range(300)]
    y_pred = [rng.choice(labels, rng.integers(1, 3), replace=False).tolist() for _ in range(300)]
    binarizer = preprocessing.MultiLabelBinarizer().fit(y_true + y_pred)
    true, pred = binarizer.transform(y_true), binarizer.transform(y_pred)
    assert metrics.accuracy(y_true, y_pred) == sklearn_metrics.accuracy_score(true, pred)
    for average in ("micro", "macro"):
        assert metrics.f1_score(y_true, y_pred, average) == pytest.approx(
            sklearn_metrics.f1_score(true, pred, average=average, zero_division=0))
    # Label sets in any order, as sets, give the same result.
    shuffled = [set(labels[::-1]) for labels in y_pred]
    assert metrics.f1_score(y_true, shuffled, "macro") == metrics.f1_score(y_true, y_pred,
                                                                           "macro")


def test_bad_input_is_refused_with_a_message():
    with pytest.raises(ValueError, match="different lengths"):
        metrics.accuracy([1, 2], [1])
    with pytest.raises(TypeError, match="mix str and numeric labels"):
        metrics.accuracy(["1", "2"], [1, 2])
    with pytest.raises(TypeError, match="mixes single labels and label lists"):
        metrics.f1_score([["a"], "b"], ["a", "b"])
    with pytest.raises(ValueError, match="k must be >= 1"):
        metrics.precision_at_k([1], [[1]], k=0)
    with pytest.raises(ValueError, match="average must be one of"):
        metrics.f1_score([1], [1], average="weighted")


@pytest.fixture(scope="module")
def text_model():
    texts, y = separable_texts(2000)
    clf = mmfast.Classifier(dim=16, buckets=10_000, n_jobs=1, verbose=0).fit(texts, y)
    return clf, texts, y


def test_evaluate_matches_the_metrics_of_predict_and_predict_top(text_model):
    clf, texts, y = text_model
    result = clf.evaluate(texts, y, k=2)
    predicted = clf.predict(texts)
    ranked, _ = clf.predict_top(texts, k=2)
    assert result["k"] == 2 and result["n_examples"] == len(y)
    assert result["accuracy"] == metrics.accuracy(y, predicted) == clf.score(texts, y)
    assert result["precision@k"] == metrics.precision_at_k(y, ranked, k=2)
    assert result["recall@k"] == metrics.recall_at_k(y, ranked, k=2)
    # One true label and two predictions per example: P@2 is half of R@2.
    assert result["precision@k"] == pytest.approx(result["recall@k"] / 2)
    assert result["f1_micro"] == metrics.f1_score(y, predicted, "micro")
    assert result["f1_macro"] == metrics.f1_score(y, predicted, "macro")
    assert result["accuracy"] > 0.9
    # k beyond the number of classes ranks every class: recall 1.
    assert clf.evaluate(texts[:100], y[:100], k=50)["recall@k"] == 1.0


def test_evaluate_refuses_labels_the_model_does_not_know(text_model):
    clf, texts, y = text_model
    with pytest.raises(ValueError, match="y shares no label with the model's classes_"):
        clf.evaluate(texts, [str(label) for label in y])
    with pytest.raises(ValueError, match=r"texts and y have different lengths \(2000 != 3\)"):
        clf.evaluate(texts, y[:3])


def test_multilabel_predict_gives_label_lists_above_the_threshold(tmp_path):
    texts, y = separable_texts(2000, n_classes=4)
    y_multi = [[label, (label + 1) % 4] for label in y]
    clf = mmfast.Classifier(dim=16, buckets=10_000, loss="ova", epochs=10, n_jobs=1,
                            verbose=0).fit(texts, y_multi)
    predicted = clf.predict(texts)
    assert isinstance(predicted, list) and all(isinstance(row, list) for row in predicted)
    proba = clf.predict_proba(texts)
    for labels, p in zip(predicted[:50], proba[:50]):
        expected = set(clf.classes_[p >= 0.5]) | {clf.classes_[p.argmax()]}
        assert set(labels) == expected
    result = clf.evaluate(texts, y_multi, k=2)
    assert result["accuracy"] == metrics.accuracy(y_multi, predicted) > 0.8
    assert result["precision@k"] > 0.9
    strict = clf.set_params(threshold=1.0).predict(texts[:20])
    assert all(len(labels) == 1 for labels in strict)  # only the top label
    # From a file, labels are str and lists of them.
    path = tmp_path / "multi.txt"
    mmfast.write_fasttext_file(path, texts, y_multi)
    from_file = mmfast.Classifier(dim=16, buckets=10_000, loss="ova", epochs=10, n_jobs=1,
                                  verbose=0).fit(path)
    assert from_file.evaluate(path, k=2)["precision@k"] > 0.9
    assert isinstance(from_file.predict(texts[:1])[0][0], str)
