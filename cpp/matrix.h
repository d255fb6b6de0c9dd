// A dense row-major float matrix: the embedding and output tables.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace mmfast {

class BinaryReader;
class BinaryWriter;

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

  void write(BinaryWriter& out) const;
  static Matrix read(BinaryReader& in);

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  // Uninitialized storage; large tables are backed by huge pages where the
  // OS allows, which cuts TLB misses on the random row accesses of SGD.
  Matrix(int64_t rows, int64_t cols, std::nullptr_t);

  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::unique_ptr<float[], Free> data_;
};

}  // namespace mmfast
