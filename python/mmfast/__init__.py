"""mmfast: efficient large-scale multi-modal classification."""

from . import _core
from .quantization import RSPQ, KMeans, ProductQuantizer

__all__ = ["_core", "KMeans", "ProductQuantizer", "RSPQ"]
__version__ = "0.1.0"
