"""mmfast: efficient large-scale multi-modal classification."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._jobs import TrainingDivergedError
from ._sklearn_compat import not_fitted_error
from .autotune import autotune
from .classifier import Classifier, load
from .dataset_file import Dataset, DatasetWriter
from .datasets import make_multimodal_classification, make_text_classification, write_fasttext_file
from .manifest import Manifest
from .quantization import RSPQ, KMeans, ProductQuantizer

if TYPE_CHECKING:
    from ._sklearn_compat import NotFittedError

__all__ = [
    "Classifier",
    "Dataset",
    "DatasetWriter",
    "KMeans",
    "Manifest",
    "NotFittedError",
    "ProductQuantizer",
    "RSPQ",
    "TrainingDivergedError",
    "autotune",
    "load",
    "make_multimodal_classification",
    "make_text_classification",
    "write_fasttext_file",
]
__version__ = "0.1.0"


def __dir__() -> list[str]:
    # The module's names and the lazy NotFittedError, without the names this
    # file imports for its own annotations.
    return sorted((set(globals()) | {"NotFittedError"}) - {"Any", "TYPE_CHECKING", "annotations"})


def __getattr__(name: str) -> Any:
    # NotFittedError is scikit-learn's class when scikit-learn is installed;
    # resolved on first use so that `import mmfast` does not import scikit-learn.
    if name == "NotFittedError":
        return not_fitted_error()
    raise AttributeError(f"module 'mmfast' has no attribute {name!r}")
