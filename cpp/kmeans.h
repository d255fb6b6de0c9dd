// Lloyd's k-means: the codebook trainer behind the product quantizers, and a
// nearest-centroid assigner once trained.
#pragma once

#include <cstdint>
#include <vector>

namespace mmfast {

class BinaryReader;
class BinaryWriter;
class Rng;

struct KMeansOptions {
  int n_iter = 25;
  // Training uses at most this many points per centroid (a seeded random
  // subset); more adds time, hardly accuracy.
  int64_t max_points_per_centroid = 256;
  uint64_t seed = 0;
};

// Throws std::invalid_argument unless n_iter >= 1 and max_points_per_centroid >= 1.
void check_kmeans_options(const KMeansOptions& options);
// The options' part of the binary format; read validates them.
void write_kmeans_options(BinaryWriter& out, const KMeansOptions& options);
KMeansOptions read_kmeans_options(BinaryReader& in);

class KMeans {
 public:
  // dim >= 1, 1 <= k < 2^31, options.n_iter >= 1, max_points_per_centroid >= 1.
  KMeans(int64_t dim, int64_t k, KMeansOptions options = {});

  int64_t dim() const { return dim_; }
  int64_t k() const { return k_; }
  const KMeansOptions& options() const { return options_; }
  bool is_trained() const { return !centroids_.empty(); }

  // Trains on n >= k row-major points x (n x dim). Starts from k distinct
  // random training points; a cluster that becomes empty takes over half of
  // a populated one. The result depends on the seed, never on `threads`
  // (threads <= 0: all cores). Counts each of the n_iter iterations done
  // (count_done, cpp/common.h).
  void train(const float* x, int64_t n, int threads);

  // labels[i] = nearest centroid of row i of x (n x dim), ties to the lowest
  // index; distances[i] = its squared distance, when distances is not null.
  void assign(const float* x, int64_t n, int32_t* labels, float* distances, int threads) const;
  // out[i * k + c] = Euclidean distance of row i of x (n x dim) to centroid c.
  void distances(const float* x, int64_t n, float* out, int threads) const;
  // Single-threaded assign for callers that parallelize themselves (and
  // have checked is_trained()); row i starts at x + i * x_stride.
  void assign_block(const float* x, int64_t n, int64_t x_stride, int32_t* labels,
                    float* distances) const;

  // k x dim, row-major.
  const std::vector<float>& centroids() const { return centroids_; }
  // Sum of squared distances of the training sample to its nearest centroid,
  // measured at the start of each iteration (before that iteration's update).
  const std::vector<double>& objective() const { return objective_; }

  void write(BinaryWriter& out) const;
  static KMeans read(BinaryReader& in);

 private:
  // train() on this fresh k-means.
  void lloyd(const float* x, int64_t n, int threads);
  // Replaces the centroids and rebuilds the kernel's transposed copy.
  void set_centroids(std::vector<float> centroids);
  // Centroid c = mean of its points; empty clusters split a populated one.
  void update_centroids(const float* x, int64_t n, const int32_t* labels, Rng& rng, int threads);

  int64_t dim_;
  int64_t k_;
  KMeansOptions options_;
  std::vector<float> centroids_;
  std::vector<double> objective_;
  // What nearest_centroids() reads: centroids transposed (dim x k_padded,
  // k padded to a multiple of kCentroidGroup) and |c|^2 / 2 (+inf for padding).
  int64_t k_padded_;
  std::vector<float> centroids_t_;
  std::vector<float> half_norms_;
};

}  // namespace mmfast
