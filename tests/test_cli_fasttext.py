"""The command line as fastText users know it: fastText's command names and
single-dash options, predict's labels and predict-prob's probabilities,
fastText's positional k and threshold, and --version."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from conftest import cli_error as fails
from conftest import run_cli as run

import mmfast
from mmfast.cli import parser
from mmfast.cli._options import FASTTEXT_NAMES


def test_supervised_with_fasttext_options_writes_prefix_mmf(text_files, capsys):
    tmp, _, _ = text_files
    out, err = run(capsys, "supervised", "-input", tmp / "train.txt", "-output", tmp / "model",
                   "-epoch", 7, "-lr", 0.5, "-wordNgrams", 1, "-dim", 12, "-loss", "hs",
                   "-thread", 1, "-bucket", 1000, "-minCount", 1, "-neg", 3, "-seed", 4,
                   "-verbose", 0)
    assert out == "" and err == f"saved 5-class model to {tmp / 'model.mmf'}\n"
    clf = mmfast.load(tmp / "model.mmf")  # fastText would write model.bin
    assert clf.get_params() == {**clf.get_params(), "epochs": 7, "lr": 0.5, "word_ngrams": 1,
                                "dim": 12, "loss": "hs", "n_jobs": 1, "buckets": 1000,
                                "min_count": 1, "neg": 3, "random_state": 4}
    out, _ = run(capsys, "test", tmp / "model.mmf", tmp / "train.txt")
    assert "P@1\t1.0000" in out or float(out.split("P@1\t")[1].split()[0]) > 0.9


def test_every_fasttext_name_is_an_option_of_the_same_parameter():
    train = parser()._subparsers._group_actions[0].choices["train"]
    flags = {action.dest: action.option_strings for action in train._actions}
    for name, fasttext in FASTTEXT_NAMES.items():
        assert fasttext in flags[name], fasttext


def test_supervised_with_autotune_validation_searches_and_saves_the_best(text_files, capsys):
    tmp, _, _ = text_files
    _, err = run(capsys, "supervised", "-input", tmp / "train.txt", "-output", tmp / "tuned",
                 "-autotune-validation", tmp / "train.txt", "-autotune-duration", 1, "-dim", 8,
                 "-thread", 1)
    assert "autotune: trial 1," in err
    assert err.splitlines()[-1].endswith(f"saved to {tmp / 'tuned.mmf'}")
    assert len(mmfast.load(tmp / "tuned.mmf").classes_) == 5


def test_input_and_output_are_required_once(text_files, capsys):
    tmp, _, _ = text_files
    assert fails("train", "-o", tmp / "m.mmf") == 2
    assert fails("train", tmp / "train.txt") == 2
    assert fails("train", tmp / "train.txt", "-input", tmp / "train.txt", "-o", "m") == 2
    assert fails("train", tmp / "train.txt", "-o", "m", "-output", "m") == 2
    assert "one of the arguments" in capsys.readouterr().err


def test_predict_writes_labels_and_predict_prob_their_probabilities(text_files, capsys):
    tmp, _, y = text_files
    run(capsys, "train", tmp / "train.txt", "-o", tmp / "m.mmf", "--dim", 16, "--thread", 1,
        "--quiet")
    labels, _ = run(capsys, "predict", tmp / "m.mmf", tmp / "train.txt", 2)  # fastText's k
    first = labels.splitlines()[0].split()
    assert len(first) == 2 and first[0] == f"__label__c{y[0]}"
    assert all(token.startswith("__label__") for token in first)
    probs, _ = run(capsys, "predict-prob", tmp / "m.mmf", tmp / "train.txt", 2)
    tokens = probs.splitlines()[0].split()
    assert tokens[0::2] == first and 0 < float(tokens[3]) <= float(tokens[1]) <= 1
    # fastText's threshold after k: only labels at least that probable.
    kept, _ = run(capsys, "predict-prob", tmp / "m.mmf", tmp / "train.txt", 5, 0.3)
    for line in kept.splitlines():
        assert all(float(p) >= 0.3 for p in line.split()[1::2])
    same, _ = run(capsys, "predict-prob", tmp / "m.mmf", tmp / "train.txt", "-k", 5,
                  "--threshold", 0.3)
    assert same == kept


def test_bad_k_and_threshold_are_refused(text_files, capsys):
    tmp, _, _ = text_files
    run(capsys, "train", tmp / "train.txt", "-o", tmp / "k.mmf", "--dim", 8, "--quiet")
    assert "-k must be at least 1, got 0" in fails("predict", tmp / "k.mmf", tmp / "train.txt",
                                                   "-k", 0)
    assert "--threshold must be a probability" in fails("test", tmp / "k.mmf",
                                                        tmp / "train.txt", 1, 1.5)


def test_version_and_supervised_in_a_fresh_process(text_files, tmp_path):
    tmp, _, _ = text_files
    version = subprocess.run([sys.executable, "-m", "mmfast", "--version"],
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout == f"mmfast {mmfast.__version__}\n"
    trained = subprocess.run(
        [sys.executable, "-m", "mmfast", "supervised", "-input", str(tmp / "train.txt"),
         "-output", str(tmp_path / "model"), "-dim", "8", "-thread", "1"],
        capture_output=True, text=True, timeout=120)
    assert trained.returncode == 0, trained.stderr
    assert "Progress: 100.0%" in trained.stderr
    predicted = np.asarray(mmfast.load(tmp_path / "model.mmf").predict(tmp / "train.txt"))
    assert len(predicted) == 2000
