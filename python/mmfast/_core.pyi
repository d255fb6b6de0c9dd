"""Type stubs for the native module mmfast._core (cpp/bindings*.cc)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

def default_threads() -> int: ...

class TrainingDivergedError(ValueError): ...

class Job:
    """A long call running in C++ (cpp/job.h); mmfast._jobs.run waits for it."""

    def wait(self, seconds: float) -> bool: ...
    def request_stop(self) -> None: ...
    def progress(self) -> dict[str, float]: ...  # always items_done, and the job's counters
    def result(self) -> Any: ...
    def cancel(self) -> None: ...

# -- text classifier ---------------------------------------------------------

class LabeledTexts:
    """Texts and labels read from a fastText-format file."""

    def __len__(self) -> int: ...
    @property
    def label_names(self) -> list[str]: ...
    @property
    def label_offsets(self) -> npt.NDArray[np.int64]: ...
    @property
    def label_ids(self) -> npt.NDArray[np.int32]: ...
    @property
    def skipped_lines(self) -> int: ...
    @property
    def lines(self) -> npt.NDArray[np.int64]: ...
    @property
    def n_lines(self) -> int: ...
    def has_words(self) -> npt.NDArray[np.bool_]: ...
    def text(self, i: int) -> str: ...
    def select(self, rows: npt.ArrayLike) -> LabeledTexts: ...

LABEL_PREFIX: str

# Each long call starts a Job; the comment after it says what its result is. Jobs that
# predict, encode (features of arrays or of a dataset) or train a quantizer report
# items_total (examples, vectors, iterations).
def read_fasttext_file(path: str, keep_unlabeled: bool) -> Job: ...  # LabeledTexts
def read_fasttext_bytes(data: bytes, name: str, keep_unlabeled: bool) -> Job: ...  # LabeledTexts
def write_fasttext_file(
    path: str, texts: Sequence[str], label_names: list[str], label_offsets: npt.ArrayLike,
    label_ids: npt.ArrayLike, append: bool, line_breaks_as_spaces: bool,
) -> Job: ...  # None

class Trainer:
    def train(self) -> Job: ...  # None; progress: examples_done, examples_total, loss_sum, ...


def fusion_forward(
    fusion: str, gate: str, t: npt.ArrayLike, u: npt.ArrayLike
) -> npt.NDArray[np.float32]: ...

AUTO_BUCKETS: int  # ClassifierConfig.buckets / compile_dataset: sized by the training texts
MAX_AUTO_BUCKETS: int  # the most rows that sizing by the data gives (fastText's 2,000,000)

class ClassifierConfig:
    """The core's hyperparameters (python/mmfast/_params.py sets them by name)."""

    dim: int
    word_ngrams: int
    buckets: int
    min_count: int
    loss: str
    neg: int
    fusion: str
    gate: str
    alpha: float
    standardize: bool
    threads: int
    epochs: int
    lr: float
    feature_lr: float
    modality_dropout: float
    seed: int
    def __init__(self) -> None: ...

class Classifier:
    def __init__(self, config: ClassifierConfig) -> None: ...
    def prepare_fit(
        self, texts: Texts, features: Features, codes: Codes, label_offsets: npt.ArrayLike,
        label_ids: npt.ArrayLike, n_classes: int, codebook_size: int,
        schedule: tuple[int, float, float] | None = None, hash_unknown_words: bool = False,
    ) -> Job: ...  # Trainer; schedule: (epochs, lr, lr_end) instead of the configured ones
    def prepare_fit_dataset(
        self, dataset: CompiledDataset, codebook_size: int,
        schedule: tuple[int, float, float] | None = None, hash_unknown_words: bool = False,
    ) -> Job: ...
    def prepare_fit_shards(self, shards: list[CompiledDataset], codebook_size: int) -> Job: ...
    def prepare_training(
        self, texts: Texts | CompiledDataset, features: Features, codes: Codes,
        label_offsets: npt.ArrayLike, label_ids: npt.ArrayLike, epochs: int, lr: float,
        lr_end: float, feature_lr: float, seed: int,
    ) -> Job: ...  # Trainer: training from the current weights
    def compress_from(
        self, source: Classifier, texts: Texts | CompiledDataset, features: Features,
        codes: Codes, label_offsets: npt.ArrayLike, label_ids: npt.ArrayLike, n_rows: int,
        cover: bool, dsub: int, qnorm: bool, n_iter: int,
    ) -> Job: ...
    def quantize_output(self, dsub: int, qnorm: bool, n_iter: int) -> None: ...
    @property
    def compressed(self) -> bool: ...
    @property
    def output_quantized(self) -> bool: ...
    def table_rows(
        self, table: str, rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]: ...
    def token_rows(
        self, text: str
    ) -> tuple[list[str], npt.NDArray[np.int32], npt.NDArray[np.int32]]: ...
    def score_terms(self, label: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]: ...
    def weights(self) -> dict[str, npt.NDArray[np.float32]]: ...
    def assign_rows(self, table: str, rows: npt.ArrayLike, values: npt.ArrayLike) -> None: ...
    @property
    def fitted(self) -> bool: ...
    @property
    def n_classes(self) -> int: ...
    @property
    def n_words(self) -> int: ...
    @property
    def buckets(self) -> int: ...
    @property
    def n_codes(self) -> int: ...
    @property
    def codebook_size(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def fusion(self) -> str: ...
    @property
    def gate(self) -> str: ...
    @property
    def loss(self) -> str: ...
    @property
    def alpha(self) -> float: ...
    @property
    def intercept(self) -> bool: ...
    @property
    def feature_lr(self) -> float: ...
    @property
    def modality_dropout(self) -> float: ...
    @property
    def quantizer(self) -> Quantizer | None: ...
    def set_quantizer(self, quantizer: Quantizer | None) -> None: ...
    def predict_proba(
        self, texts: Texts, features: Features, codes: Codes, threads: int
    ) -> Job: ...  # (n, n_classes) float32
    def predict_top(
        self, texts: Texts, features: Features, codes: Codes, k: int, threshold: float,
        threads: int,
    ) -> Job: ...  # ((n, k) int32 class ids, (n, k) float32 probabilities)
    def save(self, path: str, metadata: bytes) -> None: ...
    def to_bytes(self, metadata: bytes) -> bytes: ...
    @staticmethod
    def load(path: str) -> Job: ...  # (Classifier, metadata bytes)
    @staticmethod
    def from_bytes(data: bytes) -> Job: ...  # (Classifier, metadata bytes)
# -- compiled datasets (cpp/dataset_file.h) ---------------------------------

def compile_dataset(
    text_path: str, out_path: str, feature_path: str, feature_offset: int, dtype: str,
    rows: int, cols: int, by_reference: bool, reference: str, word_ngrams: int, buckets: int,
    min_count: int, numeric_labels: bool, threads: int, dictionary: bytes = ...,
    label_names: list[str] = ...,
) -> Job: ...  # None; progress: pass, bytes_read, bytes_total, lines
# A sharded compile's shared dictionary: counts per partition, merged in order.
def count_words(texts: Sequence[str], word_ngrams: int, buckets: int, threads: int) -> Job: ...
def merge_word_counts(parts: list[bytes]) -> bytes: ...
def dictionary_from_counts(counts: bytes, min_count: int) -> bytes: ...
def check_shards(shards: list[CompiledDataset]) -> None: ...

class CompiledDataset:
    @staticmethod
    def open(path: str, threads: int) -> Job: ...  # CompiledDataset
    def __len__(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def file_bytes(self) -> int: ...
    @property
    def token_id_bytes(self) -> int: ...
    @property
    def word_ngrams(self) -> int: ...
    @property
    def buckets(self) -> int: ...
    @property
    def min_count(self) -> int: ...
    @property
    def numeric_labels(self) -> bool: ...
    @property
    def n_words(self) -> int: ...
    @property
    def label_names(self) -> list[str]: ...
    @property
    def multilabel(self) -> bool: ...
    @property
    def n_codes(self) -> int: ...
    @property
    def code_bytes(self) -> int: ...
    @property
    def max_code(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def feature_reference(self) -> str: ...
    @property
    def quantizer(self) -> bytes | None: ...
    def features(self) -> npt.NDArray[np.float32] | None: ...
    def codes(self) -> npt.NDArray[np.uint8 | np.uint16] | None: ...
    def labels(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]: ...
    def tokens(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]: ...
    @property
    def words(self) -> list[str]: ...
    def encode_features(self, quantizer: Quantizer, out_path: str, threads: int) -> Job: ...

# ---------------------------------------------------------------------------
# Quantizers (cpp/kmeans.h, cpp/quantizer.h). threads <= 0 means all cores.
# Float inputs are converted to C-contiguous float32; shape errors raise ValueError.
# ---------------------------------------------------------------------------

class KMeans:
    def __init__(
        self,
        dim: int,
        k: int,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        seed: int = 0,
    ) -> None: ...
    @property
    def dim(self) -> int: ...
    @property
    def k(self) -> int: ...
    @property
    def is_trained(self) -> bool: ...
    def train(self, x: npt.ArrayLike, threads: int = 0) -> Job: ...  # None; items_total: iterations
    def assign(self, x: npt.ArrayLike, threads: int = 0) -> Job: ...  # (labels, distances)
    def distances(self, x: npt.ArrayLike, threads: int = 0) -> Job: ...  # (n, k) float32
    @property
    def centroids(self) -> npt.NDArray[np.float32]: ...
    @property
    def objective(self) -> list[float]: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> Job: ...  # KMeans

class Quantizer:
    @property
    def dim(self) -> int: ...
    @property
    def n_codes(self) -> int: ...
    @property
    def n_bits(self) -> int: ...
    @property
    def n_centroids(self) -> int: ...
    @property
    def is_trained(self) -> bool: ...
    def train(self, x: npt.ArrayLike, threads: int = 0) -> Job: ...  # None; items_total: iterations
    def encode(self, x: npt.ArrayLike, threads: int = 0) -> Job: ...  # (n, n_codes) codes
    def decode(
        self, codes: npt.NDArray[np.uint8 | np.uint16], threads: int = 0
    ) -> Job: ...  # (n, dim) float32
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> Job: ...  # Quantizer

class SubspaceQuantizer(Quantizer):
    @property
    def n_iter(self) -> int: ...
    @property
    def max_points_per_centroid(self) -> int: ...
    @property
    def seed(self) -> int: ...
    def subspace(self, r: int) -> npt.NDArray[np.int32]: ...
    def codebook(self, r: int) -> KMeans: ...

class ProductQuantizer(SubspaceQuantizer):
    def __init__(
        self,
        dim: int,
        n_subquantizers: int,
        n_bits: int = 8,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        seed: int = 0,
    ) -> None: ...

class RandomSampleProductQuantizer(SubspaceQuantizer):
    def __init__(
        self,
        dim: int,
        n_subspaces: int,
        subspace_dim: int,
        n_bits: int = 8,
        n_iter: int = 25,
        max_points_per_centroid: int = 256,
        seed: int = 0,
    ) -> None: ...

# What a Classifier reads examples from (the compiled dataset: prediction only).
Texts = Sequence[str] | LabeledTexts | CompiledDataset | None
Codes = npt.ArrayLike | None
Features = npt.NDArray[np.float32] | None

# ---------------------------------------------------------------------------
# mmfast._core._testing: hooks for mmfast's own tests only.
# ---------------------------------------------------------------------------

class _Testing:
    @staticmethod
    def fusion_backward(
        fusion: str, gate: str, t: npt.ArrayLike, u: npt.ArrayLike, dz: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]: ...
    @staticmethod
    def train_steps(
        classifier: Classifier, texts: Texts, features: Features, codes: Codes,
        label_offsets: npt.ArrayLike, label_ids: npt.ArrayLike, lr: float, feature_lr: float,
        inputs: str = "both",
    ) -> float: ...
    @staticmethod
    def token_ids(classifier: Classifier, text: str) -> npt.NDArray[np.int32]: ...
    @staticmethod
    def fasttext_texts(texts: LabeledTexts) -> list[bytes]: ...
    @staticmethod
    def build_dictionary(
        texts: Texts, word_ngrams: int, buckets: int | None, min_count: int, threads: int,
        hash_unknown_words: bool,
    ) -> tuple[list[str], int, npt.NDArray[np.int64], npt.NDArray[np.int32],
               npt.NDArray[np.int64], npt.NDArray[np.int32]]: ...
    @staticmethod
    def replica_steps(
        shared: npt.ArrayLike, steps: int, own_step: float, other_step: float
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]: ...
    @staticmethod
    def thinned_writes(
        token_offsets: npt.ArrayLike, token_ids: npt.ArrayLike, table_rows: int, n_hot: int,
        k: int, updates: npt.ArrayLike,
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32]]: ...

_testing: _Testing
