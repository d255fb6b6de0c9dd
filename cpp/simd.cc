#include "simd.h"

#include <algorithm>
#include <cstdint>

namespace mmfast {

namespace {

// Generic vectors of one AVX-512, AVX2 or SSE register. Each ISA's kernel
// below uses its native width: GCC compiles wider-than-native vectors to slow
// code (16-float vectors on AVX2 ran 50x slower), so one width for every
// clone would not do.
typedef float Floats16 __attribute__((vector_size(64)));
typedef int32_t Ints16 __attribute__((vector_size(64)));
typedef float Floats8 __attribute__((vector_size(32)));
typedef int32_t Ints8 __attribute__((vector_size(32)));
typedef float Floats4 __attribute__((vector_size(16)));
typedef int32_t Ints4 __attribute__((vector_size(16)));

// Scores centroid c as |c|^2/2 - x.c (the squared distance minus |x|^2,
// halved) for a tile of kRows rows against kVectors vectors of centroids at a
// time, all scores in registers, so each centroid load serves kRows FMAs.
// Each lane keeps its running minimum and the vector it came from; one
// horizontal reduction per row at the end. Inlined into each ISA's entry
// point, which compiles it for that ISA.
template <typename Floats, typename Ints, int kRows, int kVectors>
__attribute__((always_inline)) inline void nearest_centroids_tiled(
    const float* x, int64_t n, int64_t x_stride, int64_t d, const float* centroids_t,
    const float* half_norms, int64_t k_padded, int32_t* labels, float* distances) {
  constexpr int kLanes = sizeof(Floats) / sizeof(float);
  constexpr int kGroup = kLanes * kVectors;
  static_assert(kCentroidGroup % kGroup == 0, "k_padded must be a multiple of the group");

  for (int64_t first = 0; first < n; first += kRows) {
    // A short last tile repeats its last row; the repeats are scored and dropped.
    const float* rows[kRows];
    for (int r = 0; r < kRows; ++r) rows[r] = x + std::min(first + r, n - 1) * x_stride;

    Floats best[kRows];
    Ints best_vector[kRows];  // index of the kLanes-centroid vector holding best
    for (int r = 0; r < kRows; ++r) {
      best[r] = Floats{} + __builtin_inff();
      best_vector[r] = Ints{};
    }
    for (int64_t group = 0; group < k_padded; group += kGroup) {
      Floats score[kRows][kVectors];
      for (int v = 0; v < kVectors; ++v) {
        Floats half_norm;
        __builtin_memcpy(&half_norm, half_norms + group + v * kLanes, sizeof half_norm);
        for (int r = 0; r < kRows; ++r) score[r][v] = half_norm;
      }
      const float* column = centroids_t + group;
      for (int64_t j = 0; j < d; ++j, column += k_padded) {
        Floats centroid[kVectors];
        for (int v = 0; v < kVectors; ++v) {
          __builtin_memcpy(&centroid[v], column + v * kLanes, sizeof centroid[v]);
        }
        for (int r = 0; r < kRows; ++r) {
          const float xj = rows[r][j];
          for (int v = 0; v < kVectors; ++v) score[r][v] -= xj * centroid[v];
        }
      }
      for (int r = 0; r < kRows; ++r) {
        for (int v = 0; v < kVectors; ++v) {
          const Ints better = score[r][v] < best[r];
          best[r] = better ? score[r][v] : best[r];
          best_vector[r] =
              better ? Ints{} + static_cast<int32_t>(group / kLanes + v) : best_vector[r];
        }
      }
    }

    const int valid_rows = static_cast<int>(std::min<int64_t>(kRows, n - first));
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

}  // namespace

#define MMFAST_NEAREST_CENTROIDS_ARGS                                               \
  const float *x, int64_t n, int64_t x_stride, int64_t d, const float *centroids_t, \
      const float *half_norms, int64_t k_padded, int32_t *labels, float *distances
#define MMFAST_NEAREST_CENTROIDS_CALL \
  x, n, x_stride, d, centroids_t, half_norms, k_padded, labels, distances

namespace {

// The same run-time dispatch as MMFAST_CLONES (an ifunc resolved at load), but
// with one body per ISA so that each gets its native vector width and a
// register tile that fits its register file: AVX-512 has 32 registers, AVX2
// and SSE 16. (GCC builds the dispatcher where the versions are visible, so
// the public function below calls it from this file.)
#ifdef MMFAST_VERSIONS
__attribute__((target("arch=x86-64-v4"))) void nearest_centroids_for_isa(
    MMFAST_NEAREST_CENTROIDS_ARGS) {
  nearest_centroids_tiled<Floats16, Ints16, 4, 4>(MMFAST_NEAREST_CENTROIDS_CALL);
}
__attribute__((target("arch=x86-64-v3"))) void nearest_centroids_for_isa(
    MMFAST_NEAREST_CENTROIDS_ARGS) {
  nearest_centroids_tiled<Floats8, Ints8, 4, 2>(MMFAST_NEAREST_CENTROIDS_CALL);
}
__attribute__((target("default")))
#endif
void nearest_centroids_for_isa(MMFAST_NEAREST_CENTROIDS_ARGS) {
  nearest_centroids_tiled<Floats4, Ints4, 4, 2>(MMFAST_NEAREST_CENTROIDS_CALL);
}

}  // namespace

void nearest_centroids(MMFAST_NEAREST_CENTROIDS_ARGS) {
  nearest_centroids_for_isa(MMFAST_NEAREST_CENTROIDS_CALL);
}

}  // namespace mmfast
