#include "job.h"

#include <chrono>
#include <system_error>

#include "common.h"

namespace mmfast {

Job::Job(Work work, Report report, bool background)
    : work_(std::move(work)), report_(std::move(report)) {
  if (background) {
    try {
      thread_ = std::thread(&Job::run, this);
      return;
    } catch (const std::system_error&) {
      // No thread to spare: run here, where nothing polls for a stop.
    }
  }
  ran_inline_ = true;
  run();
}

Job::~Job() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void Job::run() {
  std::exception_ptr error;
  {
    JobScope scope(&control_);
    try {
      work_();
    } catch (...) {
      error = std::current_exception();
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  error_ = error;
  done_ = true;
  finished_.notify_all();
}

ProgressReport Job::progress() const {
  ProgressReport report = report_ ? report_() : ProgressReport{};
  report.emplace_back("items_done",
                      static_cast<double>(control_.items_done.load(std::memory_order_relaxed)));
  return report;
}

bool Job::wait(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  return finished_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; });
}

void Job::join() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace mmfast
