"""Property-based tests (hypothesis): over texts, labels, features and
hyperparameters, every call either returns a well-formed result or raises
ValueError / TypeError / OSError whose message names an argument; never
another exception, never a crash."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from model_format import reseal

import mmfast
from mmfast import _core, _jobs

ARGUMENTS = (
    "texts", "y", "features", "X", "dim", "epochs", "lr", "word_ngrams", "buckets", "min_count",
    "loss", "neg", "n_jobs", "random_state", "k", "threshold", "fusion", "n_subquantizers",
    "n_bits", "n_clusters", "n_iter", "subspace_dim", "n_subspaces", "max_points_per_centroid",
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def check_error(error: Exception) -> None:
    """The error is one of the agreed types and says which argument is wrong."""
    assert isinstance(error, (ValueError, TypeError, OSError)), repr(error)
    assert any(name in str(error) for name in ARGUMENTS), repr(error)


words = st.text(alphabet=st.sampled_from("ab cé\t\n\r\x00猫"), max_size=12)
good_label_lists = [
    lambda n: st.lists(st.integers(0, 3), min_size=n, max_size=n),
    lambda n: st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
    lambda n: st.lists(st.sampled_from([0.5, 1.5, True]), min_size=n, max_size=n),
    lambda n: st.lists(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3), min_size=n,
                       max_size=n),
]
bad_label = st.one_of(
    st.floats(allow_nan=True), st.binary(max_size=2), st.complex_numbers(max_magnitude=2),
    st.none(), st.lists(st.integers(0, 2), max_size=2), st.sampled_from(["a", 1, b"x"]),
)


@st.composite
def datasets(draw):
    """Texts and labels, valid half of the time, else with one thing wrong."""
    n = draw(st.integers(0, 8))
    texts = draw(st.lists(words, min_size=n, max_size=n))
    y = draw(draw(st.sampled_from(good_label_lists))(n))
    fault = draw(st.sampled_from([None, None, None, "texts", "y", "length"]))
    if fault == "texts":
        texts = draw(st.one_of(
            st.lists(st.one_of(words, st.integers(), st.none(), st.binary(max_size=3)),
                     min_size=n, max_size=n),
            st.just("not/a/file.txt"), st.binary(max_size=4),
        ))
    elif fault == "y" and n:
        y[draw(st.integers(0, n - 1))] = draw(bad_label)
    elif fault == "length":
        y = y + y[:1] if draw(st.booleans()) else y[1:]
    return texts, y


GOOD_PARAMS = {
    "dim": st.integers(1, 16),
    "epochs": st.integers(1, 3),
    "lr": st.one_of(st.floats(0.01, 1.0), st.just(1e6)),  # 1e6 diverges: ValueError naming lr
    "word_ngrams": st.integers(1, 3),
    "buckets": st.integers(0, 100),
    "min_count": st.integers(1, 2),
    "loss": st.sampled_from(["softmax", "hs", "ns", "ova"]),
    "n_jobs": st.one_of(st.none(), st.integers(1, 3)),
    "random_state": st.integers(0, 2**64 - 1),
}
BAD_PARAMS = {
    "dim": st.sampled_from([0, -1, 2**31, 2**40, 1.5, "3", True]),
    "epochs": st.sampled_from([0, -1, 2**31, None]),
    "lr": st.sampled_from([0.0, -1.0, float("nan"), float("inf"), "0.1"]),
    "word_ngrams": st.sampled_from([0, 2**35]),
    "buckets": st.sampled_from([-1, 2**31, 2**63]),
    "min_count": st.sampled_from([0, -1, 2**63]),
    "loss": st.sampled_from(["hinge", None, ""]),
    "n_jobs": st.sampled_from([0, -1, 2**31, 2.0]),
    "random_state": st.sampled_from([-1, 2**64, 0.5]),
}


@st.composite
def hyperparameters(draw):
    """Valid settings, with one of them made invalid half of the time."""
    params = {name: draw(values) for name, values in GOOD_PARAMS.items()}
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(BAD_PARAMS)))
        params[name] = draw(BAD_PARAMS[name])
    return {**params, "verbose": 0}


@SETTINGS
@given(data=datasets(), params=hyperparameters(),
       k=st.one_of(st.integers(1, 5), st.sampled_from([0, -1, 2**40])))
def test_classifier_fit_and_predict_are_total(data, params, k):
    texts, y = data
    clf = mmfast.Classifier(**params)
    try:
        clf.fit(texts, y)
    except Exception as error:  # noqa: BLE001 - the property is about every exception
        check_error(error)
        assert not hasattr(clf, "classes_")
        return
    queries = ["a b", "", "猫 c"]
    predicted = clf.predict(queries)
    assert len(predicted) == 3 and set(predicted.tolist()) <= set(clf.classes_.tolist())
    proba = clf.predict_proba(queries)
    assert proba.shape == (3, len(clf.classes_)) and np.all((proba >= 0) & (proba <= 1))
    try:
        top, probs = clf.predict_top(queries, k=k)
    except Exception as error:  # noqa: BLE001
        check_error(error)
        return
    assert all(len(row) == len(p) <= min(k, len(clf.classes_)) for row, p in zip(top, probs))
    assert 0.0 <= clf.score(texts, y) <= 1.0


features = st.one_of(
    st.integers(1, 40).flatmap(lambda n: st.integers(1, 6).map(
        lambda d: np.random.default_rng(n * d).normal(size=(n, d)))),
    st.sampled_from([
        np.full((20, 3), np.nan), np.full((20, 3), 1e30), np.ones((20, 3)) * 1j, np.ones(20),
        np.array([["1", "2"]] * 20), [[1, 2], [3]], np.ones((20, 0)),
    ]),
)
quantizer_params = st.fixed_dictionaries({
    "n_bits": st.integers(-1, 4),
    "n_iter": st.one_of(st.integers(-1, 3), st.just(2**31)),
    "random_state": st.one_of(st.integers(-1, 3), st.just(2**64)),
    "n_jobs": st.one_of(st.none(), st.integers(0, 3)),
})


@SETTINGS
@given(X=features, params=quantizer_params, n_subquantizers=st.integers(-1, 8))
def test_quantizers_are_total(X, params, n_subquantizers):
    for make in (
        lambda: mmfast.ProductQuantizer(n_subquantizers=n_subquantizers, **params),
        lambda: mmfast.RSPQ(n_subspaces=2, subspace_dim=n_subquantizers, **params),
        lambda: mmfast.KMeans(n_clusters=n_subquantizers, n_iter=params["n_iter"],
                              random_state=params["random_state"], n_jobs=params["n_jobs"]),
    ):
        estimator = make()
        try:
            out = estimator.fit(X).transform(X)
        except Exception as error:  # noqa: BLE001
            check_error(error)
            continue
        assert out.shape[0] == len(X)
        if isinstance(estimator, mmfast.KMeans):  # distances to the centroids
            assert out.shape[1] == n_subquantizers and np.all(np.isfinite(out))
        else:  # codes
            assert out.dtype.kind == "u"
            assert np.all(np.isfinite(estimator.inverse_transform(out)))


labels = st.one_of(
    st.integers(0, 40).flatmap(lambda n: st.one_of(*(make(n) for make in good_label_lists))),
    st.lists(bad_label, max_size=20),
)


@SETTINGS
@given(y=labels, X=features, fusion=st.sampled_from(["pq", "rspq", None]))
def test_features_only_fit_is_total(y, X, fusion):
    clf = mmfast.Classifier(fusion=fusion, n_subquantizers=2, subspace_dim=2, n_bits=2, dim=4,
                            epochs=1, verbose=0)
    try:
        clf.fit(None, y, features=X)
    except Exception as error:  # noqa: BLE001
        check_error(error)
        return
    assert len(clf.predict(None, features=X)) == len(X)


lines = st.lists(
    st.one_of(
        st.binary(max_size=10),
        st.sampled_from([b"__label__a x y", b"__label__b z", b"__label__\xff w", b"__label__c",
                         b"", b"  ", b"plain words"]),
    ),
    max_size=10,
)
newline = st.sampled_from([b"\n", b"\r\n", b"\r"])


@SETTINGS
@given(content=st.tuples(lines, newline).map(lambda t: t[1].join(t[0])))
def test_fasttext_files_are_total_and_predictions_line_up(content, tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "data.txt"
    path.write_bytes(content)
    clf = mmfast.Classifier(dim=4, epochs=1, buckets=50, verbose=0)
    try:
        clf.fit(path)
    except Exception as error:  # noqa: BLE001
        check_error(error)
        return
    assert len(clf.predict(path)) == len(content.splitlines())


@pytest.fixture(scope="module")
def saved() -> list[tuple[bytes, object]]:
    rng = np.random.default_rng(1)
    X = rng.random((40, 4), dtype=np.float32)
    clf = mmfast.Classifier(dim=2, buckets=3, verbose=0).fit(["a b", "c"] * 5, [0, 1] * 5)
    return [
        (clf._native.to_bytes(clf._metadata()), mmfast.Classifier()),
        (mmfast.ProductQuantizer(n_subquantizers=2, n_bits=2).fit(X)._native.to_bytes(),
         _core.Quantizer),
        (mmfast.KMeans(n_clusters=3).fit(X)._native.to_bytes(), _core.KMeans),
    ]


@SETTINGS
@given(which=st.integers(0, 2), position=st.floats(0, 1), patch=st.binary(min_size=1, max_size=9),
       resealed=st.booleans())
def test_damaged_files_load_or_raise_value_error(saved, which, position, patch, resealed):
    data, kind = saved[which]
    at = int(position * (len(data) - 1))
    damaged = data[:at] + patch + data[at + len(patch):]
    assume(damaged != data)
    if resealed:
        damaged = reseal(damaged)
    try:
        if isinstance(kind, mmfast.Classifier):
            kind.__setstate__({"_native": damaged})
        else:
            _jobs.run(kind.from_bytes(damaged))
    except ValueError as error:
        assert "mmfast model" in str(error), repr(error)
