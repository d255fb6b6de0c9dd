"""What benchmarks/speed.py concludes from its rows: each target met or missed
with its ratio, the closing verdict, and the accuracy-against-time picture."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import speed  # noqa: E402
from _peers import Hyperparameters  # noqa: E402


def measurement(seconds: float, accuracy: float, n_train: int = 1000,
                predictions_per_second: float = 1000.0) -> speed.Measurement:
    return speed.Measurement(
        fit_seconds=seconds, train_examples_per_second=5 * n_train / seconds,
        accuracy=accuracy, predictions_per_second=predictions_per_second, train_peak_mb=1.0,
        model_mb=1.0, feature_bytes=None, n_train=n_train)


def test_text_targets_are_each_met_or_missed_with_their_ratio():
    outcomes = {
        "mmfast dim=100": measurement(4.0, 0.920, predictions_per_second=3000),
        "fastText dim=100": measurement(10.0, 0.921, predictions_per_second=1000),
        "mmfast dim=10": measurement(9.0, 0.900, predictions_per_second=1500),
        "fastText dim=10": measurement(10.0, 0.880, predictions_per_second=1000),
    }
    time, accuracy, predict = speed.text_targets([100, 10], outcomes)
    assert [(c.name, c.value, c.met) for c in time.checks] == [
        ("dim 100", "0.40×", True), ("dim 10", "0.90×", False)]
    assert [(c.value, c.met) for c in accuracy.checks] == [
        ("-0.10 points", True), ("+2.00 points", False)]
    assert [(c.value, c.met) for c in predict.checks] == [("3.00×", True), ("1.50×", False)]


def fusion_rows() -> list[speed.Row]:
    return speed.fusion_specs(Hyperparameters(dim=10), n_train=1000, n_features=64)


def test_every_fused_model_must_beat_both_single_modalities():
    rows = fusion_rows()
    outcomes: dict[str, speed.Outcome] = {row.name: measurement(1.0, 0.9) for row in rows}
    outcomes[speed.TEXT_ONLY] = measurement(0.5, 0.45)
    outcomes[speed.FEATURES_ONLY] = measurement(0.5, 0.40)
    shape = speed.fusion_targets(rows, outcomes)[-1]
    assert [(c.value, c.met) for c in shape.checks] == [("9 of 9", True)]
    outcomes["max"] = measurement(1.0, 0.44)
    outcomes["pq M=16"] = "skipped: not installed"  # a missing row is not counted
    (check,) = speed.fusion_targets(rows, outcomes)[-1].checks
    assert (check.value, check.met) == ("7 of 8 (not: max)", False)


def test_the_verdict_lists_every_target_and_counts_those_met(capsys):
    rows = fusion_rows()
    outcomes: dict[str, speed.Outcome] = {row.name: measurement(1.0, 0.9) for row in rows}
    outcomes[speed.TEXT_ONLY] = measurement(0.5, 0.45)
    outcomes[speed.FEATURES_ONLY] = measurement(0.5, 0.40)
    targets = speed.fusion_targets(rows, outcomes)
    speed.print_verdict([speed.Report("Food-101-like", rows, outcomes, targets)])
    lines = capsys.readouterr().out.strip().splitlines()
    # Every row but the single modalities took 1 s, those 0.5 s each: the continuous
    # fusions take 1.00× their sum, features-only runs 2× scikit-learn's examples per
    # second (at 50 points less), pq with codes given takes 2× text-only's time.
    assert lines[0].startswith("verdict: 5 of 7 targets met")
    assert lines[1] == ("  Food-101-like: add, max, gated: time per example ≤ 1.2× (text-only + "
                        "features-only): add 1.00× met; max 1.00× met; gated, gate=features "
                        "1.00× met; gated, gate=text 1.00× met")
    assert "throughput ≥ 3× scikit-learn SGDClassifier's at equal or better accuracy: 2.00×, " \
           "accuracy -50.00 points MISSED" in lines[2]
    assert lines[3].endswith("pq, codes given: time per example ≤ 1.3× text-only: 2.00× MISSED")
    assert lines[4].endswith("every fused model above both single modalities: 9 of 9 met")


def test_the_plot_has_a_point_per_measured_model(tmp_path):
    pytest.importorskip("matplotlib")
    rows = fusion_rows()
    outcomes: dict[str, speed.Outcome] = {row.name: measurement(1.0 + i, 0.5 + i / 50)
                                          for i, row in enumerate(rows)}
    outcomes["bilinear_gated"] = "failed: out of memory"
    report = speed.Report("Food-101-like", rows, outcomes, [])
    speed.plot([report, report], str(tmp_path / "speed.png"))
    assert (tmp_path / "speed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scale_runs_each_write_in_a_folder_of_their_own(tmp_path):
    """Two smoke runs at once once shared /tmp/mmfast-scale and deleted each
    other's files; without --data each run gets its own temporary folder."""
    import scale

    with scale.data_folder(None, keep=False) as first, \
            scale.data_folder(None, keep=False) as second:
        assert first != second and os.path.isdir(first) and os.path.isdir(second)
        Path(first, "pq-20000.mmd").write_bytes(b"x")
    assert not os.path.exists(first) and not os.path.exists(second)
    with scale.data_folder(str(tmp_path / "given"), keep=False) as given:
        assert given == str(tmp_path / "given")
    assert os.path.isdir(given)  # a folder the user named stays
