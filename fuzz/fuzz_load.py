"""Coverage-guided fuzz target (atheris) for everything mmfast reads from
bytes: saved classifiers (with and without a quantizer), quantizers and
k-means.

    python fuzz/fuzz_load.py [libFuzzer options, e.g. -max_total_time=60] [corpus dirs]

The first input byte picks the loader and whether the checksum is
recomputed: most mutations of a checksummed file are refused by the
checksum alone, so half of the inputs are resealed to reach the parser
behind it (tests/model_format.py). A loader may only return or raise
ValueError; anything else, or a crash, is a finding. scripts/fuzz.sh runs
this for a bounded time from seeds it writes first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

with atheris.instrument_imports():
    from model_format import reseal

    import mmfast
    from mmfast import _core, _jobs

LOADERS = (
    lambda data: mmfast.Classifier().__setstate__({"_native": data}),
    lambda data: _jobs.run(_core.Quantizer.from_bytes(data)),
    lambda data: _jobs.run(_core.KMeans.from_bytes(data)),
)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    choice, body = data[0], data[1:]
    if choice & 0x80:
        body = reseal(body)
    try:
        LOADERS[choice % len(LOADERS)](body)
    except ValueError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
