"""mmfast: efficient large-scale multi-modal classification."""

from ._validation import NotFittedError
from .classifier import Classifier, load
from .quantization import RSPQ, KMeans, ProductQuantizer

__all__ = ["Classifier", "KMeans", "NotFittedError", "ProductQuantizer", "RSPQ", "load"]
__version__ = "0.1.0"
