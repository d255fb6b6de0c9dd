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

// One bit per row, 64 rows per word: a set of a table's rows.
using RowBits = std::vector<uint64_t>;
constexpr int64_t kRowsPerWord = 64;
// Words of a RowBits over `rows` rows.
inline int64_t row_words(int64_t rows) { return (rows + kRowsPerWord - 1) / kRowsPerWord; }
inline bool row_bit(const RowBits& bits, int64_t i) {
  const auto row = static_cast<uint64_t>(i);
  return (bits[row / kRowsPerWord] >> (row % kRowsPerWord)) & 1;
}
inline void set_row_bit(RowBits& bits, int64_t i) {
  const auto row = static_cast<uint64_t>(i);
  bits[row / kRowsPerWord] |= uint64_t{1} << (row % kRowsPerWord);
}
int64_t count_rows(const RowBits& bits);
// Every row of a table of `rows` rows.
RowBits all_rows(int64_t rows);

// Which rows a stored table holds (Matrix::write documents the layout).
enum class RowSet : uint8_t {
  kEveryRow = 0,
  kChangedRows = 1,  // the others are made again from the UniformInit
  kKeptRows = 2,     // the others were pruned: they are absent (QuantizedMatrix)
};
// How a stored table's rows are written.
enum class RowEncoding : uint8_t {
  kFloat32 = 0,
  kProductQuantized = 1,  // QuantizedMatrix
};

// What precedes a stored table's rows: its shape, row set and encoding.
struct TableHead {
  int64_t rows = 0;
  int64_t cols = 0;
  RowSet row_set = RowSet::kEveryRow;
  std::optional<UniformInit> init;  // kChangedRows only
  RowBits stored;                   // the rows stored; empty for kEveryRow
  RowEncoding encoding = RowEncoding::kFloat32;

  // The rows that follow the head.
  int64_t stored_rows() const { return row_set == RowSet::kEveryRow ? rows : count_rows(stored); }
  void write(BinaryWriter& out) const;
  // Validates the shape and the row set; files of format version 2 hold
  // every row as floats.
  static TableHead read(BinaryReader& in);
};

class Matrix {
 public:
  Matrix() = default;
  // All zeros.
  Matrix(int64_t rows, int64_t cols);
  // Deep copies (a compressed model starts from its source's weights).
  Matrix(const Matrix& other);
  Matrix& operator=(const Matrix& other);
  Matrix(Matrix&&) = default;
  Matrix& operator=(Matrix&&) = default;
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
  //   uint8 row set (RowSet): 0 every row, 1 the changed rows, 2 the kept rows,
  //     for 1: uint64 key, float bound (the UniformInit),
  //     for 1 and 2: uint64 words and the bitmap of the stored rows,
  //   uint8 row encoding (RowEncoding): 0 float32, 1 product-quantized
  //     (QuantizedMatrix::write documents it),
  //   the stored rows in order, encoded.
  // Format version 2 (read only) holds rows, cols and every row's floats.
  void write(BinaryWriter& out) const;
  // A table of float rows; refuses a quantized one.
  static Matrix read(BinaryReader& in);
  // The float rows that follow `head` (RowEncoding::kFloat32).
  static Matrix read_rows(const TableHead& head, BinaryReader& in);

  // The rows that differ from their initial values (every row of a table
  // not made by uniform()).
  RowBits changed_rows(int threads) const;
  // Whether row i differs from its initial value (changed_rows, one row).
  bool row_changed(int64_t i) const;

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  // Uninitialized storage, aligned to a cache line.
  Matrix(int64_t rows, int64_t cols, std::nullptr_t);

  // Sets every row whose bit is clear in `stored` to its initial value.
  void regenerate_rows(const RowBits& stored, int threads);

  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::unique_ptr<float[], Free> data_;
  std::optional<UniformInit> init_;  // how uniform() filled the table; none otherwise
};

}  // namespace mmfast
