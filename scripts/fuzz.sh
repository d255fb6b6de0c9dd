#!/usr/bin/env bash
# Fuzzes the loaders of models, quantizers and k-means (fuzz/fuzz_load.py)
# for a bounded time: scripts/fuzz.sh [seconds, default 60] [libFuzzer options...]
# Needs atheris (pip install atheris). Seeds are written to build/fuzz/seeds;
# the corpus grows in build/fuzz/corpus and findings land in build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
[ $# -gt 0 ] && shift
mkdir -p build/fuzz/corpus
python fuzz/seeds.py build/fuzz/seeds
python fuzz/fuzz_load.py -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -artifact_prefix=build/fuzz/ "$@" build/fuzz/corpus build/fuzz/seeds
