"""scikit-learn conformance: its estimator checks on every mmfast estimator,
nested parameters, clone, NotFittedError, and features through metadata
routing in Pipeline, cross_val_score and GridSearchCV."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import mmfast

sklearn = pytest.importorskip("sklearn")
from sklearn import config_context  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.cluster import KMeans as SklearnKMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.utils import InputTags, get_tags  # noqa: E402
from sklearn.utils import estimator_checks as checks  # noqa: E402


class FeaturesOnly(mmfast.Classifier):
    """Classifier's features-only mode, ``fit(None, y, features=X)``, seen as
    the 2-D numeric classifier it is, so that scikit-learn's data checks (which
    all pass 2-D arrays) reach Classifier's label handling, feature
    validation, fitting, prediction and pickling."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = InputTags()
        return tags

    def fit(self, X, y):
        return super().fit(None, y, features=X)

    def partial_fit(self, X, y, classes=None):
        return super().partial_fit(None, y, features=X, classes=classes)

    def predict(self, X):
        return super().predict(None, features=X)

    def predict_proba(self, X):
        return super().predict_proba(None, features=X)

    def score(self, X, y):
        return super().score(None, y, features=X)


_MULTILABEL = ("mmfast's multi-label y is a list of labels per example; the check "
               "passes scikit-learn's indicator matrix, which fit refuses")
# Every check scikit-learn's check_estimator runs and that is expected to fail,
# by estimator, with the reason. Any other failure fails the tests.
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "FeaturesOnly": {
        "check_n_features_in_after_fitting":
            "the message names Classifier's argument, features, where the check wants X",
        "check_supervised_y_2d":
            "a column vector y is taken as the labels, without a DataConversionWarning",
        "check_classifiers_multilabel_representation_invariance": _MULTILABEL,
        "check_classifiers_multilabel_output_format_predict": _MULTILABEL,
        "check_classifiers_multilabel_output_format_predict_proba": _MULTILABEL,
        "check_classifiers_multilabel_output_format_decision_function": _MULTILABEL,
    },
    "KMeans": {},
    "ProductQuantizer": {},
    "RSPQ": {},
}

ESTIMATORS = [
    FeaturesOnly(fusion="add", dim=16, epochs=20, lr=0.5, n_jobs=1, verbose=0),
    mmfast.KMeans(n_clusters=3, n_jobs=1),
    mmfast.ProductQuantizer(n_subquantizers=1, n_bits=2, n_jobs=1),
    mmfast.RSPQ(n_subspaces=2, subspace_dim=1, n_bits=2, n_jobs=1),
]


def expected_failures(estimator) -> dict[str, str]:
    return EXPECTED_FAILURES[type(estimator).__name__]


with warnings.catch_warnings():  # scikit-learn is not a base class of mmfast's estimators
    warnings.filterwarnings("ignore", "Estimator .* does not inherit", UserWarning)
    _ALL_CHECKS = checks.parametrize_with_checks(
        ESTIMATORS, expected_failed_checks=expected_failures)


@_ALL_CHECKS
@pytest.mark.filterwarnings("ignore:Estimator .* does not inherit:UserWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# The checks that need no data: the ones check_estimator can run on a
# classifier of texts (it runs none, as its tags say the input is not a 2-D array).
TEXT_CLASSIFIER_CHECKS = [
    checks.check_estimator_cloneable,
    checks.check_estimator_tags_renamed,
    checks.check_valid_tag_types,
    checks.check_estimator_repr,
    checks.check_no_attributes_set_in_init,
    checks.check_do_not_raise_errors_in_init_or_set_params,
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_parameters_default_constructible,
    checks.check_mixin_order,
    checks.check_estimators_unfitted,
]


@pytest.mark.parametrize("check", TEXT_CLASSIFIER_CHECKS, ids=lambda check: check.__name__)
def test_sklearn_checks_on_the_text_classifier(check):
    check("Classifier", mmfast.Classifier(verbose=0))


@pytest.mark.parametrize(
    "check", [checks.check_clustering, checks.check_clusterer_compute_labels_predict],
    ids=lambda check: check.__name__,
)
def test_sklearn_clustering_checks_on_kmeans(check):
    # check_estimator selects these by isinstance(ClusterMixin), which would
    # make scikit-learn a dependency; the tags say clusterer, so run them here.
    check("KMeans", mmfast.KMeans(n_clusters=3, n_jobs=1))


def test_tags_say_what_the_input_is():
    tags = get_tags(mmfast.Classifier())
    assert tags.estimator_type == "classifier"
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.classifier_tags.multi_label and tags.target_tags.required
    assert tags.non_deterministic and not get_tags(mmfast.Classifier(n_jobs=1)).non_deterministic
    for quantizer in (mmfast.ProductQuantizer(), mmfast.RSPQ()):
        tags = get_tags(quantizer)
        assert tags.input_tags.two_d_array and tags.transformer_tags.preserves_dtype == []
    assert get_tags(mmfast.KMeans()).estimator_type == "clusterer"


# --- parameters and clone ----------------------------------------------------


def test_nested_quantizer_parameters():
    clf = mmfast.Classifier(fusion="pq", quantizer=mmfast.ProductQuantizer(n_bits=4))
    params = clf.get_params(deep=True)
    assert params["quantizer__n_bits"] == 4 and params["quantizer__n_subquantizers"] == 8
    assert "quantizer__n_bits" not in clf.get_params(deep=False)
    assert clf.set_params(quantizer__n_bits=3, dim=7) is clf
    assert clf.quantizer.n_bits == 3 and clf.dim == 7
    with pytest.raises(ValueError, match="invalid parameter 'quantizr'"):
        clf.set_params(quantizr__n_bits=3)
    with pytest.raises(ValueError, match="invalid parameter 'bits'"):
        clf.set_params(quantizer__bits=3)
    with pytest.raises(ValueError, match="quantizer of Classifier is None"):
        mmfast.Classifier().set_params(quantizer__n_bits=3)


@pytest.fixture(scope="module")
def multimodal():
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=900, n_classes=4, n_features=8, vocab_size=500, latent_dim=4, seed=0)
    return np.asarray(texts), X, y


FAST = dict(dim=8, epochs=5, lr=0.5, buckets=10_000, n_jobs=1, verbose=0)


def test_clone_keeps_a_fitted_quantizer_fitted(multimodal):
    _, X, _ = multimodal
    pq = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=3, n_jobs=1).fit(X)
    cloned = clone(mmfast.Classifier(fusion="pq", quantizer=pq))
    assert cloned.quantizer is not pq
    np.testing.assert_array_equal(cloned.quantizer.transform(X), pq.transform(X))
    # An unfitted one stays unfitted: fit() fits a copy of it.
    unfitted = clone(mmfast.Classifier(fusion="pq", quantizer=mmfast.ProductQuantizer()))
    assert not hasattr(unfitted.quantizer, "centroids_")


def test_cross_validation_uses_a_fitted_quantizer_as_fitted(multimodal):
    texts, X, y = multimodal
    pq = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=3, n_jobs=1).fit(X[:300])
    clf = mmfast.Classifier(fusion="pq", quantizer=pq, **FAST)
    with config_context(enable_metadata_routing=True):
        result = cross_validate(
            clf, texts, y, cv=3, params={"features": X}, return_estimator=True)
    for fold in result["estimator"]:
        np.testing.assert_array_equal(fold.quantizer_.transform(X), pq.transform(X))
    assert min(result["test_score"]) > 0.5


def test_not_fitted_error_is_sklearns():
    from sklearn.exceptions import NotFittedError

    assert mmfast.NotFittedError is NotFittedError
    with pytest.raises(NotFittedError, match="this Classifier is not fitted yet"):
        mmfast.Classifier().predict(["a"])


def test_not_fitted_error_without_sklearn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import mmfast\n"
        "error = mmfast.NotFittedError\n"
        "assert issubclass(error, ValueError) and issubclass(error, AttributeError)\n"
        "assert error.__module__.startswith('mmfast')\n"
        "try:\n"
        "    mmfast.KMeans().predict([[1.0]])\n"
        "except error as e:\n"
        "    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert "this KMeans is not fitted yet" in result.stdout


def test_import_does_not_load_sklearn():
    code = "import sys, mmfast; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_kmeans_follows_sklearn_cluster_kmeans():
    X, _ = make_blobs(n_samples=600, centers=4, n_features=5, random_state=0)
    ours = mmfast.KMeans(n_clusters=4, n_jobs=1).fit(X)
    assert ours.labels_.shape == (600,) and ours.n_iter_ == 25
    distances = ours.transform(X[:10])
    expected = np.linalg.norm(X[:10, None] - ours.cluster_centers_[None], axis=2)
    np.testing.assert_allclose(distances, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(ours.predict(X[:10]), distances.argmin(axis=1))
    assert ours.score(X) == pytest.approx(-ours.inertia_, rel=1e-5)
    theirs = SklearnKMeans(n_clusters=4, n_init=1, random_state=0).fit(X)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=0.05)
    assert adjusted_rand_score(ours.labels_, theirs.labels_) > 0.95


# --- features through metadata routing -----------------------------------------


def test_features_reach_the_classifier_in_a_pipeline_and_a_grid_search(multimodal):
    texts, X, y = multimodal
    lower = FunctionTransformer(lambda texts: [text.lower() for text in texts])
    pipe = make_pipeline(lower, mmfast.Classifier(fusion="add", **FAST))
    with config_context(enable_metadata_routing=True):
        pipe.fit(texts[:600], y[:600], features=X[:600])
        fused = pipe.score(texts[600:], y[600:], features=X[600:])
        assert pipe.predict(texts[600:], features=X[600:]).shape == (300,)
        scores = cross_val_score(pipe, texts, y, cv=3, params={"features": X})
        search = GridSearchCV(mmfast.Classifier(fusion="add", **FAST),
                              {"fusion": ["add", "max"], "dim": [4, 8]}, cv=2)
        search.fit(texts, y, features=X)
    text_only = mmfast.Classifier(**FAST).fit(texts[:600], y[:600]).score(texts[600:], y[600:])
    assert fused > text_only + 0.1  # the features were used
    assert scores.min() > text_only
    assert set(search.cv_results_["param_fusion"]) == {"add", "max"}
    assert search.best_score_ > text_only


def test_pickled_clone_of_a_pq_classifier_predicts_the_same(multimodal):
    texts, X, y = multimodal
    clf = mmfast.Classifier(fusion="pq", n_subquantizers=4, n_bits=3, **FAST)
    clf.fit(texts, y, features=X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(texts, features=X),
                                  clf.predict(texts, features=X))
