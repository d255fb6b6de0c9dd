"""One way to run a long call (cpp/job.h, mmfast/_jobs.py): every long native
call is a job that Python's one poll loop waits on; any job that a stop request
ends raises KeyboardInterrupt, and a training that diverged raises
mmfast.TrainingDivergedError, a ValueError, without reading its message."""

from __future__ import annotations

import numpy as np
import pytest

import mmfast
from mmfast import _core, _jobs, _params

TEXTS = [f"w{i % 97} c{i % 5} w{i % 13}" for i in range(3000)]
LABELS = np.arange(3000) % 5


def _stopped(job) -> None:
    """Asks a running job to stop; its result is then a KeyboardInterrupt."""
    job.request_stop()
    with pytest.raises(KeyboardInterrupt):
        job.result()


def test_a_stopped_training_raises_keyboard_interrupt():
    clf = mmfast.Classifier(dim=8, epochs=10**6, buckets=100, n_jobs=2, verbose=0)
    core = _core.Classifier(_params.core_config(_params.validated(clf), _core.ClassifierConfig()))
    offsets = np.arange(len(TEXTS) + 1, dtype=np.int64)
    trainer = _jobs.run(core.prepare_fit(TEXTS, None, None, offsets, LABELS.astype(np.int32), 5,
                                         0))
    job = trainer.train()
    assert not job.wait(0.2)  # a million epochs: still running
    assert job.progress()["examples_total"] == len(TEXTS) * 10**6
    _stopped(job)


def test_a_stopped_compile_raises_keyboard_interrupt_and_leaves_no_file(tmp_path):
    # Before: the compile ended with RuntimeError("interrupted"), which Python
    # recognised by suppressing RuntimeError.
    text = tmp_path / "t.txt"
    mmfast.write_fasttext_file(text, TEXTS * 200, np.tile(LABELS, 200))
    job = _core.compile_dataset(str(text), str(tmp_path / "d.mmd"), "", 0, "", 0, 0, False, "",
                                2, 1000, 1, False, 1)
    _stopped(job)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


def test_a_stopped_quantizer_fit_raises_keyboard_interrupt():
    X = np.random.default_rng(0).random((20000, 16), dtype=np.float32)
    kmeans = _core.KMeans(16, 64, n_iter=10**6)
    _stopped(kmeans.train(X, 2))
    assert not kmeans.is_trained


def test_short_calls_are_done_when_their_job_is_returned():
    clf = mmfast.Classifier(dim=8, epochs=1, buckets=100, n_jobs=1, verbose=0).fit(TEXTS, LABELS)
    job = clf._native.predict_proba(["w1 c2"], None, None, 1)
    assert job.wait(0)
    assert job.result().shape == (1, 5)


def test_training_that_diverges_raises_training_diverged_error():
    # Before: a ValueError that autotune recognised by the start of its message.
    assert issubclass(mmfast.TrainingDivergedError, ValueError)
    with pytest.raises(mmfast.TrainingDivergedError, match="lower lr"):
        mmfast.Classifier(dim=8, epochs=5, lr=1e30, buckets=100, n_jobs=1, verbose=0).fit(
            TEXTS, LABELS)


def test_autotune_tells_divergence_by_its_type(monkeypatch):
    # A ValueError that merely says "training diverged" is not a diverged trial.
    def refuse(*args, **kwargs):
        raise ValueError("training diverged, or so this message says")

    monkeypatch.setattr(mmfast.Classifier, "fit", refuse)
    with pytest.raises(ValueError, match="so this message says"):
        mmfast.autotune(TEXTS, LABELS, budget=1, verbose=0)
