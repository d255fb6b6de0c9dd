// Thinned writes of the busiest embedding rows, for hogwild threads.
//
// Threads that write the same rows take turns owning those rows' cache
// lines: a row another core wrote last is fetched from that core, where on
// one thread it would have been in the core's own cache. The text rows of
// the frequent words are such rows: a Zipf text's most frequent word is in
// 2.2 positions of every example of the benchmark set, and the most frequent
// thousand words are read and written on nearly every example. With the
// writes of the text rows below 1000 switched off (an experiment), two
// threads ran text / softmax at 1.05M examples/s against 0.87M with them
// (README, Performance, "Threads"). Deferring those writes to per-thread
// deltas merged every 16-256 examples did not help: a row that a thread
// touches less than once per merge is written as often as before, and the
// deltas' bookkeeping cost as much as they saved.
//
// So on several threads each thread applies only every k-th of its updates
// of a hot row, k times as large: in expectation the same step, with k
// times fewer writes of the lines that both threads read (the choice runs
// over the thread's hot updates in turn, so it depends on no row's own
// history). Other rows are written every time; one thread writes every row
// every time.
#pragma once

#include <cstdint>

#include "dataset.h"
#include "matrix.h"

namespace mmfast {

// A set of rows among a table's first kLimit, looked up with one bit test.
class HotRows {
 public:
  // None.
  HotRows() = default;
  // The (up to) `k` rows below kLimit that a sample of `data`'s examples
  // uses most, among those in at least one sampled example in kMinShare
  // (more than once): the rows that stay in a core's cache from one use to
  // the next, which the other core then has to fetch.
  static HotRows busiest(const Dataset& data, int64_t table_rows, int64_t k);
  static constexpr int64_t kMinShare = 256;

  // Lookups read a bitmap of up to kLimit / 8 bytes, within a core's L1 cache:
  // the busy text rows are those of frequent words, whose ids are small
  // (words come before the n-gram buckets, in order of first appearance).
  static constexpr int64_t kLimit = int64_t{1} << 16;

  bool contains(int64_t row) const { return row < limit_ && row_bit(bits_, row); }

 private:
  RowBits bits_;
  int64_t limit_ = 0;  // rows >= limit_ are not hot
};

// One thread's thinning of its updates of a table's hot rows.
class ThinnedWrites {
 public:
  // None: every update is applied (one thread).
  ThinnedWrites() = default;
  // Applies every `k`-th update (k a power of two) of a row of `hot`, which
  // it copies: nothing it reads per update shares a line with another thread.
  ThinnedWrites(const HotRows& hot, uint32_t k);

  // The factor of this update of `row`: 1 for a cold row; for a hot one, 0
  // (skip it) or, on every k-th, k.
  float factor(int64_t row) {
    if (!hot_.contains(row)) return 1.0f;
    return (++hot_updates_ & (k_ - 1)) == 0 ? static_cast<float>(k_) : 0.0f;
  }

 private:
  HotRows hot_;
  uint32_t k_ = 1;
  uint32_t hot_updates_ = 0;
};

}  // namespace mmfast
