"""mmfast: efficient large-scale multi-modal classification."""

from ._validation import NotFittedError
from .autotune import autotune
from .classifier import Classifier, load
from .dataset_file import Dataset, DatasetWriter
from .datasets import make_multimodal_classification, make_text_classification, write_fasttext_file
from .quantization import RSPQ, KMeans, ProductQuantizer

__all__ = [
    "Classifier",
    "Dataset",
    "DatasetWriter",
    "KMeans",
    "NotFittedError",
    "ProductQuantizer",
    "RSPQ",
    "autotune",
    "load",
    "make_multimodal_classification",
    "make_text_classification",
    "write_fasttext_file",
]
__version__ = "0.1.0"
