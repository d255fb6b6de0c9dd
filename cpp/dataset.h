// Examples tokenized once into compact arrays: the trainer reads these every
// epoch instead of re-parsing text. A Dataset is a view: the arrays live in
// memory that its owner keeps alive (vectors built from Python lists, or a
// compiled dataset file mapped into memory).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "dictionary.h"
#include "ragged.h"

namespace mmfast {

// Encodes every text with `dict` (words then hashed n-grams), in parallel.
RaggedArray encode_texts(const Dictionary& dict, const std::vector<std::string_view>& texts,
                         int threads);

// What the model reads of one example. Each pointer is read in place.
struct ExampleView {
  const int32_t* tokens = nullptr;  // rows of the word/n-gram table
  int32_t n_tokens = 0;
  // Feature tokens: one quantizer code per subquantizer, stored as bytes
  // (codes8, codebooks of <= 256 entries) or as uint16 (codes16).
  const uint8_t* codes8 = nullptr;
  const uint16_t* codes16 = nullptr;
  int32_t n_codes = 0;
  const float* features = nullptr;  // dense features (continuous fusion)
  int32_t n_features = 0;

  bool empty() const { return n_tokens == 0 && n_codes == 0 && n_features == 0; }
  int32_t code(int32_t m) const { return codes8 ? codes8[m] : codes16[m]; }
};

struct Dataset {
  RaggedView tokens;  // embedding rows of each example
  RaggedView labels;  // class ids of each example, in [0, n_classes)
  int32_t n_classes = 0;
  int32_t n_codes = 0;                // feature tokens per example (0: none)
  const uint8_t* codes8 = nullptr;    // size() x n_codes codes, as bytes,
  const uint16_t* codes16 = nullptr;  // or as uint16 (at most one is set)
  const float* features = nullptr;    // size() x n_features dense features (0: none)
  int32_t n_features = 0;
  // Keeps the memory behind the views alive (a vector, a mapped file). The
  // features may instead be the caller's buffer, which must then outlive
  // training.
  std::shared_ptr<const void> owner;
  // Throws when the memory behind the views went away (a mapped file
  // truncated in place, cpp/mapped_file.h); readers call it at each block
  // boundary. Empty: nothing to check.
  std::function<void()> check_intact;

  int64_t size() const { return tokens.rows(); }
  ExampleView example(int64_t i) const {
    return ExampleView{tokens.row(i),
                       tokens.row_size(i),
                       codes8 ? codes8 + i * n_codes : nullptr,
                       codes16 ? codes16 + i * n_codes : nullptr,
                       n_codes,
                       n_features ? features + i * n_features : nullptr,
                       n_features};
  }
  // How many examples carry each class: the frequencies that hierarchical
  // softmax and negative sampling are built from.
  std::vector<int64_t> class_counts() const;
};

// Checks that `labels` has one row per example and ids in [0, n_classes).
void check_labels(const RaggedView& labels, int64_t n_examples, int32_t n_classes);

}  // namespace mmfast
