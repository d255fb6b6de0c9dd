#include "quantized_matrix.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common.h"
#include "serialization.h"
#include "simd.h"

namespace mmfast {

namespace {

constexpr int kMaxBits = 8;  // codes are bytes

// Bits per code for n kept rows of `n_sub` codes of `cols` floats in all:
// 8 (fastText.zip's 256 centroids), or fewer: with small_codebooks, so that
// the codebooks (2^bits x cols floats) take no more room than the codes
// (n x n_sub bytes), since a codebook larger than the rows it codes saves
// nothing; otherwise so that there are not many more centroids than rows.
int bits_for(int64_t n, int64_t n_sub, int64_t cols, bool small_codebooks) {
  int bits = 1;
  if (small_codebooks) {
    while (bits < kMaxBits && (int64_t{2} << bits) * cols * 4 <= n * n_sub) ++bits;
  } else {
    while (bits < kMaxBits && (int64_t{1} << bits) < n) ++bits;
  }
  return bits;
}

// x (n x d) repeated until it has at least `n_min` rows: k-means needs
// as many points as centroids, and a table may have fewer rows.
std::vector<float> at_least(std::vector<float> x, int64_t n, int64_t d, int64_t n_min) {
  if (n >= n_min) return x;
  x.resize(static_cast<size_t>(n_min * d));
  for (int64_t i = n; i < n_min; ++i) {
    std::copy_n(x.begin() + (i % n) * d, d, x.begin() + i * d);
  }
  return x;
}

KMeansOptions kmeans_options(const RowQuantization& options, uint64_t stream) {
  KMeansOptions kmeans;
  kmeans.n_iter = options.n_iter;
  kmeans.seed = Rng(options.seed, stream).next();
  return kmeans;
}

// out += weight * the pieces `code` picks, every piece `Len` floats long:
// with the length known at compile time the inner loop is a few vector
// instructions (dim 100, dsub 2: predictions 1.3x as fast as the generic loop).
template <int Len>
MMFAST_CLONES void add_pieces(const uint8_t* code, int n_sub, int64_t k, const float* book,
                              float weight, float* out) {
  for (int m = 0; m < n_sub; ++m) {
    const float* centroid = book + (m * k + code[m]) * Len;
    float* o = out + m * Len;
    for (int j = 0; j < Len; ++j) o[j] += weight * centroid[j];
  }
}

}  // namespace

QuantizedMatrix QuantizedMatrix::quantize(const Matrix& table, RowBits kept,
                                          const RowQuantization& options, int threads) {
  check(options.dsub >= 1 && options.dsub <= table.cols(),
        "dsub must be in [1, dim=" + std::to_string(table.cols()) + "], got " +
            std::to_string(options.dsub));
  check(options.n_iter >= 1, "n_iter must be >= 1");
  check(static_cast<int64_t>(kept.size()) == row_words(table.rows()),
        "kept rows do not match the table");
  QuantizedMatrix q;
  q.rows_ = table.rows();
  q.cols_ = table.cols();
  q.kept_ = std::move(kept);
  const int64_t n = count_rows(q.kept_);
  check(n >= 1, "no rows to quantize: keep at least one");
  const int64_t d = q.cols_;
  // The kept rows, side by side; with qnorm, their directions and norms.
  std::vector<float> rows(static_cast<size_t>(n * d));
  std::vector<float> norms(n, 1.0f);
  int64_t slot = 0;
  for (int64_t i = 0; i < q.rows_; ++i) {
    if (row_bit(q.kept_, i)) std::copy_n(table.row(i), d, rows.begin() + (slot++) * d);
  }
  if (options.qnorm) {
    for (int64_t s = 0; s < n; ++s) {
      float* row = rows.data() + s * d;
      double sum = 0.0;
      for (int64_t j = 0; j < d; ++j) sum += static_cast<double>(row[j]) * row[j];
      norms[s] = static_cast<float>(std::sqrt(sum));
      if (norms[s] > 0.0f) {
        for (int64_t j = 0; j < d; ++j) row[j] /= norms[s];
      }
    }
  }
  const int n_sub = static_cast<int>((d + options.dsub - 1) / options.dsub);
  const int bits = bits_for(n, n_sub, d, options.small_codebooks);
  const int64_t n_train = std::max<int64_t>(n, int64_t{1} << bits);
  auto directions = std::make_shared<ProductQuantizer>(d, n_sub, bits, kmeans_options(options, 1));
  directions->train(at_least(rows, n, d, n_train).data(), n_train, threads);
  q.codes_.resize(static_cast<size_t>(n * n_sub));
  directions->encode(rows.data(), n, q.codes_.data(), threads);
  q.directions_ = std::move(directions);
  q.norm_codes_.assign(n, 0);
  q.norms_ = {1.0f};
  if (options.qnorm) {
    KMeans codebook(1, int64_t{1} << bits, kmeans_options(options, 2));
    codebook.train(at_least(norms, n, 1, n_train).data(), n_train, threads);
    std::vector<int32_t> labels(n);
    codebook.assign(norms.data(), n, labels.data(), nullptr, threads);
    for (int64_t s = 0; s < n; ++s) q.norm_codes_[s] = static_cast<uint8_t>(labels[s]);
    q.norms_ = codebook.centroids();
    q.norm_codebook_.emplace(std::move(codebook));
  }
  q.index();
  return q;
}

void QuantizedMatrix::index() {
  rank_.resize(kept_.size());
  int64_t before = 0;
  for (size_t w = 0; w < kept_.size(); ++w) {
    rank_[w] = before;
    before += __builtin_popcountll(kept_[w]);
  }
  const int n_sub = directions_->n_codes();
  const int64_t k = directions_->n_centroids();
  start_.resize(n_sub);
  len_.resize(n_sub);
  piece_.resize(n_sub);
  book_.clear();
  for (int m = 0; m < n_sub; ++m) {
    const std::vector<int32_t>& dims = directions_->subspace(m);
    start_[m] = dims.front();
    len_[m] = static_cast<int32_t>(dims.size());
    piece_[m] = static_cast<int64_t>(book_.size());
    const std::vector<float>& centroids = directions_->codebook(m).centroids();
    book_.insert(book_.end(), centroids.begin(), centroids.begin() + k * len_[m]);
  }
  // Pieces of one length (dim a multiple of dsub) take a specialized loop.
  const bool uniform =
      std::all_of(len_.begin(), len_.end(), [&](int32_t l) { return l == len_[0]; });
  uniform_len_ = uniform && !len_.empty() ? len_[0] : 0;
}

void QuantizedMatrix::remove_pruned_rows_below(int64_t n) {
  check(n >= 0 && n <= rows_, "rows to remove outside the table");
  const int64_t removed = n - [&] {
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) kept += row_bit(kept_, i);
    return kept;
  }();
  RowBits moved(row_words(rows_ - removed), 0);
  int64_t to = 0;
  for (int64_t i = 0; i < rows_; ++i) {
    const bool kept = row_bit(kept_, i);
    if (i < n && !kept) continue;
    if (kept) set_row_bit(moved, to);
    ++to;
  }
  rows_ -= removed;
  kept_ = std::move(moved);
  index();
}

void QuantizedMatrix::add_slot(int64_t slot, float weight, float* out) const {
  const int n_sub = static_cast<int>(start_.size());
  const uint8_t* code = codes_.data() + slot * n_sub;
  const int64_t k = directions_->n_centroids();
  switch (uniform_len_) {
    case 1: return add_pieces<1>(code, n_sub, k, book_.data(), weight, out);
    case 2: return add_pieces<2>(code, n_sub, k, book_.data(), weight, out);
    case 4: return add_pieces<4>(code, n_sub, k, book_.data(), weight, out);
    case 8: return add_pieces<8>(code, n_sub, k, book_.data(), weight, out);
    default: break;
  }
  for (int m = 0; m < n_sub; ++m) {
    const int32_t len = len_[m];
    const float* centroid = book_.data() + piece_[m] + static_cast<int64_t>(code[m]) * len;
    float* o = out + start_[m];
    for (int32_t j = 0; j < len; ++j) o[j] += weight * centroid[j];
  }
}

Matrix QuantizedMatrix::decode(int threads) const {
  Matrix m(rows_, cols_);
  parallel_for_blocks(rows_, 4096, threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) add_row(i, 1.0f, m.row(i));
  });
  return m;
}

void QuantizedMatrix::write(BinaryWriter& out) const {
  TableHead head;
  head.rows = rows_;
  head.cols = cols_;
  head.row_set = RowSet::kKeptRows;
  head.stored = kept_;
  head.encoding = RowEncoding::kProductQuantized;
  head.write(out);
  directions_->write(out);
  out.write<uint8_t>(norm_codebook_.has_value());
  if (norm_codebook_) norm_codebook_->write(out);
  out.write_vector(codes_);
  if (norm_codebook_) out.write_vector(norm_codes_);
}

QuantizedMatrix QuantizedMatrix::read_rows(const TableHead& head, BinaryReader& in) {
  in.expect(head.encoding == RowEncoding::kProductQuantized && head.row_set == RowSet::kKeptRows,
            "a quantized table needs its kept rows");
  QuantizedMatrix q;
  q.rows_ = head.rows;
  q.cols_ = head.cols;
  q.kept_ = head.stored;
  const int64_t n = count_rows(q.kept_);
  std::unique_ptr<Quantizer> quantizer = Quantizer::read(in);
  auto* directions = dynamic_cast<ProductQuantizer*>(quantizer.get());
  in.expect(
      directions != nullptr && directions->dim() == q.cols_ && directions->n_bits() <= kMaxBits,
      "a quantized table's codebooks do not match its rows");
  quantizer.release();
  q.directions_.reset(directions);
  const int n_sub = q.directions_->n_codes();
  const bool qnorm = in.read<uint8_t>() != 0;
  if (qnorm) {
    q.norm_codebook_.emplace(KMeans::read(in));
    in.expect(q.norm_codebook_->dim() == 1 && q.norm_codebook_->k() <= (1 << kMaxBits),
              "a quantized table's norms do not match its rows");
  }
  q.codes_ = in.read_vector<uint8_t>();
  in.expect(static_cast<int64_t>(q.codes_.size()) == n * n_sub,
            "a quantized table's codes do not match its rows");
  const int64_t k = q.directions_->n_centroids();
  in.expect(std::all_of(q.codes_.begin(), q.codes_.end(), [k](uint8_t c) { return c < k; }),
            "a quantized table's code is out of range");
  if (qnorm) {
    q.norm_codes_ = in.read_vector<uint8_t>();
    const int64_t k_norms = q.norm_codebook_->k();
    in.expect(static_cast<int64_t>(q.norm_codes_.size()) == n &&
                  std::all_of(q.norm_codes_.begin(), q.norm_codes_.end(),
                              [k_norms](uint8_t c) { return c < k_norms; }),
              "a quantized table's norm codes do not match its rows");
    q.norms_ = q.norm_codebook_->centroids();
  } else {
    q.norm_codes_.assign(n, 0);
    q.norms_ = {1.0f};
  }
  q.index();
  return q;
}

}  // namespace mmfast
