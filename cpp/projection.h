// The dense-feature side of continuous fusion: u = C * s(v), where s
// standardizes each feature dimension with the training set's mean and
// scale, and C (dim x n_features) is learned.
#pragma once

#include <cstdint>
#include <vector>

#include "matrix.h"
#include "replica.h"

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

// One thread's pending updates of C: the last few examples' standardized
// features and gradients, applied together by Projection::flush. Writing C
// once per batch instead of once per example loads each row once for the
// batch: every example's update touches all of C. A thread of several
// trains its own replica of C, merged every kMergeEvery examples.
struct ProjectionScratch {
  static constexpr int kBatch = 16;
  static constexpr int kMergeEvery = 64;
  // Columns of C updated together (Projection::apply): the batch's scaled
  // features over them, kBatch x 256 floats, are 16 KB of L1.
  static constexpr int64_t kSliceColumns = 256;
  std::vector<float> scaled;  // kBatch x n_features
  std::vector<float> du;      // kBatch x dim
  int pending = 0;            // examples in the batch so far
  Replica replica;            // none on one thread: C is updated in place
  // Where forward() writes the current example's standardized features.
  float* next_scaled(int64_t n_features) { return scaled.data() + pending * n_features; }
};

class Projection {
 public:
  Projection() = default;
  // How large u starts (inputs are standardized, so whatever the number of
  // features): kSmall, about as small as a text mean of fresh rows
  // (standard deviation 1 / (dim * sqrt(3))); kSpread, standard deviation
  // 1 / sqrt(3), so that sigmoid(u) starts between about 0.36 and 0.64
  // instead of 0.5 everywhere (bilinear_gated's gates, see model.cc).
  enum class Start { kSmall, kSpread };
  // C starts uniform(-bound, bound) with bound = 1 / (dim * sqrt(n_features))
  // (kSmall) or 1 / sqrt(n_features) (kSpread).
  Projection(int32_t dim, const Standardization& scaling, uint64_t seed, int threads,
             Start start = Start::kSmall);

  int64_t n_features() const { return weights_.cols(); }
  int64_t dim() const { return weights_.rows(); }
  const Matrix& weights() const { return weights_; }
  Matrix& weights() { return weights_; }
  const Standardization& scaling() const { return scaling_; }

  // With `replicate`, the scratch of one of several training threads: it
  // trains its own replica of C (see Replica).
  ProjectionScratch make_scratch(bool replicate = false) const;

  // u = C * s(v) (dim floats); s(v) is kept in `scratch` for backward().
  void forward(const float* v, ProjectionScratch& scratch, float* u) const;
  // Queues C += step * du (x) s(v) for the example forward() last saw, and
  // applies the queue once it is full.
  void backward(float step, const float* du, ProjectionScratch& scratch);
  // Applies the queued updates, and merges the replica (call when a thread
  // stops training).
  void flush(ProjectionScratch& scratch);

  void write(BinaryWriter& out) const;
  static Projection read(BinaryReader& in);

 private:
  Projection(Standardization scaling, Matrix weights);
  // Applies the queued updates to C (or the thread's replica of it).
  void apply(ProjectionScratch& scratch);

  Standardization scaling_;
  Matrix weights_;  // C: dim x n_features
};

}  // namespace mmfast
