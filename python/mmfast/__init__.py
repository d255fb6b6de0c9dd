"""mmfast: efficient large-scale multi-modal classification."""

from .classifier import Classifier, load

__all__ = ["Classifier", "load"]
__version__ = "0.1.0"
