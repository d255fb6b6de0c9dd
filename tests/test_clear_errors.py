"""The "also wrong" list of the one-way-in work: each case fails clearly, or
does what it says, where it used to fail obscurely or silently."""

from __future__ import annotations

import errno
import pickle

import numpy as np
import pytest
from conftest import paired_modalities, separable_texts

import mmfast
from mmfast import cli

SMALL = dict(dim=16, epochs=5, buckets=5000, n_jobs=1, random_state=0, verbose=0)


def test_a_quantizer_refitted_after_fit_leaves_the_model_alone():
    # Before: the model kept the caller's object, and its predictions changed.
    texts, X, y = paired_modalities(600)
    quantizer = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4).fit(X)
    clf = mmfast.Classifier(fusion="pq", quantizer=quantizer, **SMALL).fit(texts, y, features=X)
    before = clf.predict_proba(texts, features=X)
    quantizer.set_params(random_state=5).fit(X * 3 + 1)
    np.testing.assert_array_equal(clf.predict_proba(texts, features=X), before)


def test_standardizing_tiny_features_keeps_their_information():
    # Before: a standard deviation below an absolute 1e-12 counted as constant.
    texts, X, y = paired_modalities(1500)
    params = dict(SMALL, fusion="add", epochs=10, lr=0.5)
    plain = mmfast.Classifier(**params).fit(texts, y, features=X)
    tiny = mmfast.Classifier(**params).fit(texts, y, features=X * 1e-15)
    assert tiny.score(texts, y, features=X * 1e-15) > plain.score(texts, y, features=X) - 0.05
    assert np.all(tiny._native.weights()["feature_inv_scale"] > 1e10)


@pytest.mark.parametrize("params, named", [
    (dict(fusion="add", feature_lr=1e30), "feature_lr (it is 1e+30)"),
    (dict(fusion="pq", alpha=1e30, n_subquantizers=2, n_bits=2), "alpha (it is 1e+30)"),
])
def test_divergence_names_the_features_step_sizes(params, named):
    # Before: "lower lr (it is 0.1)", whatever diverged.
    texts, X, y = paired_modalities(300)
    with pytest.raises(mmfast.TrainingDivergedError, match=named.replace("+", r"\+")
                       .replace("(", r"\(").replace(")", r"\)")):
        mmfast.Classifier(**{**SMALL, **params}).fit(texts, y, features=X)


def test_loading_what_is_not_a_model_says_what_it_is(tmp_path):
    # Before: "corrupt mmfast model: read failed" and "file is truncated".
    with pytest.raises(IsADirectoryError):
        mmfast.load(tmp_path)
    X = np.random.default_rng(0).random((300, 8), dtype=np.float32)
    quantizer = mmfast.ProductQuantizer(n_subquantizers=2, n_bits=4).fit(X)
    (tmp_path / "q.bin").write_bytes(quantizer._native.to_bytes())
    with pytest.raises(ValueError, match="holds a quantizer, not a classifier"):
        mmfast.load(tmp_path / "q.bin")
    (tmp_path / "q.pkl").write_bytes(pickle.dumps(quantizer))
    with pytest.raises(ValueError, match="pickle.load"):
        mmfast.load(tmp_path / "q.pkl")


def test_long_double_labels_fit_and_save(tmp_path):
    # Before: fit took them, save failed.
    texts, y = separable_texts(300)
    clf = mmfast.Classifier(**SMALL).fit(texts, y.astype(np.longdouble))
    clf.save(tmp_path / "m.mmf")
    assert mmfast.load(tmp_path / "m.mmf").classes_.dtype == np.float64
    with pytest.raises(ValueError, match="long double"):
        mmfast.Classifier(**SMALL).fit(["a", "b"], np.array([0.5, 1], dtype=np.longdouble) + 2**60)


def test_quantize_on_a_file_that_is_not_npy_says_so(tmp_path):
    (tmp_path / "x.txt").write_text("1 2 3\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["quantize", str(tmp_path / "x.txt"), "-o", str(tmp_path / "c.npy")])
    assert "not a .npy file" in str(exit_.value.code)


def test_a_full_disk_in_quantize_leaves_the_old_output(tmp_path, monkeypatch):
    # Before: the output was opened in place, and a failed write left half a file.
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((300, 8), dtype=np.float32))
    (tmp_path / "c.npy").write_bytes(b"old codes")

    def full_disk(file, array):
        file.write(b"\x93NUMPY partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli._files.np, "save", full_disk)
    with pytest.raises(SystemExit):
        cli.main(["quantize", str(tmp_path / "x.npy"), "-o", str(tmp_path / "c.npy"),
                  "--n-subquantizers", "2", "--n-bits", "4"])
    assert (tmp_path / "c.npy").read_bytes() == b"old codes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npy", "x.npy"]


def test_a_text_with_a_lone_surrogate_is_named():
    # Before: UnicodeEncodeError "surrogates not allowed", without saying which text.
    with pytest.raises(ValueError, match=r"texts\[1\] cannot be encoded as UTF-8"):
        mmfast.Classifier(**SMALL).fit(["a b", "c \ud800 d"], [0, 1])
