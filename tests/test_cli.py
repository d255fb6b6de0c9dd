"""The mmfast command line, end to end on generated files."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import cli_error as fails
from conftest import cli_metric as metric
from conftest import run_cli as run

import mmfast
from mmfast._params import BY_NAME, FUSIONS
from mmfast.cli import main

SMALL = ["--dim", "16", "--buckets", "10000", "--thread", "1", "--quiet"]


@pytest.fixture(scope="module")
def text_model(text_files):
    tmp, _, _ = text_files
    main(["train", str(tmp / "train.txt"), "-o", str(tmp / "model.mmf"), *SMALL])
    return tmp / "model.mmf"


@pytest.fixture(scope="module")
def multimodal_files(tmp_path_factory):
    """Texts tell apart only pairs of classes, features only other pairs."""
    tmp = tmp_path_factory.mktemp("multimodal")
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=3000, n_classes=4, n_features=16, vocab_size=1000, latent_dim=4, seed=1)
    for name, part in (("train", slice(0, 2000)), ("test", slice(2000, None))):
        mmfast.write_fasttext_file(tmp / f"{name}.txt", texts[part], y[part])
        np.save(tmp / f"{name}.npy", X[part])
    return tmp


def test_train_test_predict(text_files, text_model, capsys):
    tmp, _, y = text_files
    out, err = run(capsys, "test", text_model, tmp / "train.txt")
    assert metric(out, "N") == 2000
    assert metric(out, "P@1") == metric(out, "R@1") == metric(out, "F1@1") >= 0.95
    out, _ = run(capsys, "predict-prob", text_model, tmp / "train.txt", "-k", 2)
    lines = out.splitlines()
    assert len(lines) == 2000
    assert lines[0].startswith(f"__label__c{y[0]} ") and len(lines[0].split()) == 4


def test_train_reports_on_stderr(text_files, capsys):
    tmp, _, _ = text_files
    out, err = run(capsys, "train", tmp / "train.txt", "-o", tmp / "m.mmf", "--dim", "8",
                   "--buckets", "1000", "--epochs", "1")
    assert out == ""
    assert "Progress: 100.0%" in err and "saved 5-class model" in err


def test_test_at_k_and_per_class(text_files, text_model, capsys):
    tmp, _, _ = text_files
    out, _ = run(capsys, "test", text_model, tmp / "train.txt", "-k", 2, "--per-class")
    # One true label and two predictions per line: P@2 is half of R@2.
    assert metric(out, "P@2") == pytest.approx(metric(out, "R@2") / 2, abs=1e-4)
    per_class = [line for line in out.splitlines() if line.startswith("F1-Score")]
    assert [line.split()[-1] for line in per_class] == [f"__label__c{i}" for i in range(5)]
    assert sum(int(line.split("Support : ")[1].split()[0]) for line in per_class) == 2000


@pytest.mark.parametrize("fusion", ["pq", "rspq", "add", "max", "gated", "bilinear_gated"])
def test_features_train_test_predict(multimodal_files, capsys, fusion):
    tmp = multimodal_files
    model = tmp / f"{fusion}.mmf"
    train = ["train", tmp / "train.txt", *SMALL, "--epochs", "20", "--lr", "0.5"]
    run(capsys, *train, "-o", model, "--features", tmp / "train.npy", "--fusion", fusion,
        "--n-bits", "4", "--n-subquantizers", "4", "--subspace-dim", "4", "--alpha", "1.0")
    fused, _ = run(capsys, "test", model, tmp / "test.txt", "--features", tmp / "test.npy")
    run(capsys, *train, "-o", tmp / "text.mmf")
    text_only, _ = run(capsys, "test", tmp / "text.mmf", tmp / "test.txt")
    # Text alone confuses pairs of classes (about 50%); with features, far fewer.
    assert metric(text_only, "P@1") < 0.6
    assert metric(fused, "P@1") > 0.7
    if fusion in ("pq", "rspq"):
        assert mmfast.load(model).quantizer_.n_bits == 4
    else:
        assert mmfast.load(model).fusion_ == fusion
    out, _ = run(capsys, "predict", model, tmp / "test.txt", "--features", tmp / "test.npy")
    assert len(out.splitlines()) == 1000


def test_quantize_writes_codes_a_model_trains_on(multimodal_files, capsys):
    tmp = multimodal_files
    out, err = run(capsys, "quantize", tmp / "train.npy", "-o", tmp / "codes",
                   "--n-subquantizers", 4, "--n-bits", 4)
    codes = np.load(tmp / "codes")  # the exact name given, no ".npy" appended
    assert codes.shape == (2000, 4) and codes.dtype == np.uint8 and codes.max() < 16
    assert out == "" and "reconstruction mean squared error" in err
    _, err = run(capsys, "quantize", tmp / "train.npy", "-o", tmp / "rspq.npy", "--method",
                 "rspq", "--n-subquantizers", 6, "--subspace-dim", 3, "--n-bits", 4)
    assert np.load(tmp / "rspq.npy").shape == (2000, 6)
    # Trained on codes alone (no quantizer), the model then takes codes.
    run(capsys, "train", tmp / "train.txt", "-o", tmp / "codes.mmf", *SMALL, "--epochs", "20",
        "--lr", "0.5", "--features", tmp / "codes", "--fusion", "pq", "--n-bits", 4)
    out, _ = run(capsys, "test", tmp / "codes.mmf", tmp / "train.txt", "--features", tmp / "codes")
    assert metric(out, "P@1") > 0.7


def test_predict_keeps_blank_lines_and_reads_stdin(text_files, text_model, capsys, monkeypatch):
    _, texts, _ = text_files
    lines = [texts[0], "", "   ", f"__label__c1 {texts[1]}", "", texts[2]]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    out, _ = run(capsys, "predict-prob", text_model, "-", "-k", 2)
    predicted = out.split("\n")[:-1]
    assert len(predicted) == len(lines)
    assert [bool(line) for line in predicted] == [True, False, False, True, False, True]
    expected, _ = mmfast.load(text_model).predict_top([texts[0], texts[1], texts[2]], k=2)
    assert [line.split()[0::2] for line in predicted if line] == [
        [f"__label__{label}" for label in row] for row in expected]


def test_stdin_for_training_and_test(text_files, capsys, monkeypatch):
    tmp, _, _ = text_files
    data = (tmp / "train.txt").read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(data))
    run(capsys, "train", "-", "-o", tmp / "stdin.mmf", *SMALL)
    monkeypatch.setattr(sys, "stdin", io.StringIO(data))
    out, _ = run(capsys, "test", tmp / "stdin.mmf", "-")
    assert metric(out, "P@1") >= 0.95


def test_errors_name_the_file(text_files, text_model, multimodal_files, tmp_path):
    tmp, _, _ = text_files
    data = tmp / "train.txt"
    missing = tmp_path / "missing.mmf"
    message = fails("test", missing, data)
    assert message.startswith("mmfast test: error: ") and str(missing) in message
    assert f"{tmp_path / 'missing.txt'}: no such file" in fails(
        "predict", text_model, tmp_path / "missing.txt")
    not_a_model = tmp_path / "model.mmf"
    not_a_model.write_bytes(b"\0" * 100)
    message = fails("predict", not_a_model, data)
    assert str(not_a_model) in message and "not an mmfast model: bad magic number" in message
    message = fails("test", text_model, data, "--features", multimodal_files / "test.npy")
    assert "features has 1000 rows" in message and "has 2000 lines" in message
    assert f"{tmp_path / 'no.npy'}: No such file" in fails(
        "test", text_model, data, "--features", tmp_path / "no.npy")
    (tmp_path / "text.npy").write_text("not numpy")
    assert f"{tmp_path / 'text.npy'}: cannot read" in fails(
        "test", text_model, data, "--features", tmp_path / "text.npy")
    binary = tmp_path / "latin1.txt"
    binary.write_bytes(b"__label__caf\xe9 x\n")
    assert "latin1.txt', line 1: the label is not valid UTF-8" in fails("test", text_model,
                                                                         binary)
    unlabelled = tmp_path / "unlabelled.txt"
    unlabelled.write_text("no labels here\n")
    assert "no labelled lines" in fails("test", text_model, unlabelled)
    assert "without features" in fails("predict", text_model, data, "--features",
                                       multimodal_files / "train.npy")


def test_output_is_checked_before_training(tmp_path):
    # The input does not exist either: the -o error comes first, before any work.
    missing_input = tmp_path / "missing.txt"
    message = fails("train", missing_input, "-o", tmp_path / "no" / "dir" / "m.mmf")
    assert "m.mmf: directory" in message and "does not exist" in message
    assert "is a directory" in fails("train", missing_input, "-o", tmp_path)
    assert "is a directory" in fails("quantize", tmp_path / "x.npy", "-o", tmp_path)


def test_usage_errors_exit_2(capsys):
    for argv in (["train"], ["train", "x.txt", "-o", "m", "--fusion", "bogus"], ["frobnicate"]):
        assert fails(*argv) == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err


def help_text(capsys, *argv):
    with pytest.raises(SystemExit) as excinfo:
        main([*argv, "--help"])
    assert excinfo.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # undo the wrapping


def test_help_shows_every_option_with_meaning_and_default(capsys):
    out = help_text(capsys, "train")
    assert "--dim DIM, -dim DIM Size of the word and hidden vectors. (default: 100)" in out
    names = ["none" if kind is None else kind for kind in FUSIONS]
    assert "--fusion {" + ",".join(names) + "}" in out
    for name, default in mmfast.Classifier().get_params().items():
        # quantizer, verbose (--quiet) and warm_start (a command trains once) are no options
        if BY_NAME[name].option:
            option = {"n_jobs": "--thread", "random_state": "--seed"}.get(
                name, "--" + name.replace("_", "-"))
            assert option in out
            typed = "none" if default is None else str(default)
            # The option's entry: from its flag and value to the next option's.
            entry = re.search(rf" {option} ([A-Z_]+|{{[^}}]*}})(.*?)(?= --[\w-]+ [A-Z{{]|$)",
                              out)
            assert entry is not None and f"(default: {typed})" in entry[2], option


@pytest.mark.parametrize("command", [None, "train", "supervised", "test", "predict",
                                     "predict-prob", "quantize", "compile", "explain",
                                     "autotune"])
def test_help_is_plain_words(capsys, command):
    out = help_text(capsys, *([command] if command else []))
    for markup in ("``", ":class:", ":meth:", "(default: None)", "default=", "%%"):
        assert markup not in out, (command, markup)
    # One spelling of a value everywhere, the parameter's name in capitals.
    for option, value in (("--n-subquantizers", "N_SUBQUANTIZERS"), ("--thread", "N_JOBS"),
                          ("--n-bits", "N_BITS"), ("--word-ngrams", "WORD_NGRAMS")):
        if f"{option} " in out:
            assert f"{option} {value}" in out, (command, option)


def test_python_m_mmfast_and_broken_pipe(text_files, text_model, tmp_path):
    tmp, _, _ = text_files
    big = tmp_path / "big.txt"
    big.write_text((tmp / "train.txt").read_text() * 20)  # 40k lines, more than a pipe holds
    command = f"{sys.executable} -m mmfast predict {text_model} {big} --quiet | head -n 2"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == ""
    version = subprocess.run([sys.executable, "-m", "mmfast", "--help"], capture_output=True,
                             text=True, timeout=60)
    assert version.returncode == 0 and "quantize" in version.stdout


def test_compress_writes_a_smaller_model_that_tests_as_well(text_files, text_model, capsys):
    tmp, _, _ = text_files
    small = tmp / "small.mmf"
    _, err = run(capsys, "compress", text_model, "-o", small, "--cutoff", 2000, "--retrain",
                 "--input", tmp / "train.txt")
    assert "times smaller" in err
    assert f"Reading {tmp / 'train.txt'}: 100.0%" in err
    assert small.stat().st_size * 10 < text_model.stat().st_size
    full_out, _ = run(capsys, "test", text_model, tmp / "train.txt")
    small_out, _ = run(capsys, "test", small, tmp / "train.txt")
    assert metric(small_out, "P@1") >= metric(full_out, "P@1") - 0.01
    assert "--retrain needs the training examples" in str(
        fails("compress", text_model, "-o", tmp / "x.mmf", "--retrain"))
    assert "--features belongs to --input" in str(
        fails("compress", text_model, "-o", tmp / "x.mmf", "--features", tmp / "f.npy"))
    assert "none.mmf': No such file" in str(
        fails("compress", tmp / "none.mmf", "-o", tmp / "x.mmf"))
    assert not (tmp / "x.mmf").exists()
