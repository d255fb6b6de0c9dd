#include "classifier.h"

#include <algorithm>
#include <fstream>
#include <numeric>

#include "serialization.h"

namespace mmfast {

Classifier::Classifier(const ClassifierConfig& config)
    : config_(config), dictionary_(config.word_ngrams, config.buckets) {
  check(config.dim >= 1, "dim must be >= 1");
  check(config.min_count >= 1, "min_count must be >= 1");
  check(config.neg >= 1, "neg must be >= 1");
}

std::unique_ptr<Trainer> Classifier::prepare_fit(const std::vector<std::string_view>& texts,
                                                 RaggedArray labels, int32_t n_classes) {
  check(!texts.empty(), "texts: no examples to train on");
  check_labels(labels, static_cast<int64_t>(texts.size()), n_classes);
  dictionary_ = Dictionary(config_.word_ngrams, config_.buckets);
  dictionary_.build(texts, config_.min_count);
  auto data = std::make_shared<Dataset>();
  data->tokens = encode_texts(dictionary_, texts, config_.train.threads);
  data->labels = std::move(labels);
  data->n_classes = n_classes;

  ModelShape shape;
  shape.text_rows = dictionary_.n_rows();
  shape.dim = config_.dim;
  shape.loss = config_.loss;
  shape.neg = config_.neg;
  model_.emplace(shape, data->class_counts(), config_.train.seed, config_.train.threads);
  return std::make_unique<Trainer>(*model_, std::move(data), config_.train);
}

const Model& Classifier::model() const {
  check(fitted(), "this Classifier is not fitted yet: call fit() first");
  return *model_;
}

int32_t Classifier::n_classes() const { return model().n_classes(); }

template <typename Fn>
void Classifier::for_each_prediction(const std::vector<std::string_view>& texts, int threads,
                                     Fn&& fn) const {
  const Model& m = model();
  parallel_for_blocks(static_cast<int64_t>(texts.size()), 256, threads,
                      [&](int64_t begin, int64_t end, int worker) {
    Scratch scratch = m.make_scratch(config_.train.seed, 1000 + static_cast<uint64_t>(worker));
    std::vector<float> probs(m.n_classes());
    for (int64_t i = begin; i < end; ++i) {
      dictionary_.encode(texts[i], scratch.ids, scratch.hashes);
      ExampleView example{scratch.ids.data(), static_cast<int32_t>(scratch.ids.size()), nullptr, 0};
      m.predict(example, probs.data(), scratch);
      fn(i, probs.data(), scratch);
    }
  });
}

void Classifier::predict_proba(const std::vector<std::string_view>& texts, float* out,
                               int threads) const {
  const int64_t n_classes = model().n_classes();
  for_each_prediction(texts, threads, [&](int64_t i, const float* probs, Scratch&) {
    std::copy(probs, probs + n_classes, out + i * n_classes);
  });
}

void Classifier::predict_top(const std::vector<std::string_view>& texts, int k, float threshold,
                             int32_t* classes, float* probs, int threads) const {
  check(k >= 1, "k must be >= 1");
  const int32_t n_classes = model().n_classes();
  const int kept = std::min(k, n_classes);
  for_each_prediction(texts, threads, [&](int64_t i, const float* p, Scratch& scratch) {
    std::vector<int32_t>& order = scratch.order;
    order.resize(n_classes);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + kept, order.end(),
                      [&](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
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
  m.write(writer);
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
  Model model = Model::read(reader);
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
  Classifier classifier(config);
  classifier.dictionary_ = std::move(dictionary);
  classifier.model_.emplace(std::move(model));
  return classifier;
}

Classifier Classifier::load(const std::string& path, std::string& metadata) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  check(static_cast<bool>(in), "path: cannot open model file '" + path + "'");
  const auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  return load(in, size, metadata);
}

}  // namespace mmfast
