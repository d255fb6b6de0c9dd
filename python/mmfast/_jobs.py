"""The one way to run a long native call. Every long call of the C++ core
(training, compiling, encoding, predicting, loading) starts a job
(``mmfast._core.Job``, cpp/job.h) and this module's poll loop waits for it:
it redraws a progress line, and on Ctrl-C (a KeyboardInterrupt raised while it
waits) asks the job to stop, waits for it to wind down, and re-raises. A job
that a stop request ended raises KeyboardInterrupt too; a training that
diverged raises :class:`TrainingDivergedError`. Short calls run to their end
before the job is returned, so waiting on them costs nothing."""

from __future__ import annotations

from typing import Any, Protocol

from . import _core

POLL_SECONDS = 0.1

TrainingDivergedError = _core.TrainingDivergedError
TrainingDivergedError.__module__ = "mmfast"
TrainingDivergedError.__doc__ = (
    "Training diverged: the loss or the weights stopped being finite (a step size, "
    "lr, feature_lr or alpha, is too large). A ValueError."
)


class Progress(Protocol):
    """What shows a job's progress (``_progress.ProgressLine``)."""

    def update(self, progress: dict[str, float]) -> None: ...
    def close(self) -> None: ...


def run(job: Any, progress: Progress | None = None) -> Any:
    """Waits for ``job`` and returns its result, showing its progress."""
    try:
        try:
            while not job.wait(POLL_SECONDS):
                if progress is not None:
                    progress.update(job.progress())
        except BaseException:
            job.cancel()
            raise
        result = job.result()
        if progress is not None:
            progress.update(job.progress())
        return result
    finally:
        if progress is not None:
            progress.close()
