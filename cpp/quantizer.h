// Vector quantizers that turn a dense feature vector into a few small integer
// codes (the classifier's feature tokens) and back into an approximation.
//
//   Quantizer                      the interface the classifier uses
//   └─ SubspaceQuantizer           a list of (dimension subset, k-means codebook)
//      ├─ ProductQuantizer         M contiguous subvectors covering each dimension once
//      └─ RandomSampleProductQuantizer   R random, possibly overlapping, subsets
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kmeans.h"

namespace mmfast {

class BinaryReader;
class BinaryWriter;

class Quantizer {
 public:
  virtual ~Quantizer() = default;

  // Input vector length d.
  virtual int64_t dim() const = 0;
  // Codes per vector (M or R).
  virtual int n_codes() const = 0;
  // Bits per code, 1..16; each code indexes one of n_centroids() centroids.
  virtual int n_bits() const = 0;
  int64_t n_centroids() const { return int64_t{1} << n_bits(); }
  virtual bool is_trained() const = 0;

  // x: n x dim row-major floats, n >= n_centroids(). threads <= 0: all cores.
  // Counts training_steps() items done (count_done, cpp/common.h).
  virtual void train(const float* x, int64_t n, int threads) = 0;
  virtual int64_t training_steps() const = 0;
  // codes: n x n_codes() row-major. The uint8_t overloads need n_bits() <= 8;
  // the uint16_t overloads take any n_bits(). Counts the n vectors done.
  virtual void encode(const float* x, int64_t n, uint8_t* codes, int threads) const = 0;
  virtual void encode(const float* x, int64_t n, uint16_t* codes, int threads) const = 0;
  // out: n x dim. Throws std::invalid_argument on a code >= n_centroids().
  virtual void decode(const uint8_t* codes, int64_t n, float* out, int threads) const = 0;
  virtual void decode(const uint16_t* codes, int64_t n, float* out, int threads) const = 0;

  // A trained quantizer only. read() restores whichever kind was written,
  // validating every size; a corrupt stream throws std::invalid_argument.
  virtual void write(BinaryWriter& out) const = 0;
  static std::unique_ptr<Quantizer> read(BinaryReader& in);
};

// Code r of a vector is the nearest centroid of its own k-means codebook,
// trained on the vector's dimensions subspace(r). Decoding puts each code's
// centroid back on its dimensions and averages where subspaces overlap; a
// dimension no subspace covers decodes to its training mean.
class SubspaceQuantizer : public Quantizer {
 public:
  int64_t dim() const override { return dim_; }
  int n_codes() const override { return static_cast<int>(subspaces_.size()); }
  int n_bits() const override { return n_bits_; }
  bool is_trained() const override { return !codebooks_.empty(); }

  void train(const float* x, int64_t n, int threads) override;
  // The k-means iterations of all the codebooks.
  int64_t training_steps() const override { return int64_t{n_codes()} * options_.n_iter; }
  void encode(const float* x, int64_t n, uint8_t* codes, int threads) const override;
  void encode(const float* x, int64_t n, uint16_t* codes, int threads) const override;
  void decode(const uint8_t* codes, int64_t n, float* out, int threads) const override;
  void decode(const uint16_t* codes, int64_t n, float* out, int threads) const override;
  void write(BinaryWriter& out) const override;

  const KMeansOptions& kmeans_options() const { return options_; }
  // The dimensions code r quantizes, increasing.
  const std::vector<int32_t>& subspace(int r) const { return subspaces_.at(r); }
  // Codebook r (trained only): n_centroids() x subspace(r).size() centroids.
  const KMeans& codebook(int r) const { return codebooks_.at(r); }

 protected:
  // Each subspace: distinct dimensions in [0, dim), increasing. Codebook r is
  // trained with options.seed mixed with r.
  SubspaceQuantizer(int64_t dim, int n_bits, std::vector<std::vector<int32_t>> subspaces,
                    KMeansOptions options);

 private:
  friend class Quantizer;  // read() restores the trained state

  // Identifies the subclass in the binary format.
  virtual uint32_t type_tag() const = 0;
  void read_trained_state(BinaryReader& in);
  template <typename Code>
  void encode_as(const float* x, int64_t n, Code* codes, int threads) const;
  template <typename Code>
  void decode_as(const Code* codes, int64_t n, float* out, int threads) const;

  int64_t dim_;
  int n_bits_;
  KMeansOptions options_;
  std::vector<std::vector<int32_t>> subspaces_;
  // Subspace r is a run of consecutive dimensions: encode reads it in place.
  std::vector<bool> contiguous_;
  // Per dimension: 1 / (subspaces covering it), or 0 when none does.
  std::vector<float> inverse_coverage_;
  // Trained state. fallback_[j] is what dimension j decodes to on top of its
  // averaged centroids: its training mean when no subspace covers it, else 0.
  std::vector<KMeans> codebooks_;
  std::vector<float> fallback_;
};

// Splits the d dimensions into M contiguous subvectors of near-equal length:
// the first d % M subvectors get ceil(d / M) dimensions, the rest floor(d / M),
// so any 1 <= M <= d works and no subvector is empty.
class ProductQuantizer final : public SubspaceQuantizer {
 public:
  ProductQuantizer(int64_t dim, int n_subquantizers, int n_bits, KMeansOptions options = {});

 private:
  uint32_t type_tag() const override;
};

// R subspaces of s distinct dimensions each, drawn at random (seeded by
// options.seed) independently per subspace, so subspaces may overlap and some
// dimensions may be left out.
class RandomSampleProductQuantizer final : public SubspaceQuantizer {
 public:
  RandomSampleProductQuantizer(int64_t dim, int n_subspaces, int subspace_dim, int n_bits,
                               KMeansOptions options = {});
  // Explicit subspaces (how read() restores one), all of the same size.
  RandomSampleProductQuantizer(int64_t dim, std::vector<std::vector<int32_t>> subspaces, int n_bits,
                               KMeansOptions options = {});

 private:
  uint32_t type_tag() const override;
};

}  // namespace mmfast
