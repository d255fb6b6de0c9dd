"""Optional scikit-learn interoperability. scikit-learn is not a dependency:
it is imported only when scikit-learn itself asks an estimator for its tags."""

from __future__ import annotations

from typing import Any


def classifier_tags() -> Any:
    """The tags scikit-learn (>= 1.6) gives a plain classifier, so that clone,
    cross_val_score, pipelines and grid search treat mmfast as one."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class _PlainClassifier(ClassifierMixin, BaseEstimator):
        pass

    return _PlainClassifier().__sklearn_tags__()
