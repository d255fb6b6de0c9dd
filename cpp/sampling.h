// Seeded sampling without replacement, shared by k-means (training sample,
// initial centroids) and RSPQ (subspace dimensions).
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

namespace mmfast {

// `count` distinct integers from [0, n), 0 <= count <= n, in the order drawn
// (a partial Fisher-Yates shuffle).
std::vector<int64_t> sample_without_replacement(int64_t n, int64_t count, Rng& rng);

}  // namespace mmfast
