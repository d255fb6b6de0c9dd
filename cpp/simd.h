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
#define MMFAST_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
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

}  // namespace mmfast
