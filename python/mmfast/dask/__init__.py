"""mmfast on Dask: prediction, encoding and scoring over Dask collections,
sharded compiles, and data-parallel training, run on the workers of a
``distributed`` cluster (prediction and compiles also on Dask's local
schedulers).

Needs the optional extra ``mmfast[dask]`` (dask and distributed); ``import
mmfast`` never imports Dask. Every function takes the fitted model and Dask
collections (texts as a dask bag of str or a dask dataframe column, features
as a dask array whose row chunks are the texts' partitions, or a list of
compiled shards) and returns Dask collections aligned with the input's
partitions, computed when asked. The model travels to each worker once; each
partition is predicted by the local model's own method, so the results equal
the local model's on the same rows, bit for bit.
"""

from __future__ import annotations

try:
    import dask  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("mmfast.dask needs Dask: pip install 'mmfast[dask]'") from error

from ._compile import compile_shards
from ._predict import predict, predict_proba, score, transform
from ._train import Round, fit

__all__ = ["Round", "compile_shards", "fit", "predict", "predict_proba", "score", "transform"]
