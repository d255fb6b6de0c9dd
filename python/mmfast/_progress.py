"""The progress lines of long calls: polled from a job's counters (cpp/job.h)
by the calling thread (mmfast._jobs.run), redrawn in place on a terminal and
written once, when the call ends, elsewhere (a log file, a pipe)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class _Line:
    """A line of text on a stream, redrawn in place when it is a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._in_place = self._stream.isatty()
        self._start = time.perf_counter()
        self._text = ""

    def _show(self, text: str) -> None:
        self._text = text
        if self._in_place:
            self._stream.write("\r" + self._text)
            self._stream.flush()

    def _pace(self, done: float, total: float) -> tuple[float, float, float]:
        """(seconds since the start, done per second, seconds left)."""
        elapsed = time.perf_counter() - self._start
        rate = done / elapsed if elapsed > 0 else 0.0
        return elapsed, rate, (total - done) / rate if rate > 0 else 0.0

    def close(self) -> None:
        if self._text:
            self._stream.write(("\r" if self._in_place else "") + self._text + "\n")
            self._stream.flush()


class ProgressLine(_Line):
    """Training: progress %, examples/s, recent loss, lr and time left."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._last_loss_sum = 0.0
        self._last_loss_count: float = 0
        self._loss = float("nan")

    def update(self, progress: dict[str, float]) -> None:
        done, total = progress["examples_done"], progress["examples_total"]
        elapsed, rate, left = self._pace(done, total)
        fraction = done / total if total else 1.0
        # Loss averaged over the examples since the last update, not since
        # the start, so the line shows where training is now.
        new = progress["loss_count"] - self._last_loss_count
        if new > 0:
            self._loss = (progress["loss_sum"] - self._last_loss_sum) / new
            self._last_loss_sum = progress["loss_sum"]
            self._last_loss_count = progress["loss_count"]
        self._show(
            f"Progress: {100 * fraction:5.1f}% | {rate:,.0f} ex/s | loss {self._loss:.4f}"
            f" | lr {progress['lr']:.5f} | elapsed {_clock(elapsed)} | left {_clock(left)}"
        )


class CountProgressLine(_Line):
    """A job that counts items (``items_done`` of ``items_total``: examples
    predicted, vectors encoded, k-means iterations): what it does, its share
    done, items per second and time left."""

    def __init__(self, what: str, unit: str, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._what = what
        self._unit = unit

    def update(self, progress: dict[str, float]) -> None:
        done, total = int(progress["items_done"]), int(progress.get("items_total", 0))
        elapsed, rate, left = self._pace(done, total)
        fraction = done / total if total else 1.0
        self._show(
            f"{self._what}: {100 * fraction:5.1f}% | {done:,} of {total:,} {self._unit} | "
            f"{rate:,.0f} {self._unit}/s | elapsed {_clock(elapsed)} | left {_clock(left)}"
        )


class CompileProgressLine(_Line):
    """Shows a dataset compile's pass, bytes read, lines and lines/s."""

    def __init__(self, source: str, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._source = source
        self._pass = 0
        self._pass_start = self._start
        self._last_update = self._start

    def update(self, progress: dict[str, float]) -> None:
        now = time.perf_counter()
        if progress["pass"] != self._pass:
            # The pass began after the last update saw the one before: timing it
            # from here, a pass done between two updates gets a rate that is too
            # low by at most the polling interval, never a near-zero divisor.
            self._pass, self._pass_start = int(progress["pass"]), self._last_update
        self._last_update = now
        what = "counting words" if self._pass == 1 else "writing"
        total = progress["bytes_total"] or 1
        seconds = now - self._pass_start
        rate = f"{progress['lines'] / seconds:,.0f} lines/s" if seconds > 0 else "- lines/s"
        self._show(
            f"Compiling {self._source}: pass {self._pass}/2 ({what}) "
            f"{100 * progress['bytes_read'] / total:5.1f}% | "
            f"{progress['bytes_read'] / 2**20:,.0f} of {total / 2**20:,.0f} MiB | "
            f"{int(progress['lines']):,} lines | {rate} | "
            f"elapsed {_clock(now - self._start)}"
        )
