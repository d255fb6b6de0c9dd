#include "simd.h"

#include <algorithm>
#include <cstdint>

// GCC/Clang emit one clone per target plus an ifunc resolver that picks the
// best at load time. Other compilers get the plain loops.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__APPLE__)
#define MMFAST_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MMFAST_CLONES
#endif

namespace mmfast {

MMFAST_CLONES float dot(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

MMFAST_CLONES void axpy(float alpha, const float* x, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

MMFAST_CLONES void scale(float alpha, float* x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

MMFAST_CLONES float l2_squared(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) {
    float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

namespace {

// 16 floats (or ints): one AVX-512 register, two AVX2 registers. GCC/Clang
// lower operations on these to whatever the clone being compiled supports.
typedef float Floats16 __attribute__((vector_size(64)));
typedef int32_t Ints16 __attribute__((vector_size(64)));
constexpr int kLanes = 16;
constexpr int kGroupVectors = static_cast<int>(kCentroidGroup / kLanes);
// Rows scored together, so that each centroid load serves several FMAs.
// 4 rows x 4 vectors of scores + 8 for the running minima fits the 32
// AVX-512 registers.
constexpr int kTileRows = 4;

}  // namespace

// Scores centroid c as |c|^2/2 - x.c (the squared distance minus |x|^2, halved),
// for a tile of rows against a group of 64 centroids at a time, keeping the
// running minimum per lane in registers; one horizontal reduction per row.
MMFAST_CLONES void nearest_centroids(const float* x, int64_t n, int64_t x_stride, int64_t d,
                                     const float* centroids_t, const float* half_norms,
                                     int64_t k_padded, int32_t* labels, float* distances) {
  for (int64_t first = 0; first < n; first += kTileRows) {
    // A short last tile repeats its last row; the repeats are scored and dropped.
    const float* rows[kTileRows];
    for (int r = 0; r < kTileRows; ++r) rows[r] = x + std::min(first + r, n - 1) * x_stride;

    // Per lane: the lowest score so far, and which 16-centroid vector it came from.
    Floats16 best[kTileRows];
    Ints16 best_vector[kTileRows];
    for (int r = 0; r < kTileRows; ++r) {
      best[r] = Floats16{} + __builtin_inff();
      best_vector[r] = Ints16{};
    }
    for (int64_t group = 0; group < k_padded; group += kCentroidGroup) {
      Floats16 score[kTileRows][kGroupVectors];
      for (int v = 0; v < kGroupVectors; ++v) {
        Floats16 half_norm;
        __builtin_memcpy(&half_norm, half_norms + group + v * kLanes, sizeof half_norm);
        for (int r = 0; r < kTileRows; ++r) score[r][v] = half_norm;
      }
      const float* column = centroids_t + group;
      for (int64_t j = 0; j < d; ++j, column += k_padded) {
        Floats16 centroid[kGroupVectors];
        for (int v = 0; v < kGroupVectors; ++v) {
          __builtin_memcpy(&centroid[v], column + v * kLanes, sizeof centroid[v]);
        }
        for (int r = 0; r < kTileRows; ++r) {
          const float xj = rows[r][j];
          for (int v = 0; v < kGroupVectors; ++v) score[r][v] -= xj * centroid[v];
        }
      }
      for (int r = 0; r < kTileRows; ++r) {
        for (int v = 0; v < kGroupVectors; ++v) {
          const Ints16 better = score[r][v] < best[r];
          best[r] = better ? score[r][v] : best[r];
          best_vector[r] = better ? Ints16{} + static_cast<int32_t>(group / kLanes + v)
                                  : best_vector[r];
        }
      }
    }

    const int valid_rows = static_cast<int>(std::min<int64_t>(kTileRows, n - first));
    for (int r = 0; r < valid_rows; ++r) {
      // Two branch-free reductions over the lanes: the lowest score, then the
      // lowest centroid index that reaches it.
      float scores[kLanes];
      int32_t vectors[kLanes];
      __builtin_memcpy(scores, &best[r], sizeof scores);
      __builtin_memcpy(vectors, &best_vector[r], sizeof vectors);
      float lowest = scores[0];
#pragma omp simd reduction(min : lowest)
      for (int lane = 0; lane < kLanes; ++lane) lowest = std::min(lowest, scores[lane]);
      int32_t label = INT32_MAX;
#pragma omp simd reduction(min : label)
      for (int lane = 0; lane < kLanes; ++lane) {
        const int32_t centroid = vectors[lane] * kLanes + lane;
        label = std::min(label, scores[lane] == lowest ? centroid : INT32_MAX);
      }
      labels[first + r] = label;
      if (distances != nullptr) {
        float norm = 0.0f;
#pragma omp simd reduction(+ : norm)
        for (int64_t j = 0; j < d; ++j) norm += rows[r][j] * rows[r][j];
        // Rounding can push the expanded form slightly below zero.
        distances[first + r] = std::max(0.0f, norm + 2.0f * lowest);
      }
    }
  }
}

}  // namespace mmfast
