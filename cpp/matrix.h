// A dense row-major float matrix: the embedding and output tables.
#pragma once

#include <cstdint>
#include <vector>

namespace mmfast {

class BinaryReader;
class BinaryWriter;

class Matrix {
 public:
  Matrix() = default;
  Matrix(int64_t rows, int64_t cols) : rows_(rows), cols_(cols), data_(rows * cols, 0.0f) {}

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  float* row(int64_t i) { return data_.data() + i * cols_; }
  const float* row(int64_t i) const { return data_.data() + i * cols_; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }

  // Fills with uniform(-bound, bound). Rows are filled in fixed blocks, each
  // from its own (seed, block) stream, so the result is the same for any
  // thread count.
  void fill_uniform(float bound, uint64_t seed, int threads);

  void write(BinaryWriter& out) const;
  static Matrix read(BinaryReader& in);

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<float> data_;
};

}  // namespace mmfast
