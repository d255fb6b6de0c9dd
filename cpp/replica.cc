#include "replica.h"

#include <algorithm>

#include "common.h"
#include "simd.h"

namespace mmfast {

Replica::Replica(const Matrix& shared, int merge_every)
    : copy_(shared.rows(), shared.cols()),
      base_(shared.data(), shared.data() + shared.size()),
      merge_every_(merge_every) {
  check(merge_every >= 1, "a replica merges every >= 1 steps");
  std::copy(base_.begin(), base_.end(), copy_.data());
}

MMFAST_CLONES void Replica::merge(Matrix& shared) {
  if (!active()) return;
  float* to = shared.data();
  float* copy = copy_.data();
  float* base = base_.data();
  for (int64_t i = 0; i < shared.size(); ++i) {
    const float merged = to[i] + (copy[i] - base[i]);
    to[i] = merged;
    copy[i] = merged;
    base[i] = merged;
  }
  steps_ = 0;
}

}  // namespace mmfast
