// Which rows of a text table a compressed model keeps (fastText.zip,
// Joulin et al. 2016, section 3.3): the rows of largest norm, after those
// that keep every training example covered.
#pragma once

#include <cstdint>

#include "dataset.h"
#include "matrix.h"

namespace mmfast {

// The rows of `table` to keep: at most n_rows (n_rows < 0: no limit) of
// the rows that training changed (the others are their seeded noise).
// With `examples` (token rows per training example; nullptr: none), the
// max-cover rule comes first: each example that no kept row covers yet
// keeps its row of largest norm (at most n_rows of those, the largest
// first); the rest of the budget goes to the largest norms.
RowBits select_rows(const Matrix& table, int64_t n_rows, const RaggedView* examples, int threads);

}  // namespace mmfast
