"""The fusion layer's gradients and one SGD step of the model, checked against
finite differences and a numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

import mmfast
from mmfast import _core

FUSIONS = [
    ("text", "features"),
    ("features", "features"),
    ("add", "features"),
    ("max", "features"),
    ("gated", "features"),
    ("gated", "text"),
    ("bilinear_gated", "features"),
    ("bilinear_gated_paper", "features"),
]


@pytest.mark.parametrize(("fusion", "gate"), FUSIONS)
def test_fusion_backward_matches_finite_differences(fusion, gate):
    rng = np.random.default_rng(0)
    dim = 6
    t = rng.normal(size=dim)
    # Keep t and u apart so that max() has no tie within a finite-difference step.
    u = t + rng.choice([-1.0, 1.0], dim) * rng.uniform(0.5, 1.5, dim)
    width = {"bilinear_gated": dim * dim + dim, "bilinear_gated_paper": dim * dim}.get(fusion, dim)
    w = rng.normal(size=width)  # L = w . z, so dL/dz = w

    def loss(t_, u_):
        z = _core.fusion_forward(fusion, gate, t_.astype(np.float32), u_.astype(np.float32))
        assert z.shape == (width,)
        return float(np.dot(w, z.astype(np.float64)))

    dt, du = _core._testing.fusion_backward(fusion, gate, t.astype(np.float32),
                                            u.astype(np.float32), w.astype(np.float32))
    eps = 1e-2
    for inputs, analytic in ((0, dt), (1, du)):
        numeric = np.zeros(dim)
        for i in range(dim):
            step = np.zeros(dim)
            step[i] = eps
            if inputs == 0:
                numeric[i] = (loss(t + step, u) - loss(t - step, u)) / (2 * eps)
            else:
                numeric[i] = (loss(t, u + step) - loss(t, u - step)) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-3, atol=1e-3)
    # A modality the fusion ignores gets no gradient.
    if fusion == "text":
        assert not du.any()
    if fusion == "features":
        assert not dt.any()


def test_fusion_forward_rejects_bad_arguments():
    with pytest.raises(ValueError, match="fusion must be one of"):
        _core.fusion_forward("concat", "features", np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="gate must be"):
        _core.fusion_forward("gated", "both", np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="same size"):
        _core.fusion_forward("add", "features", np.ones(3), np.ones(4))


# -- one SGD step against numpy ----------------------------------------------

TEXTS = ["red apple fruit", "green apple", "blue sky cloud", "grey cloud rain", "red sky"]
LABELS = [0, 0, 1, 1, 2]
PARAMS = dict(dim=5, epochs=1, word_ngrams=1, buckets=0, n_jobs=1, verbose=0, random_state=3)


def _features(n: int, d: int = 7, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(2.0, 3.0, (n, d)).astype(np.float32)


def _softmax_step(z, B, label, lr):
    """The output layer's step: new B, the lr-scaled negative gradient on z, the loss."""
    scores = B @ z
    p = np.exp(scores - scores.max())
    p /= p.sum()
    alpha = lr * ((np.arange(len(p)) == label) - p)
    return B + np.outer(alpha, z), B.T @ alpha, -np.log(p[label] + 1e-5)


# (fusion, the inputs of the step, features): modality dropout trains on one
# alone; 300 features take C's kernels through whole tiles of 64 columns and
# a second slice of 256.
STEPS = [(None, "both", 7), ("add", "both", 7), ("pq", "both", 7), ("add", "text", 7),
         ("add", "features", 7), ("pq", "text", 7), ("pq", "features", 7), ("add", "both", 300)]


@pytest.mark.parametrize(("fusion", "inputs", "n_features"), STEPS)
def test_one_sgd_step_matches_numpy(fusion, inputs, n_features):
    X = _features(len(TEXTS), n_features)
    params = dict(PARAMS, fusion=fusion, n_subquantizers=2, n_bits=2, alpha=0.7)
    clf = mmfast.Classifier(**params).fit(TEXTS, LABELS, features=None if fusion is None else X)
    core = clf._native
    before = {name: w.copy() for name, w in core.weights().items()}
    text, label, v = "red apple sky", 1, _features(1, n_features, seed=9)
    lr, feature_lr = 0.3, 0.02
    codes = clf.quantizer_.transform(v) if fusion == "pq" else None
    dense = v if fusion == "add" else None
    loss = _core._testing.train_steps(core, [text], dense, codes, np.array([0, 1]),
                                      np.array([label], np.int32), lr, feature_lr, inputs)

    ids = _core._testing.token_ids(core, text)
    A, B = before["text_embeddings"], before["output"]
    t = A[ids].mean(axis=0)
    u = np.zeros_like(t)
    if fusion == "add":
        scaled = (v[0] - before["feature_mean"]) * before["feature_inv_scale"]
        u = before["projection"] @ scaled
    if fusion == "pq":
        rows = np.arange(2) * 4 + codes[0]
        u = 0.7 * before["feature_embeddings"][rows].mean(axis=0)
    # One modality alone: z is the other, which alone learns.
    uses_text, uses_features = inputs != "features", inputs != "text"
    B_after, grad, expected_loss = _softmax_step(t * uses_text + u * uses_features, B, label, lr)

    A_after = A.copy()
    np.add.at(A_after, ids, grad / len(ids) * uses_text)
    after = core.weights()
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(after["output"], B_after, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(after["text_embeddings"], A_after, rtol=1e-5, atol=1e-6)
    if fusion == "add":
        C_after = before["projection"] + feature_lr / lr * np.outer(grad * uses_features, scaled)
        np.testing.assert_allclose(after["projection"], C_after, rtol=1e-5, atol=1e-6)
    if fusion == "pq":
        D_after = before["feature_embeddings"].copy()
        np.add.at(D_after, rows, 0.7 / 2 * grad * uses_features)
        np.testing.assert_allclose(after["feature_embeddings"], D_after, rtol=1e-5, atol=1e-6)


def _ova_loss(z, B, positive):
    """ova's loss: independent logistic losses of the classes (y = positive)."""
    s = B @ z
    return float(np.sum(np.logaddexp(0.0, -s) * positive + np.logaddexp(0.0, s) * ~positive))


def test_an_ova_step_takes_the_loss_gradient_of_the_weights_and_the_intercepts():
    # Two labels of three on one example, features alone: z = [u, 1], the
    # output matrix's last column the intercepts. One step moves B (with the
    # intercepts) and u by -lr times the loss's gradient.
    labels = [["a"], ["a", "b"], ["c"], ["b", "c"], ["a"]]
    X = _features(len(labels))
    clf = mmfast.Classifier(**PARAMS, fusion="add", loss="ova").fit(None, labels, features=X)
    core = clf._native
    assert core.intercept
    for _ in range(2):  # away from the start, so that every weight counts in the step
        _core._testing.train_steps(core, None, X, None, np.array([0, 1, 3, 4, 6, 7]),
                                   np.array([0, 0, 1, 2, 1, 2, 0], np.int32), 0.5, 0.0)
    before = {name: w.astype(np.float64) for name, w in core.weights().items()}
    assert before["output"][:, -1].any()
    v = _features(1, seed=9)
    lr = 0.3
    loss = _core._testing.train_steps(core, None, v, None, np.array([0, 2]),
                                      np.array([0, 2], np.int32), lr, 0.0)
    after = {name: w.astype(np.float64) for name, w in core.weights().items()}
    scaled = (v[0] - before["feature_mean"]) * before["feature_inv_scale"]
    u, B = before["projection"] @ scaled, before["output"]
    z = np.append(u, 1.0)
    positive = np.array([True, False, True])
    assert loss == pytest.approx(_ova_loss(z, B, positive), rel=1e-4)

    def numeric_gradient(f, x, eps=1e-4):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[i] = eps
            g[i] = (f(x + step) - f(x - step)) / (2 * eps)
        return g

    dB = numeric_gradient(lambda B_: _ova_loss(z, B_, positive), B)
    np.testing.assert_allclose(after["output"] - B, -lr * dB, rtol=1e-4, atol=1e-6)
    # u = C s: feature_lr 0 leaves C, and the core's step on u is the
    # gradient it would hand C (checked through a step with feature_lr = lr).
    _core._testing.train_steps(core, None, v, None, np.array([0, 2]), np.array([0, 2], np.int32),
                               lr, lr)
    moved = core.weights()["projection"].astype(np.float64) - after["projection"]
    B = after["output"]
    du = numeric_gradient(lambda u_: _ova_loss(np.append(u_, 1.0), B, positive), u)
    np.testing.assert_allclose(moved, -lr * np.outer(du, scaled), rtol=1e-3, atol=1e-6)


def test_weights_are_read_only_views():
    clf = mmfast.Classifier(**PARAMS).fit(TEXTS, LABELS)
    weights = clf._native.weights()
    assert set(weights) == {"text_embeddings", "feature_embeddings", "output"}
    with pytest.raises(ValueError):
        weights["output"][0, 0] = 1.0


def test_modality_dropout_is_checked_and_resolved():
    X = _features(len(TEXTS))
    with pytest.raises(ValueError, match=r"modality_dropout must be in \[0, 1\)"):
        mmfast.Classifier(**PARAMS, fusion="add", modality_dropout=1.0).fit(TEXTS, LABELS,
                                                                             features=X)
    with pytest.raises(ValueError, match="modality_dropout needs a fusion"):
        mmfast.Classifier(**PARAMS, fusion="bilinear_gated", modality_dropout=0.5).fit(
            TEXTS, LABELS, features=X)
    # A model of one modality has nothing to drop; the default resolves per fusion.
    alone = mmfast.Classifier(**PARAMS, fusion="add", modality_dropout=0.5).fit(
        None, LABELS, features=X)
    assert alone._native.modality_dropout == 0.0
    both = mmfast.Classifier(**PARAMS, fusion="add", modality_dropout=0.5).fit(
        TEXTS, LABELS, features=X)
    assert both._native.modality_dropout == 0.5
    # Dropout changes what is trained (each step then sees one modality alone).
    plain = mmfast.Classifier(**PARAMS, fusion="add", modality_dropout=0.0).fit(
        TEXTS, LABELS, features=X)
    assert not np.array_equal(plain._native.weights()["output"], both._native.weights()["output"])


def test_bilinear_gated_steps_at_most_its_largest_learning_rate():
    # Its dim * dim hidden values make a step at lr 0.5 diverge on real data:
    # steps above lr 0.2 are taken at 0.2.
    X = _features(len(TEXTS))
    after = []
    for lr in (0.2, 0.5):
        clf = mmfast.Classifier(**PARAMS, fusion="bilinear_gated").fit(TEXTS, LABELS, features=X)
        _core._testing.train_steps(clf._native, TEXTS, X, None, np.arange(len(TEXTS) + 1),
                                   np.array(LABELS, np.int32), lr, 0.01)
        after.append(clf._native.weights()["output"].copy())
    np.testing.assert_array_equal(after[0], after[1])
    # Below the cap the learning rate is the one given.
    clf = mmfast.Classifier(**PARAMS, fusion="bilinear_gated").fit(TEXTS, LABELS, features=X)
    _core._testing.train_steps(clf._native, TEXTS, X, None, np.arange(len(TEXTS) + 1),
                               np.array(LABELS, np.int32), 0.1, 0.01)
    assert not np.array_equal(clf._native.weights()["output"], after[0])


def test_features_only_step_with_its_intercept_matches_finite_differences():
    # z = [u, 1]: the output layer's last column is each class's intercept.
    X = _features(len(TEXTS))
    clf = mmfast.Classifier(**PARAMS, fusion="add").fit(None, LABELS, features=X)
    core = clf._native
    before = {name: w.copy() for name, w in core.weights().items()}
    B, C = before["output"], before["projection"]
    assert B.shape == (3, PARAMS["dim"] + 1)
    # A trained model's weights, so that no gradient is zero by symmetry.
    rng = np.random.default_rng(1)
    B = rng.normal(0.0, 0.5, B.shape).astype(np.float32)
    core.assign_rows("output", np.arange(3), B)
    v, label, lr, feature_lr = _features(1, seed=9), 2, 0.3, 0.02

    def loss(output: np.ndarray, projection: np.ndarray) -> float:
        core.assign_rows("output", np.arange(3), output.astype(np.float32))
        core.assign_rows("projection", np.arange(len(C)), projection.astype(np.float32))
        return -float(np.log(clf.predict_proba(None, features=v)[0, label]))

    eps = 1e-2
    numeric_b = np.zeros(3)  # d loss / d intercepts
    for c in range(3):
        step = np.zeros_like(B, dtype=np.float64)
        step[c, -1] = eps
        numeric_b[c] = (loss(B + step, C) - loss(B - step, C)) / (2 * eps)
    numeric_c = np.zeros(3)  # d loss / d C[i, 0] for the first rows
    for i in range(3):
        step = np.zeros_like(C, dtype=np.float64)
        step[i, 0] = eps
        numeric_c[i] = (loss(B, C + step) - loss(B, C - step)) / (2 * eps)
    loss(B, C)  # the weights as they were
    scaled = (v[0] - before["feature_mean"]) * before["feature_inv_scale"]
    z = np.append(C @ scaled, 1.0)
    B_after, grad, expected_loss = _softmax_step(z, B, label, lr)
    step_loss = _core._testing.train_steps(core, None, v, None, np.array([0, 1]),
                                           np.array([label], np.int32), lr, feature_lr)
    after = core.weights()
    np.testing.assert_allclose(step_loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(after["output"], B_after, rtol=1e-5, atol=1e-6)
    C_after = C + feature_lr / lr * np.outer(grad[:-1], scaled)
    np.testing.assert_allclose(after["projection"], C_after, rtol=1e-5, atol=1e-6)
    # SGD moves each weight by minus its step size times the loss's gradient.
    np.testing.assert_allclose((after["output"][:, -1] - B[:, -1]) / -lr, numeric_b,
                               rtol=1e-2, atol=1e-3)
    np.testing.assert_allclose((after["projection"][:3, 0] - C[:3, 0]) / -feature_lr,
                               numeric_c, rtol=1e-2, atol=1e-3)
