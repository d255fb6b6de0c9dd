#include "projection.h"

#include <algorithm>
#include <cmath>

#include "common.h"
#include "serialization.h"
#include "simd.h"

namespace mmfast {

Standardization Standardization::identity(int64_t d) {
  return Standardization{std::vector<float>(d, 0.0f), std::vector<float>(d, 1.0f)};
}

Standardization Standardization::fit(const float* x, int64_t n, int64_t d, int threads) {
  check(n >= 1 && d >= 1, "features: need at least one row and one column");
  // Fixed chunks of rows, each summed on its own and merged in order, so the
  // result is the same for any thread count. Chunks go in groups, merged
  // group by group, so memory does not grow with n.
  constexpr int64_t kChunk = 4096;
  constexpr int64_t kGroup = 64;  // chunks summed side by side
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> sums(kGroup * d), squares(kGroup * d);
  std::vector<double> total_sum(d, 0.0), total_square(d, 0.0);
  for (int64_t first = 0; first < chunks; first += kGroup) {
    const int64_t group = std::min(kGroup, chunks - first);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(squares.begin(), squares.end(), 0.0);
    parallel_for_blocks(group, 1, threads, [&](int64_t begin, int64_t end, int) {
      for (int64_t g = begin; g < end; ++g) {
        double* sum = sums.data() + g * d;
        double* square = squares.data() + g * d;
        const int64_t c = first + g;
        for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
          const float* row = x + i * d;
          for (int64_t j = 0; j < d; ++j) {
            sum[j] += row[j];
            square[j] += static_cast<double>(row[j]) * row[j];
          }
        }
      }
    });
    for (int64_t g = 0; g < group; ++g) {
      for (int64_t j = 0; j < d; ++j) {
        total_sum[j] += sums[g * d + j];
        total_square[j] += squares[g * d + j];
      }
    }
  }
  Standardization out = identity(d);
  for (int64_t j = 0; j < d; ++j) {
    const double sum = total_sum[j], square = total_square[j];
    const double mean = sum / n;
    const double variance = std::max(0.0, square / n - mean * mean);
    const double scale = std::sqrt(variance);
    out.mean[j] = static_cast<float>(mean);
    // Constant when the spread is below float32's resolution at the column's
    // own magnitude (rounding noise of E[x^2] - E[x]^2), whatever its units.
    const double magnitude = std::sqrt(square / n);
    out.inv_scale[j] = scale > 1e-6 * magnitude ? static_cast<float>(1.0 / scale) : 1.0f;
  }
  return out;
}

Projection::Projection(int32_t dim, const Standardization& scaling, uint64_t seed, int threads)
    : Projection(scaling,
                 Matrix::uniform(dim, static_cast<int64_t>(scaling.mean.size()),
                                 1.0f / (dim * std::sqrt(static_cast<float>(scaling.mean.size()))),
                                 seed, threads)) {}

Projection::Projection(Standardization scaling, Matrix weights)
    : scaling_(std::move(scaling)), weights_(std::move(weights)) {
  check(scaling_.mean.size() == scaling_.inv_scale.size(),
        "feature scaling: mean and scale sizes differ");
  check(weights_.cols() == static_cast<int64_t>(scaling_.mean.size()),
        "feature projection: weights and scaling sizes differ");
}

ProjectionScratch Projection::make_scratch() const {
  ProjectionScratch s;
  s.scaled.resize(ProjectionScratch::kBatch * n_features());
  s.du.resize(ProjectionScratch::kBatch * dim());
  return s;
}

MMFAST_CLONES void Projection::forward(const float* v, ProjectionScratch& scratch, float* u) const {
  const int64_t d = n_features();
  const float* mean = scaling_.mean.data();
  const float* inv_scale = scaling_.inv_scale.data();
  float* scaled = scratch.next_scaled(d);
  for (int64_t j = 0; j < d; ++j) scaled[j] = (v[j] - mean[j]) * inv_scale[j];
  for (int64_t i = 0; i < dim(); ++i) u[i] = dot(weights_.row(i), scaled, d);
}

void Projection::backward(float step, const float* du, ProjectionScratch& scratch) {
  float* slot = scratch.du.data() + scratch.pending * dim();
  for (int64_t i = 0; i < dim(); ++i) slot[i] = step * du[i];
  if (++scratch.pending == ProjectionScratch::kBatch) flush(scratch);
}

MMFAST_CLONES void Projection::flush(ProjectionScratch& scratch) {
  const int64_t d = n_features();
  const int64_t h = dim();
  // Row by row, so each row of C is loaded once for the whole batch.
  for (int64_t i = 0; i < h; ++i) {
    float* row = weights_.row(i);
    for (int k = 0; k < scratch.pending; ++k) {
      axpy(scratch.du[k * h + i], scratch.scaled.data() + k * d, row, d);
    }
  }
  scratch.pending = 0;
}

void Projection::write(BinaryWriter& out) const {
  out.write_vector(scaling_.mean);
  out.write_vector(scaling_.inv_scale);
  weights_.write(out);
}

Projection Projection::read(BinaryReader& in) {
  Standardization scaling;
  scaling.mean = in.read_vector<float>();
  scaling.inv_scale = in.read_vector<float>();
  Matrix weights = Matrix::read(in);
  try {
    return Projection(std::move(scaling), std::move(weights));
  } catch (const std::invalid_argument& e) {
    in.expect(false, e.what());
    throw;
  }
}

}  // namespace mmfast
