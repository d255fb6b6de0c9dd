"""How a Classifier's features reach the core: dense floats for the continuous
fusions, or the codes of a quantizer for pq and rspq (fitted here when the
``quantizer`` parameter is not), checked against what the model was trained
on."""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._params import CONTINUOUS_FUSIONS
from ._validation import as_code_matrix, as_float_matrix, check_int
from .quantization import RSPQ, ProductQuantizer

# The quantizer class of each quantized fusion.
QUANTIZERS: dict[str, type[ProductQuantizer] | type[RSPQ]] = {
    "pq": ProductQuantizer, "rspq": RSPQ
}


class TrainingFeatures(NamedTuple):
    """What fit() hands the core: the fitted quantizer (pq/rspq; None when
    trained on given codes without one), the dense features (continuous
    fusions) or the codes (pq/rspq), and the codes' range."""

    quantizer: ProductQuantizer | RSPQ | None
    dense: np.ndarray | None
    codes: np.ndarray | None
    codebook_size: int


def is_fitted(quantizer: Any) -> bool:
    return getattr(quantizer, "_native", None) is not None


def is_codes(features: Any) -> bool:
    """Integer features are codes from a quantizer; anything else is floats."""
    return np.issubdtype(np.asarray(features).dtype, np.integer)


def training_features(params: dict[str, Any], features: Any) -> TrainingFeatures:
    """The features of the training examples (one row each, as the input
    layer checked), for a Classifier with the validated ``params``."""
    fusion = params["fusion"]
    if fusion is None:
        if features is not None:
            raise ValueError(
                "features: given, but fusion=None; set fusion (e.g. 'add' or 'pq') to use them"
            )
        return TrainingFeatures(None, None, None, 0)
    if features is None:
        raise ValueError(f"features are required with fusion={fusion!r}")
    if fusion in CONTINUOUS_FUSIONS:
        return TrainingFeatures(None, as_float_matrix("features", features), None, 0)
    quantizer = quantizer_for(params, fusion,
                              None if is_codes(features) else np.shape(features)[-1])
    codebook_size = 2 ** check_int("n_bits", quantizer.n_bits, 1, 16)
    fitted = is_fitted(quantizer)
    if is_codes(features):
        n_codes = quantizer._native.n_codes if fitted else np.shape(features)[-1]
        codes = as_code_matrix("features", features, n_codes, codebook_size)
        return TrainingFeatures(quantizer if fitted else None, None, codes, codebook_size)
    X = as_float_matrix("features", features)
    verbose = params["verbose"]  # the Classifier's: its fit shows every long step
    if not fitted:
        quantizer._fit(X, "features", verbose)
    codes = quantizer._transform(X, "features", verbose)
    return TrainingFeatures(quantizer, None, codes, codebook_size)


def rspq_subspace_dim(subspace_dim: Any, n_subspaces: int, n_features: int | None) -> Any:
    """The ``subspace_dim`` parameter, or for None as many dimensions per
    subspace as make the subspaces hold about every feature once (None
    still where there are no float features to fit on: codes). 8 subspaces
    of 16 of fortunes' 384 features left rspq below text alone (.392
    against .492); 8 of 48, with the balanced alpha, .518."""
    if subspace_dim is not None or n_features is None:
        return subspace_dim
    return max(1, n_features // n_subspaces)


def quantizer_for(params: dict[str, Any], fusion: str,
                  n_features: int | None = None) -> ProductQuantizer | RSPQ:
    """The ``quantizer`` parameter when fitted, else a new unfitted one (a copy
    of the parameter's settings, which fit() leaves untouched) for features of
    ``n_features`` columns (None: codes)."""
    kind = QUANTIZERS[fusion]
    given = params["quantizer"]
    if given is not None:
        if not isinstance(given, kind):
            raise TypeError(
                f"quantizer: fusion={fusion!r} needs a {kind.__name__}, "
                f"got {type(given).__name__}"
            )
        if is_fitted(given):
            # A copy: refitting the parameter later must not change this model.
            return copy.deepcopy(given)
        return kind(**given.get_params(deep=False))
    shape = {"n_subquantizers": params["n_subquantizers"]} if fusion == "pq" else {
        "n_subspaces": params["n_subquantizers"],
        "subspace_dim": rspq_subspace_dim(params["subspace_dim"], params["n_subquantizers"],
                                          n_features),
    }
    return kind(n_bits=params["n_bits"], random_state=params["random_state"],
                n_jobs=params["n_jobs"], **shape)


def dataset_features(params: dict[str, Any], dataset: Any) -> tuple[Any, int]:
    """(quantizer, codebook size) of a compiled dataset's features for a
    Classifier with the validated ``params``: float features for a
    continuous fusion; codes, with the quantizer they came from (the one the
    dataset stores, else the fitted ``quantizer`` parameter, else None:
    predict then needs codes), for pq and rspq."""
    fusion = params["fusion"]
    if dataset.n_features:
        if fusion not in CONTINUOUS_FUSIONS:
            hint = ("call dataset.encode_features(quantizer) first to train on codes"
                    if fusion in QUANTIZERS else "set fusion, e.g. 'add'")
            raise ValueError(f"dataset {dataset.path!r} holds float features, which "
                             f"fusion={fusion!r} does not take: {hint}")
        return None, 0
    if not dataset.n_codes:
        if fusion is not None:
            raise ValueError(f"features are required with fusion={fusion!r}, and dataset "
                             f"{dataset.path!r} has none")
        return None, 0
    if fusion not in QUANTIZERS:
        raise ValueError(f"dataset {dataset.path!r} holds feature codes: fusion must be "
                         f"'pq' or 'rspq', got {fusion!r}")
    native = dataset.quantizer
    if native is None:
        quantizer = quantizer_for(params, fusion) if is_fitted(params["quantizer"]) else None
    else:
        expected = _core.ProductQuantizer if fusion == "pq" else _core.RandomSampleProductQuantizer
        if not isinstance(native, expected):
            raise ValueError(f"dataset {dataset.path!r} has codes of a "
                             f"{type(native).__name__}, which fusion={fusion!r} does not use")
        quantizer = quantizer_from_native(fusion, native)
    codebook_size = (quantizer._native.n_centroids if quantizer is not None
                     else 2 ** params["n_bits"])
    if dataset.max_code >= codebook_size:
        raise ValueError(f"dataset {dataset.path!r} has codes up to {dataset.max_code}, beyond "
                         f"the {codebook_size} values of n_bits={params['n_bits']}")
    return quantizer, codebook_size


def native_quantizer(quantizer: ProductQuantizer | RSPQ) -> Any:
    """The fitted quantizer's native object, which a model keeps."""
    return quantizer._native


def quantizer_from_native(fusion: str, native: Any) -> ProductQuantizer | RSPQ:
    """The estimator around a native quantizer of ``fusion``'s kind (a
    saved model's, a dataset's)."""
    return QUANTIZERS[fusion]._from_native(native)


def prediction_features(
    estimator: Any, core: Any, features: Any
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(dense, codes): ``features`` as the fitted ``estimator``'s native
    ``core`` takes them; both None for a model without features."""
    if core.n_codes == 0 and core.n_features == 0:
        if features is not None:
            raise ValueError("features: this model was trained without features")
        return None, None
    if features is None:
        raise ValueError("features are required: this model was trained with "
                         f"fusion={estimator.fusion!r}")
    if core.n_features > 0:
        return as_float_matrix("features", features, core.n_features, estimator), None
    if is_codes(features):
        return None, as_code_matrix("features", features, core.n_codes, core.codebook_size)
    quantizer = estimator.quantizer_
    if quantizer is None:
        raise ValueError("features: this model was trained on codes without a quantizer, "
                         "so it needs codes, not float features")
    return None, quantizer._transform(features, "features")
