#include "token_map.h"

#include "common.h"

namespace mmfast {

TokenMap::TokenMap(const Dictionary& from, int64_t from_min_count, const Dictionary& to,
                   const std::string& what)
    : from_words_(static_cast<int32_t>(from.n_words())),
      to_words_(static_cast<int32_t>(to.n_words())) {
  check(from.word_ngrams() == to.word_ngrams() && from.buckets() == to.buckets(),
        what + " was compiled with word_ngrams=" + std::to_string(from.word_ngrams()) +
            ", buckets=" + std::to_string(from.buckets()) +
            ", but the model has word_ngrams=" + std::to_string(to.word_ngrams()) +
            ", buckets=" + std::to_string(to.buckets()) + ": compile it with the model's settings");
  identity_ = from.n_words() == to.n_words();
  for (int64_t w = 0; identity_ && w < from.n_words(); ++w) identity_ = from.word(w) == to.word(w);
  if (identity_) return;
  check(from_min_count == 1, what +
                                 " was compiled with min_count=" + std::to_string(from_min_count) +
                                 ", which dropped its rarer words, and the model has another "
                                 "vocabulary: compile it with min_count=1");
  words_.resize(from.n_words());
  for (int64_t w = 0; w < from.n_words(); ++w) {
    const std::string& word = from.word(w);
    words_[w] = to.word_row(word, hash_word(word));
  }
}

}  // namespace mmfast
