#include "common.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace mmfast {

void check_path(const std::string& path) {
  if (path.find('\0') == std::string::npos) return;
  std::string shown = path;
  for (char& c : shown) c = c == '\0' ? '?' : c;
  throw std::invalid_argument("path: '" + shown + "' holds a NUL character (shown as ?)");
}

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

namespace {

thread_local JobControl* current = nullptr;

}  // namespace

JobScope::JobScope(JobControl* control) : previous_(current) { current = control; }

JobScope::~JobScope() { current = previous_; }

bool stop_requested() {
  return current != nullptr && current->stop.load(std::memory_order_relaxed);
}

void check_stop() {
  if (stop_requested()) throw Interrupted();
}

void count_done(int64_t items) {
  if (current != nullptr) current->items_done.fetch_add(items, std::memory_order_relaxed);
}

JobControl* current_job() { return current; }

std::invalid_argument thread_start_error(int started, int requested, const std::exception& why) {
  return std::invalid_argument("threads: the system could start only " + std::to_string(started) +
                               " of the " + std::to_string(requested) + " threads asked for (" +
                               why.what() + "); ask for fewer threads");
}

namespace {

// Runs body(worker) on `threads` threads, the caller included, and re-throws
// the first exception any of them raised. The workers wait until all of
// them have started, so that when the system refuses a thread nothing has
// run: the started ones are told to quit and joined.
void run_workers(int threads, const std::function<void(int)>& body) {
  std::exception_ptr error;
  std::mutex mutex;
  std::condition_variable released;
  enum class Start { kWaiting, kGo, kAbandon } start = Start::kWaiting;
  auto guarded = [&](int worker) {
    try {
      body(worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  };
  JobControl* job = current;
  auto worker_main = [&](int worker) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      released.wait(lock, [&] { return start != Start::kWaiting; });
      if (start == Start::kAbandon) return;
    }
    JobScope scope(job);
    guarded(worker);
  };
  auto release = [&](Start how) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      start = how;
    }
    released.notify_all();
  };
  std::vector<std::thread> pool;
  pool.reserve(threads > 1 ? threads - 1 : 0);
  try {
    for (int w = 1; w < threads; ++w) pool.emplace_back(worker_main, w);
  } catch (const std::system_error& e) {
    release(Start::kAbandon);
    for (auto& t : pool) t.join();
    throw thread_start_error(static_cast<int>(pool.size()) + 1, threads, e);
  }
  release(Start::kGo);
  guarded(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  run_workers(threads, [&](int worker) {
    int64_t begin = n * worker / threads;
    int64_t end = n * (worker + 1) / threads;
    if (begin < end) fn(begin, end, worker);
  });
}

int block_workers(int64_t n, int64_t block, int threads) {
  block = std::max<int64_t>(1, block);
  const int64_t blocks = (std::max<int64_t>(n, 0) + block - 1) / block;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, blocks)));
}

void parallel_for_blocks(int64_t n, int64_t block, int threads,
                         const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  block = std::max<int64_t>(1, block);
  const int64_t blocks = (n + block - 1) / block;
  std::atomic<int64_t> next{0};
  run_workers(block_workers(n, block, threads), [&](int worker) {
    for (int64_t b = next++; b < blocks; b = next++) {
      check_stop();
      fn(b * block, std::min(n, (b + 1) * block), worker);
    }
  });
}

}  // namespace mmfast
