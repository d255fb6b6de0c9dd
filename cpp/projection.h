// The dense-feature side of continuous fusion: u = C * s(v), where s
// standardizes each feature dimension with the training set's mean and
// scale, and C (dim x n_features) is learned.
#pragma once

#include <cstdint>
#include <vector>

#include "matrix.h"

namespace mmfast {

class BinaryReader;
class BinaryWriter;

// Per-dimension (mean, 1 / scale) of n rows of d floats: scale is the
// standard deviation, or 1 where a dimension is constant. Computed in
// double on `threads` threads; the result does not depend on `threads`.
struct Standardization {
  std::vector<float> mean, inv_scale;

  static Standardization identity(int64_t d);
  static Standardization fit(const float* x, int64_t n, int64_t d, int threads);
};

class Projection {
 public:
  Projection() = default;
  // C starts uniform(-bound, bound) with bound = 1 / (dim * sqrt(n_features)):
  // u then starts about as small as a text mean of fresh rows, whatever the
  // number of features (inputs are standardized).
  Projection(int32_t dim, const Standardization& scaling, uint64_t seed, int threads);

  int64_t n_features() const { return weights_.cols(); }
  int64_t dim() const { return weights_.rows(); }
  const Matrix& weights() const { return weights_; }
  const Standardization& scaling() const { return scaling_; }

  // scaled = s(v) (n_features floats); u = C * scaled (dim floats).
  void forward(const float* v, float* scaled, float* u) const;
  // C += du (x) scaled, with du already scaled by the step size.
  void backward(const float* scaled, const float* du);

  void write(BinaryWriter& out) const;
  static Projection read(BinaryReader& in);

 private:
  Projection(Standardization scaling, Matrix weights);

  Standardization scaling_;
  Matrix weights_;  // C: dim x n_features
};

}  // namespace mmfast
