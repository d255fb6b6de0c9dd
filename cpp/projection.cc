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

Projection::Projection(int32_t dim, const Standardization& scaling, uint64_t seed, int threads,
                       Start start)
    : Projection(scaling,
                 Matrix::uniform(dim, static_cast<int64_t>(scaling.mean.size()),
                                 1.0f / ((start == Start::kSmall ? dim : 1) *
                                         std::sqrt(static_cast<float>(scaling.mean.size()))),
                                 seed, threads)) {}

Projection::Projection(Standardization scaling, Matrix weights)
    : scaling_(std::move(scaling)), weights_(std::move(weights)) {
  check(scaling_.mean.size() == scaling_.inv_scale.size(),
        "feature scaling: mean and scale sizes differ");
  check(weights_.cols() == static_cast<int64_t>(scaling_.mean.size()),
        "feature projection: weights and scaling sizes differ");
}

ProjectionScratch Projection::make_scratch(bool replicate) const {
  ProjectionScratch s;
  s.scaled.resize(ProjectionScratch::kBatch * n_features());
  s.du.resize(ProjectionScratch::kBatch * dim());
  if (replicate) s.replica = Replica(weights_, ProjectionScratch::kMergeEvery);
  return s;
}

MMFAST_CLONES void Projection::forward(const float* v, ProjectionScratch& scratch, float* u) const {
  const int64_t d = n_features();
  const float* mean = scaling_.mean.data();
  const float* inv_scale = scaling_.inv_scale.data();
  float* scaled = scratch.next_scaled(d);
  for (int64_t j = 0; j < d; ++j) scaled[j] = (v[j] - mean[j]) * inv_scale[j];
  const Matrix& weights = scratch.replica.of(weights_);
  // Four rows at a time: one row's dot product over all the features is a
  // chain of dependent multiply-adds, one vector each 4 cycles; four rows
  // are four chains side by side, each summed as dot() sums it. A
  // features-only fit (5k examples of 2048 features, dim 100, 9 epochs, 1
  // thread) took 1.13 s a row at a time, 0.88 s so (eight rows: 0.97 s).
  const int64_t h = dim();
  int64_t i = 0;
  for (; i + 4 <= h; i += 4) {
    const float *c0 = weights.row(i), *c1 = weights.row(i + 1), *c2 = weights.row(i + 2),
                *c3 = weights.row(i + 3);
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int64_t j = 0; j < d; ++j) {
      s0 += c0[j] * scaled[j];
      s1 += c1[j] * scaled[j];
      s2 += c2[j] * scaled[j];
      s3 += c3[j] * scaled[j];
    }
    u[i] = s0;
    u[i + 1] = s1;
    u[i + 2] = s2;
    u[i + 3] = s3;
  }
  for (; i < h; ++i) u[i] = dot(weights.row(i), scaled, d);
}

void Projection::backward(float step, const float* du, ProjectionScratch& scratch) {
  float* slot = scratch.du.data() + scratch.pending * dim();
  for (int64_t i = 0; i < dim(); ++i) slot[i] = step * du[i];
  if (++scratch.pending == ProjectionScratch::kBatch) apply(scratch);
  scratch.replica.step(weights_);
}

void Projection::flush(ProjectionScratch& scratch) {
  apply(scratch);
  scratch.replica.merge(weights_);
}

MMFAST_CLONES void Projection::apply(ProjectionScratch& scratch) {
  constexpr int64_t kTile = 64;  // floats: 4 AVX-512 registers
  const int64_t d = n_features();
  const int64_t h = dim();
  Matrix& weights = scratch.replica.of(weights_);
  // Each weight takes the batch's updates in order, as one axpy per example
  // would (the same floats), but a slice of columns at a time, whose scaled
  // features stay in L1 for all h rows, and within a row a tile of kTile
  // weights at a time, which stays in registers for the whole batch: stored
  // once, not kBatch times. The features-only fit of Projection::forward
  // took 0.88 s with an axpy per example and row, 0.73 s so.
  for (int64_t first = 0; first < d; first += ProjectionScratch::kSliceColumns) {
    const int64_t columns = std::min(ProjectionScratch::kSliceColumns, d - first);
    for (int64_t i = 0; i < h; ++i) {
      float* row = weights.row(i) + first;
      int64_t j0 = 0;
      for (; j0 + kTile <= columns; j0 += kTile) {
        float tile[kTile];
        std::copy(row + j0, row + j0 + kTile, tile);
        for (int k = 0; k < scratch.pending; ++k) {
          const float a = scratch.du[k * h + i];
          const float* x = scratch.scaled.data() + k * d + first + j0;
#pragma omp simd
          for (int64_t j = 0; j < kTile; ++j) tile[j] += a * x[j];
        }
        std::copy(tile, tile + kTile, row + j0);
      }
      for (int k = 0; k < scratch.pending; ++k) {
        axpy(scratch.du[k * h + i], scratch.scaled.data() + k * d + first + j0, row + j0,
             columns - j0);
      }
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
