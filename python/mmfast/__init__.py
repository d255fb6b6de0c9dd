"""mmfast: efficient large-scale multi-modal classification."""

from . import _core

__all__ = ["_core"]
__version__ = "0.1.0"
