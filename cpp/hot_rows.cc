#include "hot_rows.h"

#include <algorithm>
#include <vector>

#include "common.h"

namespace mmfast {

HotRows HotRows::busiest(const Dataset& data, int64_t table_rows, int64_t k) {
  // A few thousand examples spread over the data find the busy rows (busy
  // everywhere) at a few milliseconds' cost.
  constexpr int64_t kSampled = 8192;
  const int64_t limit = std::min(table_rows, kLimit);
  std::vector<uint32_t> counts(static_cast<size_t>(limit), 0);
  const int64_t n = data.size();
  const int64_t stride = std::max<int64_t>(1, n / kSampled);
  int64_t sampled = 0;
  for (int64_t i = 0; i < n; i += stride, ++sampled) {
    const ExampleView example = data.example(i);
    for (int32_t t = 0; t < example.n_tokens; ++t) {
      if (example.tokens[t] < limit) ++counts[static_cast<size_t>(example.tokens[t])];
    }
  }
  const uint32_t min_count = static_cast<uint32_t>(std::max<int64_t>(2, sampled / kMinShare));
  std::vector<int64_t> used;
  for (int64_t row = 0; row < limit; ++row) {
    if (counts[row] >= min_count) used.push_back(row);
  }
  k = std::min<int64_t>(k, static_cast<int64_t>(used.size()));
  std::partial_sort(used.begin(), used.begin() + k, used.end(), [&](int64_t a, int64_t b) {
    return counts[a] != counts[b] ? counts[a] > counts[b] : a < b;
  });
  HotRows hot;
  hot.bits_.assign(static_cast<size_t>(row_words(limit)), 0);
  for (int64_t i = 0; i < k; ++i) {
    set_row_bit(hot.bits_, used[i]);
    hot.limit_ = std::max(hot.limit_, used[i] + 1);
  }
  return hot;
}

ThinnedWrites::ThinnedWrites(const HotRows& hot, uint32_t k) : hot_(hot), k_(k) {
  check(k >= 1 && (k & (k - 1)) == 0, "thinned writes keep every k-th, k a power of two");
}

}  // namespace mmfast
