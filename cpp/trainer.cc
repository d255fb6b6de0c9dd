#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>
#include <system_error>
#include <utility>

namespace mmfast {

namespace {

constexpr int64_t kPublishEvery = 256;  // examples between counter updates
// Examples read together: a block is a contiguous run of examples (a few
// pages of a mapped dataset), so a random order over blocks, and over the
// examples of a few blocks at a time (a window), costs no page fault per
// example and no index per example. Mixing several random blocks keeps a
// file sorted by label from feeding one class for a whole block.
constexpr int64_t kBlockSize = 256;
constexpr int64_t kBlocksPerWindow = 8;
// Examples each thread trains, at least, for it to thin its writes of the hot
// text rows (Model::hot_text_rows): a hot row is in at least one example in
// HotRows::kMinShare, so each thread then updates it at least 256 times.
constexpr int64_t kMinThinnedShare = 65536;

template <typename T>
void shuffle(T* items, int64_t n, Rng& rng) {
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(items[i], items[rng.below(static_cast<uint64_t>(i) + 1)]);
  }
}

}  // namespace

float Trainer::lr_at(int64_t done, int64_t total, bool feature) const {
  // Written as end + (start - end) * decay so that lr_end = 0 steps exactly
  // as start * decay did before the end was a setting.
  const float decay = total > 0 ? 1.0f - static_cast<float>(done) / total : 1.0f;
  const float start = feature ? options_.feature_lr : options_.lr;
  const float end =
      feature ? options_.feature_lr * (options_.lr_end / options_.lr) : options_.lr_end;
  return end + (start - end) * decay;
}

TrainingDiverged Trainer::diverged(const std::string& what, int epoch, int64_t done, int64_t total,
                                   float lr) const {
  std::ostringstream message;
  message.precision(3);
  message << "training diverged: " << what << " in epoch " << epoch + 1 << " of " << options_.epochs
          << ", " << 100.0 * static_cast<double>(done) / static_cast<double>(total)
          << "% into training (learning rate then " << lr << "); lower lr (it is " << options_.lr
          << ")";
  // The features' own step sizes diverge too: name those the model uses.
  const ModelShape& shape = model_.shape();
  if (shape.n_features > 0) message << " or feature_lr (it is " << options_.feature_lr << ")";
  if (shape.n_codes > 0) message << " or alpha (it is " << shape.alpha << ")";
  return TrainingDiverged(message.str());
}

Trainer::Trainer(Model& model, std::shared_ptr<const Dataset> data, const TrainOptions& options)
    : model_(model), data_(std::move(data)), options_(options) {
  check(options.epochs >= 1, "epochs must be >= 1");
  check(options.lr > 0.0f && std::isfinite(options.lr), "lr must be > 0");
  check(options.lr_end >= 0.0f && options.lr_end <= options.lr, "lr_end must be in [0, lr]");
  check(options.threads >= 1, "threads must be >= 1");
  check(options.modality_dropout >= 0.0f && options.modality_dropout < 1.0f,
        "modality_dropout must be in [0, 1)");
  check(options.modality_dropout == 0.0f || model.supports_dropout(),
        "modality_dropout needs a fusion of text and features other than the bilinear ones");
  check(!model.output_quantized(),
        "this model's output layer is quantized (compress(qout=True)): it cannot train");
  counters_ = std::make_unique<Counters[]>(options.threads);
}

Trainer::~Trainer() = default;

Inputs Trainer::draw_inputs(Rng& rng) const {
  if (options_.modality_dropout <= 0.0f || rng.uniform() >= options_.modality_dropout) {
    return Inputs::kBoth;
  }
  return rng.next() & 1 ? Inputs::kTextOnly : Inputs::kFeaturesOnly;
}

void Trainer::run() {
  // Each worker owns a fixed random share of the blocks and visits it in a
  // fresh order every epoch, the examples of each window of blocks in a fresh
  // order too: no barrier between epochs, and threads=1 is fully
  // deterministic.
  const int64_t n_blocks = (data_->size() + kBlockSize - 1) / kBlockSize;
  std::vector<int64_t> blocks(n_blocks);
  std::iota(blocks.begin(), blocks.end(), 0);
  Rng rng(options_.seed, 0x5EEDu);
  shuffle(blocks.data(), n_blocks, rng);
  // Thinned, a hot row still gets hundreds of updates from each thread:
  // short runs (a small set, partial_fit's batches) write every update.
  if (options_.threads > 1 &&
      data_->size() * options_.epochs >= kMinThinnedShare * options_.threads) {
    hot_text_ = model_.hot_text_rows(*data_);
  }
  JobControl* job = current_job();
  std::vector<std::thread> workers;
  try {
    for (int w = 0; w < options_.threads; ++w) {
      std::vector<int64_t> share(blocks.begin() + n_blocks * w / options_.threads,
                                 blocks.begin() + n_blocks * (w + 1) / options_.threads);
      workers.emplace_back([this, w, job, share = std::move(share)]() mutable {
        JobScope scope(job);  // the caller's stop request reaches the workers
        work(w, std::move(share));
      });
    }
  } catch (const std::system_error& e) {
    // Those that started have barely begun: stop and join them.
    failed_ = true;
    for (auto& t : workers) t.join();
    throw thread_start_error(static_cast<int>(workers.size()), options_.threads, e);
  }
  for (auto& t : workers) t.join();
  if (error_) std::rethrow_exception(error_);
  check_stop();
  // The last steps can blow weights up after their loss was checked: refuse
  // weights so large that scores overflow, which would make predictions NaN.
  if (!model_.bounded(options_.threads, data_.get())) {
    const int64_t total = data_->size() * options_.epochs;
    throw diverged("the weights grew too large for float32 scores", options_.epochs - 1, total,
                   total, options_.lr_end);
  }
}

void Trainer::work(int worker, std::vector<int64_t> blocks) {
  try {
    const Dataset& data = *data_;
    const int64_t n = data.size();
    int64_t share = 0;
    for (int64_t b : blocks) share += std::min(n, (b + 1) * kBlockSize) - b * kBlockSize;
    const int64_t total = share * options_.epochs;
    ThreadSharing sharing;
    sharing.replicate = options_.threads > 1;
    sharing.examples = total;
    if (sharing.replicate) sharing.hot_text = &hot_text_;
    ModelScratch scratch =
        model_.make_scratch(options_.seed, 1 + static_cast<uint64_t>(worker), sharing);
    Rng order_rng(options_.seed, (uint64_t{1} << 32) + static_cast<uint64_t>(worker));
    Counters& counters = counters_[worker];
    int64_t done = 0;
    double loss_sum = 0.0;
    int64_t loss_count = 0;
    auto publish = [&] {
      counters.examples.store(done, std::memory_order_relaxed);
      counters.loss_sum.store(loss_sum, std::memory_order_relaxed);
      counters.loss_count.store(loss_count, std::memory_order_relaxed);
    };
    std::vector<int64_t> window;  // the examples of a few blocks, in a random order
    window.reserve(kBlockSize * kBlocksPerWindow);
    const int64_t n_blocks = static_cast<int64_t>(blocks.size());
    for (int epoch = 0; epoch < options_.epochs && !stopping(); ++epoch) {
      shuffle(blocks.data(), n_blocks, order_rng);
      for (int64_t first = 0; first < n_blocks && !stopping(); first += kBlocksPerWindow) {
        if (data.check_intact) data.check_intact();
        window.clear();
        for (int64_t k = first; k < std::min(n_blocks, first + kBlocksPerWindow); ++k) {
          for (int64_t i = blocks[k] * kBlockSize; i < std::min(n, (blocks[k] + 1) * kBlockSize);
               ++i) {
            window.push_back(i);
          }
        }
        const int64_t size = static_cast<int64_t>(window.size());
        shuffle(window.data(), size, order_rng);
        for (int64_t k = 0; k < size; ++k) {
          const int64_t i = window[k];
          if (k + 1 < size) model_.prefetch(data.example(window[k + 1]));
          // Linear from lr to lr_end over this worker's share of all epochs.
          const ExampleView example = data.example(i);
          if (!example.empty() && data.labels.row_size(i) > 0) {
            const float lr = lr_at(done, total);
            const float loss =
                model_.train(example, data.labels.row(i), data.labels.row_size(i), lr,
                             lr_at(done, total, true), scratch, draw_inputs(order_rng));
            if (!std::isfinite(loss)) {
              throw diverged(std::isnan(loss) ? "the loss became NaN" : "the loss became infinite",
                             epoch, done, total, lr);
            }
            loss_sum += loss;
            ++loss_count;
          }
          if (++done % kPublishEvery == 0) {
            publish();
            if (stopping()) break;
          }
        }
      }
    }
    model_.flush(scratch);
    publish();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
    failed_ = true;
  }
}

Progress Trainer::progress() const {
  Progress p;
  for (int w = 0; w < options_.threads; ++w) {
    p.examples_done += counters_[w].examples.load(std::memory_order_relaxed);
    p.loss_sum += counters_[w].loss_sum.load(std::memory_order_relaxed);
    p.loss_count += counters_[w].loss_count.load(std::memory_order_relaxed);
  }
  p.examples_total = data_->size() * options_.epochs;
  p.lr = lr_at(p.examples_done, p.examples_total);
  return p;
}

}  // namespace mmfast
