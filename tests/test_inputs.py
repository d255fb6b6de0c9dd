"""One way in (python/mmfast/_inputs.py): every entry point takes every source
that makes sense for it, decided once: examples in memory, a fastText-format
file (a path or a stream), or a compiled dataset (by its magic bytes, whatever
its name), from which prediction, scoring and evaluation stream in C++."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import separable_texts

import mmfast
from mmfast.cli import main

SMALL = dict(dim=16, epochs=5, buckets=5000, n_jobs=1, random_state=3, verbose=0)


@pytest.fixture(scope="module")
def data():
    texts, y = separable_texts(1500)
    return texts[:1000], y[:1000], texts[1000:], y[1000:]


@pytest.fixture(scope="module")
def model(data):
    train, y_train, _, _ = data
    return mmfast.Classifier(**SMALL).fit(train, y_train)


@pytest.fixture(scope="module")
def test_set(tmp_path_factory, data):
    """The test examples compiled on their own (another vocabulary than the
    model's), under a name that does not say what the file is."""
    _, _, test, y_test = data
    path = tmp_path_factory.mktemp("inputs") / "test.data"
    mmfast.Dataset.from_texts(test, y_test, path, buckets=SMALL["buckets"])
    return path


def test_prediction_from_a_compiled_dataset_is_prediction_from_its_texts(data, model, test_set):
    # Before: predict read the binary file as fastText text (1,150-1,406
    # predictions for 300 examples), and score/evaluate found no labelled line.
    _, _, test, y_test = data
    dataset = mmfast.Dataset(test_set)
    for source in (str(test_set), test_set, dataset):
        np.testing.assert_array_equal(model.predict(source), model.predict(test))
        np.testing.assert_allclose(model.predict_proba(source), model.predict_proba(test),
                                   rtol=1e-6)
        assert model.predict_top(source, k=3)[0] == model.predict_top(test, k=3)[0]
        assert model.score(source) == model.score(test, y_test)
        assert model.evaluate(source, k=2) == model.evaluate(test, y_test, k=2)


def test_a_compiled_dataset_with_other_settings_is_refused(data, model, tmp_path):
    _, _, test, y_test = data
    other = mmfast.Dataset.from_texts(test, y_test, tmp_path / "t.mmd", buckets=77)
    with pytest.raises(ValueError, match="compiled with word_ngrams=2, buckets=77"):
        model.predict(other)
    pruned = mmfast.Dataset.from_texts(test, y_test, tmp_path / "p.mmd", buckets=5000,
                                       min_count=2)
    with pytest.raises(ValueError, match="min_count=2"):
        model.predict(pruned)
    with pytest.raises(ValueError, match="y and features must be None"):
        model.score(other, y_test)


@pytest.mark.parametrize("fusion", ["add", "pq"])
def test_features_of_a_compiled_dataset_are_read_as_the_model_takes_them(tmp_path, fusion):
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=1200, n_classes=4, n_features=8, vocab_size=300, latent_dim=4, seed=2)
    clf = mmfast.Classifier(fusion=fusion, n_subquantizers=2, n_bits=4, **SMALL).fit(
        texts[:800], y[:800], features=X[:800])
    # Float features: read in place, or (pq) encoded with the model's quantizer.
    floats = mmfast.Dataset.from_texts(texts[800:], y[800:], tmp_path / "f.mmd",
                                       features=X[800:], buckets=5000)
    expected = clf.predict_proba(texts[800:], features=X[800:])
    np.testing.assert_allclose(clf.predict_proba(floats), expected, rtol=1e-5, atol=1e-7)
    if fusion == "pq":
        codes = mmfast.Dataset.from_texts(texts[800:], y[800:], tmp_path / "c.mmd",
                                          features=clf.quantizer_.transform(X[800:]),
                                          buckets=5000)
        np.testing.assert_allclose(clf.predict_proba(codes), expected, rtol=1e-5, atol=1e-7)


def test_a_text_files_features_are_a_row_per_line(tmp_path):
    # Before: fit wanted a row per labelled line, Dataset.build and the command
    # line a row per line.
    path = tmp_path / "t.txt"
    path.write_text("__label__a x y\nno label\n__label__b z w\n__label__a x\n")
    X = np.array([[1.0, 0.0], [9.0, 9.0], [0.0, 1.0], [1.0, 0.1]], dtype=np.float32)
    clf = mmfast.Classifier(fusion="add", **SMALL).fit(path, features=X)
    assert len(clf.predict(path, features=X)) == 4
    assert clf.evaluate(path, features=X)["n_examples"] == 3
    with pytest.raises(ValueError, match="features has 3 rows but file .* has 4 lines"):
        clf.fit(path, features=X[[0, 2, 3]])


def test_evaluate_on_nothing_says_so():
    # Before: nan, and numpy's warnings.
    clf = mmfast.Classifier(**SMALL).fit(["a b", "c d"], [0, 1])
    with pytest.raises(ValueError, match="no examples"):
        clf.evaluate([], [])


def test_a_label_indicator_matrix_is_refused():
    # Before: read as a list of labels per row: every example had every label.
    y = np.array([[1, 0], [0, 1], [1, 1]])
    with pytest.raises(ValueError, match="indicator matrix"):
        mmfast.Classifier(**SMALL).fit(["a", "b", "c"], y)


def test_autotune_reads_a_file(tmp_path, data):
    train, y_train, _, _ = data
    path = tmp_path / "train.txt"
    mmfast.write_fasttext_file(path, train, y_train)
    clf, trials = mmfast.autotune(path, max_trials=2, budget=60, verbose=0,
                                  start=mmfast.Classifier(**SMALL), search=["epochs"])
    assert len(trials) == 2 and clf.classes_.tolist() == [str(c) for c in range(5)]


def test_command_line_reads_a_compiled_dataset_and_a_bom(tmp_path, data, capsys):
    train, y_train, test, y_test = data
    text = tmp_path / "train.txt"
    mmfast.write_fasttext_file(text, train, y_train)
    text.write_bytes(b"\xef\xbb\xbf" + text.read_bytes())
    model = tmp_path / "m.mmf"
    main(["train", str(text), "-o", str(model), "--dim", "16", "--buckets", "5000", "--quiet"])
    assert capsys.readouterr().err.startswith("saved 5-class model")
    dataset = tmp_path / "test.mmd"
    mmfast.Dataset.from_texts(test, [str(label) for label in y_test], dataset, buckets=5000)
    main(["test", str(model), str(dataset)])
    assert "N\t500" in capsys.readouterr().out
    main(["predict", str(model), str(dataset)])
    assert len(capsys.readouterr().out.splitlines()) == 500


def test_command_line_with_standard_input_closed(tmp_path):
    # Before: a traceback.
    clf = mmfast.Classifier(**SMALL).fit(["a b", "c d"], [0, 1])
    clf.save(tmp_path / "m.mmf")
    result = subprocess.run(f"{sys.executable} -m mmfast predict {tmp_path / 'm.mmf'} - <&-",
                            shell=True, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "standard input is closed" in result.stderr and "Traceback" not in result.stderr


def test_misaligned_features_are_read_from_an_aligned_copy():
    from mmfast._validation import as_float_matrix
    misaligned = np.frombuffer(bytes(4 * 12 + 1), dtype=np.uint8)[1:].view(np.float32)
    X = misaligned.reshape(3, 4)
    assert not X.flags.aligned
    checked = as_float_matrix("features", X)
    assert checked.flags.aligned and checked.flags.c_contiguous
    np.testing.assert_array_equal(checked, X)
