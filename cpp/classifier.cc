#include "classifier.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>

#include "kmeans.h"
#include "pruning.h"
#include "serialization.h"

namespace mmfast {

namespace {

// When `in` (which did not read as a model) holds another mmfast object or a
// pickle: what to load it with, for the error message.
std::string what_it_holds(std::istream& in, uint64_t size) {
  auto reads_as = [&](auto read) {
    try {
      in.clear();
      in.seekg(0);
      BinaryReader reader(in, size);
      read(reader);
      reader.finish();
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };
  if (reads_as([](BinaryReader& r) { Quantizer::read(r); })) {
    return " (the file holds a quantizer, not a classifier)";
  }
  if (reads_as([](BinaryReader& r) { KMeans::read(r); })) {
    return " (the file holds k-means, not a classifier)";
  }
  in.clear();
  in.seekg(0);
  return in.get() == 0x80 ? " (it looks like a pickle: read it with pickle.load)" : "";
}

void check_codes(const Batch& batch, int64_t codebook_size) {
  const int64_t total = batch.size * batch.n_codes;
  for (int64_t i = 0; i < total; ++i) {
    check(batch.codes[i] < codebook_size, "features: code " + std::to_string(batch.codes[i]) +
                                              " outside [0, " + std::to_string(codebook_size) +
                                              ")");
  }
}

}  // namespace

float balanced_alpha(int32_t n_codes, double tokens_per_example) {
  if (n_codes <= 0 || tokens_per_example <= 0.0) return 1.0f;
  return static_cast<float>(std::sqrt(n_codes / std::max(1.0, tokens_per_example)));
}

float default_feature_lr(float lr, int64_t n_features, LossKind loss, double labels_per_example) {
  const double labels = loss == LossKind::kOneVsAll ? std::max(1.0, labels_per_example) : 1.0;
  return static_cast<float>(lr / (4.0 * static_cast<double>(n_features) * labels));
}

Classifier::Classifier(const ClassifierConfig& config)
    : config_(config), dictionary_(config.word_ngrams, config.buckets) {
  check(config.dim >= 1, "dim must be >= 1");
  check(config.min_count >= 1, "min_count must be >= 1");
  check(config.neg >= 1, "neg must be >= 1");
  const Fusion fusion(config.fusion, config.gate, config.dim);  // checks the kind
}

namespace {

// The arrays a training Dataset views, kept alive by it: token ids and
// feature codes made for this run, the labels, and the examples they came
// from (a compiled dataset's mapping; none for lists).
struct ExampleArrays {
  RaggedArray tokens;
  RaggedArray labels;
  std::vector<uint16_t> codes;
  std::shared_ptr<const Dataset> source;
};

// The examples of a batch of lists: its texts' rows `tokens` (no rows
// when it has no text), codes copied as uint16, dense features read in place.
std::shared_ptr<const Dataset> examples_of(const Batch& batch, RaggedArray tokens,
                                           RaggedArray labels, int32_t n_classes) {
  auto arrays = std::make_shared<ExampleArrays>();
  arrays->tokens = std::move(tokens);
  if (batch.texts.empty()) arrays->tokens.offsets.assign(batch.size + 1, 0);
  if (batch.codes != nullptr) {
    arrays->codes.assign(batch.codes, batch.codes + batch.size * batch.n_codes);
  }
  arrays->labels = std::move(labels);
  auto data = std::make_shared<Dataset>();
  data->tokens = RaggedView(arrays->tokens);
  data->labels = RaggedView(arrays->labels);
  data->n_classes = n_classes;
  if (batch.codes != nullptr) {
    data->codes16 = arrays->codes.data();
    data->n_codes = batch.n_codes;
  }
  data->features = batch.features;
  data->n_features = batch.features ? batch.n_features : 0;
  data->owner = std::move(arrays);
  return data;
}

// examples_of `batch`, its texts tokenized with `dictionary`.
std::shared_ptr<const Dataset> tokenized(const Batch& batch, const Dictionary& dictionary,
                                         RaggedArray labels, int32_t n_classes, int threads) {
  return examples_of(batch, encode_texts(dictionary, batch.texts, threads), std::move(labels),
                     n_classes);
}

}  // namespace

std::unique_ptr<Trainer> Classifier::prepare_fit(const Batch& batch, RaggedArray labels,
                                                 int32_t n_classes, int64_t codebook_size,
                                                 const TrainOptions& options,
                                                 UnknownWords unknown_words) {
  return trainer_for(initialize(batch, std::move(labels), n_classes, codebook_size, unknown_words),
                     options);
}

std::unique_ptr<Trainer> Classifier::prepare_fit(Dictionary dictionary, bool has_text,
                                                 std::shared_ptr<const Dataset> data,
                                                 int64_t codebook_size,
                                                 const TrainOptions& options) {
  initialize(std::move(dictionary), has_text, *data, codebook_size);
  return trainer_for(std::move(data), options);
}

std::shared_ptr<const Dataset> Classifier::initialize(const Batch& batch, RaggedArray labels,
                                                      int32_t n_classes, int64_t codebook_size,
                                                      UnknownWords unknown_words) {
  check(batch.size > 0, "no examples to train on");
  check(batch.texts.empty() || static_cast<int64_t>(batch.texts.size()) == batch.size,
        "texts and features have different lengths");
  check(batch.codes == nullptr || batch.features == nullptr,
        "features: give codes or dense values, not both");
  check(batch.features == nullptr || batch.n_features >= 1, "features: no columns");
  const bool has_text = !batch.texts.empty();
  check_labels(RaggedView(labels), batch.size, n_classes);
  // Built aside and committed last, so that an interrupted call (check_stop)
  // leaves this object as it was. A features-only model has no text table and
  // no vocabulary.
  if (batch.codes != nullptr) {
    check(batch.n_codes >= 1 && codebook_size >= 1 && codebook_size <= 65536,
          "features: bad code shape");
    check_codes(batch, codebook_size);
  }
  Dictionary dictionary(config_.word_ngrams, has_text ? config_.buckets : 0);
  dictionary.set_unknown_words(unknown_words);  // before build, which encodes by it
  RaggedArray tokens;
  if (has_text) tokens = dictionary.build(batch.texts, config_.min_count, config_.train.threads);
  auto data = examples_of(batch, std::move(tokens), std::move(labels), n_classes);
  initialize(std::move(dictionary), has_text, *data, codebook_size);
  return data;
}

void Classifier::initialize(Dictionary dictionary, bool has_text, const Dataset& data,
                            int64_t codebook_size) {
  check(data.size() > 0, "no examples to train on");
  const bool has_features = data.n_codes > 0 || data.n_features > 0;
  check(has_text || has_features, "nothing to train on: no texts, no features");
  check(has_features == (config_.fusion != FusionKind::kText),
        has_features ? "features: given, but the model fuses none (fusion is text only)"
                     : "features are required by fusion '" + fusion_name(config_.fusion) + "'");
  check(data.n_codes == 0 || (codebook_size >= 1 && codebook_size <= 65536),
        "features: bad code shape");
  check(data.n_codes == 0 || config_.fusion == FusionKind::kAdd,
        "features: codes are fused by addition");
  check(has_features || data.tokens.n_values() > 0,
        "texts: nothing to train on: no text has a word in the vocabulary or an n-gram (the "
        "texts are empty, e.g. label-only lines, or min_count=" +
            std::to_string(config_.min_count) + " drops every word" +
            (config_.buckets == 0 ? " and buckets=0 leaves no n-grams)" : ")"));

  ModelShape shape;
  shape.text_rows = has_text ? dictionary.n_rows() : 0;
  shape.dim = config_.dim;
  shape.fusion = has_text ? config_.fusion : FusionKind::kFeatures;
  shape.gate = config_.gate;
  shape.n_features = data.n_features;
  shape.n_codes = data.n_codes;
  shape.codebook_size = data.n_codes ? codebook_size : 0;
  shape.alpha =
      config_.alpha > 0.0f
          ? config_.alpha
          : balanced_alpha(data.n_codes, has_text ? static_cast<double>(data.tokens.n_values()) /
                                                        static_cast<double>(data.size())
                                                  : 0.0);
  shape.loss = config_.loss;
  shape.neg = config_.neg;
  shape.intercept = (shape.fusion == FusionKind::kFeatures && data.n_features > 0) ||
                    shape.loss == LossKind::kOneVsAll;
  const int threads = config_.train.threads;
  const Standardization scaling =
      !data.features ? Standardization{}
      : config_.standardize
          ? Standardization::fit(data.features, data.size(), data.n_features, threads)
          : Standardization::identity(data.n_features);
  // Every class counts at least once: a stream declares its classes before
  // they all appear (partial_fit), and hierarchical softmax and negative
  // sampling are built from these counts once, here.
  std::vector<int64_t> class_counts = data.class_counts();
  for (int64_t& count : class_counts) count = std::max<int64_t>(count, 1);
  model_.emplace(shape, std::move(class_counts), data.size(), scaling, config_.train.seed, threads);
  dictionary_ = std::move(dictionary);
  quantizer_.reset();
}

std::unique_ptr<Trainer> Classifier::prepare_training(const Batch& batch, RaggedArray labels,
                                                      const TrainOptions& options) {
  return trainer_for(examples_for_model(batch, std::move(labels)), options);
}

std::shared_ptr<const Dataset> Classifier::examples_for_model(const Batch& batch,
                                                              RaggedArray labels) const {
  check_batch(batch);
  check(batch.size > 0, "no examples to train on");
  check_labels(RaggedView(labels), batch.size, n_classes());
  if (batch.examples == nullptr) {
    return tokenized(batch, dictionary_, std::move(labels), n_classes(), config_.train.threads);
  }
  // A compiled dataset (batch_of checked that the model can read it): its
  // token ids and codes in place where they are the model's, else made here.
  const ModelShape& shape = model().shape();
  const Dataset& source = *batch.examples;
  auto arrays = std::make_shared<ExampleArrays>();
  auto data = std::make_shared<Dataset>(source);
  if (batch.token_map == nullptr) {
    arrays->tokens.offsets.assign(batch.size + 1, 0);  // features only: no text
    data->tokens = RaggedView(arrays->tokens);
  } else if (!batch.token_map->identity()) {
    RaggedArray& tokens = arrays->tokens;
    for (int64_t i = 0; i < batch.size; ++i) {
      batch.token_map->append_rows(source.tokens.row(i), source.tokens.row_size(i), tokens.values);
      tokens.offsets.push_back(static_cast<int64_t>(tokens.values.size()));
    }
    data->tokens = RaggedView(arrays->tokens);
  }
  if (shape.n_codes > 0 && source.n_codes == 0) {  // float features, the model's quantizer
    arrays->codes.resize(batch.size * shape.n_codes);
    quantizer_->encode(source.features, batch.size, arrays->codes.data(), config_.train.threads);
    data->codes8 = nullptr;
    data->codes16 = arrays->codes.data();
    data->n_codes = shape.n_codes;
  }
  if (shape.n_codes > 0 || shape.n_features == 0) {
    data->features = nullptr;
    data->n_features = 0;
  }
  if (shape.n_codes == 0) {
    data->codes8 = nullptr;
    data->codes16 = nullptr;
    data->n_codes = 0;
  }
  arrays->labels = std::move(labels);
  data->labels = RaggedView(arrays->labels);
  data->n_classes = n_classes();
  arrays->source = batch.examples;
  data->owner = std::move(arrays);
  return data;
}

std::unique_ptr<Trainer> Classifier::trainer_for(std::shared_ptr<const Dataset> data,
                                                 TrainOptions options) {
  options.threads = config_.train.threads;
  if (options.modality_dropout < 0.0f) options.modality_dropout = config_.train.modality_dropout;
  if (!model_->fusion().uses_text() || !model_->fusion().uses_features()) {
    options.modality_dropout = 0.0f;  // one modality: nothing to drop
  } else if (options.modality_dropout < 0.0f) {
    options.modality_dropout = model_->supports_dropout() ? kDefaultModalityDropout : 0.0f;
  }
  const int64_t n_features = model().shape().n_features;
  const LossKind loss = model().shape().loss;
  const double labels_per_example = static_cast<double>(data->labels.n_values()) /
                                    static_cast<double>(std::max<int64_t>(data->size(), 1));
  if (options.feature_lr <= 0.0f && n_features > 0) {
    options.feature_lr = default_feature_lr(options.lr, n_features, loss, labels_per_example);
  }
  // ova's step on z sums every class's error, so it grows with the labels per
  // example, as C's step above: the fusion's cap on lr (bilinear_gated's) is
  // divided by them. (debtags, 3.1 labels: bilinear_gated diverged at the
  // cap 0.2, and at 0.065 scored micro-F1 .726.)
  if (loss == LossKind::kOneVsAll) {
    const auto cap =
        static_cast<float>(model_->fusion().max_lr() / std::max(1.0, labels_per_example));
    if (options.lr > cap) {
      options.lr_end *= cap / options.lr;
      options.lr = cap;
    }
  }
  training_ = options;
  return std::make_unique<Trainer>(*model_, std::move(data), options);
}

float Classifier::train_steps(const Batch& batch, const RaggedArray& labels, float lr,
                              float feature_lr, Inputs inputs) {
  check_batch(batch);
  check_labels(RaggedView(labels), batch.size, n_classes());
  Model& m = *model_;
  ModelScratch scratch = m.make_scratch(config_.train.seed, 0);
  ExampleScratch example;
  float loss = 0.0f;
  for (int64_t i = 0; i < batch.size; ++i) {
    loss += m.train(example_of(batch, i, example), labels.row(i), labels.row_size(i), lr,
                    feature_lr, scratch, inputs);
  }
  m.flush(scratch);
  return loss;
}

void Classifier::compress_from(const Classifier& source, const Batch& batch, RaggedArray labels,
                               const CompressOptions& options) {
  const Model& full = source.model();
  check(!full.compressed(), "this model is already compressed");
  check(options.n_rows != 0, "n_rows must be >= 1 (or None: every row training changed)");
  const int threads = config_.train.threads;
  RowBits kept;
  if (full.shape().text_rows > 0) {
    const Matrix& table = full.text_embeddings();
    const bool limited = options.n_rows > 0 && options.n_rows < table.rows();
    std::shared_ptr<const Dataset> covered;
    if (batch.size > 0 && options.cover && limited) {
      covered = source.examples_for_model(batch, std::move(labels));
    }
    kept = select_rows(table, options.n_rows, covered ? &covered->tokens : nullptr, threads);
  }
  // The words whose rows are pruned leave the vocabulary.
  const int64_t n_words = source.dictionary_.n_words();
  std::vector<bool> keep_word(n_words);
  for (int64_t i = 0; i < n_words; ++i) keep_word[i] = row_bit(kept, i);
  Dictionary dictionary =
      full.shape().text_rows > 0 ? source.dictionary_.keep_words(keep_word) : source.dictionary_;
  Model compressed = full.compressed(kept, n_words, options.rows, threads);
  // Committed last, as initialize does.
  dictionary_ = std::move(dictionary);
  model_.emplace(std::move(compressed));
  quantizer_ = source.quantizer_;
  training_ = source.training_;
}

void Classifier::quantize_output(const RowQuantization& options) {
  mutable_model().quantize_output(options, config_.train.threads);
}

void Classifier::set_quantizer(std::shared_ptr<const Quantizer> quantizer) {
  const Model& m = model();
  if (quantizer != nullptr) {
    check(quantizer->is_trained(), "quantizer: not trained");
    check(quantizer->n_codes() == m.shape().n_codes &&
              quantizer->n_centroids() == m.shape().codebook_size,
          "quantizer: its codes (" + std::to_string(quantizer->n_codes()) + " of " +
              std::to_string(quantizer->n_centroids()) + " values) do not match the model's (" +
              std::to_string(m.shape().n_codes) + " of " + std::to_string(m.shape().codebook_size) +
              ")");
  }
  quantizer_ = std::move(quantizer);
}

const Model& Classifier::model() const {
  check(fitted(), "this Classifier is not fitted yet: call fit() first");
  return *model_;
}

Model& Classifier::mutable_model() {
  check(fitted(), "this Classifier is not fitted yet: call fit() first");
  return *model_;
}

int32_t Classifier::n_classes() const { return model().n_classes(); }

void Classifier::check_batch(const Batch& batch) const {
  const ModelShape& shape = model().shape();
  if (batch.examples != nullptr) return;  // checked by batch_of
  check(batch.texts.empty() || static_cast<int64_t>(batch.texts.size()) == batch.size,
        "texts and features have different lengths");
  if (shape.fusion == FusionKind::kFeatures) {
    check(batch.texts.empty(), "texts: this model was trained on features only; pass texts=None");
  }
  if (shape.n_codes > 0) {
    check(batch.codes != nullptr, "features are required: this model was trained with them");
    check(batch.n_codes == shape.n_codes, "features: expected " + std::to_string(shape.n_codes) +
                                              " codes per example, got " +
                                              std::to_string(batch.n_codes));
    check_codes(batch, shape.codebook_size);
  } else if (shape.n_features > 0) {
    check(batch.features != nullptr, "features are required: this model was trained with them");
    check(batch.n_features == shape.n_features,
          "features: expected " + std::to_string(shape.n_features) + " columns, got " +
              std::to_string(batch.n_features));
  } else {
    check(batch.codes == nullptr && batch.features == nullptr,
          "features: this model was trained without features");
  }
}

Batch Classifier::batch_of(const CompiledDataset& dataset) const {
  const ModelShape& shape = model().shape();
  const DatasetMeta& meta = dataset.meta();
  const std::string what = "dataset '" + dataset.path() + "'";
  Batch batch;
  batch.examples = dataset.examples();
  batch.size = dataset.size();
  if (shape.fusion != FusionKind::kFeatures) {
    batch.token_map = std::make_shared<const TokenMap>(meta.dictionary, meta.settings.min_count,
                                                       dictionary_, what);
  }
  if (shape.n_codes > 0) {
    if (meta.n_codes > 0) {
      check(meta.n_codes == shape.n_codes && meta.max_code < shape.codebook_size,
            what + " holds " + std::to_string(meta.n_codes) + " codes per example up to " +
                std::to_string(meta.max_code) + "; the model takes " +
                std::to_string(shape.n_codes) + " below " + std::to_string(shape.codebook_size));
    } else {
      check(meta.n_features > 0 && quantizer_ != nullptr && quantizer_->dim() == meta.n_features,
            what + " holds no feature codes, and the model has no quantizer of its " +
                std::to_string(meta.n_features) + " features to make them");
    }
  } else if (shape.n_features > 0) {
    check(meta.n_features == shape.n_features, what + " holds " + std::to_string(meta.n_features) +
                                                   " float features per example; the model takes " +
                                                   std::to_string(shape.n_features));
  }
  return batch;
}

ExampleView Classifier::example_of(const Batch& batch, int64_t i, ExampleScratch& scratch) const {
  ExampleView example;
  if (batch.examples != nullptr) {
    const ModelShape& shape = model().shape();
    const ExampleView stored = batch.examples->example(i);
    if (batch.token_map != nullptr) {
      if (batch.token_map->identity()) {
        example.tokens = stored.tokens;
        example.n_tokens = stored.n_tokens;
      } else {
        scratch.ids.clear();
        batch.token_map->append_rows(stored.tokens, stored.n_tokens, scratch.ids);
        example.tokens = scratch.ids.data();
        example.n_tokens = static_cast<int32_t>(scratch.ids.size());
      }
    }
    if (shape.n_codes > 0 && stored.n_codes > 0) {
      example.codes8 = stored.codes8;
      example.codes16 = stored.codes16;
      example.n_codes = stored.n_codes;
    } else if (shape.n_codes > 0) {
      scratch.codes.resize(shape.n_codes);
      quantizer_->encode(stored.features, 1, scratch.codes.data(), 1);
      example.codes16 = scratch.codes.data();
      example.n_codes = shape.n_codes;
    } else if (shape.n_features > 0) {
      example.features = stored.features;
      example.n_features = stored.n_features;
    }
    return example;
  }
  if (!batch.texts.empty()) {
    dictionary_.encode(batch.texts[i], scratch.ids, scratch.hashes);
    example.tokens = scratch.ids.data();
    example.n_tokens = static_cast<int32_t>(scratch.ids.size());
  }
  if (batch.codes != nullptr) {
    example.codes16 = batch.codes + i * batch.n_codes;
    example.n_codes = batch.n_codes;
  }
  if (batch.features != nullptr) {
    example.features = batch.features + i * batch.n_features;
    example.n_features = batch.n_features;
  }
  return example;
}

template <typename Fn>
void Classifier::for_each_prediction(const Batch& batch, int threads, Fn&& fn) const {
  check_batch(batch);
  const Model& m = model();
  parallel_for_blocks(batch.size, 256, threads, [&](int64_t begin, int64_t end, int worker) {
    if (batch.examples != nullptr && batch.examples->check_intact) batch.examples->check_intact();
    ModelScratch scratch = m.make_scratch(config_.train.seed, 1000 + static_cast<uint64_t>(worker));
    ExampleScratch example;
    std::vector<float> probs(m.n_classes());
    for (int64_t i = begin; i < end; ++i) {
      m.predict(example_of(batch, i, example), probs.data(), scratch);
      fn(i, probs.data(), example);
    }
    count_done(end - begin);
  });
}

void Classifier::predict_proba(const Batch& batch, float* out, int threads) const {
  const int64_t n_classes = model().n_classes();
  for_each_prediction(batch, threads, [&](int64_t i, const float* probs, ExampleScratch&) {
    std::copy(probs, probs + n_classes, out + i * n_classes);
  });
}

void Classifier::predict_top(const Batch& batch, int k, float threshold, int32_t* classes,
                             float* probs, int threads) const {
  check(k >= 1, "k must be >= 1");
  const int32_t n_classes = model().n_classes();
  const int kept = std::min(k, n_classes);
  for_each_prediction(batch, threads, [&](int64_t i, const float* p, ExampleScratch& scratch) {
    std::vector<int32_t>& order = scratch.order;
    order.resize(n_classes);
    std::iota(order.begin(), order.end(), 0);
    // NaN (a diverged or damaged model) ranks last and fails every threshold.
    auto rank = [&](int32_t c) { return std::isnan(p[c]) ? -INFINITY : p[c]; };
    std::partial_sort(order.begin(), order.begin() + kept, order.end(), [&](int32_t a, int32_t b) {
      return rank(a) > rank(b) || (rank(a) == rank(b) && a < b);
    });
    int32_t* row_classes = classes + i * k;
    float* row_probs = probs + i * k;
    for (int j = 0; j < k; ++j) {
      const bool keep = j < kept && p[order[j]] >= threshold;
      row_classes[j] = keep ? order[j] : -1;
      row_probs[j] = keep ? p[order[j]] : 0.0f;
    }
  });
}

void Classifier::save(std::ostream& out, const std::string& metadata) const {
  const Model& m = model();
  BinaryWriter writer(out);
  writer.write_string(metadata);
  writer.write<int64_t>(config_.min_count);
  dictionary_.write(writer);
  writer.write<uint8_t>(static_cast<uint8_t>(dictionary_.unknown_words()));
  m.write(writer);
  writer.write<uint8_t>(quantizer_ != nullptr);
  if (quantizer_ != nullptr) quantizer_->write(writer);
  writer.finish();
}

void Classifier::save(const std::string& path, const std::string& metadata) const {
  model();  // refuse before touching the file
  write_file_atomically(path, [&](std::ostream& out) { save(out, metadata); });
}

Classifier Classifier::load(std::istream& in, uint64_t size, std::string& metadata) {
  BinaryReader reader(in, size);
  metadata = reader.read_string();
  const int64_t min_count = reader.read<int64_t>();
  Dictionary dictionary = Dictionary::read(reader);
  if (reader.version() >= 4) {  // before: every model dropped unknown words
    const auto rule = reader.read<uint8_t>();
    reader.expect(rule <= static_cast<uint8_t>(UnknownWords::kHashed), "bad unknown-words rule");
    dictionary.set_unknown_words(static_cast<UnknownWords>(rule));
  }
  Model model = Model::read(reader);
  std::shared_ptr<const Quantizer> quantizer;
  if (reader.read<uint8_t>() != 0) quantizer = Quantizer::read(reader);
  reader.finish();
  reader.expect(model.shape().text_rows == dictionary.n_rows(),
                "dictionary and embedding table sizes differ");
  ClassifierConfig config;
  config.dim = model.shape().dim;
  config.word_ngrams = dictionary.word_ngrams();
  config.buckets = dictionary.buckets();
  config.min_count = std::max<int64_t>(1, min_count);
  config.loss = model.shape().loss;
  config.neg = model.shape().neg;
  config.fusion = model.shape().fusion;
  config.gate = model.shape().gate;
  config.alpha = model.shape().alpha;
  Classifier classifier(config);
  classifier.dictionary_ = std::move(dictionary);
  classifier.model_.emplace(std::move(model));
  try {
    classifier.set_quantizer(std::move(quantizer));
  } catch (const std::invalid_argument& e) {
    reader.expect(false, e.what());
  }
  return classifier;
}

Classifier Classifier::load(const std::string& path, std::string& metadata) {
  check_path(path);
  struct stat info;
  if (::stat(path.c_str(), &info) != 0 || S_ISDIR(info.st_mode)) {
    const int error = S_ISDIR(info.st_mode) ? EISDIR : errno;
    throw FileError(error, path, "cannot read model file '" + path + "': " + std::strerror(error));
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw FileError(errno ? errno : EIO, path, "cannot open model file '" + path + "'");
  const auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  try {
    return load(in, size, metadata);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("'" + path + "': " + e.what() + what_it_holds(in, size));
  }
}

}  // namespace mmfast
