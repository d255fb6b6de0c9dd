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

const int64_t DistinctNgrams::kSaturation = largest_power_of_two_below(kMaxAutoBuckets) / 2 + 1;

int64_t buckets_for(int64_t distinct_ngrams) {
  if (distinct_ngrams <= 0) return 0;
  int64_t rows = 1;
  while (rows < 2 * distinct_ngrams && rows < kMaxAutoBuckets) rows *= 2;
  return std::min(rows, kMaxAutoBuckets);
}

void DistinctNgrams::add(uint64_t hash) {
  if (saturated_) return;
  if (hash == 0) {
    size_ += !has_zero_;
    has_zero_ = true;
  } else {
    // Kept at most 3/4 full, so probes stay short.
    if (4 * (size_ + 1) > 3 * static_cast<int64_t>(slots_.size())) grow();
    const uint64_t mask = slots_.size() - 1;
    uint64_t slot = hash & mask;
    while (slots_[slot] != 0 && slots_[slot] != hash) slot = (slot + 1) & mask;
    if (slots_[slot] == hash) return;
    slots_[slot] = hash;
    ++size_;
  }
  if (size_ >= kSaturation) saturate();
}

void DistinctNgrams::merge(const DistinctNgrams& other) {
  if (other.saturated_) saturate();
  if (other.has_zero_) add(0);
  for (uint64_t hash : other.slots_) {
    if (saturated_) return;
    if (hash != 0) add(hash);
  }
}

void DistinctNgrams::write(BinaryWriter& out) const {
  out.write<uint8_t>(saturated_);
  out.write<uint8_t>(has_zero_);
  std::vector<uint64_t> hashes;
  hashes.reserve(static_cast<size_t>(size_));
  for (uint64_t hash : slots_) {
    if (hash != 0) hashes.push_back(hash);
  }
  out.write_vector(hashes);
}

DistinctNgrams DistinctNgrams::read(BinaryReader& in) {
  DistinctNgrams counter;
  const bool saturated = in.read<uint8_t>() != 0;
  if (in.read<uint8_t>() != 0) counter.add(0);
  for (uint64_t hash : in.read_vector<uint64_t>()) {
    in.expect(hash != 0, "bad n-gram hash");
    counter.add(hash);
  }
  if (saturated) counter.saturate();
  return counter;
}

void DistinctNgrams::grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(std::max<size_t>(kMinSlots, 2 * old.size()), 0);
  const uint64_t mask = slots_.size() - 1;
  for (uint64_t hash : old) {
    if (hash == 0) continue;
    uint64_t slot = hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = hash;
  }
}

void DistinctNgrams::saturate() {
  saturated_ = true;
  slots_.clear();
  slots_.shrink_to_fit();
}

}  // namespace mmfast
