// The n-gram table's size when none is given: it follows the training data.
// The dictionary counts the distinct hashed n-grams of the texts, and which
// of them recur, while it counts their words (the first pass of every fit
// and compile), then sizes the table by the recurring ones, so that a small
// corpus gets a small model and a large one fastText's 2M rows.
#pragma once

#include <cstdint>
#include <vector>

namespace mmfast {

class BinaryReader;
class BinaryWriter;

// A `buckets` setting that asks for the size to follow the data.
constexpr int64_t kAutoBuckets = -1;
// The most rows the rule gives: fastText's default table.
constexpr int64_t kMaxAutoBuckets = 2000000;

// Rows of the table per recurring n-gram.
constexpr int64_t kRowsPerRecurringNgram = 4;

// The n-gram table for `recurring_ngrams` distinct n-grams seen at least
// twice: the smallest power of two at least kRowsPerRecurringNgram times as
// large; at most kMaxAutoBuckets; 0 when none recur (word_ngrams = 1, texts
// of one word, or n-grams each seen once).
//
// Why the recurring ones: an n-gram seen once in the training data trains
// its row on one example, which it can only memorize; most distinct n-grams
// are such (89% of the bigrams of 1,000 generated documents, 79% of 300,000),
// so a table sized by every distinct n-gram is mostly rows that do not
// generalize. The singletons still hash into the table; with a quarter of it
// taken by recurring n-grams, most of those keep a row of their own. Measured
// (benchmarks/small_data.py's sets, README "Models sized by the data"): the
// same held-out accuracy as a table twice the distinct n-grams, at a quarter
// to an eighth of its rows.
int64_t buckets_for(int64_t recurring_ngrams);

// Counts distinct 64-bit n-gram hashes and those among them added more than
// once, until the recurring ones reach the least count for which buckets_for
// gives kMaxAutoBuckets, or the distinct ones kDistinctLimit: from there on
// the table has fastText's size whatever more n-grams come, so the counter
// stops (saturated) and its memory stays bounded (18 MiB) however large the
// data.
class DistinctNgrams {
 public:
  // The recurring count at which the counter saturates.
  static const int64_t kSaturation;
  // The distinct count at which it saturates (2^20): a corpus this varied
  // gets the largest table, as fastText gives every corpus.
  static const int64_t kDistinctLimit;

  void add(uint64_t hash);
  // Adds every hash `other` holds, as many times (once, or twice when it
  // recurs there), saturating when it did.
  void merge(const DistinctNgrams& other);
  bool saturated() const { return saturated_; }
  // The distinct hashes added.
  int64_t distinct() const { return size_; }
  // The distinct hashes added more than once; kSaturation once saturated.
  int64_t recurring() const { return saturated_ ? kSaturation : recurring_; }

  // The hashes as bytes, and back: counters filled apart (Dask workers
  // counting their partitions) travel to one place and merge there.
  void write(BinaryWriter& out) const;
  static DistinctNgrams read(BinaryReader& in);

 private:
  // Grows the slots until `hashes` fit.
  void reserve(int64_t hashes);
  void grow();
  void saturate();

  // Open addressing with linear probing; 0 marks an empty slot (a hash of 0
  // is remembered apart, in has_zero_). recurs_[i]: slots_[i] was added more
  // than once.
  std::vector<uint64_t> slots_;
  std::vector<uint8_t> recurs_;
  int64_t size_ = 0;
  int64_t recurring_ = 0;
  bool has_zero_ = false;
  bool zero_recurs_ = false;
  bool saturated_ = false;
};

}  // namespace mmfast
