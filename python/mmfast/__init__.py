"""mmfast: efficient large-scale multi-modal classification."""

from .classifier import Classifier, load
from .datasets import make_multimodal_classification, make_text_classification, write_fasttext_file

__all__ = [
    "Classifier",
    "load",
    "make_multimodal_classification",
    "make_text_classification",
    "write_fasttext_file",
]
__version__ = "0.1.0"
