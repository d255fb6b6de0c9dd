"""Optional scikit-learn interoperability. scikit-learn is not a dependency,
and importing it takes seconds, so it is imported only when scikit-learn
itself asks an estimator for its tags or routing (it is then loaded), or when
``NotFittedError`` is first needed."""

from __future__ import annotations

import functools
from typing import Any


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted estimator is called before fit()
    (``mmfast.NotFittedError`` when scikit-learn is not installed)."""


@functools.cache
def not_fitted_error() -> type[ValueError]:
    """scikit-learn's ``NotFittedError`` when scikit-learn is installed, else
    mmfast's own class of that name; both subclass ValueError and AttributeError.
    Decided once per process, so the class never changes under a caller."""
    try:
        from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    except ImportError:
        return NotFittedError
    return SklearnNotFittedError


def classifier_tags(deterministic: bool) -> Any:
    """A text classifier's tags: its input is a sequence of str, not a 2-D
    array; it takes multi-label targets (a list of labels per text)."""
    from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

    return Tags(
        estimator_type="classifier",
        target_tags=TargetTags(required=True),
        classifier_tags=ClassifierTags(multi_label=True),
        input_tags=InputTags(two_d_array=False, string=True),
        non_deterministic=not deterministic,
    )


def transformer_tags(preserves_dtype: list[str], clusterer: bool = False) -> Any:
    """The tags of a transformer of 2-D float arrays (a clusterer, too, for
    k-means). preserves_dtype: the input dtypes that transform returns unchanged."""
    from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

    return Tags(
        estimator_type="clusterer" if clusterer else None,
        target_tags=TargetTags(required=False),
        transformer_tags=TransformerTags(preserves_dtype=preserves_dtype),
        input_tags=InputTags(),
    )


def features_routing(owner: str, methods: tuple[str, ...]) -> Any:
    """scikit-learn metadata routing that requests ``features`` in `methods`,
    so that Pipeline, cross_val_score and GridSearchCV split a ``features``
    argument with the rows and pass it to those methods (once routing is on:
    ``sklearn.set_config(enable_metadata_routing=True)``)."""
    from sklearn.utils.metadata_routing import MetadataRequest

    request = MetadataRequest(owner=owner)
    for method in methods:
        getattr(request, method).add_request(param="features", alias=True)
    if "score" in methods:
        # Pipeline.score always routes a sample_weight (None unless given): it
        # must be a known name; None (not requested) refuses one that is given.
        request.score.add_request(param="sample_weight", alias=None)
    return request
