#include "matrix.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <new>

#include "common.h"
#include "serialization.h"
#include "simd.h"

namespace mmfast {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

float* allocate_floats(int64_t count) {
  const size_t bytes = std::max<size_t>(static_cast<size_t>(count) * sizeof(float), 1);
  if (bytes < kHugePage) {
    void* p = std::malloc(bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<float*>(p);
  }
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
  return static_cast<float*>(p);
}

}  // namespace

Matrix::Matrix(int64_t rows, int64_t cols, std::nullptr_t)
    : rows_(rows), cols_(cols), data_(allocate_floats(rows * cols)) {
  check(rows >= 0 && cols >= 0, "matrix shape must be non-negative");
}

Matrix::Matrix(int64_t rows, int64_t cols) : Matrix(rows, cols, nullptr) {
  std::memset(data_.get(), 0, static_cast<size_t>(size()) * sizeof(float));
}

namespace {

// data[i] = uniform(-bound, bound) drawn from a counter-based hash of
// (key, i): no sequential RNG state, so the loop vectorizes and any split of
// the range across threads gives the same values.
MMFAST_CLONES void fill_uniform_range(float* data, int64_t begin, int64_t end, float bound,
                                      uint64_t key) {
  for (int64_t i = begin; i < end; ++i) {
    uint64_t z = key + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    data[i] = bound * (static_cast<float>(static_cast<int64_t>(z >> 40)) * 0x1.0p-23f - 1.0f);
  }
}

}  // namespace

Matrix Matrix::uniform(int64_t rows, int64_t cols, float bound, uint64_t seed, int threads) {
  Matrix m(rows, cols, nullptr);
  const uint64_t key = Rng(seed).next();
  float* data = m.data();
  parallel_for_blocks(m.size(), int64_t{1} << 20, threads, [&](int64_t begin, int64_t end, int) {
    fill_uniform_range(data, begin, end, bound, key);
  });
  return m;
}

namespace {

// Written so that it vectorizes: no early exit.
MMFAST_CLONES bool range_bounded(const float* data, int64_t n, float limit) {
  int outside = 0;
#pragma omp simd reduction(| : outside)
  for (int64_t i = 0; i < n; ++i) outside |= !(std::fabs(data[i]) <= limit);
  return outside == 0;
}

}  // namespace

bool Matrix::bounded(float limit, int threads) const {
  std::atomic<bool> ok{true};
  parallel_for_blocks(size(), int64_t{1} << 20, threads, [&](int64_t begin, int64_t end, int) {
    if (!range_bounded(data() + begin, end - begin, limit)) ok = false;
  });
  return ok;
}

void Matrix::write(BinaryWriter& out) const {
  out.write<int64_t>(rows_);
  out.write<int64_t>(cols_);
  out.write_bytes(data(), static_cast<size_t>(size()) * sizeof(float));
}

Matrix Matrix::read(BinaryReader& in) {
  const int64_t rows = in.read<int64_t>();
  const int64_t cols = in.read<int64_t>();
  in.expect(rows >= 0 && cols >= 0, "negative matrix shape");
  in.expect(cols == 0 || rows <= INT64_MAX / static_cast<int64_t>(sizeof(float)) / cols,
            "matrix shape overflows");
  in.expect_available(static_cast<uint64_t>(rows) * cols * sizeof(float));
  Matrix m(rows, cols, nullptr);
  in.read_bytes(m.data(), static_cast<size_t>(m.size()) * sizeof(float));
  return m;
}

}  // namespace mmfast
