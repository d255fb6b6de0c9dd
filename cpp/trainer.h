// Hogwild training: worker threads share the model's weights without locks,
// each with its own scratch state and RNG. run() trains, on a Job's thread
// (cpp/job.h) while the caller polls progress() (atomic counters); the
// workers stop at the job's stop request (stop_requested()).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "dataset.h"
#include "model.h"

namespace mmfast {

// The loss or the weights stopped being finite (the learning rate is too
// high): a ValueError in Python, mmfast.TrainingDivergedError.
class TrainingDiverged : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One training run: `epochs` passes over the examples, from the model's
// current weights, with the learning rate moving linearly from `lr` at the
// first example to `lr_end` after the last (fit: to 0, as fastText). The
// feature projection's step follows the same line, from feature_lr to
// feature_lr * lr_end / lr. A run that continues another (partial_fit,
// warm_start, a data-parallel worker's slice) starts where that one's
// schedule left off.
struct TrainOptions {
  int epochs = 5;
  float lr = 0.1f;
  float lr_end = 0.0f;
  float feature_lr = 0.0f;  // step size of the dense-feature projection
  // Share of the examples trained on one modality alone (half of them on
  // each; see Inputs), for models whose supports_dropout(). The Classifier
  // resolves a negative share (its default) before training.
  float modality_dropout = -1.0f;
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

  // Trains on `threads` workers and returns once they are done. Re-throws
  // the first exception a worker raised (the others then stop too), and
  // throws Interrupted when the calling thread's stop flag was set
  // (JobScope): the weights are then only partly trained.
  void run();
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
  // The inputs of the next example's step: one alone with probability
  // modality_dropout (no draw at 0, so that training without it repeats).
  Inputs draw_inputs(Rng& rng) const;
  // Whether the workers should stop: a stop request, or a worker's error.
  bool stopping() const { return failed_.load(std::memory_order_relaxed) || stop_requested(); }
  // The learning rate (or, for `feature`, the projection's) after `done` of
  // this worker's `total` examples.
  float lr_at(int64_t done, int64_t total, bool feature = false) const;
  // The error when the loss or the weights stop being finite (lr too high):
  // `what` happened at that point of training.
  TrainingDiverged diverged(const std::string& what, int epoch, int64_t done, int64_t total,
                            float lr) const;

  Model& model_;
  std::shared_ptr<const Dataset> data_;
  TrainOptions options_;
  std::unique_ptr<Counters[]> counters_;
  HotRows hot_text_;  // on several threads: the text rows whose writes they thin
  std::atomic<bool> failed_{false};  // a worker threw: error_
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace mmfast
