#include "matrix.h"

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

constexpr size_t kCacheLine = 64;

// Ordinary pages: the table does not ask for transparent huge pages
// (madvise MADV_HUGEPAGE, which tables of 2 MB or more did). Huge pages cut
// the TLB misses of SGD's random row accesses, but the kernel can only take
// them from free 2 MB blocks, which a virtual machine that returns free
// memory to its host (free page reporting) has handed back: the host then
// backs every one afresh, and on this project's machine that dominated the
// fit (250k documents, 2M x 100 table, 2 threads: 4.2-6.5 s with huge
// pages, 2.9-3.1 s without; README, Performance, "Threads"). Where huge
// pages are cheap, a system with transparent huge pages "always" on still
// backs the table with them (the training loop alone ran 10-25% faster with
// them on 2M-row tables).
float* allocate_floats(int64_t count) {
  const size_t bytes = std::max<size_t>(static_cast<size_t>(count) * sizeof(float), 1);
  void* p = std::aligned_alloc(kCacheLine, (bytes + kCacheLine - 1) / kCacheLine * kCacheLine);
  if (p == nullptr) throw std::bad_alloc();
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

Matrix::Matrix(const Matrix& other) : Matrix(other.rows_, other.cols_, nullptr) {
  std::memcpy(data_.get(), other.data_.get(), static_cast<size_t>(size()) * sizeof(float));
  init_ = other.init_;
}

Matrix& Matrix::operator=(const Matrix& other) {
  if (this != &other) *this = Matrix(other);
  return *this;
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

// Rows a worker of changed_rows / regenerate_rows takes at a time.
constexpr int64_t kWordsPerBlock = 64;

// Calls fn(begin, end) for each run of consecutive rows whose bit is set.
template <typename Fn>
void for_each_run(const RowBits& bits, int64_t rows, Fn&& fn) {
  for (int64_t i = 0; i < rows;) {
    if (!row_bit(bits, i)) {
      ++i;
      continue;
    }
    int64_t end = i + 1;
    while (end < rows && row_bit(bits, end)) ++end;
    fn(i, end);
    i = end;
  }
}

}  // namespace

int64_t count_rows(const RowBits& bits) {
  int64_t n = 0;
  for (uint64_t word : bits) n += __builtin_popcountll(word);
  return n;
}

void TableHead::write(BinaryWriter& out) const {
  out.write<int64_t>(rows);
  out.write<int64_t>(cols);
  out.write<uint8_t>(static_cast<uint8_t>(row_set));
  if (row_set == RowSet::kChangedRows) {
    out.write<uint64_t>(init->key);
    out.write<float>(init->bound);
  }
  if (row_set != RowSet::kEveryRow) out.write_vector(stored);
  out.write<uint8_t>(static_cast<uint8_t>(encoding));
}

TableHead TableHead::read(BinaryReader& in) {
  TableHead head;
  head.rows = in.read<int64_t>();
  head.cols = in.read<int64_t>();
  in.expect(head.rows >= 0 && head.cols >= 0, "negative matrix shape");
  in.expect(
      head.cols == 0 || head.rows <= INT64_MAX / static_cast<int64_t>(sizeof(float)) / head.cols,
      "matrix shape overflows");
  if (in.version() < 3) return head;
  const uint8_t row_set = in.read<uint8_t>();
  in.expect(row_set <= static_cast<uint8_t>(RowSet::kKeptRows) &&
                (row_set != static_cast<uint8_t>(RowSet::kKeptRows) || in.version() >= 4),
            "unknown matrix row set");
  head.row_set = static_cast<RowSet>(row_set);
  if (head.row_set == RowSet::kChangedRows) {
    head.init.emplace();
    head.init->key = in.read<uint64_t>();
    head.init->bound = in.read<float>();
    in.expect(std::isfinite(head.init->bound), "matrix initialization out of range");
  }
  if (head.row_set != RowSet::kEveryRow) {
    const int64_t n_words = row_words(head.rows);
    head.stored = in.read_vector<uint64_t>();
    in.expect(static_cast<int64_t>(head.stored.size()) == n_words &&
                  (head.rows % kRowsPerWord == 0 ||
                   head.stored.back() >> (head.rows % kRowsPerWord) == 0),
              "matrix row set does not match its rows");
  }
  const uint8_t encoding = in.read<uint8_t>();
  in.expect(
      encoding == static_cast<uint8_t>(RowEncoding::kFloat32) ||
          (encoding == static_cast<uint8_t>(RowEncoding::kProductQuantized) && in.version() >= 4),
      "unknown matrix row encoding");
  head.encoding = static_cast<RowEncoding>(encoding);
  return head;
}

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

RowBits all_rows(int64_t rows) {
  const int64_t n_words = row_words(rows);
  RowBits bits(n_words, ~uint64_t{0});
  if (n_words > 0) bits.back() = ~uint64_t{0} >> (n_words * kRowsPerWord - rows);
  return bits;
}

bool Matrix::row_changed(int64_t i) const {
  if (!init_) return true;
  std::vector<float> initial(cols_);
  fill_uniform_range(initial.data(), i * cols_, cols_, *init_);
  return std::memcmp(initial.data(), row(i), cols_ * sizeof(float)) != 0;
}

RowBits Matrix::changed_rows(int threads) const {
  const int64_t n_words = row_words(rows_);
  RowBits changed = all_rows(rows_);
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

void Matrix::regenerate_rows(const RowBits& stored, int threads) {
  const auto n_words = static_cast<int64_t>(stored.size());
  parallel_for_blocks(n_words, kWordsPerBlock, threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin * kRowsPerWord; i < std::min(rows_, end * kRowsPerWord); ++i) {
      if (!row_bit(stored, i)) fill_uniform_range(row(i), i * cols_, cols_, *init_);
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
  TableHead head;
  head.rows = rows_;
  head.cols = cols_;
  head.stored = changed_rows(resolve_threads(0));
  if (count_rows(head.stored) == rows_) {
    head.stored.clear();
  } else {
    head.row_set = RowSet::kChangedRows;
    head.init = init_;
  }
  head.write(out);
  const size_t row_bytes = static_cast<size_t>(cols_) * sizeof(float);
  if (head.row_set == RowSet::kEveryRow) {
    out.write_bytes(data(), static_cast<size_t>(rows_) * row_bytes);
    return;
  }
  for_each_run(head.stored, rows_, [&](int64_t begin, int64_t end) {
    out.write_bytes(row(begin), static_cast<size_t>(end - begin) * row_bytes);
  });
}

Matrix Matrix::read(BinaryReader& in) {
  const TableHead head = TableHead::read(in);
  in.expect(head.encoding == RowEncoding::kFloat32, "a quantized table where float rows belong");
  return read_rows(head, in);
}

Matrix Matrix::read_rows(const TableHead& head, BinaryReader& in) {
  in.expect(head.row_set != RowSet::kKeptRows, "pruned rows need a quantized table");
  in.expect_available(static_cast<uint64_t>(head.stored_rows()) * head.cols * sizeof(float));
  Matrix m(head.rows, head.cols, nullptr);
  if (head.row_set == RowSet::kEveryRow) {
    in.read_bytes(m.data(), static_cast<size_t>(m.size()) * sizeof(float));
    return m;
  }
  const size_t row_bytes = static_cast<size_t>(head.cols) * sizeof(float);
  for_each_run(head.stored, head.rows, [&](int64_t begin, int64_t end) {
    in.read_bytes(m.row(begin), static_cast<size_t>(end - begin) * row_bytes);
  });
  m.init_ = head.init;
  m.regenerate_rows(head.stored, resolve_threads(0));
  return m;
}

}  // namespace mmfast
