// Hot float kernels. simd.cc compiles each one for AVX-512, AVX2+FMA and
// baseline x86-64; the loader picks the best clone for the CPU at start-up,
// so a portable wheel still runs wide vectors.
#pragma once

#include <cstdint>

namespace mmfast {

// sum_i a[i] * b[i]
float dot(const float* a, const float* b, int64_t n);
// y += alpha * x
void axpy(float alpha, const float* x, float* y, int64_t n);
// x *= alpha
void scale(float alpha, float* x, int64_t n);
// sum_i (a[i] - b[i])^2
float l2_squared(const float* a, const float* b, int64_t n);

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
