// Variable-length rows of int32 stored back to back (token ids, label ids):
// owned, or viewed in memory owned elsewhere.
#pragma once

#include <cstdint>
#include <vector>

namespace mmfast {

// Variable-length rows stored back to back: row i is
// values[offsets[i] .. offsets[i + 1]).
struct RaggedArray {
  std::vector<int64_t> offsets{0};
  std::vector<int32_t> values;

  int64_t rows() const { return static_cast<int64_t>(offsets.size()) - 1; }
  const int32_t* row(int64_t i) const { return values.data() + offsets[i]; }
  int32_t row_size(int64_t i) const { return static_cast<int32_t>(offsets[i + 1] - offsets[i]); }
};

// The same layout read in place from memory owned elsewhere.
struct RaggedView {
  const int64_t* offsets = nullptr;  // rows() + 1 values
  const int32_t* values = nullptr;
  int64_t n_rows = 0;

  RaggedView() = default;
  RaggedView(const int64_t* offsets, const int32_t* values, int64_t n_rows)
      : offsets(offsets), values(values), n_rows(n_rows) {}
  explicit RaggedView(const RaggedArray& array)
      : RaggedView(array.offsets.data(), array.values.data(), array.rows()) {}

  int64_t rows() const { return n_rows; }
  int64_t n_values() const { return offsets[n_rows] - offsets[0]; }
  const int32_t* row(int64_t i) const { return values + offsets[i]; }
  int32_t row_size(int64_t i) const { return static_cast<int32_t>(offsets[i + 1] - offsets[i]); }
};

}  // namespace mmfast
