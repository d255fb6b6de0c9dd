// Shared building blocks: argument checks, a seeded RNG, and a ParallelFor
// that re-raises worker exceptions on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace mmfast {

// Throws std::invalid_argument (a ValueError in Python) when `ok` is false.
inline void check(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Number of worker threads to use: `requested` if positive, else all cores.
int resolve_threads(int requested);

// SplitMix64: tiny, fast, and statistically sound for SGD sampling. Every
// stream is derived from (seed, stream id) so results do not depend on
// which OS thread runs which piece of work.
class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 0)
      : state_(seed * 0x9E3779B97F4A7C15ULL + stream * 0xD1B54A32D192ED03ULL + 1) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

// Runs fn(begin, end, worker) over [0, n) split into contiguous chunks on
// `threads` threads (the caller's thread runs chunk 0). The first exception
// thrown by any worker is re-thrown here after all have joined.
void parallel_for(int64_t n, int threads,
                  const std::function<void(int64_t begin, int64_t end, int worker)>& fn);

// Like parallel_for, but hands out blocks of `block` items dynamically, for
// work whose cost varies per item.
void parallel_for_blocks(int64_t n, int64_t block, int threads,
                         const std::function<void(int64_t begin, int64_t end, int worker)>& fn);

}  // namespace mmfast
