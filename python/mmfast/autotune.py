"""mmfast.autotune: hyper-parameter search on a validation split within a time
budget, as fastText's autotune does: the first trial is the starting point,
each later one perturbs the best parameters so far, with steps that shrink as
the budget runs out."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ._features import rspq_subspace_dim
from ._inputs import Compiled, Examples, Source, resolve
from ._jobs import TrainingDivergedError
from ._params import CONTINUOUS_FUSIONS
from ._validation import as_float_matrix, check_choice, check_float, check_int
from .classifier import Classifier, Texts

__all__ = ["Trial", "autotune"]

METRICS = ("accuracy", "precision@k", "recall@k", "f1_micro", "f1_macro")
# The bilinear kinds are left out by default: their dim**2 hidden units make trials slow.
DEFAULT_FUSIONS = ("add", "max", "gated", "pq", "rspq")
_QUANTIZED = ("pq", "rspq")
_FUSION_SWITCH = 0.3  # chance that a trial tries another fusion kind


class Trial(NamedTuple):
    """One trial: the searched parameters (those that apply to its fusion), the
    validation score, and the seconds its fit and evaluation took."""

    params: dict[str, Any]
    score: float
    seconds: float


class _Range(NamedTuple):
    low: float
    high: float
    log: bool  # steps multiply (log scale) rather than add
    integer: bool


def _ranges(n_features: int) -> dict[str, _Range]:
    return {
        "dim": _Range(4, 256, True, True),
        "epochs": _Range(1, 100, True, True),
        "lr": _Range(0.01, 2.0, True, False),
        "word_ngrams": _Range(1, 5, False, True),
        "alpha": _Range(0.05, 5.0, True, False),
        "n_subquantizers": _Range(1, min(64, n_features), True, True),
        "feature_lr": _Range(1e-5, 1.0, True, False),
    }


def autotune(
    texts: Texts,
    y: Sequence[Any] | None = None,
    features: npt.ArrayLike | None = None,
    *,
    validation: Any = None,
    validation_size: float = 0.2,
    budget: float = 300.0,
    max_trials: int | None = None,
    metric: str = "f1_micro",
    k: int = 1,
    start: Classifier | None = None,
    search: Sequence[str] | None = None,
    fusions: Sequence[str] = DEFAULT_FUSIONS,
    refit: bool = True,
    random_state: int = 0,
    verbose: int = 1,
) -> tuple[Classifier, list[Trial]]:
    """Search Classifier hyper-parameters on a validation set within a time budget.

    Parameters
    ----------
    texts : sequence of str, path-like, Dataset or None
        The training examples, as ``Classifier.fit`` takes them: texts (None:
        features only), a fastText-format file, or a compiled dataset (which
        cannot be split: give ``validation``; its settings, fusion and codes
        are then not searched).
    y : array-like, sequence of label lists, or None
        The labels, as ``Classifier.fit`` takes them (None with a file).
    features : array-like of shape (n_samples, n_features), default=None
        The training features, if any.
    validation : tuple, path-like, Dataset or None, default=None
        ``(texts, y)`` or ``(texts, y, features)``, or a file, to score trials
        on; None splits ``validation_size`` of the examples off, at random
        with ``random_state``.
    validation_size : float, default=0.2
        The share of the examples split off when ``validation`` is None.
    budget : float, default=300.0
        Seconds of search. A trial that starts in time runs to its end, so
        the search can overrun by one trial; the first trial always runs.
    max_trials : int or None, default=None
        Stop after this many trials (None: only the budget counts).
    metric : str, default="f1_micro"
        The key of ``Classifier.evaluate`` to maximize, at ``k``.
    k : int, default=1
        The k of ``Classifier.evaluate``.
    start : Classifier or None, default=None
        The first trial's parameters, and the fixed value of everything not
        searched (default ``Classifier()``; with features and ``fusion=None``,
        fusion "pq").
    search : sequence of str or None, default=None
        The parameters to tune; default every one that applies: "dim",
        "epochs", "lr", "word_ngrams" (with texts), and with features
        "fusion" (over ``fusions``; without texts, the continuous kinds all
        reduce to the features alone and "add" stands for them), "alpha" and
        "n_subquantizers" (pq, rspq) and "feature_lr" (continuous fusions).
    fusions : sequence of str, default=DEFAULT_FUSIONS
        The fusion kinds tried.
    refit : bool, default=True
        When the validation set was split off here, fit the best parameters
        again on all the data (True) or return the best trial's model, fitted
        on the rest (False). With a given ``validation`` the best trial's
        model is returned: it already saw all the training data.
    random_state : int, default=0
        Seeds the split and the search (each trial's model keeps
        ``start.random_state``).
    verbose : int, default=1
        1 prints a line per trial on stderr.

    Returns
    -------
    classifier : Classifier
        The best model.
    trials : list of Trial
        ``(params, score, seconds)`` of each trial, in order.

    Notes
    -----
    Each trial after the first changes each searched number of the best
    parameters so far with probability 1/2 (at least one): by a factor of
    2**N(0, s) on a log scale, or by round(N(0, s)) for word_ngrams, s
    shrinking from 2 to 0.5 over the budget; and tries another fusion kind
    with probability 0.3. Where the training part has fewer than
    2**n_bits examples, pq and rspq trials use fewer bits; rspq subspaces
    are at most n_features wide.
    """
    budget = check_float("budget", budget, 0.0)
    metric = check_choice("metric", metric, METRICS)
    k = check_int("k", k, 1)
    if max_trials is not None:
        max_trials = check_int("max_trials", max_trials, 1)
    rng = np.random.default_rng(check_int("random_state", random_state, 0))
    source = resolve(texts, y, features, labelled=True)
    if isinstance(source, Examples) and source.features is not None:
        source = Examples(source.texts, source.y, as_float_matrix("features", source.features))
    train, valid = _split(source, validation, validation_size, rng)
    has_texts = source.core_texts is not None
    n_features = _n_features(source)
    base = _starting_params(start, n_features > 0, has_texts)
    fixed: tuple[str, ...] = ()
    if isinstance(source, Compiled):  # its token ids and features are as compiled
        base.update(source.dataset.settings)
        fixed = ("word_ngrams", "fusion", "n_subquantizers")
    searched = _searched(search, has_texts, n_features > 0, fixed)
    kinds = _fusion_kinds(fusions, has_texts) if "fusion" in searched else ()
    if "fusion" not in searched and n_features:
        check_choice("start.fusion", base["fusion"], CONTINUOUS_FUSIONS + _QUANTIZED)
    ranges = _ranges(n_features)
    n_train = len(train)

    trials: list[Trial] = []
    best: tuple[float, dict[str, Any], Classifier] | None = None
    began = time.perf_counter()
    while not trials or (time.perf_counter() - began < budget
                         and (max_trials is None or len(trials) < max_trials)):
        spent = min((time.perf_counter() - began) / budget, 1.0)
        params = base if best is None else _perturb(best[1], _resolved(best[2]), searched,
                                                    kinds, ranges, spent, rng)
        tried = time.perf_counter()
        clf = Classifier(**_feasible(params, n_train, n_features), verbose=0)
        shown = {name: params[name] for name in searched if _applies(name, params["fusion"])}
        try:
            clf.fit(train)
        except TrainingDivergedError:
            # A step size that diverges is a bad trial, not the end of the search.
            trials.append(Trial(shown, float("-inf"), time.perf_counter() - tried))
            continue
        score = clf.evaluate(valid, k=k)[metric]
        trials.append(Trial(shown, float(score), time.perf_counter() - tried))
        if best is None or score > best[0]:
            best = (float(score), params, clf)
        if verbose:
            print(f"autotune: trial {len(trials)}, {time.perf_counter() - began:.1f}/{budget:g} s,"
                  f" {metric} {score:.4f} (best {best[0]:.4f}) {shown}", file=sys.stderr)
    if best is None:
        raise ValueError("autotune: training diverged in every trial; lower start['lr']")
    if refit and validation is None:
        model = Classifier(**_feasible(best[1], len(source), n_features), verbose=0)
        return model.fit(source), trials
    return best[2], trials


def _split(source: Source, validation: Any, size: float,
           rng: np.random.Generator) -> tuple[Source, Source]:
    """(the examples to train on, those to score on)."""
    if validation is not None:
        if isinstance(validation, tuple):
            if len(validation) not in (2, 3):
                raise ValueError("validation must be a tuple (texts, y) or (texts, y, features)")
            valid = resolve(*validation, labelled=True)
        else:
            valid = resolve(validation, labelled=True)
        if (_n_features(valid) > 0) != (_n_features(source) > 0):
            raise ValueError("validation: give features if and only if the training data has them")
        return source, valid
    if isinstance(source, Compiled):
        raise ValueError(f"validation: dataset {source.dataset.path!r} is compiled and cannot be "
                         "split: give validation=(texts, y[, features]) or a file")
    n = len(source)
    size = check_float("validation_size", size, 0.0)
    n_valid = round(size * n)
    if size >= 1.0 or not 1 <= n_valid < n:
        raise ValueError(f"validation_size must leave examples on both sides of the split, "
                         f"got {size} of {n} examples")
    order = rng.permutation(n)
    return source.select(order[n_valid:]), source.select(order[:n_valid])


def _n_features(source: Source) -> int:
    """The features per example (codes or floats) of a source; 0 without."""
    if isinstance(source, Compiled):
        return source.dataset.n_features or source.dataset.n_codes
    return 0 if source.features is None else int(np.shape(source.features)[1])


def _starting_params(start: Classifier | None, has_features: bool,
                     has_texts: bool) -> dict[str, Any]:
    if start is not None and not isinstance(start, Classifier):
        raise TypeError(f"start must be a Classifier or None, got {type(start).__name__}")
    params = (start if start is not None else Classifier()).get_params(deep=False)
    if has_features and params["fusion"] is None:
        params["fusion"] = "pq"
    if not has_features and params["fusion"] is not None:
        raise ValueError(f"start has fusion={params['fusion']!r} but no features were given")
    if not has_texts and params["fusion"] in CONTINUOUS_FUSIONS:
        params["fusion"] = "add"  # every continuous kind is the features alone
    params.pop("verbose")
    return params


def _searched(search: Sequence[str] | None, has_texts: bool, has_features: bool,
              fixed: Sequence[str]) -> list[str]:
    applicable = ["dim", "epochs", "lr"] + ["word_ngrams"] * has_texts
    if has_features:
        applicable += ["fusion", "alpha", "n_subquantizers", "feature_lr"]
    applicable = [name for name in applicable if name not in fixed]
    if search is None:
        return applicable
    for name in search:
        check_choice("search", name, applicable)
    return list(search)


def _fusion_kinds(fusions: Sequence[str], has_texts: bool) -> tuple[str, ...]:
    kinds = []
    for kind in fusions:
        check_choice("fusions", kind, CONTINUOUS_FUSIONS + _QUANTIZED)
        kind = kind if has_texts or kind in _QUANTIZED else "add"
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise ValueError("fusions: give at least one fusion kind")
    return tuple(kinds)


def _applies(name: str, fusion: str | None) -> bool:
    """Whether parameter `name` changes a model with this fusion."""
    if name in ("alpha", "n_subquantizers"):
        return fusion in _QUANTIZED
    if name == "feature_lr":
        return fusion in CONTINUOUS_FUSIONS
    return True


def _resolved(clf: Classifier) -> dict[str, float]:
    """The values that a fitted model's data-dependent defaults (None) took."""
    core = clf._fitted_native()
    return {"lr": clf.lr_, "epochs": clf.epochs_, "feature_lr": core.feature_lr,
            "alpha": clf.alpha_}


def _perturb(best: dict[str, Any], resolved: dict[str, float], searched: list[str],
             kinds: tuple[str, ...], ranges: dict[str, _Range], spent: float,
             rng: np.random.Generator) -> dict[str, Any]:
    params = dict(best)
    if kinds and len(kinds) > 1 and rng.random() < _FUSION_SWITCH:
        params["fusion"] = rng.choice([kind for kind in kinds if kind != best["fusion"]]).item()
    numbers = [name for name in searched if name != "fusion" and _applies(name, params["fusion"])]
    if not numbers:
        return params
    chosen = [name for name in numbers if rng.random() < 0.5] or [rng.choice(numbers).item()]
    sigma = 2.0 - 1.5 * spent
    for name in chosen:
        r = ranges[name]
        value = params[name]
        if value is None:  # the Classifier's default, as the best trial resolved it
            value = resolved[name]
            if value <= 0:  # the best trial's fusion has no such value: keep the default
                continue
        step = rng.normal(0.0, sigma)
        value = value * 2.0**step if r.log else value + round(step)
        value = min(max(value, r.low), r.high)
        params[name] = int(round(value)) if r.integer else float(value)
    return params


def _feasible(params: dict[str, Any], n_train: int, n_features: int) -> dict[str, Any]:
    """`params`, with the quantizer made to fit the data: at most
    log2(n_train) bits, RSPQ subspaces at most n_features wide."""
    if params["fusion"] not in _QUANTIZED or params.get("quantizer") is not None:
        return params
    return {**params, "n_bits": min(params["n_bits"], int(math.log2(n_train))),
            "subspace_dim": min(rspq_subspace_dim(params["subspace_dim"],
                                                  params["n_subquantizers"], n_features),
                                n_features)}
