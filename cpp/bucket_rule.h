// The n-gram table's size when none is given: it follows the training data.
// The dictionary counts the distinct hashed n-grams of the texts while it
// counts their words (the first pass of every fit and compile), then sizes
// the table by them, so that a small corpus gets a small model and a large
// one fastText's 2M rows.
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

// The n-gram table for `distinct_ngrams` distinct n-grams: the smallest power
// of two at least twice as large, so that the table is at most half full and
// most n-grams have a row of their own; at most kMaxAutoBuckets; 0 when there
// are none (word_ngrams = 1, or texts of one word).
int64_t buckets_for(int64_t distinct_ngrams);

// Counts distinct 64-bit n-gram hashes, until the count reaches the least one
// for which buckets_for gives kMaxAutoBuckets: from there on more n-grams
// change nothing, so the counter stops (saturated) and its memory stays
// bounded (8 MiB) however large the data.
class DistinctNgrams {
 public:
  // The count at which the counter saturates.
  static const int64_t kSaturation;

  void add(uint64_t hash);
  // Adds every hash `other` holds (saturating when it did).
  void merge(const DistinctNgrams& other);
  bool saturated() const { return saturated_; }
  // The distinct hashes added; kSaturation once saturated.
  int64_t count() const { return saturated_ ? kSaturation : size_; }

  // The hashes as bytes, and back: counters filled apart (Dask workers
  // counting their partitions) travel to one place and merge there.
  void write(BinaryWriter& out) const;
  static DistinctNgrams read(BinaryReader& in);

 private:
  void grow();
  void saturate();

  // Open addressing with linear probing; 0 marks an empty slot (a hash of 0
  // is remembered apart, in has_zero_).
  std::vector<uint64_t> slots_;
  int64_t size_ = 0;
  bool has_zero_ = false;
  bool saturated_ = false;
};

}  // namespace mmfast
