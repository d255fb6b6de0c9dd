// A compressed embedding table (fastText.zip, Joulin et al. 2016): only the
// kept rows, each product-quantized, optionally as a direction and a norm
// coded apart. Read-only: the model adds a row to a sum by looking up its
// dsub-sized centroid pieces, so prediction never decodes the whole table.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "kmeans.h"
#include "matrix.h"
#include "quantizer.h"

namespace mmfast {

class BinaryReader;
class BinaryWriter;

struct RowQuantization {
  int dsub = 2;       // dimensions per subquantizer (the last ones may take one less)
  bool qnorm = true;  // code each row's norm apart from its direction
  int n_iter = 25;    // k-means iterations per codebook
  uint64_t seed = 0;
  // Codebooks no larger than the codes they decode (fewer than 256
  // centroids for few rows: what makes a small table small); false: 256
  // centroids, or one per row when there are fewer rows (the output layer,
  // whose few rows each matter).
  bool small_codebooks = true;
};

class QuantizedMatrix {
 public:
  QuantizedMatrix() = default;
  // The rows of `table` whose bit is set in `kept`, quantized with codebooks
  // of at most 2^8 centroids (see RowQuantization::small_codebooks).
  static QuantizedMatrix quantize(const Matrix& table, RowBits kept, const RowQuantization& options,
                                  int threads);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t kept_rows() const { return static_cast<int64_t>(norm_codes_.size()); }
  int n_bits() const { return directions_->n_bits(); }
  bool quantized_norms() const { return norm_codebook_.has_value(); }

  // out += weight * row i and true; false, adding nothing, for a pruned row.
  bool add_row(int64_t i, float weight, float* out) const {
    const uint64_t word = kept_[i >> 6];
    const uint64_t below = word & ((uint64_t{1} << (i & 63)) - 1);
    if (!((word >> (i & 63)) & 1)) return false;
    const int64_t slot = rank_[i >> 6] + __builtin_popcountll(below);
    add_slot(slot, weight * norms_[norm_codes_[slot]], out);
    return true;
  }
  // Removes the rows [0, n) that are not kept (the rows after them move up):
  // a compressed model drops the words whose rows it pruned.
  void remove_pruned_rows_below(int64_t n);
  // Every row decoded (pruned rows are zero).
  Matrix decode(int threads) const;

  // The layout of Matrix::write with row set kKeptRows and row encoding
  // kProductQuantized; the rows are:
  //   the ProductQuantizer of the rows' directions (Quantizer::write),
  //   uint8 qnorm; for 1: the norms' 1-d k-means (KMeans::write),
  //   uint64 count, uint8 codes: kept rows x subquantizers,
  //   for qnorm: uint64 count, uint8 norm codes, one per kept row.
  // Without qnorm the rows are quantized as they are (norm 1).
  void write(BinaryWriter& out) const;
  // The quantized rows that follow `head`.
  static QuantizedMatrix read_rows(const TableHead& head, BinaryReader& in);

 private:
  // out += weight * the direction stored in `slot`.
  void add_slot(int64_t slot, float weight, float* out) const;
  // Builds rank_ from kept_, and the decoding tables from directions_.
  void index();

  int64_t rows_ = 0;
  int64_t cols_ = 0;
  RowBits kept_;               // the kept rows
  std::vector<int64_t> rank_;  // per word of kept_: the kept rows before it
  std::shared_ptr<const SubspaceQuantizer> directions_;
  std::optional<KMeans> norm_codebook_;  // with qnorm only
  std::vector<uint8_t> codes_;           // kept rows x subquantizers
  std::vector<uint8_t> norm_codes_;      // per kept row (all 0 without qnorm)
  std::vector<float> norms_;             // the norms' centroids ({1} without qnorm)
  // Decoding: subquantizer m covers dimensions [start_[m], start_[m] +
  // len_[m]); its centroid c is book_[piece_[m] + c * len_[m] ...].
  std::vector<int32_t> start_, len_;
  std::vector<int64_t> piece_;
  std::vector<float> book_;
  // Every piece's length when they are all the same (add_slot then takes a
  // loop specialized for 1, 2, 4 or 8); 0 when they differ. A length, not a
  // function pointer: GCC warns (-Wdangling-pointer) on storing the address
  // of a target_clones function.
  int32_t uniform_len_ = 0;
};

}  // namespace mmfast
