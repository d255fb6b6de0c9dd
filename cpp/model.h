// The network: hidden = mean of the text's embedding rows (+ alpha * mean of
// the feature-token rows), scored by a Loss on the output matrix. One SGD
// step per example, safe to call from many threads at once (hogwild).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "loss.h"
#include "matrix.h"

namespace mmfast {

// What the model reads of one example.
struct ExampleView {
  const int32_t* tokens = nullptr;  // rows of the word/n-gram table
  int32_t n_tokens = 0;
  const uint16_t* codes = nullptr;  // one quantizer code per subquantizer
  int32_t n_codes = 0;

  bool empty() const { return n_tokens == 0 && n_codes == 0; }
};

struct ModelShape {
  int64_t text_rows = 0;      // words + n-gram buckets
  int32_t dim = 100;
  int32_t n_codes = 0;        // feature tokens per example (0: text only)
  int64_t codebook_size = 0;  // centroids per subquantizer
  float alpha = 1.0f;         // weight of the feature tokens against the text
  LossKind loss = LossKind::kSoftmax;
  int32_t neg = 5;
};

class Model {
 public:
  // A fresh model as fastText starts one: embeddings uniform(-1/dim, 1/dim)
  // from `seed`, output matrix zero.
  Model(const ModelShape& shape, std::vector<int64_t> class_counts, uint64_t seed, int threads);

  Scratch make_scratch(uint64_t seed, uint64_t stream) const;

  // Starts loading the example's embedding rows into cache, so that they
  // arrive while the previous example is computed.
  void prefetch(const ExampleView& example) const;

  // One SGD step; returns the example's loss.
  float train(const ExampleView& example, const int32_t* labels, int32_t n_labels, float lr,
              Scratch& scratch);
  // probs: n_classes() values (see Loss::predict).
  void predict(const ExampleView& example, float* probs, Scratch& scratch) const;

  // Whether every weight is small enough that no score can overflow float32
  // (|w| <= sqrt(FLT_MAX / (dim * (1 + alpha)))): false once training diverged.
  bool bounded(int threads) const;

  const ModelShape& shape() const { return shape_; }
  int32_t n_classes() const { return static_cast<int32_t>(class_counts_.size()); }

  void write(BinaryWriter& out) const;
  static Model read(BinaryReader& in);

 private:
  Model(const ModelShape& shape, std::vector<int64_t> class_counts, Matrix text_embeddings,
        Matrix feature_embeddings, Matrix output);
  void compute_hidden(const ExampleView& example, float* hidden) const;
  int64_t code_row(int32_t m, uint16_t code) const { return m * shape_.codebook_size + code; }

  ModelShape shape_;
  std::vector<int64_t> class_counts_;
  std::unique_ptr<Loss> loss_;
  Matrix text_embeddings_;     // A: text_rows x dim
  Matrix feature_embeddings_;  // D: n_codes * codebook_size x dim
  Matrix output_;              // B: loss rows x dim
};

}  // namespace mmfast
