#include "pruning.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "common.h"
#include "simd.h"

namespace mmfast {

namespace {

void set_bit(RowBits& bits, int64_t i) { bits[i / 64] |= uint64_t{1} << (i % 64); }

// Appends to `kept` the rows of `candidates` of largest norm, largest first,
// until `kept` holds `limit` rows or the candidates run out.
void keep_largest(std::vector<int64_t> candidates, const std::vector<float>& norms, int64_t limit,
                  RowBits& kept, int64_t& n_kept) {
  const auto wanted = static_cast<size_t>(std::max<int64_t>(0, limit - n_kept));
  const size_t n = std::min(wanted, candidates.size());
  auto larger = [&](int64_t a, int64_t b) {
    return norms[a] > norms[b] || (norms[a] == norms[b] && a < b);
  };
  std::partial_sort(candidates.begin(), candidates.begin() + n, candidates.end(), larger);
  for (size_t k = 0; k < n; ++k) set_bit(kept, candidates[k]);
  n_kept += static_cast<int64_t>(n);
}

}  // namespace

RowBits select_rows(const Matrix& table, int64_t n_rows, const RaggedView* examples, int threads) {
  const RowBits changed = table.changed_rows(threads);
  const int64_t rows = table.rows();
  if (n_rows < 0) n_rows = rows;
  std::vector<float> norms(rows, -1.0f);  // -1: a row training never changed
  parallel_for_blocks(rows, 4096, threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      if (row_bit(changed, i)) norms[i] = dot(table.row(i), table.row(i), table.cols());
    }
  });
  RowBits kept(changed.size(), 0);
  int64_t n_kept = 0;
  if (examples != nullptr) {
    std::vector<uint8_t> covering(rows, 0);
    std::vector<int64_t> cover;
    for (int64_t e = 0; e < examples->rows(); ++e) {
      const int32_t* tokens = examples->row(e);
      const int32_t n_tokens = examples->row_size(e);
      int64_t best = -1;
      bool covered = false;
      for (int32_t k = 0; k < n_tokens && !covered; ++k) {
        const int32_t row = tokens[k];
        covered = covering[row] != 0;
        if (norms[row] >= 0.0f && (best < 0 || norms[row] > norms[best])) best = row;
      }
      if (!covered && best >= 0) {
        covering[best] = 1;
        cover.push_back(best);
      }
    }
    keep_largest(std::move(cover), norms, n_rows, kept, n_kept);
  }
  std::vector<int64_t> rest;
  for (int64_t i = 0; i < rows; ++i) {
    if (norms[i] >= 0.0f && !row_bit(kept, i)) rest.push_back(i);
  }
  keep_largest(std::move(rest), norms, n_rows, kept, n_kept);
  return kept;
}

}  // namespace mmfast
