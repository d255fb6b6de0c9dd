// Hot float kernels, inline so they vectorize inside their caller.
//
// Runtime dispatch: the functions that run once per example or per block of
// vectors (not these tiny kernels, whose call overhead would dominate at
// small dims) are marked MMFAST_CLONES. GCC/Clang then compile each for
// AVX-512, AVX2+FMA and baseline x86-64, inlining these kernels into every
// clone, and the loader picks the best clone for the CPU. A portable wheel
// thus still runs wide vectors.
#pragma once

#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__APPLE__) && \
    !defined(MMFAST_NO_CLONES)
#define MMFAST_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
// nearest_centroids needs a different body per ISA: simd.cc gives it the same
// load-time dispatch through per-target overloads (function multiversioning).
#define MMFAST_VERSIONS
#else
#define MMFAST_CLONES
#endif

namespace mmfast {

// sum_i a[i] * b[i]
inline float dot(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// y += alpha * x
inline void axpy(float alpha, const float* x, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

// x *= alpha
inline void scale(float alpha, float* x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

// sum_i (a[i] - b[i])^2
inline float l2_squared(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) {
    const float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

// Callers of nearest_centroids() pad k up to a multiple of this (every ISA's
// kernel scores centroids in groups that divide it).
constexpr int64_t kCentroidGroup = 64;

// The k-means/PQ assignment kernel: for each of n rows of x (row i starts at
// x + i * x_stride and has d floats), the index of the nearest centroid and,
// when `distances` is not null, the squared distance to it.
// Centroids are stored transposed for the kernel: centroids_t is d x k_padded
// (column c is centroid c), half_norms[c] = |c|^2 / 2, and padding columns
// (k_padded a multiple of kCentroidGroup) have half_norms = +inf so they never win.
// Ties go to the lowest centroid index.
void nearest_centroids(const float* x, int64_t n, int64_t x_stride, int64_t d,
                       const float* centroids_t, const float* half_norms, int64_t k_padded,
                       int32_t* labels, float* distances);

}  // namespace mmfast
