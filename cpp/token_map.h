// A compiled dataset's token ids read as another dictionary's rows, so that a
// model predicts from a dataset compiled apart from it (a test set) as from
// the same texts: a word becomes the model's row for that word (its hashed
// row, or none, when the model does not know it: Dictionary::word_row), an
// n-gram row the model's row of the same bucket, which both computed from the
// words' hashes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dictionary.h"

namespace mmfast {

class TokenMap {
 public:
  // `from` made the token ids (with `from_min_count`), `to` is the model's.
  // Throws std::invalid_argument, naming `what`, when the ids cannot stand
  // for the model's rows: other word_ngrams or buckets, or (unless the
  // dictionaries are the same) a min_count above 1, which dropped words
  // that the model may know.
  TokenMap(const Dictionary& from, int64_t from_min_count, const Dictionary& to,
           const std::string& what);

  // Whether every token id is already the model's row.
  bool identity() const { return identity_; }
  // The model's row for `token`, or -1 (a word the model does not know).
  int32_t row(int32_t token) const {
    return token < from_words_ ? words_[token] : token - from_words_ + to_words_;
  }
  // Appends the model's rows of `n` token ids to `rows`, skipping words the
  // model does not know.
  void append_rows(const int32_t* tokens, int32_t n, std::vector<int32_t>& rows) const {
    for (int32_t k = 0; k < n; ++k) {
      const int32_t r = row(tokens[k]);
      if (r >= 0) rows.push_back(r);
    }
  }

 private:
  bool identity_ = false;
  int32_t from_words_ = 0;
  int32_t to_words_ = 0;
  std::vector<int32_t> words_;  // the model's row of each word of `from`, or -1
};

}  // namespace mmfast
