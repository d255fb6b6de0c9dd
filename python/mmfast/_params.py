"""Classifier's hyperparameters, in one table: each one's name, default, type
and meaning, the check of its value, and the field of the native core's
configuration it sets (``_core.ClassifierConfig``, the C++ ``ClassifierConfig``).

The table writes the Parameters section of Classifier's docstring, validates
the values, fills the core's configuration, and gives the command line its
options and their help. ``Classifier.__init__`` spells the same names and
defaults out for editors, type checkers and scikit-learn; tests/test_params.py
checks that it, the core's configuration and its stub agree with the table."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

from . import _core
from ._schedule import DEFAULT_EPOCHS, DEFAULT_LR
from ._validation import (
    INT32_MAX,
    INT64_MAX,
    check_choice,
    check_float,
    check_int,
    check_positive_int,
)

LOSSES = ("softmax", "hs", "ns", "ova")
CONTINUOUS_FUSIONS = ("add", "max", "gated", "bilinear_gated", "bilinear_gated_paper")
QUANTIZED_FUSIONS = ("pq", "rspq")
FUSIONS = (None, *CONTINUOUS_FUSIONS, *QUANTIZED_FUSIONS)
GATES = ("features", "text")
FEATURE_SCALINGS = ("standard", None)

Check = Callable[[str, Any], Any]  # (name, value) -> the value, validated


def _positive_int(high: int = INT32_MAX) -> Check:
    return lambda name, value: check_positive_int(name, value, high)


def _int(low: int, high: int) -> Check:
    return lambda name, value: check_int(name, value, low, high)


def _float(minimum: float, inclusive: bool = False) -> Check:
    return lambda name, value: check_float(name, value, minimum, inclusive)


def _share(name: str, value: Any) -> float:
    value = check_float(name, value, 0.0, inclusive=True)
    if value >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _choice(choices: Sequence[Any]) -> Check:
    return lambda name, value: check_choice(name, value, choices)


def _optional(check: Check) -> Check:
    return lambda name, value: None if value is None else check(name, value)


def _any(name: str, value: Any) -> Any:
    return value  # checked where it is used (the quantizer, against fusion)


def _core_fusion(fusion: str | None) -> str:
    """The core's fusion: it adds feature tokens to the text, so pq and rspq are its "add"."""
    return "text" if fusion is None else "add" if fusion in QUANTIZED_FUSIONS else fusion


def _core_buckets(buckets: int | None) -> int:
    return _core.AUTO_BUCKETS if buckets is None else buckets


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    type: str  # as numpydoc writes it
    doc: str
    check: Check
    core: str | None = None  # the core configuration's field; None: Python only
    to_core: Callable[[Any], Any] = lambda value: value  # noqa: E731
    choices: tuple[Any, ...] | None = None
    option: bool = True  # a command-line option of `mmfast train`
    flag: str | None = None  # its flag, when not --name-with-dashes

    def numpydoc(self) -> str:
        body = textwrap.fill(self.doc, 72, initial_indent="    ", subsequent_indent="    ")
        return f"{self.name} : {self.type}, default={self.default!r}\n{body}"


def _choices(values: Sequence[Any]) -> str:
    return "{" + ", ".join(repr(value) for value in values) + "}"


CLASSIFIER: tuple[Param, ...] = (
    Param("dim", 100, "int", "Size of the word and hidden vectors.",
          _positive_int(), core="dim"),
    Param("epochs", None, "int or None",
          "Passes over the training data. None: fastText's 5, or more on small data (see "
          "``lr``).", _optional(_positive_int()), core="epochs",
          # fit sends the core the schedule's values (_schedule.py); a caller that
          # builds the core without fit (tests, benchmarks/scale.py) gets fastText's.
          to_core=lambda epochs: DEFAULT_EPOCHS if epochs is None else epochs),
    Param("lr", None, "float or None",
          "Initial learning rate; decays linearly to 0 over all epochs. None: fastText's 0.1 "
          "where the data has at least 2,000 examples per class; on smaller data (where "
          "0.1 and 5 epochs learn next to nothing) the rate that makes lr * epochs * "
          "examples per class reach 1,000, at most 0.5, and then more epochs (at most 100). "
          "The fitted ``lr_`` and ``epochs_`` say what was used.",
          _optional(_float(0.0)), core="lr",
          to_core=lambda lr: DEFAULT_LR if lr is None else lr),
    Param("word_ngrams", 2, "int", "Longest word n-gram used (1: words only, 2: bigrams, ...).",
          _positive_int(), core="word_ngrams"),
    Param("buckets", None, "int or None",
          "Rows of the hashed n-gram table (0: no n-grams). None sizes it by the training "
          "data: the smallest power of two at least four times the number of distinct "
          "n-grams seen more than once in the texts (those seen once train on one "
          "example and do not generalize), at most 2,000,000 (fastText's size).",
          _optional(_int(0, INT32_MAX - 1)), core="buckets", to_core=_core_buckets),
    Param("min_count", 1, "int", "Words seen fewer times are dropped (they still shape n-grams).",
          _positive_int(INT64_MAX), core="min_count"),
    Param("loss", "softmax", _choices(LOSSES),
          "Softmax, hierarchical softmax, negative sampling, or one-vs-all (for multi-label "
          "data).", _choice(LOSSES), core="loss", choices=LOSSES),
    Param("neg", 5, "int", 'Negatives sampled per positive with ``loss="ns"``.',
          _positive_int(), core="neg"),
    Param("threshold", 0.5, "float",
          "For models trained on multi-label data, ``predict`` returns every label whose "
          "probability is >= threshold, and the most probable label when none is. 0.5 suits "
          'the independent sigmoids of "ova" and "ns"; with "softmax" or "hs" the labels '
          "share one unit of probability, so lower it.", _float(0.0, inclusive=True)),
    Param("fusion", None, _choices(FUSIONS),
          "None (text only), or how a dense feature vector per example joins the text. With "
          "t the mean of the text's embeddings and u = C v a learned projection of the "
          '(standardized) features v: "add" is t + u; "max" the elementwise max(t, u); '
          '"gated" 2 t * sigmoid(u) (``gate="features"``, the default) or '
          '2 u * sigmoid(t) (``gate="text"``); "bilinear_gated" the outer product of t and '
          'sigmoid(u), dim**2 hidden units (the most expressive and by far the slowest), '
          'beside t + u / 8 (add\'s hidden vector, so that the features also reach the '
          'scores directly); "bilinear_gated_paper" the outer product alone (the paper\'s '
          'model, which on a real set learned to ignore the features); '
          '"pq" or "rspq" '
          "discretize the features by product quantization (``n_subquantizers`` contiguous "
          "subvectors) or random-sample PQ (``n_subquantizers`` random subspaces of "
          "``subspace_dim`` dimensions) into ``n_subquantizers`` feature tokens with their "
          "own embeddings, and the hidden vector is t plus ``alpha`` times the tokens' mean. "
          "With ``texts=None`` any of them trains on the features alone.",
          _choice(FUSIONS), core="fusion", to_core=_core_fusion, choices=FUSIONS),
    Param("gate", "features", _choices(GATES),
          'Which modality\'s sigmoid gates the other with ``fusion="gated"``: "features" '
          '(2 t * sigmoid(u)) or "text" (2 u * sigmoid(t)). The features gate learned as well '
          "or better on every set we measured at the data-sized learning rate and epochs "
          '(README, "Choosing the fusion\'s settings").',
          _choice(GATES), core="gate", choices=GATES),
    Param("feature_scaling", "standard", _choices(FEATURE_SCALINGS),
          '"standard" standardizes each feature dimension with the training set\'s mean and '
          "standard deviation (kept in the model and applied at prediction); None feeds the "
          "features as they are.", _choice(FEATURE_SCALINGS), core="standardize",
          to_core=lambda scaling: scaling is not None, choices=FEATURE_SCALINGS),
    Param("feature_lr", None, "float or None",
          "Learning rate of the projection C (decays with ``lr``); None uses "
          "``lr / (4 * n_features)``, with ``loss=\"ova\"`` divided by the mean number of "
          "labels per training example (at least 1). Where the features gate the text "
          "(\"gated\" with "
          '``gate="features"``, both bilinear kinds) C steps 64 times as far, since a gate\'s '
          "gradient passes through a sigmoid's slope (at most 1/4).",
          _optional(_float(0.0)), core="feature_lr",
          to_core=lambda lr: 0.0 if lr is None else lr),  # the core's 0: its default rule
    Param("modality_dropout", None, "float or None",
          "Share of the training examples seen with one modality alone, half of them with the "
          "text and half with the features (z = t or z = u, the same output layer), so that "
          "neither side leaves the learning to the other. Fusions of both modalities except "
          'the bilinear ones (0 only). None: the default of the fusion kind (see README, '
          '"Choosing the fusion\'s settings").',
          _optional(_share), core="modality_dropout",
          to_core=lambda share: -1.0 if share is None else share),  # the core's < 0: default
    Param("n_subquantizers", 8, "int",
          "Feature tokens per example (pq subvectors, or rspq subspaces).", _positive_int()),
    Param("subspace_dim", None, "int or None",
          "Dimensions per rspq subspace. None: n_features // n_subquantizers (at least 1), "
          "so that the subspaces hold about every feature once.", _optional(_positive_int())),
    Param("n_bits", 8, "int", "Each feature token takes one of 2**n_bits values (1 to 16).",
          _int(1, 16)),
    Param("alpha", None, "float or None",
          "Weight of the feature tokens against the text (pq, rspq). None: "
          "sqrt(n_subquantizers / text tokens per example) over the training texts' words "
          "and n-grams, so that a step moves the tokens' mean as far as the text's "
          "(1 without texts); the fitted ``alpha_`` says what was used.",
          _optional(_float(0.0)), core="alpha",
          to_core=lambda alpha: 0.0 if alpha is None else alpha),  # the core's 0: balanced
    Param("quantizer", None, "ProductQuantizer, RSPQ or None",
          'The quantizer of "pq" ("rspq") fusion instead of one built from '
          "``n_subquantizers``, ``subspace_dim`` and ``n_bits``. An unfitted one gives its "
          "settings: ``fit`` fits a copy on the training features and leaves it unfitted. A "
          "fitted one is used as it is, never refitted (as scikit-learn's ``prefit``): "
          "``sklearn.base.clone`` keeps it fitted, so cross-validation and grid search reuse "
          "it.", _any, option=False),
    Param("n_jobs", None, "int or None", "Worker threads; None uses every core.",
          _optional(_positive_int()), core="threads",
          to_core=lambda n_jobs: 0 if n_jobs is None else n_jobs,  # the core's 0: all
          flag="--thread"),  # fastText's name
    Param("random_state", 0, "int",
          "Seeds initialisation and example order; with ``n_jobs=1`` a fit is bit-for-bit "
          "reproducible.", _int(0, 2**64 - 1), core="seed", flag="--seed"),
    Param("warm_start", False, "bool",
          "Whether ``fit`` on a fitted model continues from its weights (``epochs`` more "
          "passes, the learning rate decaying from ``lr`` to 0 again) instead of starting "
          "afresh. The model keeps its classes, vocabulary, n-gram table, feature scaling "
          "and quantizer; the new data's labels must be among ``classes_``.",
          _choice((False, True)), option=False),
    Param("verbose", 1, "int",
          "1 shows a progress line on stderr while training (and fitting and applying the "
          "quantizer of pq, rspq), while reading a fastText-format file and while predicting "
          "from a file or a compiled dataset; 0 is silent.",
          _int(0, INT32_MAX), option=False),  # every command's --verbose, --quiet
)
BY_NAME = {param.name: param for param in CLASSIFIER}


def checked(estimator: object, name: str) -> Any:
    """The estimator's parameter `name`, validated."""
    return BY_NAME[name].check(name, getattr(estimator, name))


def validated(estimator: object) -> dict[str, Any]:
    """Every parameter of the estimator, validated: bad values are refused
    before any work starts."""
    return {param.name: checked(estimator, param.name) for param in CLASSIFIER}


def core_config(params: dict[str, Any], config: Any) -> Any:
    """`config` (a ``_core.ClassifierConfig``) with every core field set from
    validated parameters."""
    for param in CLASSIFIER:
        if param.core is not None:
            setattr(config, param.core, param.to_core(params[param.name]))
    return config


def parameters_section() -> str:
    """The numpydoc Parameters section of the table, indented for a class docstring."""
    entries = "\n".join(param.numpydoc() for param in CLASSIFIER)
    return "Parameters\n----------\n" + entries


def document(docstring: str) -> str:
    """`docstring` with the Parameters section inserted before its Attributes."""
    head, attributes = docstring.split("\n    Attributes\n", 1)
    section = textwrap.indent(parameters_section(), "    ")
    return f"{head}\n{section}\n\n    Attributes\n{attributes}"
