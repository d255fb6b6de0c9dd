// Shared building blocks: argument checks, a seeded RNG, a ParallelFor
// that re-raises worker exceptions on the calling thread, and the stop
// request that lets a caller interrupt long loops.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace mmfast {

// Throws std::invalid_argument (a ValueError in Python) when `ok` is false.
inline void check(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// a * b for sizes a, b >= 0 (e.g. read from a file); std::invalid_argument
// naming `what` when the product does not fit in int64.
inline int64_t checked_mul(int64_t a, int64_t b, const std::string& what) {
  int64_t product = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &product)) {
    throw std::invalid_argument(what + ": " + std::to_string(a) + " x " + std::to_string(b) +
                                " is out of range");
  }
  return product;
}

// Throws std::invalid_argument (a ValueError) when `path` holds a NUL: the
// system would read it as a shorter path, as Python's open() refuses to.
void check_path(const std::string& path);

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

// Thrown by check_stop() once the caller has asked the running call to stop.
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "interrupted"; }
};

// What a running call (a Job, cpp/job.h) shares with every thread it runs
// on: the caller's stop request, and the count of work items done (examples
// predicted, vectors encoded, k-means iterations) that its progress reports.
struct JobControl {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> items_done{0};
};

// Installs `control` as this thread's job for the scope's lifetime (nullptr:
// none). parallel_for and parallel_for_blocks hand the calling thread's job
// on to their workers, so one flag stops a whole call and every thread
// counts into one total.
class JobScope {
 public:
  explicit JobScope(JobControl* control);
  ~JobScope();
  JobScope(const JobScope&) = delete;
  JobScope& operator=(const JobScope&) = delete;

 private:
  JobControl* previous_;
};

// Whether this thread's job was asked to stop: one relaxed load. The one
// stop check, for loops that wind down themselves.
bool stop_requested();
// Throws Interrupted when this thread's job was asked to stop. Long loops
// call it between chunks of work; code that must leave its object unchanged
// on Interrupted builds the result aside and commits it last.
void check_stop();
// Adds `items` to this thread's job's items_done (nothing without a job):
// loops call it once per chunk of work, with the units their binding's
// progress report totals.
void count_done(int64_t items);
// This thread's job (nullptr: none), for threads a call starts itself to
// install (JobScope), as parallel_for does.
JobControl* current_job();
// Items (lines, vectors) a static-chunk loop handles between check_stop() calls.
constexpr int64_t kStopCheckEvery = 4096;

// For loops whose items vary in cost (texts): calls check_stop() each time
// `every` units of work (bytes) have been done.
class StopCheck {
 public:
  explicit StopCheck(int64_t every) : every_(every) {}
  void done(int64_t work) {
    if ((pending_ += work) >= every_) {
      pending_ = 0;
      check_stop();
    }
  }

 private:
  int64_t every_;
  int64_t pending_ = 0;
};
// Text bytes between check_stop() calls: about a millisecond of tokenizing.
constexpr int64_t kStopCheckBytes = int64_t{1} << 20;

// Runs fn(begin, end, worker) over [0, n) split into contiguous chunks on
// `threads` threads (the caller's thread runs chunk 0). The first exception
// thrown by any worker is re-thrown here after all have joined.
void parallel_for(int64_t n, int threads,
                  const std::function<void(int64_t begin, int64_t end, int worker)>& fn);

// Like parallel_for, but hands out blocks of `block` items dynamically, for
// work whose cost varies per item, and calls check_stop() before each block.
// Worker ids are < block_workers(n, block, threads).
void parallel_for_blocks(int64_t n, int64_t block, int threads,
                         const std::function<void(int64_t begin, int64_t end, int worker)>& fn);

// How many threads parallel_for_blocks uses: never more than there are
// blocks, so per-worker scratch sized by it stays bounded.
int block_workers(int64_t n, int64_t block, int threads);

// Both parallel_for variants throw std::invalid_argument, after joining the
// threads that did start, when the system cannot start all `threads`; this
// is that error, saying how many could start.
std::invalid_argument thread_start_error(int started, int requested, const std::exception& why);

}  // namespace mmfast
