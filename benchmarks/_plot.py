"""The picture of speed.py's tables: accuracy against training time, one point
per model and one panel per table, as Kiela et al. (2018) draw theirs, with
time on a log scale so that models a hundred times apart share a panel.

matplotlib is imported when a picture is drawn, never before: it is an
optional dependency (the ``bench`` extra).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

# Point colors and legend entries by kind of model, so that the families stand apart.
_KINDS = {"mmfast": ("tab:blue", "mmfast, one modality"),
          "fused": ("tab:red", "mmfast, text + features"),
          "peer": ("tab:gray", "fastText, scikit-learn")}


@dataclass(frozen=True)
class Point:
    name: str
    seconds: float  # training time
    accuracy: float  # in [0, 1]
    kind: str  # a key of _KINDS


@dataclass(frozen=True)
class Panel:
    title: str
    points: list[Point]


def have_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def draw(panels: list[Panel], path: str) -> None:
    """Writes the panels side by side to ``path`` (the format follows its suffix)."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5.5), squeeze=False)
    for axis, panel in zip(axes[0], panels):
        for kind, (color, label) in _KINDS.items():
            points = [point for point in panel.points if point.kind == kind]
            if not points:
                continue
            axis.scatter([point.seconds for point in points],
                         [100 * point.accuracy for point in points], color=color, s=30,
                         label=label, zorder=2)
            for point in points:
                axis.annotate(point.name, (point.seconds, 100 * point.accuracy), fontsize=7,
                              xytext=(4, 3), textcoords="offset points")
        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.legend(fontsize=7, loc="best")
        axis.set_xlabel("training time (s, log scale)")
        axis.set_ylabel("test accuracy (%)")
        axis.set_title(panel.title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3, zorder=0)
        axis.margins(x=0.25, y=0.08)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
