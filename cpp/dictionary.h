// Words, hashed word n-grams, and the text -> token-id encoding shared by
// training and prediction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bucket_rule.h"
#include "ragged.h"

namespace mmfast {

class BinaryReader;
class BinaryWriter;

// One row of an encoded text and the words [first, last) it stands for: a
// single word, or the n-gram of words first .. last - 1.
struct TokenRow {
  int32_t row;
  int32_t first, last;
};

// Calls fn(token) for every run of non-whitespace bytes in `text`.
template <typename Fn>
void for_each_token(std::string_view text, Fn&& fn) {
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && is_space(text[i])) ++i;
    size_t start = i;
    while (i < n && !is_space(text[i])) ++i;
    if (i > start) fn(text.substr(start, i - start));
  }
}

// FNV-1a, 64-bit: the hash of a word, in or out of the vocabulary.
uint64_t hash_word(std::string_view word);
constexpr uint64_t kFnvPrime = 0x100000001B3ULL;

// A final avalanche of a hash, so that `hash % buckets` uses every bit.
inline uint64_t mix_hash(uint64_t h) {
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  return h ^ (h >> 31);
}

// Calls fn(first, last, hash) for every word n-gram (2 <= n <= word_ngrams)
// of a text whose words hash to `hashes`, by first word then length: the
// words [first, last) and their n-gram hash, whose value modulo the buckets
// picks its row.
template <typename Fn>
void for_each_ngram(const std::vector<uint64_t>& hashes, int word_ngrams, Fn&& fn) {
  const int64_t n = static_cast<int64_t>(hashes.size());
  for (int64_t i = 0; i < n; ++i) {
    uint64_t h = hashes[i];
    for (int64_t j = i + 1; j < n && j < i + word_ngrams; ++j) {
      h = (h * kFnvPrime) ^ hashes[j];  // order-sensitive: "a b" != "b a"
      fn(i, j + 1, mix_hash(h));
    }
  }
}

// What encoding does with a word out of the vocabulary. fastText drops it:
// it counts only through the n-grams it takes part in. A stream's model
// (partial_fit) hashes it into the n-gram table as its n-grams are, so that
// a word first seen after the vocabulary was fixed still has a row, the same
// in training and prediction, and no batch rebuilds the vocabulary.
enum class UnknownWords : uint8_t { kDropped = 0, kHashed = 1 };

// The vocabulary: words seen at least min_count times, in order of first
// appearance. Row i < n_words() of the embedding table is word i; rows
// n_words() + b, b < buckets, hold hashed word n-grams (n = 2..word_ngrams),
// which out-of-vocabulary words take part in too.
class Dictionary {
 public:
  Dictionary() = default;
  // buckets = kAutoBuckets: the texts counted decide (buckets_for the
  // recurring n-grams counted), once keep_frequent() ends the counting.
  Dictionary(int word_ngrams, int64_t buckets);

  // Counts every word of `texts` (on `threads` threads), keeps those seen
  // >= min_count times, and returns the texts encoded with the result (row i:
  // encode(texts[i]), under the unknown-words rule set beforehand). Each text
  // is tokenized once: a counting thread keeps its texts' words as ids into
  // its own counts, which the merged vocabulary then maps to rows.
  RaggedArray build(const std::vector<std::string_view>& texts, int64_t min_count, int threads);
  // build() in steps, for texts that arrive in chunks: count() adds the words
  // (and, while the buckets are to be decided, the n-grams) of each chunk,
  // keep_frequent() then keeps the words seen >= min_count times and sizes
  // the n-gram table. Encode only after keep_frequent().
  void count(const std::vector<std::string_view>& texts, int threads);
  // Returns each counted word's id in the vocabulary, -1 for those dropped.
  std::vector<int32_t> keep_frequent(int64_t min_count);
  // Adds the counts of `other` (counted with the same settings), its words
  // after this one's in their order of first appearance: texts counted in
  // parts (threads, or Dask partitions) and merged in order count as they
  // would together, so the vocabulary is the same. Returns the id here of
  // each of other's words.
  std::vector<int32_t> merge_counts(const Dictionary& other);
  // The counts as bytes (the words, their counts, the distinct n-grams and which recur), and
  // back: what a Dask worker's count sends to be merged. Before keep_frequent.
  void write_counts(BinaryWriter& out) const;
  static Dictionary read_counts(BinaryReader& in);

  int64_t n_words() const { return static_cast<int64_t>(words_.size()); }
  int64_t n_rows() const { return n_words() + buckets_; }
  int word_ngrams() const { return word_ngrams_; }
  int64_t buckets() const { return buckets_; }
  const std::string& word(int64_t id) const { return words_[id]; }

  // Id of `word` (whose hash is `h`), or -1 when it is not in the vocabulary.
  int32_t find(std::string_view word, uint64_t h) const;
  // The row of `word` (hash `h`) alone: its id, else under kHashed its
  // n-gram row (n_words() + mix_hash(h) % buckets()), else -1.
  int32_t word_row(std::string_view word, uint64_t h) const;
  UnknownWords unknown_words() const { return unknown_words_; }
  // The rule is the model's (Classifier writes it beside the vocabulary);
  // kHashed needs buckets() > 0 to have rows to hash into.
  void set_unknown_words(UnknownWords rule) { unknown_words_ = rule; }

  // Replaces `ids` by the embedding rows of `text`: its words' rows
  // (word_row) followed by its hashed n-grams. `hashes` is caller-owned scratch.
  void encode(std::string_view text, std::vector<int32_t>& ids,
              std::vector<uint64_t>& hashes) const;
  // The rows of encode(text), in the same order, each with the span of
  // `words` (the text's whitespace-separated words) it stands for. An
  // out-of-vocabulary word has no row of its own (unless kHashed) but spans
  // its n-grams'.
  void encode_spans(std::string_view text, std::vector<std::string_view>& words,
                    std::vector<TokenRow>& rows) const;

  // The vocabulary less the words whose flag in `keep` (one per word) is
  // false: they become words out of the vocabulary, which still take part in
  // n-grams, so the n-gram rows are unchanged (n_words() of this one +
  // bucket). A compressed model drops the words whose rows it pruned.
  Dictionary keep_words(const std::vector<bool>& keep) const;

  void write(BinaryWriter& out) const;
  static Dictionary read(BinaryReader& in);

 private:
  // What one counting thread saw: see count_parts (dictionary.cc).
  struct CountedPart;
  // Counts `texts` in contiguous parts, one per thread, each into its own
  // counts (with_words: keeping its texts' words as ids into them).
  std::vector<CountedPart> count_parts(const std::vector<std::string_view>& texts, int threads,
                                       bool with_words) const;
  // The row of a word whose vocabulary id is `id` (-1: unknown) and hash `h`.
  int32_t row_of(int32_t id, uint64_t h) const;
  int32_t ngram_row(uint64_t h) const {
    return static_cast<int32_t>(n_words() + static_cast<int64_t>(h % buckets_));
  }
  // Open addressing over word ids, keyed by hash; the table is kept at most
  // half full so probes stay short.
  int64_t slot_of(std::string_view word, uint64_t h) const;
  // Adds `count` occurrences of `word` (hash `h`), appending it if new;
  // returns its id.
  int32_t add(std::string_view word, uint64_t h, int64_t count);
  void rebuild_table(int64_t capacity);
  // Calls emit(row, first, last) for each row of `text`, in encoding order.
  template <typename Emit>
  void for_each_row(std::string_view text, std::vector<uint64_t>& hashes, Emit&& emit) const;

  int word_ngrams_ = 1;
  int64_t buckets_ = 0;
  std::vector<std::string> words_;
  std::vector<uint64_t> hashes_;  // hash_word(words_[i])
  std::vector<int32_t> table_;    // word id or -1
  std::vector<int64_t> counts_;   // occurrences of each word, while counting
  DistinctNgrams ngrams_;         // while buckets_ == kAutoBuckets
  UnknownWords unknown_words_ = UnknownWords::kDropped;
};

}  // namespace mmfast
