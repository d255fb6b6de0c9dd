// Examples tokenized once into compact arrays: the trainer reads these every
// epoch instead of re-parsing text.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dictionary.h"

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

// Encodes every text with `dict` (words then hashed n-grams), in parallel.
RaggedArray encode_texts(const Dictionary& dict, const std::vector<std::string_view>& texts,
                         int threads);

// What the model reads of one example. Each pointer is read in place.
struct ExampleView {
  const int32_t* tokens = nullptr;  // rows of the word/n-gram table
  int32_t n_tokens = 0;
  const uint16_t* codes = nullptr;  // feature tokens: one quantizer code per subquantizer
  int32_t n_codes = 0;
  const float* features = nullptr;  // dense features (continuous fusion)
  int32_t n_features = 0;

  bool empty() const { return n_tokens == 0 && n_codes == 0 && n_features == 0; }
};

struct Dataset {
  RaggedArray tokens;           // embedding rows of each example
  RaggedArray labels;           // class ids of each example, in [0, n_classes)
  int32_t n_classes = 0;
  int32_t n_codes = 0;          // feature tokens per example (0: none)
  std::vector<uint16_t> codes;  // size() x n_codes quantizer codes
  // size() x n_features dense features, read in place from the caller's
  // buffer, which must outlive training (0: none).
  const float* features = nullptr;
  int32_t n_features = 0;

  int64_t size() const { return tokens.rows(); }
  ExampleView example(int64_t i) const {
    return ExampleView{tokens.row(i), tokens.row_size(i),
                       n_codes ? codes.data() + i * n_codes : nullptr, n_codes,
                       n_features ? features + i * n_features : nullptr, n_features};
  }
  // How many examples carry each class: the frequencies that hierarchical
  // softmax and negative sampling are built from.
  std::vector<int64_t> class_counts() const;
};

// Checks that `labels` has one row per example and ids in [0, n_classes).
void check_labels(const RaggedArray& labels, int64_t n_examples, int32_t n_classes);

}  // namespace mmfast
