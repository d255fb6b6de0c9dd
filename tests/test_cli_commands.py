"""The command line's commands beyond fastText's: compile (and train adopting
a compiled dataset's settings), explain, autotune, and models of features
alone (--features without texts)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli_error as fails
from conftest import cli_metric as metric
from conftest import run_cli as run

import mmfast


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Texts tell apart only pairs of classes, features only other pairs."""
    tmp = tmp_path_factory.mktemp("commands")
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=1500, n_classes=4, n_features=16, vocab_size=1000, latent_dim=4, seed=1)
    mmfast.write_fasttext_file(tmp / "train.txt", texts[:1000], y[:1000])
    mmfast.write_fasttext_file(tmp / "test.txt", texts[1000:], y[1000:])
    np.save(tmp / "train.npy", X[:1000])
    np.save(tmp / "test.npy", X[1000:])
    return tmp


SMALL = ["--dim", 16, "--thread", 1, "--epochs", 20, "--lr", 0.5, "--quiet"]


def test_compile_then_train_adopts_the_datasets_settings(files, capsys):
    tmp = files
    _, err = run(capsys, "compile", tmp / "train.txt", "-o", tmp / "train.mmd", "--features",
                 tmp / "train.npy", "--word-ngrams", 1, "--buckets", 512, "--quiet")
    assert err == (f"wrote 1,000 examples of 4 classes, 16 features to {tmp / 'train.mmd'} "
                   "(word_ngrams=1, buckets=512, min_count=1)\n")
    # Before: training with the defaults (word_ngrams 2) failed, with advice in Python.
    run(capsys, "train", tmp / "train.mmd", "-o", tmp / "mmd.mmf", "--fusion", "add", *SMALL)
    clf = mmfast.load(tmp / "mmd.mmf")
    assert (clf.word_ngrams, clf.buckets_, clf.min_count) == (1, 512, 1)
    # Repeating a setting is fine; changing one names the dataset and the option.
    run(capsys, "train", tmp / "train.mmd", "-o", tmp / "same.mmf", "--fusion", "add",
        "-wordNgrams", 1, *SMALL)
    message = fails("train", tmp / "train.mmd", "-o", tmp / "other.mmf", "--fusion", "add",
                    "-wordNgrams", 3)
    assert f"{tmp / 'train.mmd'}: compiled with word_ngrams=1, but --word-ngrams" in message
    assert "--features" in fails("train", tmp / "train.mmd", "-o", tmp / "f.mmf", "--features",
                                 tmp / "train.npy", "--fusion", "add")
    # The model tests on the dataset it was trained on and on a file with features.
    on_dataset, _ = run(capsys, "test", tmp / "mmd.mmf", tmp / "train.mmd")
    assert metric(on_dataset, "N") == 1000 and metric(on_dataset, "P@1") > 0.7
    out, _ = run(capsys, "predict", tmp / "mmd.mmf", tmp / "test.txt", "--features",
                 tmp / "test.npy", "--quiet")
    assert len(out.splitlines()) == 500


def test_models_of_features_alone(files, tmp_path, capsys):
    tmp = files
    # A file of labels without words, and the features of its lines.
    labels = (tmp / "train.txt").read_text().splitlines()
    (tmp_path / "labels.txt").write_text(
        "".join(line.split()[0] + "\n" for line in labels))
    run(capsys, "train", tmp_path / "labels.txt", "-o", tmp_path / "f.mmf", "--features",
        tmp / "train.npy", "--fusion", "add", *SMALL)
    clf = mmfast.load(tmp_path / "f.mmf")
    assert clf.fusion_ == "features"
    # test reads the labels of a file (its words are not looked at) ...
    out, _ = run(capsys, "test", tmp_path / "f.mmf", tmp / "test.txt", "--features",
                 tmp / "test.npy")
    assert metric(out, "N") == 500 and metric(out, "P@1") > 0.35
    # ... and predict needs no file at all: --features alone.
    out, _ = run(capsys, "predict", tmp_path / "f.mmf", "--features", tmp / "test.npy", "-k", 2,
                 "--quiet")
    lines = out.splitlines()
    assert len(lines) == 500 and all(len(line.split()) == 2 for line in lines)
    expected = clf.predict(None, features=np.load(tmp / "test.npy"))
    assert [line.split()[0] for line in lines] == [f"__label__{label}" for label in expected]
    assert "give an input file, or --features" in fails("predict", tmp_path / "f.mmf")


def test_explain_splits_each_lines_score(files, capsys):
    tmp = files
    run(capsys, "train", tmp / "train.txt", "-o", tmp / "pq.mmf", "--features",
        tmp / "train.npy", "--fusion", "pq", "--n-subquantizers", 4, "--n-bits", 4, *SMALL)
    (tmp / "three.txt").write_text("".join((tmp / "test.txt").read_text().splitlines(True)[:3]))
    np.save(tmp / "three.npy", np.load(tmp / "test.npy")[:3])
    out, _ = run(capsys, "explain", tmp / "pq.mmf", tmp / "three.txt", "--features",
                 tmp / "three.npy", "-n", 0)
    clf = mmfast.load(tmp / "pq.mmf")
    X = np.load(tmp / "three.npy")
    text = (tmp / "three.txt").read_text().splitlines()[0].split(" ", 1)[1]
    expected = clf.explain(text, X[0])
    blocks = out.split("line ")[1:]
    assert len(blocks) == 3
    head, *entries = blocks[0].strip().splitlines()
    assert head == f"1: __label__{expected.label} score {expected.score:.4f}"
    assert len(entries) == len(expected)  # -n 0: every contribution
    assert abs(sum(float(entry.split()[0]) for entry in entries) - expected.score) < 1e-3
    assert any("feature " in entry for entry in entries)
    # Another class, and only the two largest contributions.
    other = next(label for label in clf.classes_ if label != expected.label)
    out, _ = run(capsys, "explain", tmp / "pq.mmf", tmp / "three.txt", "--features",
                 tmp / "three.npy", "--label", f"__label__{other}", "-n", 2)
    assert out.splitlines()[0].startswith(f"line 1: __label__{other} score ")
    assert len(out.splitlines()) == 3 * 3
    message = fails("explain", tmp / "pq.mmf", tmp / "three.txt", "--features",
                    tmp / "three.npy", "--label", "nope")
    assert f"{tmp / 'pq.mmf'}: --label nope is not one of the model's classes" in message


def test_autotune_saves_the_best_model_and_reports_each_trial(files, capsys):
    tmp = files
    _, err = run(capsys, "autotune", tmp / "train.txt", "-o", tmp / "tuned.mmf",
                 "--validation", tmp / "test.txt", "--features", tmp / "train.npy",
                 "--validation-features", tmp / "test.npy", "--max-trials", 3, "--budget", 60,
                 "--dim", 8, "--thread", 1, "--fusion", "add")
    trials = [line for line in err.splitlines() if line.startswith("autotune: trial")]
    assert len(trials) == 3 and "saved to" in err.splitlines()[-1]
    best = float(err.splitlines()[-1].split("f1_micro ")[1].split()[0])
    clf = mmfast.load(tmp / "tuned.mmf")
    assert clf.score(tmp / "test.txt", features=np.load(tmp / "test.npy")) == pytest.approx(
        best, abs=1e-4)
