// Hogwild training: worker threads share the model's weights without locks,
// each with its own scratch state and RNG. The caller starts the workers,
// then polls progress() (atomic counters) until wait() says they are done.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "model.h"

namespace mmfast {

struct TrainOptions {
  int epochs = 5;
  float lr = 0.1f;
  float feature_lr = 0.0f;  // step size of the dense-feature projection
  int threads = 1;
  uint64_t seed = 0;
};

struct Progress {
  int64_t examples_done = 0;
  int64_t examples_total = 0;  // epochs x examples
  double loss_sum = 0.0;       // summed over all examples so far
  int64_t loss_count = 0;
  float lr = 0.0f;             // current learning rate
};

class Trainer {
 public:
  Trainer(Model& model, std::shared_ptr<const Dataset> data, const TrainOptions& options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void start();
  // Blocks up to `seconds`; true once every worker has finished.
  bool wait(double seconds);
  // Asks the workers to stop early (e.g. on Ctrl-C); join() still required.
  void request_stop();
  // Joins the workers and re-throws the first exception any of them raised.
  void join();
  Progress progress() const;

 private:
  // Published every few hundred examples, one cache line per worker.
  struct alignas(64) Counters {
    std::atomic<int64_t> examples{0};
    std::atomic<double> loss_sum{0.0};
    std::atomic<int64_t> loss_count{0};
  };

  // Trains on the blocks of kBlockSize examples numbered `blocks`.
  void work(int worker, std::vector<int64_t> blocks);
  // The error when the loss or the weights stop being finite (lr too high):
  // `what` happened at that point of training.
  std::invalid_argument diverged(const std::string& what, int epoch, int64_t done, int64_t total,
                                 float lr) const;

  Model& model_;
  std::shared_ptr<const Dataset> data_;
  TrainOptions options_;
  std::unique_ptr<Counters[]> counters_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable finished_;
  int running_ = 0;
  std::exception_ptr error_;
};

}  // namespace mmfast
