#include "sampling.h"

#include <numeric>
#include <utility>

namespace mmfast {

std::vector<int64_t> sample_without_replacement(int64_t n, int64_t count, Rng& rng) {
  check(0 <= count && count <= n,
        "cannot sample " + std::to_string(count) + " distinct items from " + std::to_string(n));
  std::vector<int64_t> items(n);
  std::iota(items.begin(), items.end(), int64_t{0});
  for (int64_t i = 0; i < count; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
    std::swap(items[i], items[j]);
  }
  items.resize(count);
  return items;
}

}  // namespace mmfast
