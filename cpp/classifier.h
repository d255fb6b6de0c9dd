// The C++ facade: fit / predict / save / load over a Dictionary and a Model.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dataset.h"
#include "dataset_file.h"
#include "dictionary.h"
#include "model.h"
#include "quantizer.h"
#include "token_map.h"
#include "trainer.h"

namespace mmfast {

// A batch of examples: texts, features (feature codes or dense values), or
// both for the same examples; or the examples of a compiled dataset, read in
// place (Classifier::batch_of).
struct Batch {
  std::vector<std::string_view> texts;  // empty when the examples have no text
  const uint16_t* codes = nullptr;      // size x n_codes, or nullptr
  int32_t n_codes = 0;
  const float* features = nullptr;      // size x n_features, or nullptr
  int32_t n_features = 0;
  // Examples tokenized beforehand, with their codes or features; token_map
  // reads their token ids as the model's rows (none: the model reads no text).
  std::shared_ptr<const Dataset> examples;
  std::shared_ptr<const TokenMap> token_map;
  int64_t size = 0;
};

// One prediction thread's scratch: an example's rows and word hashes, its
// codes when the model encodes dense features itself, and the ranking of
// the classes.
struct ExampleScratch {
  std::vector<int32_t> ids;
  std::vector<uint64_t> hashes;
  std::vector<uint16_t> codes;
  std::vector<int32_t> order;
};

struct ClassifierConfig {
  int32_t dim = 100;
  int32_t word_ngrams = 2;
  int64_t buckets = kAutoBuckets;  // kAutoBuckets: sized by the training texts
  int64_t min_count = 1;
  LossKind loss = LossKind::kSoftmax;
  int32_t neg = 5;
  // How text and features combine. Feature codes are always added (kAdd);
  // a batch without texts trains a features-only (kFeatures) model.
  FusionKind fusion = FusionKind::kText;
  // The features gate the text: at the data-sized lr and epochs it won on
  // both real sets and matched or beat the text gate on the generated ones
  // (README, "Choosing the fusion's settings").
  Gate gate = Gate::kFeatures;
  float alpha = 0.0f;       // weight of the feature tokens; <= 0: balanced_alpha
  bool standardize = true;  // dense features: per-dimension mean and scale
  // TrainOptions::feature_lr, when <= 0: default_feature_lr;
  // TrainOptions::modality_dropout, when < 0: kDefaultModalityDropout (0
  // for models of one modality or that do not support it).
  TrainOptions train;
};

// How Classifier::compress_from shrinks a model (fastText.zip's knobs).
struct CompressOptions {
  int64_t n_rows = -1;  // text rows to keep; < 0: every row training changed
  bool cover = true;    // with examples: keep each one covered (pruning.h) first
  RowQuantization rows;  // how the kept rows (and the feature-token rows) are coded
};

// The projection's step size when none is given: lr / (4 n_features).
// Standardized inputs have |v|^2 ~ n_features, so one step on C moves u by
// about feature_lr * n_features times its gradient: a quarter of lr here.
// Larger steps made add/max/features-only models diverge or ignore the text
// in our measurements (see README, "Choosing the fusion's settings").
// With ova the step is also divided by the examples' mean number of labels
// (`labels_per_example`, at least 1): the loss's curvature in the hidden
// vector, sum_c p_c (1 - p_c) B_c B_c^T over every class, is bounded by
// sum_c p_c, the expected number of labels of calibrated sigmoids, where
// softmax's probabilities sum to 1. (debtags, 3.1 labels per example: a
// features-only model diverged at lr 0.26 with the softmax step, and scored
// the same from half of it down to an eighth.)
float default_feature_lr(float lr, int64_t n_features, LossKind loss, double labels_per_example);
// The feature tokens' weight when none is given: sqrt(n_codes / tokens),
// tokens the mean number of text tokens (words and n-grams) per example; 1
// without text. A step moves the text mean t by lr / tokens times its
// gradient and u = alpha * mean of n_codes rows by alpha^2 lr / n_codes
// times it: this alpha makes the two equal, so that neither modality takes
// the first epochs' learning from the other. Measured (README, "Choosing
// the fusion's settings"): fortunes (71 tokens, alpha 0.34) pq .521 where 1
// gave .471, below text alone (.492); icons (4.3 tokens, 1.36) .878 / .868.
float balanced_alpha(int32_t n_codes, double tokens_per_example);
// TrainOptions::modality_dropout when < 0, for models that support it.
constexpr float kDefaultModalityDropout = 0.0f;

class Classifier {
 public:
  explicit Classifier(const ClassifierConfig& config);

  // A fresh model for `batch`: builds the vocabulary (min_count, and the
  // n-gram table's size when it follows the data), tokenizes every text once,
  // and initializes the weights (the feature scaling from the batch's
  // features, hierarchical softmax and negative sampling from its class
  // counts). Returns the tokenized examples. labels: one row per example.
  // codebook_size: the range of the codes (0 without features).
  // unknown_words: the vocabulary's rule for words it does not know, from
  // this batch on (a stream's model hashes them).
  std::shared_ptr<const Dataset> initialize(const Batch& batch, RaggedArray labels,
                                            int32_t n_classes, int64_t codebook_size,
                                            UnknownWords unknown_words = UnknownWords::kDropped);
  // The same for examples tokenized beforehand with `dictionary` (a
  // compiled dataset). has_text: false makes a features-only model.
  void initialize(Dictionary dictionary, bool has_text, const Dataset& data, int64_t codebook_size);
  // initialize, then the trainer of `options` over the same examples (fit:
  // config().train, lr -> 0; a stream's first batch: one pass at its rate).
  std::unique_ptr<Trainer> prepare_fit(const Batch& batch, RaggedArray labels, int32_t n_classes,
                                       int64_t codebook_size, const TrainOptions& options,
                                       UnknownWords unknown_words = UnknownWords::kDropped);
  std::unique_ptr<Trainer> prepare_fit(Dictionary dictionary, bool has_text,
                                       std::shared_ptr<const Dataset> data, int64_t codebook_size,
                                       const TrainOptions& options);

  // Training from the current weights, the hook behind partial_fit,
  // warm_start and data-parallel workers: a trainer of options.epochs passes
  // over `batch` (lists, or a compiled dataset's batch_of) whose learning
  // rate moves linearly from options.lr to options.lr_end (feature_lr <= 0:
  // default_feature_lr(options.lr, ...); threads: this classifier's). The
  // batch is read through the model as it is (its vocabulary, n-gram table,
  // feature scaling and quantizer: nothing is rebuilt), so it must carry
  // what the model was trained on. labels: one row per example, class ids
  // in [0, n_classes()).
  std::unique_ptr<Trainer> prepare_training(const Batch& batch, RaggedArray labels,
                                            const TrainOptions& options);

  // Makes this classifier a compressed copy of `source`: its text table
  // keeps the rows select_rows picks (n_rows, max-cover over the examples of
  // `batch` when options.cover), quantized, and its feature-token table is
  // quantized. batch may be empty (size 0); labels: one row per example.
  // Retraining the float weights (the output layer and C) to the quantized
  // rows is prepare_training's, on the compressed copy.
  void compress_from(const Classifier& source, const Batch& batch, RaggedArray labels,
                     const CompressOptions& options);
  // Quantizes the output matrix too (after any retraining).
  void quantize_output(const RowQuantization& options);

  // One SGD step per example of `batch`, in order, on this thread: for
  // tests that compare a step with a reference. Returns the summed loss.
  float train_steps(const Batch& batch, const RaggedArray& labels, float lr, float feature_lr,
                    Inputs inputs = Inputs::kBoth);

  bool fitted() const { return model_.has_value(); }
  int32_t n_classes() const;
  int64_t n_words() const { return dictionary_.n_words(); }
  int32_t dim() const { return config_.dim; }

  // The quantizer that turns dense features into this model's codes; saved
  // and loaded with the model. Optional: a model may be trained on codes.
  void set_quantizer(std::shared_ptr<const Quantizer> quantizer);
  const std::shared_ptr<const Quantizer>& quantizer() const { return quantizer_; }

  // Feature codes per example the model was trained with (0: none).
  int32_t n_codes() const { return model().shape().n_codes; }
  int64_t codebook_size() const { return model().shape().codebook_size; }
  // Dense features per example the model was trained with (0: none).
  int32_t n_features() const { return model().shape().n_features; }
  const Model& model() const;
  Model& mutable_model();
  const Dictionary& dictionary() const { return dictionary_; }
  const ClassifierConfig& config() const { return config_; }
  // What the last prepare_fit trained with: config().train with its
  // defaults resolved for the data.
  const TrainOptions& training() const { return training_; }

  // The examples of `dataset`, as this model reads them: its words and
  // n-grams through a TokenMap, its codes, or its dense features (encoded
  // with the model's quantizer for a model of codes). Throws
  // std::invalid_argument when the model cannot read them.
  Batch batch_of(const CompiledDataset& dataset) const;

  // Both predictions count the examples done (count_done, cpp/common.h).
  // out: batch.size x n_classes() probabilities.
  void predict_proba(const Batch& batch, float* out, int threads) const;
  // The k most probable classes of each example with probability >=
  // threshold, best first; unused slots get class -1 and probability 0.
  void predict_top(const Batch& batch, int k, float threshold, int32_t* classes, float* probs,
                   int threads) const;

  // `metadata` is stored verbatim (the Python layer keeps its parameters
  // and class names there).
  void save(std::ostream& out, const std::string& metadata) const;
  void save(const std::string& path, const std::string& metadata) const;
  static Classifier load(std::istream& in, uint64_t size, std::string& metadata);
  static Classifier load(const std::string& path, std::string& metadata);

 private:
  // The examples of `batch` (lists, or a compiled dataset's batch_of) as the
  // model reads them: tokenized with its vocabulary, codes or features as it
  // takes them; labels: class ids in [0, n_classes()).
  std::shared_ptr<const Dataset> examples_for_model(const Batch& batch, RaggedArray labels) const;
  // A trainer of the model over `data`, with this classifier's threads.
  std::unique_ptr<Trainer> trainer_for(std::shared_ptr<const Dataset> data, TrainOptions options);
  // Checks that `batch` carries what the model was trained on.
  void check_batch(const Batch& batch) const;
  // Example i of `batch`, built in `scratch` where it is not read in place.
  ExampleView example_of(const Batch& batch, int64_t i, ExampleScratch& scratch) const;
  // Runs fn(i, probs, scratch) for every example, on `threads` threads.
  template <typename Fn>
  void for_each_prediction(const Batch& batch, int threads, Fn&& fn) const;

  ClassifierConfig config_;
  TrainOptions training_;
  Dictionary dictionary_;
  std::optional<Model> model_;
  std::shared_ptr<const Quantizer> quantizer_;
};

}  // namespace mmfast
