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

// out[k] = entry first + k of `init`: uniform(-bound, bound) drawn from a
// counter-based hash of (key, first + k). No sequential RNG state, so the
// loop vectorizes and any split of a table gives the same values.
MMFAST_CLONES void fill_uniform_range(float* out, int64_t first, int64_t count, UniformInit init) {
  for (int64_t k = 0; k < count; ++k) {
    uint64_t z = init.key + static_cast<uint64_t>(first + k) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    out[k] = init.bound * (static_cast<float>(static_cast<int64_t>(z >> 40)) * 0x1.0p-23f - 1.0f);
  }
}

constexpr int64_t kRowsPerWord = 64;
// Rows a worker of changed_rows / regenerate_rows takes at a time.
constexpr int64_t kWordsPerBlock = 64;

bool bit(const std::vector<uint64_t>& bits, int64_t i) {
  return (bits[i / kRowsPerWord] >> (i % kRowsPerWord)) & 1;
}

// Calls fn(begin, end) for each run of consecutive rows whose bit is set.
template <typename Fn>
void for_each_run(const std::vector<uint64_t>& bits, int64_t rows, Fn&& fn) {
  for (int64_t i = 0; i < rows;) {
    if (!bit(bits, i)) {
      ++i;
      continue;
    }
    int64_t end = i + 1;
    while (end < rows && bit(bits, end)) ++end;
    fn(i, end);
    i = end;
  }
}

enum RowSet : uint8_t { kEveryRow = 0, kChangedRows = 1 };
enum RowEncoding : uint8_t { kFloat32 = 0 };

}  // namespace

Matrix Matrix::uniform(int64_t rows, int64_t cols, float bound, uint64_t seed, int threads) {
  Matrix m(rows, cols, nullptr);
  const UniformInit init{Rng(seed).next(), bound};
  float* data = m.data();
  parallel_for_blocks(m.size(), int64_t{1} << 20, threads, [&](int64_t begin, int64_t end, int) {
    fill_uniform_range(data + begin, begin, end - begin, init);
  });
  m.init_ = init;
  return m;
}

std::vector<uint64_t> Matrix::changed_rows(int threads) const {
  const int64_t n_words = (rows_ + kRowsPerWord - 1) / kRowsPerWord;
  std::vector<uint64_t> changed(n_words, ~uint64_t{0});
  if (n_words > 0) changed.back() = ~uint64_t{0} >> (n_words * kRowsPerWord - rows_);
  if (!init_) return changed;
  parallel_for_blocks(n_words, kWordsPerBlock, threads, [&](int64_t begin, int64_t end, int) {
    std::vector<float> initial(cols_);
    for (int64_t i = begin * kRowsPerWord; i < std::min(rows_, end * kRowsPerWord); ++i) {
      fill_uniform_range(initial.data(), i * cols_, cols_, *init_);
      if (std::memcmp(initial.data(), row(i), cols_ * sizeof(float)) == 0) {
        changed[i / kRowsPerWord] &= ~(uint64_t{1} << (i % kRowsPerWord));
      }
    }
  });
  return changed;
}

void Matrix::regenerate_rows(const std::vector<uint64_t>& stored, int threads) {
  const auto n_words = static_cast<int64_t>(stored.size());
  parallel_for_blocks(n_words, kWordsPerBlock, threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin * kRowsPerWord; i < std::min(rows_, end * kRowsPerWord); ++i) {
      if (!bit(stored, i)) fill_uniform_range(row(i), i * cols_, cols_, *init_);
    }
  });
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

bool Matrix::rows_bounded(const int32_t* rows, int64_t n, float limit) const {
  for (int64_t k = 0; k < n; ++k) {
    if (!range_bounded(row(rows[k]), cols_, limit)) return false;
  }
  return true;
}

void Matrix::write(BinaryWriter& out) const {
  out.write<int64_t>(rows_);
  out.write<int64_t>(cols_);
  const std::vector<uint64_t> changed = changed_rows(resolve_threads(0));
  int64_t n_changed = 0;
  for (uint64_t word : changed) n_changed += __builtin_popcountll(word);
  const bool every_row = n_changed == rows_;
  out.write<uint8_t>(every_row ? kEveryRow : kChangedRows);
  if (!every_row) {
    out.write<uint64_t>(init_->key);
    out.write<float>(init_->bound);
    out.write_vector(changed);
  }
  out.write<uint8_t>(kFloat32);
  const size_t row_bytes = static_cast<size_t>(cols_) * sizeof(float);
  for_each_run(changed, rows_, [&](int64_t begin, int64_t end) {
    out.write_bytes(row(begin), static_cast<size_t>(end - begin) * row_bytes);
  });
}

Matrix Matrix::read(BinaryReader& in) {
  const int64_t rows = in.read<int64_t>();
  const int64_t cols = in.read<int64_t>();
  in.expect(rows >= 0 && cols >= 0, "negative matrix shape");
  in.expect(cols == 0 || rows <= INT64_MAX / static_cast<int64_t>(sizeof(float)) / cols,
            "matrix shape overflows");
  const int64_t n_words = (rows + kRowsPerWord - 1) / kRowsPerWord;
  uint8_t row_set = kEveryRow;
  std::optional<UniformInit> init;
  std::vector<uint64_t> stored;
  if (in.version() >= 3) {
    row_set = in.read<uint8_t>();
    in.expect(row_set == kEveryRow || row_set == kChangedRows, "unknown matrix row set");
    if (row_set == kChangedRows) {
      init.emplace();
      init->key = in.read<uint64_t>();
      init->bound = in.read<float>();
      in.expect(std::isfinite(init->bound), "matrix initialization out of range");
      stored = in.read_vector<uint64_t>();
      in.expect(static_cast<int64_t>(stored.size()) == n_words &&
                    (rows % kRowsPerWord == 0 || stored.back() >> (rows % kRowsPerWord) == 0),
                "matrix row set does not match its rows");
    }
    in.expect(in.read<uint8_t>() == kFloat32, "unknown matrix row encoding");
  }
  int64_t n_stored = rows;
  if (row_set == kChangedRows) {
    n_stored = 0;
    for (uint64_t word : stored) n_stored += __builtin_popcountll(word);
  }
  in.expect_available(static_cast<uint64_t>(n_stored) * cols * sizeof(float));
  Matrix m(rows, cols, nullptr);
  if (row_set == kEveryRow) {
    in.read_bytes(m.data(), static_cast<size_t>(m.size()) * sizeof(float));
    return m;
  }
  const size_t row_bytes = static_cast<size_t>(cols) * sizeof(float);
  for_each_run(stored, rows, [&](int64_t begin, int64_t end) {
    in.read_bytes(m.row(begin), static_cast<size_t>(end - begin) * row_bytes);
  });
  m.init_ = init;
  m.regenerate_rows(stored, resolve_threads(0));
  return m;
}

}  // namespace mmfast
