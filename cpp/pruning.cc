#include "pruning.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "common.h"
#include "simd.h"

namespace mmfast {

namespace {

// Keeps the rows of `candidates` that training changed, largest norm first,
// until `kept` holds `limit` rows or the candidates run out. Whether a row
// changed is checked only for the rows this reaches: on a table of mostly
// untouched rows that is far less work than Matrix::changed_rows.
void keep_largest(const Matrix& table, std::vector<int64_t> candidates,
                  const std::vector<float>& norms, int64_t limit, RowBits& kept, int64_t& n_kept) {
  auto larger = [&](int64_t a, int64_t b) {
    return norms[a] > norms[b] || (norms[a] == norms[b] && a < b);
  };
  std::sort(candidates.begin(), candidates.end(), larger);
  for (int64_t row : candidates) {
    if (n_kept >= limit) break;
    if (!table.row_changed(row)) continue;
    set_row_bit(kept, row);
    ++n_kept;
  }
}

}  // namespace

RowBits select_rows(const Matrix& table, int64_t n_rows, const RaggedView* examples, int threads) {
  const int64_t rows = table.rows();
  // No limit keeps every changed row, covering or not: one parallel pass.
  if (n_rows < 0 || n_rows >= rows) return table.changed_rows(threads);
  std::vector<float> norms(rows);
  parallel_for_blocks(rows, 4096, threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) norms[i] = dot(table.row(i), table.row(i), table.cols());
  });
  RowBits kept(row_words(rows), 0);
  int64_t n_kept = 0;
  if (examples != nullptr) {
    // Each example that no row picked so far covers picks its row of largest norm.
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
        if (best < 0 || norms[row] > norms[best]) best = row;
      }
      if (!covered && best >= 0) {
        covering[best] = 1;
        cover.push_back(best);
      }
    }
    keep_largest(table, std::move(cover), norms, n_rows, kept, n_kept);
  }
  std::vector<int64_t> rest;
  rest.reserve(rows);
  for (int64_t i = 0; i < rows; ++i) {
    if (!row_bit(kept, i)) rest.push_back(i);
  }
  keep_largest(table, std::move(rest), norms, n_rows, kept, n_kept);
  return kept;
}

}  // namespace mmfast
