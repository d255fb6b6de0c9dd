#include "bucket_rule.h"

#include <algorithm>

#include "serialization.h"

namespace mmfast {

namespace {

// The largest power of two below kMaxAutoBuckets: a count of n-grams whose
// doubled size passes it gets the cap.
constexpr int64_t largest_power_of_two_below(int64_t n) {
  int64_t p = 1;
  while (2 * p < n) p *= 2;
  return p;
}

constexpr int64_t kMinSlots = 1024;

}  // namespace

const int64_t DistinctNgrams::kSaturation =
    largest_power_of_two_below(kMaxAutoBuckets) / kRowsPerRecurringNgram + 1;
const int64_t DistinctNgrams::kDistinctLimit = int64_t{1} << 20;

int64_t buckets_for(int64_t recurring_ngrams) {
  if (recurring_ngrams <= 0) return 0;
  int64_t rows = 1;
  while (rows < kRowsPerRecurringNgram * recurring_ngrams && rows < kMaxAutoBuckets) rows *= 2;
  return std::min(rows, kMaxAutoBuckets);
}

void DistinctNgrams::add(uint64_t hash) {
  if (saturated_) return;
  bool* recurs = nullptr;  // the hash's flag when it was there already
  if (hash == 0) {
    if (has_zero_) recurs = &zero_recurs_;
    size_ += !has_zero_;
    has_zero_ = true;
  } else {
    reserve(size_ + 1);
    const uint64_t mask = slots_.size() - 1;
    uint64_t slot = hash & mask;
    while (slots_[slot] != 0 && slots_[slot] != hash) slot = (slot + 1) & mask;
    if (slots_[slot] == hash) {
      if (recurs_[slot] == 0) {
        recurs_[slot] = 1;
        ++recurring_;
      }
    } else {
      slots_[slot] = hash;
      ++size_;
    }
  }
  if (recurs != nullptr && !*recurs) {
    *recurs = true;
    ++recurring_;
  }
  if (recurring_ >= kSaturation || size_ >= kDistinctLimit) saturate();
}

void DistinctNgrams::merge(const DistinctNgrams& other) {
  if (other.saturated_) saturate();
  if (saturated_) return;
  // Grown first to hold both: other's slots come in the order of their low
  // bits, which inserted into a smaller table would fill runs of adjacent
  // slots and make every probe long (measured: 18 s instead of 0.3 s to count
  // 300k documents on 2 threads).
  reserve(std::min(size_ + other.size_, kDistinctLimit));
  if (other.has_zero_) add(0);
  if (other.zero_recurs_) add(0);
  for (size_t i = 0; i < other.slots_.size(); ++i) {
    if (saturated_) return;
    if (other.slots_[i] == 0) continue;
    add(other.slots_[i]);
    if (other.recurs_[i] != 0) add(other.slots_[i]);
  }
}

void DistinctNgrams::write(BinaryWriter& out) const {
  out.write<uint8_t>(saturated_);
  out.write<uint8_t>(has_zero_ + zero_recurs_);  // times 0 was added, up to 2
  std::vector<uint64_t> hashes;
  std::vector<uint8_t> recurs;
  hashes.reserve(static_cast<size_t>(size_));
  recurs.reserve(static_cast<size_t>(size_));
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] == 0) continue;
    hashes.push_back(slots_[i]);
    recurs.push_back(recurs_[i]);
  }
  out.write_vector(hashes);
  out.write_vector(recurs);
}

DistinctNgrams DistinctNgrams::read(BinaryReader& in) {
  DistinctNgrams counter;
  const bool saturated = in.read<uint8_t>() != 0;
  const uint8_t zeros = in.read<uint8_t>();
  in.expect(zeros <= 2, "bad n-gram counts");
  for (uint8_t i = 0; i < zeros; ++i) counter.add(0);
  const std::vector<uint64_t> hashes = in.read_vector<uint64_t>();
  const std::vector<uint8_t> recurs = in.read_vector<uint8_t>();
  in.expect(recurs.size() == hashes.size(), "bad n-gram counts");
  for (size_t i = 0; i < hashes.size(); ++i) {
    in.expect(hashes[i] != 0 && recurs[i] <= 1, "bad n-gram hash");
    counter.add(hashes[i]);
    if (recurs[i] != 0) counter.add(hashes[i]);
  }
  if (saturated) counter.saturate();
  return counter;
}

void DistinctNgrams::reserve(int64_t hashes) {
  // Kept at most 3/4 full, so probes stay short.
  while (4 * hashes > 3 * static_cast<int64_t>(slots_.size())) grow();
}

void DistinctNgrams::grow() {
  std::vector<uint64_t> old = std::move(slots_);
  std::vector<uint8_t> old_recurs = std::move(recurs_);
  slots_.assign(std::max<size_t>(kMinSlots, 2 * old.size()), 0);
  recurs_.assign(slots_.size(), 0);
  const uint64_t mask = slots_.size() - 1;
  for (size_t i = 0; i < old.size(); ++i) {
    if (old[i] == 0) continue;
    uint64_t slot = old[i] & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = old[i];
    recurs_[slot] = old_recurs[i];
  }
}

void DistinctNgrams::saturate() {
  saturated_ = true;
  slots_.clear();
  slots_.shrink_to_fit();
  recurs_.clear();
  recurs_.shrink_to_fit();
}

}  // namespace mmfast
