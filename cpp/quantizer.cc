#include "quantizer.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "common.h"
#include "sampling.h"
#include "serialization.h"

namespace mmfast {

namespace {

constexpr uint32_t kProductQuantizerTag = 1;
constexpr uint32_t kRandomSampleProductQuantizerTag = 2;
constexpr int64_t kMaxDim = int64_t{1} << 24;
constexpr int kMaxBits = 16;
// Vectors per parallel work item in encode/decode: each block visits every
// codebook once, so larger blocks read the codebooks less often.
constexpr int64_t kCodeBlock = 256;

void check_bits(int n_bits) {
  check(n_bits >= 1 && n_bits <= kMaxBits,
        "n_bits must be in [1, 16], got " + std::to_string(n_bits));
}

std::vector<std::vector<int32_t>> contiguous_split(int64_t dim, int n_subquantizers) {
  check(dim >= 1 && dim <= kMaxDim, "dim must be in [1, 2^24], got " + std::to_string(dim));
  check(n_subquantizers >= 1 && n_subquantizers <= dim,
        "n_subquantizers must be in [1, dim=" + std::to_string(dim) + "], got " +
            std::to_string(n_subquantizers));
  std::vector<std::vector<int32_t>> subspaces(n_subquantizers);
  const int64_t shorter = dim / n_subquantizers;
  const int64_t longer_count = dim % n_subquantizers;
  int32_t next = 0;
  for (int m = 0; m < n_subquantizers; ++m) {
    const int64_t length = shorter + (m < longer_count ? 1 : 0);
    for (int64_t j = 0; j < length; ++j) subspaces[m].push_back(next++);
  }
  return subspaces;
}

std::vector<std::vector<int32_t>> random_subspaces(int64_t dim, int n_subspaces, int subspace_dim,
                                                   uint64_t seed) {
  check(dim >= 1 && dim <= kMaxDim, "dim must be in [1, 2^24], got " + std::to_string(dim));
  check(n_subspaces >= 1, "n_subspaces must be >= 1, got " + std::to_string(n_subspaces));
  check(subspace_dim >= 1 && subspace_dim <= dim,
        "subspace_dim must be in [1, dim=" + std::to_string(dim) + "], got " +
            std::to_string(subspace_dim));
  Rng rng(seed);  // stream 0; codebook r trains with stream r + 1
  std::vector<std::vector<int32_t>> subspaces(n_subspaces);
  for (auto& subspace : subspaces) {
    for (int64_t j : sample_without_replacement(dim, subspace_dim, rng)) {
      subspace.push_back(static_cast<int32_t>(j));
    }
    std::sort(subspace.begin(), subspace.end());
  }
  return subspaces;
}

// Copies columns `dims` of rows [0, n) of x (row stride `stride`) into `out` (n x dims.size()).
void gather_columns(const float* x, int64_t n, int64_t stride, const std::vector<int32_t>& dims,
                    float* out) {
  const int64_t width = static_cast<int64_t>(dims.size());
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x + i * stride;
    for (int64_t j = 0; j < width; ++j) out[i * width + j] = row[dims[j]];
  }
}

}  // namespace

SubspaceQuantizer::SubspaceQuantizer(int64_t dim, int n_bits,
                                     std::vector<std::vector<int32_t>> subspaces,
                                     KMeansOptions options)
    : dim_(dim), n_bits_(n_bits), options_(options), subspaces_(std::move(subspaces)) {
  check(dim >= 1 && dim <= kMaxDim, "dim must be in [1, 2^24], got " + std::to_string(dim));
  check_bits(n_bits);
  check_kmeans_options(options);
  check(!subspaces_.empty(), "a quantizer needs at least one subspace");
  std::vector<int> coverage(dim, 0);
  for (const auto& subspace : subspaces_) {
    check(!subspace.empty(), "a subspace needs at least one dimension");
    for (size_t j = 0; j < subspace.size(); ++j) {
      check(subspace[j] >= 0 && subspace[j] < dim, "subspace dimension out of range");
      check(j == 0 || subspace[j - 1] < subspace[j], "subspace dimensions must increase");
      ++coverage[subspace[j]];
    }
    contiguous_.push_back(subspace.back() - subspace.front() + 1 ==
                          static_cast<int32_t>(subspace.size()));
  }
  inverse_coverage_.resize(dim);
  for (int64_t j = 0; j < dim; ++j) {
    inverse_coverage_[j] = coverage[j] == 0 ? 0.0f : 1.0f / static_cast<float>(coverage[j]);
  }
}

void SubspaceQuantizer::train(const float* x, int64_t n, int threads) {
  check(n >= n_centroids(), "training needs at least n_centroids=" + std::to_string(n_centroids()) +
                                " vectors, got " + std::to_string(n));
  threads = resolve_threads(threads);
  const int n_subspaces = n_codes();

  // Codebooks train independently: spread them over the threads, and give
  // each one the threads left over when there are fewer codebooks than threads.
  const int outer_threads = std::min(threads, n_subspaces);
  const int inner_threads = std::max(1, threads / outer_threads);
  std::vector<std::optional<KMeans>> trained(n_subspaces);
  parallel_for_blocks(n_subspaces, 1, outer_threads, [&](int64_t r, int64_t, int) {
    const auto& dims = subspaces_[r];
    std::vector<float> columns(n * dims.size());
    gather_columns(x, n, dim_, dims, columns.data());
    KMeansOptions options = options_;
    options.seed = Rng(options_.seed, static_cast<uint64_t>(r) + 1).next();
    trained[r].emplace(static_cast<int64_t>(dims.size()), n_centroids(), options);
    trained[r]->train(columns.data(), n, inner_threads);
  });

  // Uncovered dimensions decode to their training mean.
  fallback_.assign(dim_, 0.0f);
  for (int64_t j = 0; j < dim_; ++j) {
    if (inverse_coverage_[j] != 0.0f) continue;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += x[i * dim_ + j];
    fallback_[j] = static_cast<float>(sum / static_cast<double>(n));
  }

  codebooks_.clear();
  for (auto& codebook : trained) codebooks_.push_back(std::move(*codebook));
}

template <typename Code>
void SubspaceQuantizer::encode_as(const float* x, int64_t n, Code* codes, int threads) const {
  check(is_trained(), "the quantizer is not trained");
  threads = block_workers(n, kCodeBlock, resolve_threads(threads));
  const int n_subspaces = n_codes();
  // Per-worker scratch (one per block at most, however many threads were
  // asked for): nearest-centroid labels, and the columns of subspaces that
  // are not contiguous, gathered.
  int64_t widest_gathered = 0;
  for (int r = 0; r < n_subspaces; ++r) {
    if (!contiguous_[r]) widest_gathered = std::max<int64_t>(widest_gathered, subspaces_[r].size());
  }
  std::vector<std::vector<int32_t>> labels(threads, std::vector<int32_t>(kCodeBlock));
  std::vector<std::vector<float>> columns(threads,
                                          std::vector<float>(kCodeBlock * widest_gathered));

  parallel_for_blocks(n, kCodeBlock, threads, [&](int64_t first, int64_t last, int worker) {
    const int64_t count = last - first;
    const float* block = x + first * dim_;
    int32_t* block_labels = labels[worker].data();
    for (int r = 0; r < n_subspaces; ++r) {
      const auto& dims = subspaces_[r];
      if (contiguous_[r]) {
        codebooks_[r].assign_block(block + dims.front(), count, dim_, block_labels, nullptr);
      } else {
        gather_columns(block, count, dim_, dims, columns[worker].data());
        codebooks_[r].assign_block(columns[worker].data(), count, static_cast<int64_t>(dims.size()),
                                   block_labels, nullptr);
      }
      for (int64_t i = 0; i < count; ++i) {
        codes[(first + i) * n_subspaces + r] = static_cast<Code>(block_labels[i]);
      }
    }
    count_done(count);
  });
}

template <typename Code>
void SubspaceQuantizer::decode_as(const Code* codes, int64_t n, float* out, int threads) const {
  check(is_trained(), "the quantizer is not trained");
  const int n_subspaces = n_codes();
  const int64_t n_centroids = this->n_centroids();
  parallel_for_blocks(
      n, kCodeBlock, resolve_threads(threads), [&](int64_t first, int64_t last, int) {
        for (int64_t i = first; i < last; ++i) {
          float* row = out + i * dim_;
          std::fill(row, row + dim_, 0.0f);
          for (int r = 0; r < n_subspaces; ++r) {
            const int64_t code = codes[i * n_subspaces + r];
            if (code >= n_centroids) {
              throw std::invalid_argument("code " + std::to_string(code) + " out of range [0, " +
                                          std::to_string(n_centroids) + ")");
            }
            const auto& dims = subspaces_[r];
            const float* centroid = codebooks_[r].centroids().data() + code * dims.size();
            for (size_t j = 0; j < dims.size(); ++j) row[dims[j]] += centroid[j];
          }
          // Exact for dimensions covered once (x * 1 + 0).
          for (int64_t j = 0; j < dim_; ++j) row[j] = row[j] * inverse_coverage_[j] + fallback_[j];
        }
      });
}

void SubspaceQuantizer::encode(const float* x, int64_t n, uint8_t* codes, int threads) const {
  check(n_bits_ <= 8,
        "uint8 codes need n_bits <= 8, this quantizer has n_bits=" + std::to_string(n_bits_));
  encode_as(x, n, codes, threads);
}

void SubspaceQuantizer::encode(const float* x, int64_t n, uint16_t* codes, int threads) const {
  encode_as(x, n, codes, threads);
}

void SubspaceQuantizer::decode(const uint8_t* codes, int64_t n, float* out, int threads) const {
  decode_as(codes, n, out, threads);
}

void SubspaceQuantizer::decode(const uint16_t* codes, int64_t n, float* out, int threads) const {
  decode_as(codes, n, out, threads);
}

void SubspaceQuantizer::write(BinaryWriter& out) const {
  check(is_trained(), "cannot save an untrained quantizer");
  out.write<uint32_t>(type_tag());
  out.write<int64_t>(dim_);
  out.write<int32_t>(n_bits_);
  write_kmeans_options(out, options_);
  out.write<int64_t>(static_cast<int64_t>(subspaces_.size()));
  for (const auto& dims : subspaces_) out.write_vector(dims);
  for (const auto& codebook : codebooks_) codebook.write(out);
  out.write_vector(fallback_);
}

void SubspaceQuantizer::read_trained_state(BinaryReader& in) {
  std::vector<KMeans> codebooks;
  for (const auto& dims : subspaces_) {
    KMeans codebook = KMeans::read(in);
    in.expect(codebook.dim() == static_cast<int64_t>(dims.size()) && codebook.k() == n_centroids(),
              "codebook shape does not match its subspace");
    codebooks.push_back(std::move(codebook));
  }
  std::vector<float> fallback = in.read_vector<float>();
  in.expect(static_cast<int64_t>(fallback.size()) == dim_, "fallback values size mismatch");
  codebooks_ = std::move(codebooks);
  fallback_ = std::move(fallback);
}

std::unique_ptr<Quantizer> Quantizer::read(BinaryReader& in) {
  const uint32_t tag = in.read<uint32_t>();
  in.expect(tag == kProductQuantizerTag || tag == kRandomSampleProductQuantizerTag,
            "unknown quantizer type " + std::to_string(tag));
  const int64_t dim = in.read<int64_t>();
  const int n_bits = in.read<int32_t>();
  const KMeansOptions options = read_kmeans_options(in);
  const int64_t n_subspaces = in.read<int64_t>();
  in.expect(dim >= 1 && dim <= kMaxDim, "quantizer dimension out of range");
  in.expect(n_bits >= 1 && n_bits <= kMaxBits, "n_bits out of range");
  in.expect(n_subspaces >= 1 && n_subspaces <= std::numeric_limits<int32_t>::max(),
            "number of subspaces out of range");

  std::vector<std::vector<int32_t>> subspaces;
  for (int64_t r = 0; r < n_subspaces; ++r) {
    std::vector<int32_t> dims = in.read_vector<int32_t>();
    bool valid = !dims.empty() && dims.front() >= 0 && dims.back() < dim;
    for (size_t j = 1; valid && j < dims.size(); ++j) valid = dims[j - 1] < dims[j];
    in.expect(valid, "subspace dimensions must be increasing and in [0, dim)");
    subspaces.push_back(std::move(dims));
  }

  std::unique_ptr<SubspaceQuantizer> quantizer;
  if (tag == kProductQuantizerTag) {
    in.expect(n_subspaces <= dim, "more subquantizers than dimensions");
    quantizer =
        std::make_unique<ProductQuantizer>(dim, static_cast<int>(n_subspaces), n_bits, options);
    in.expect(quantizer->subspaces_ == subspaces, "subvectors do not split the dimensions");
  } else {
    for (const auto& dims : subspaces) {
      in.expect(dims.size() == subspaces.front().size(), "subspaces differ in size");
    }
    quantizer =
        std::make_unique<RandomSampleProductQuantizer>(dim, std::move(subspaces), n_bits, options);
  }
  quantizer->read_trained_state(in);
  return quantizer;
}

ProductQuantizer::ProductQuantizer(int64_t dim, int n_subquantizers, int n_bits,
                                   KMeansOptions options)
    : SubspaceQuantizer(dim, n_bits, contiguous_split(dim, n_subquantizers), options) {}

uint32_t ProductQuantizer::type_tag() const { return kProductQuantizerTag; }

RandomSampleProductQuantizer::RandomSampleProductQuantizer(int64_t dim, int n_subspaces,
                                                           int subspace_dim, int n_bits,
                                                           KMeansOptions options)
    : SubspaceQuantizer(dim, n_bits, random_subspaces(dim, n_subspaces, subspace_dim, options.seed),
                        options) {}

RandomSampleProductQuantizer::RandomSampleProductQuantizer(
    int64_t dim, std::vector<std::vector<int32_t>> subspaces, int n_bits, KMeansOptions options)
    : SubspaceQuantizer(dim, n_bits, std::move(subspaces), options) {
  for (int r = 0; r < n_codes(); ++r) {
    check(subspace(r).size() == subspace(0).size(), "RSPQ subspaces must all have the same size");
  }
}

uint32_t RandomSampleProductQuantizer::type_tag() const { return kRandomSampleProductQuantizerTag; }

}  // namespace mmfast
