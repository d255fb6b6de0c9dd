// One way to run a long call (train, compile, encode, predict, load): a Job
// runs the work on its own thread with a stop flag installed, so that the
// caller (Python's thread) can poll its progress, ask it to stop, and wait.
// The work and every loop it runs, on any thread of parallel_for, check the
// one flag through check_stop() / stop_requested() (cpp/common.h), as faiss's
// InterruptCallback::check(), and count the items they finish through
// count_done(); a stopped job ends with Interrupted, which the bindings raise
// as KeyboardInterrupt.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common.h"

namespace mmfast {

// A progress snapshot: named counters (e.g. examples_done, examples_total),
// what the job's report function reads from the work's atomics, and
// items_done, which the work's loops count (count_done, cpp/common.h) in the
// units of the report's items_total.
using ProgressReport = std::vector<std::pair<std::string, double>>;

class Job {
 public:
  using Work = std::function<void()>;
  using Report = std::function<ProgressReport()>;

  // Starts `work` on a thread of its own, or runs it here and now when
  // `background` is false (a short call: a thread would cost more than it
  // does) or when the system has no thread to spare. `report` (optional)
  // gives progress() its counters besides items_done.
  Job(Work work, Report report, bool background);
  // Asks a job still running to stop, and waits for it.
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // Blocks up to `seconds`; true once the work has returned or thrown.
  bool wait(double seconds);
  // Sets the stop flag: the work's next check_stop() throws Interrupted.
  void request_stop() { control_.stop = true; }
  // Waits for the work and re-throws what it threw.
  void join();
  ProgressReport progress() const;
  // Whether the work ran here, in the constructor (it is then done).
  bool ran_inline() const { return ran_inline_; }

 private:
  void run();

  Work work_;
  Report report_;
  JobControl control_;
  std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  std::exception_ptr error_;
  bool ran_inline_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace mmfast
