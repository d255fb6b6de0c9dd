#include "model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "serialization.h"
#include "simd.h"

namespace mmfast {

Model::Model(const ModelShape& shape, std::vector<int64_t> class_counts, uint64_t seed,
             int threads)
    : Model(shape, class_counts,
            Matrix::uniform(shape.text_rows, shape.dim, 1.0f / shape.dim, seed, threads),
            Matrix::uniform(static_cast<int64_t>(shape.n_codes) * shape.codebook_size, shape.dim,
                            1.0f / shape.dim, seed ^ 0xFEA7u, threads),
            Matrix(make_loss(shape.loss, class_counts, shape.neg)->output_rows(), shape.dim)) {}

Model::Model(const ModelShape& shape, std::vector<int64_t> class_counts, Matrix text_embeddings,
             Matrix feature_embeddings, Matrix output)
    : shape_(shape),
      class_counts_(std::move(class_counts)),
      loss_(make_loss(shape.loss, class_counts_, shape.neg)),
      text_embeddings_(std::move(text_embeddings)),
      feature_embeddings_(std::move(feature_embeddings)),
      output_(std::move(output)) {
  check(shape.dim >= 1, "dim must be >= 1");
  auto fits = [&](const Matrix& m, int64_t rows) { return m.rows() == rows && m.cols() == shape.dim; };
  check(fits(text_embeddings_, shape.text_rows) &&
            fits(feature_embeddings_, static_cast<int64_t>(shape.n_codes) * shape.codebook_size) &&
            fits(output_, loss_->output_rows()),
        "matrix shapes do not match the model");
}

Scratch Model::make_scratch(uint64_t seed, uint64_t stream) const {
  Scratch s(seed, stream);
  s.hidden.resize(shape_.dim);
  s.grad.resize(shape_.dim);
  s.scores.resize(2 * std::max<int64_t>(n_classes(), 1));  // hs keeps per-node values here
  return s;
}

inline void Model::compute_hidden(const ExampleView& example, float* hidden) const {
  const int64_t dim = shape_.dim;
  std::fill(hidden, hidden + dim, 0.0f);
  for (int32_t i = 0; i < example.n_tokens; ++i) {
    axpy(1.0f, text_embeddings_.row(example.tokens[i]), hidden, dim);
  }
  if (example.n_tokens > 1) scale(1.0f / example.n_tokens, hidden, dim);
  const float code_weight = example.n_codes ? shape_.alpha / example.n_codes : 0.0f;
  for (int32_t m = 0; m < example.n_codes; ++m) {
    axpy(code_weight, feature_embeddings_.row(code_row(m, example.codes[m])), hidden, dim);
  }
}

void Model::prefetch(const ExampleView& example) const {
  constexpr int64_t kLine = 64 / sizeof(float);
  const int64_t dim = shape_.dim;
  for (int32_t i = 0; i < example.n_tokens; ++i) {
    const float* row = text_embeddings_.row(example.tokens[i]);
    for (int64_t j = 0; j < dim; j += kLine) __builtin_prefetch(row + j, 1);
  }
}

MMFAST_CLONES float Model::train(const ExampleView& example, const int32_t* labels, int32_t n_labels,
                   float lr, Scratch& scratch) {
  const int64_t dim = shape_.dim;
  float* hidden = scratch.hidden.data();
  float* grad = scratch.grad.data();
  compute_hidden(example, hidden);
  std::fill(grad, grad + dim, 0.0f);
  const float loss = loss_->train(hidden, labels, n_labels, lr, output_, grad, scratch);
  // Back-propagate through the means: each row gets its share of the gradient.
  if (example.n_tokens > 0) {
    const float share = 1.0f / example.n_tokens;
    for (int32_t i = 0; i < example.n_tokens; ++i) {
      axpy(share, grad, text_embeddings_.row(example.tokens[i]), dim);
    }
  }
  if (example.n_codes > 0) {
    const float share = shape_.alpha / example.n_codes;
    for (int32_t m = 0; m < example.n_codes; ++m) {
      axpy(share, grad, feature_embeddings_.row(code_row(m, example.codes[m])), dim);
    }
  }
  return loss;
}

MMFAST_CLONES void Model::predict(const ExampleView& example, float* probs, Scratch& scratch) const {
  compute_hidden(example, scratch.hidden.data());
  loss_->predict(scratch.hidden.data(), output_, probs, scratch);
}

bool Model::bounded(int threads) const {
  // A hidden entry is a mean of embeddings plus alpha times a mean: at most
  // (1 + alpha) * limit; a score sums dim products with an output weight.
  const double limit = std::sqrt(std::numeric_limits<float>::max() /
                                 (static_cast<double>(shape_.dim) * (1.0 + shape_.alpha)));
  const auto bound = static_cast<float>(limit);
  return text_embeddings_.bounded(bound, threads) &&
         feature_embeddings_.bounded(bound, threads) && output_.bounded(bound, threads);
}

void Model::write(BinaryWriter& out) const {
  out.write<int64_t>(shape_.text_rows);
  out.write<int32_t>(shape_.dim);
  out.write<int32_t>(shape_.n_codes);
  out.write<int64_t>(shape_.codebook_size);
  out.write<float>(shape_.alpha);
  out.write<int32_t>(static_cast<int32_t>(shape_.loss));
  out.write<int32_t>(shape_.neg);
  out.write_vector(class_counts_);
  text_embeddings_.write(out);
  feature_embeddings_.write(out);
  output_.write(out);
}

Model Model::read(BinaryReader& in) {
  ModelShape shape;
  shape.text_rows = in.read<int64_t>();
  shape.dim = in.read<int32_t>();
  shape.n_codes = in.read<int32_t>();
  shape.codebook_size = in.read<int64_t>();
  shape.alpha = in.read<float>();
  const int32_t loss = in.read<int32_t>();
  shape.neg = in.read<int32_t>();
  in.expect(loss >= 0 && loss <= static_cast<int32_t>(LossKind::kOneVsAll), "unknown loss");
  shape.loss = static_cast<LossKind>(loss);
  auto class_counts = in.read_vector<int64_t>();
  in.expect(shape.dim >= 1 && shape.text_rows >= 0 && shape.n_codes >= 0 &&
                shape.codebook_size >= 0 && shape.neg >= 1 && !class_counts.empty(),
            "bad model header");
  // The constructor multiplies these: refuse a product that overflows.
  checked_mul(shape.n_codes, shape.codebook_size, "corrupt mmfast model: feature table rows");
  // The class counts are summed (hs builds a Huffman tree from them).
  int64_t total_count = 0;
  for (int64_t count : class_counts) {
    in.expect(count >= 0 && !__builtin_add_overflow(total_count, count, &total_count),
              "class counts out of range");
  }
  Matrix text = Matrix::read(in);
  Matrix features = Matrix::read(in);
  Matrix output = Matrix::read(in);
  try {
    return Model(shape, std::move(class_counts), std::move(text), std::move(features),
                 std::move(output));
  } catch (const std::invalid_argument& e) {
    in.expect(false, e.what());
    throw;
  }
}

}  // namespace mmfast
