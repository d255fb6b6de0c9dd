#!/usr/bin/env bash
# Runs the test suite against a sanitizer build of the native core.
#
#   scripts/sanitize.sh [address|thread] [pytest arguments...]
#
# address (default): AddressSanitizer + UndefinedBehaviorSanitizer; any
#   memory error or undefined behaviour aborts the run.
# thread: ThreadSanitizer, built without the per-ISA clones; the intended
#   hogwild races are suppressed by scripts/tsan.supp, so any report is a bug.
#
# The wheel is built into build/sanitize-<kind>/ and unpacked there; the
# tests import it ahead of any installed mmfast (PYTHONPATH), with the
# sanitizer runtime preloaded into the (uninstrumented) Python. Needs g++ with
# libasan/libubsan or libtsan, and the build requirements (pip fetches them
# unless PIP_NO_BUILD_ISOLATION=0 is set).
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-address}"
[ $# -gt 0 ] && shift
case "$kind" in
  address)
    runtime="$(c++ -print-file-name=libasan.so)"
    # Python itself leaks at exit; huge allocations should raise, not abort.
    export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  thread)
    runtime="$(c++ -print-file-name=libtsan.so)"
    export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp:halt_on_error=1:report_signal_unsafe=0"
    ;;
  *)
    echo "usage: $0 [address|thread] [pytest arguments...]" >&2
    exit 2
    ;;
esac

if [ "${runtime#/}" = "$runtime" ]; then
  echo "$0: the compiler has no $kind sanitizer runtime" >&2
  exit 1
fi

build="build/sanitize-$kind"
rm -rf "$build/dist" "$build/site"
python -m pip wheel . --no-deps -q -w "$build/dist" -Cbuild-dir="$build/cmake" \
  -Ccmake.define.MMFAST_SANITIZE="$kind"
python -m zipfile -e "$build"/dist/mmfast-*.whl "$build/site"

export MMFAST_SANITIZER="$kind"  # tests that cannot run under it skip themselves
# libstdc++ too: the runtime intercepts C++ throws only if it is loaded first.
LD_PRELOAD="$runtime $(c++ -print-file-name=libstdc++.so)" PYTHONPATH="$PWD/$build/site" \
  python -m pytest -q -p no:cacheprovider "$@"  # pyproject.toml: testpaths = tests
