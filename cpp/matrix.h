// A dense row-major float matrix: the embedding and output tables.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

namespace mmfast {

class BinaryReader;
class BinaryWriter;

// How a table made by Matrix::uniform began: entry i (row-major) was
// uniform(-bound, bound) drawn from a counter-based hash of (key, i), so any
// row can be made again, alone and bit for bit.
struct UniformInit {
  uint64_t key = 0;
  float bound = 0.0f;
};

class Matrix {
 public:
  Matrix() = default;
  // All zeros.
  Matrix(int64_t rows, int64_t cols);
  // Uniform(-bound, bound) from `seed`; the values do not depend on `threads`.
  static Matrix uniform(int64_t rows, int64_t cols, float bound, uint64_t seed, int threads);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t size() const { return rows_ * cols_; }
  float* row(int64_t i) { return data_.get() + i * cols_; }
  const float* row(int64_t i) const { return data_.get() + i * cols_; }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }

  // Whether every entry x has |x| <= limit (NaN never does); reads every
  // entry, on `threads`.
  bool bounded(float limit, int threads) const;
  // The same over the rows listed in `rows` (repeats allowed) only.
  bool rows_bounded(const int32_t* rows, int64_t n, float limit) const;

  // A table made by uniform() (or read from a file that recorded its
  // initialization) stores only the rows that changed since (those no
  // training example touched are made again when it is read), unless every
  // row did:
  //   int64 rows, int64 cols,
  //   uint8 row set: 0 every row, 1 the changed rows,
  //     for 1: uint64 key, float bound (the UniformInit), uint64 words and
  //     the changed_rows() bitmap,
  //   uint8 row encoding: 0 float32 (other encodings may follow, e.g.
  //     product-quantized rows),
  //   the stored rows in order, encoded.
  // Format version 2 (read only) holds rows, cols and every row's floats.
  void write(BinaryWriter& out) const;
  static Matrix read(BinaryReader& in);

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  // Uninitialized storage; large tables are backed by huge pages where the
  // OS allows, which cuts TLB misses on the random row accesses of SGD.
  Matrix(int64_t rows, int64_t cols, std::nullptr_t);

  // One bit per row, 64 rows per word: set for the rows that differ from
  // their initial values (every row without init_).
  std::vector<uint64_t> changed_rows(int threads) const;
  // Sets every row whose bit is clear in `stored` to its initial value.
  void regenerate_rows(const std::vector<uint64_t>& stored, int threads);

  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::unique_ptr<float[], Free> data_;
  std::optional<UniformInit> init_;  // how uniform() filled the table; none otherwise
};

}  // namespace mmfast
