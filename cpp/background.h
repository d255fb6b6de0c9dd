// One long call run on its own thread, so that the calling (Python) thread
// can poll its progress and forward Ctrl-C to it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace mmfast {

class BackgroundTask {
 public:
  explicit BackgroundTask(std::function<void()> fn)
      : thread_([this, fn = std::move(fn)] {
          std::exception_ptr error;
          try {
            fn();
          } catch (...) {
            error = std::current_exception();
          }
          std::lock_guard<std::mutex> lock(mutex_);
          error_ = error;
          done_ = true;
          finished_.notify_all();
        }) {}
  ~BackgroundTask() {
    if (thread_.joinable()) thread_.join();
  }
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;

  // Blocks up to `seconds`; true once the call has returned.
  bool wait(double seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return finished_.wait_for(lock, std::chrono::duration<double>(seconds),
                              [this] { return done_; });
  }
  // Waits for the call and re-throws what it threw.
  void join() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace mmfast
