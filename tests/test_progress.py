"""Progress on every long call, through the one job mechanism: the loops of
prediction, quantizer fitting and encoding count their items into the job
(count_done, cpp/common.h), and the poll loop shows them on stderr when
verbose."""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest

import mmfast
from mmfast import _core, _jobs
from mmfast._progress import CountProgressLine
from mmfast.cli import main

TEXTS = [f"w{i % 97} c{i % 5} w{i % 13}" for i in range(3000)]
LABELS = [f"c{i % 5}" for i in range(3000)]
X = np.random.default_rng(0).normal(size=(3000, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def model():
    return mmfast.Classifier(dim=8, buckets=1000, n_jobs=2, verbose=0).fit(TEXTS, LABELS)


def test_prediction_jobs_count_every_example(model):
    for job in (model._native.predict_top(TEXTS, None, None, 2, 0.0, 2),
                model._native.predict_proba(TEXTS, None, None, 2)):
        _jobs.run(job)
        assert job.progress() == {"items_total": 3000.0, "items_done": 3000.0}


def test_quantizer_jobs_count_iterations_and_vectors():
    quantizer = _core.ProductQuantizer(8, 4, 4, n_iter=7)
    job = quantizer.train(X, 2)
    _jobs.run(job)
    assert job.progress() == {"items_total": 4.0 * 7, "items_done": 4.0 * 7}
    job = quantizer.encode(X, 2)
    _jobs.run(job)
    assert job.progress() == {"items_total": 3000.0, "items_done": 3000.0}
    kmeans = _core.KMeans(8, 16, n_iter=5)
    job = kmeans.train(X, 2)
    _jobs.run(job)
    assert job.progress()["items_done"] == job.progress()["items_total"] == 5


def test_count_line_shows_share_rate_and_time_left():
    stream = io.StringIO()
    line = CountProgressLine("Predicting t.txt", "examples", stream)
    line.update({"items_done": 250, "items_total": 1000})
    line.update({"items_done": 1000, "items_total": 1000})
    line.close()
    text = stream.getvalue()
    assert text.startswith("Predicting t.txt: 100.0% | 1,000 of 1,000 examples | ")
    assert "examples/s | elapsed 0:00:00 | left 0:00:00" in text and text.count("\n") == 1


def test_prediction_from_a_file_shows_progress_when_verbose(model, tmp_path, capsys):
    mmfast.write_fasttext_file(tmp_path / "t.txt", TEXTS, LABELS)
    model.set_params(verbose=1).predict(tmp_path / "t.txt")
    assert f"Predicting {tmp_path / 't.txt'}: 100.0% | 3,000 of 3,000 examples" in (
        capsys.readouterr().err)
    model.predict(TEXTS)  # in memory: a call of a program's own loop, quiet
    model.set_params(verbose=0).score(tmp_path / "t.txt")
    assert capsys.readouterr().err == ""


def test_reading_a_file_counts_its_bytes_and_shows_progress_when_verbose(model, tmp_path,
                                                                         capsys):
    """A fastText-format file is read, then split into lines: each byte counts
    twice; a stream's contents (read in Python) are split only."""
    path = tmp_path / "t.txt"
    mmfast.write_fasttext_file(path, TEXTS, LABELS)
    size = path.stat().st_size
    job = _core.read_fasttext_file(str(path), keep_unlabeled=True)
    _jobs.run(job)
    assert job.progress() == {"items_total": 2.0 * size, "items_done": 2.0 * size}
    job = _core.read_fasttext_bytes(path.read_bytes(), "<stream>", keep_unlabeled=True)
    _jobs.run(job)
    assert job.progress() == {"items_total": 1.0 * size, "items_done": 1.0 * size}

    model.set_params(verbose=1).predict(path)
    assert f"Reading {path}: 100.0% | {2 * size:,} of {2 * size:,} bytes" in (
        capsys.readouterr().err)
    with open(path, "rb") as stream:
        model.score(stream)
    assert f"Reading {path}: 100.0% | {size:,} of {size:,} bytes" in capsys.readouterr().err
    model.set_params(verbose=0).predict(path)
    assert capsys.readouterr().err == ""


def test_the_rate_of_a_short_prediction_counts_its_time(model, tmp_path, capsys):
    """A short job runs at once, when it is made: a line whose clock started
    after it showed "58,237,721 examples/s" for 1,000 lines."""

    class Slow:  # the model's core, taking 0.05 s to start each prediction
        def __init__(self, native):
            self._native = native

        def __getattr__(self, name):
            return getattr(self._native, name)

        def predict_top(self, *args):
            time.sleep(0.05)
            return self._native.predict_top(*args)

    mmfast.write_fasttext_file(tmp_path / "t.txt", TEXTS[:100], LABELS[:100])
    model.save(tmp_path / "m.mmf")
    clf = mmfast.load(tmp_path / "m.mmf").set_params(verbose=1)
    clf._native = Slow(clf._native)
    clf.predict(tmp_path / "t.txt")
    rate = re.search(r"\| ([\d,]+) examples/s", capsys.readouterr().err)[1]
    assert int(rate.replace(",", "")) <= 100 / 0.05


def test_quantizers_and_pq_fits_show_progress_when_verbose(capsys):
    pq = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4, n_jobs=1, verbose=1)
    pq.fit_transform(X)
    err = capsys.readouterr().err
    assert "Fitting (ProductQuantizer): 100.0% | 100 of 100 k-means iterations" in err
    assert "Encoding (ProductQuantizer): 100.0% | 3,000 of 3,000 vectors" in err
    mmfast.RSPQ(n_subspaces=2, subspace_dim=4, n_bits=4, n_jobs=1).fit_transform(X)
    assert capsys.readouterr().err == ""  # verbose=0, scikit-learn's default
    clf = mmfast.Classifier(fusion="pq", n_subquantizers=4, n_bits=4, dim=8, buckets=100,
                            n_jobs=1).fit(TEXTS, LABELS, features=X)
    err = capsys.readouterr().err
    assert "Fitting (ProductQuantizer)" in err and "Encoding" in err and "Progress:" in err
    assert clf.quantizer_.verbose == 0  # the Classifier's verbose is for its fit only


def test_encoding_a_datasets_features_shows_progress(tmp_path, capsys):
    dataset = mmfast.Dataset.from_texts(TEXTS, LABELS, tmp_path / "d.mmd", features=X)
    dataset.encode_features(mmfast.ProductQuantizer(n_subquantizers=2, n_bits=4),
                            tmp_path / "codes.mmd", n_jobs=1)
    err = capsys.readouterr().err
    assert "Fitting (ProductQuantizer): 100.0%" in err
    assert (f"Encoding the features of {tmp_path / 'd.mmd'}: 100.0% | 3,000 of 3,000 examples"
            in err)
    dataset.encode_features(mmfast.ProductQuantizer(n_subquantizers=2, n_bits=4),
                            tmp_path / "quiet.mmd", n_jobs=1, verbose=0)
    assert capsys.readouterr().err == ""


def test_command_line_progress_and_quiet(model, tmp_path, capsys):
    np.save(tmp_path / "x.npy", X)
    main(["quantize", str(tmp_path / "x.npy"), "-o", str(tmp_path / "c.npy"), "--n-bits", "4",
          "--n-subquantizers", "2"])
    err = capsys.readouterr().err
    assert "Fitting (ProductQuantizer)" in err and "Encoding (ProductQuantizer)" in err
    model.save(tmp_path / "m.mmf")
    mmfast.write_fasttext_file(tmp_path / "t.txt", TEXTS, LABELS)
    main(["predict", str(tmp_path / "m.mmf"), str(tmp_path / "t.txt")])
    assert "Predicting" in capsys.readouterr().err
    main(["test", str(tmp_path / "m.mmf"), str(tmp_path / "t.txt"), "--quiet"])
    assert capsys.readouterr().err == ""
