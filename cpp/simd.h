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

}  // namespace mmfast
