#include "common.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mmfast {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

namespace {

// Runs body(worker) on `threads` threads, the caller included, and re-throws
// the first exception any of them raised.
void run_workers(int threads, const std::function<void(int)>& body) {
  std::exception_ptr error;
  std::mutex error_mutex;
  auto guarded = [&](int worker) {
    try {
      body(worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads > 1 ? threads - 1 : 0);
  for (int w = 1; w < threads; ++w) pool.emplace_back(guarded, w);
  guarded(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

void parallel_for(int64_t n, int threads,
                  const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  run_workers(threads, [&](int worker) {
    int64_t begin = n * worker / threads;
    int64_t end = n * (worker + 1) / threads;
    if (begin < end) fn(begin, end, worker);
  });
}

void parallel_for_blocks(int64_t n, int64_t block, int threads,
                         const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  block = std::max<int64_t>(1, block);
  int64_t blocks = (n + block - 1) / block;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, blocks)));
  std::atomic<int64_t> next{0};
  run_workers(threads, [&](int worker) {
    for (int64_t b = next++; b < blocks; b = next++) {
      fn(b * block, std::min(n, (b + 1) * block), worker);
    }
  });
}

}  // namespace mmfast
