#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "common.h"
#include "sampling.h"
#include "serialization.h"
#include "simd.h"

namespace mmfast {

namespace {

// Rows per parallel work item in assign(): enough to amortize reading the
// centroids, small enough to balance threads.
constexpr int64_t kAssignBlock = 1024;
// Relative size of the nudge that separates the two halves of a split cluster.
constexpr float kSplitNudge = 1.0f / 1024.0f;
// Bounds for sizes read from a file (a corrupt size must not allocate wildly).
constexpr int64_t kMaxDim = int64_t{1} << 24;
constexpr int64_t kMaxK = std::numeric_limits<int32_t>::max();

// Copies rows `indices` of x (n x dim) into a new contiguous matrix.
std::vector<float> gather_rows(const float* x, int64_t dim, const std::vector<int64_t>& indices) {
  std::vector<float> rows(indices.size() * dim);
  for (size_t i = 0; i < indices.size(); ++i) {
    std::copy_n(x + indices[i] * dim, dim, rows.begin() + i * dim);
  }
  return rows;
}

}  // namespace

void check_kmeans_options(const KMeansOptions& options) {
  check(options.n_iter >= 1, "k-means n_iter must be >= 1, got " + std::to_string(options.n_iter));
  check(options.max_points_per_centroid >= 1, "k-means max_points_per_centroid must be >= 1, got " +
                                                  std::to_string(options.max_points_per_centroid));
}

void write_kmeans_options(BinaryWriter& out, const KMeansOptions& options) {
  out.write<int32_t>(options.n_iter);
  out.write<int64_t>(options.max_points_per_centroid);
  out.write<uint64_t>(options.seed);
}

KMeansOptions read_kmeans_options(BinaryReader& in) {
  KMeansOptions options;
  options.n_iter = in.read<int32_t>();
  options.max_points_per_centroid = in.read<int64_t>();
  options.seed = in.read<uint64_t>();
  in.expect(options.n_iter >= 1 && options.max_points_per_centroid >= 1,
            "k-means options out of range");
  return options;
}

KMeans::KMeans(int64_t dim, int64_t k, KMeansOptions options)
    : dim_(dim), k_(k), options_(options), k_padded_(0) {
  check(dim >= 1 && dim <= kMaxDim,
        "k-means dimension must be in [1, 2^24], got " + std::to_string(dim));
  check(k >= 1 && k <= kMaxK, "k-means k must be in [1, 2^31 - 1], got " + std::to_string(k));
  check_kmeans_options(options);
}

void KMeans::train(const float* x, int64_t n, int threads) {
  check(n >= k_, "k-means with k=" + std::to_string(k_) + " needs at least " + std::to_string(k_) +
                     " training points, got " + std::to_string(n));
  // A copy trains and is committed last, so that an interrupted call
  // (check_stop) leaves this k-means as it was.
  KMeans trained(dim_, k_, options_);
  trained.lloyd(x, n, resolve_threads(threads));
  *this = std::move(trained);
}

void KMeans::lloyd(const float* x, int64_t n, int threads) {
  Rng rng(options_.seed);

  // Lloyd's cost grows with n but the centroids hardly improve beyond a few
  // hundred points each, so train on a seeded random subset.
  std::vector<float> subset;
  const float* points = x;
  int64_t n_points = n;
  // Written so that max_points_per_centroid * k cannot overflow.
  if (options_.max_points_per_centroid < (n + k_ - 1) / k_) {
    const int64_t cap = options_.max_points_per_centroid * k_;
    std::vector<int64_t> chosen = sample_without_replacement(n, cap, rng);
    std::sort(chosen.begin(), chosen.end());  // reads x in order
    subset = gather_rows(x, dim_, chosen);
    points = subset.data();
    n_points = cap;
  }

  set_centroids(gather_rows(points, dim_, sample_without_replacement(n_points, k_, rng)));

  std::vector<int32_t> labels(n_points);
  std::vector<float> distances(n_points);
  objective_.clear();
  for (int iteration = 0; iteration < options_.n_iter; ++iteration) {
    check_stop();
    assign(points, n_points, labels.data(), distances.data(), threads);
    objective_.push_back(std::accumulate(distances.begin(), distances.end(), 0.0));
    // Finite points whose squared distances exceed float32 would all land in
    // cluster 0: refuse them rather than return a meaningless clustering.
    check(std::isfinite(objective_.back()),
          "X: squared distances between its rows overflow float32; scale X down");
    update_centroids(points, n_points, labels.data(), rng, threads);
    count_done(1);  // progress in iterations: a quantizer's n_codes * n_iter in all
  }
}

void KMeans::update_centroids(const float* x, int64_t n, const int32_t* labels, Rng& rng,
                              int threads) {
  // Each thread owns a range of centroids and sums its points in row order,
  // so the result does not depend on the thread count.
  std::vector<double> sums(k_ * dim_, 0.0);
  std::vector<int64_t> counts(k_, 0);
  parallel_for(k_, threads, [&](int64_t first, int64_t last, int) {
    for (int64_t i = 0; i < n; ++i) {
      if (i % (16 * kStopCheckEvery) == 0) check_stop();
      const int64_t c = labels[i];
      if (c < first || c >= last) continue;
      ++counts[c];
      double* sum = sums.data() + c * dim_;
      const float* row = x + i * dim_;
      for (int64_t j = 0; j < dim_; ++j) sum[j] += row[j];
    }
  });

  std::vector<float> centroids(k_ * dim_);
  for (int64_t c = 0; c < k_; ++c) {
    if (counts[c] == 0) continue;
    const double inverse = 1.0 / static_cast<double>(counts[c]);
    for (int64_t j = 0; j < dim_; ++j) {
      centroids[c * dim_ + j] = static_cast<float>(sums[c * dim_ + j] * inverse);
    }
  }

  // An empty cluster takes over half of a populated one, picked with
  // probability proportional to its size beyond one point: both halves start
  // from that centroid, nudged apart in opposite directions. n >= k
  // guarantees a cluster with two or more points exists.
  for (int64_t empty = 0; empty < k_; ++empty) {
    if (counts[empty] != 0) continue;
    int64_t spare = 0;
    for (int64_t c = 0; c < k_; ++c) spare += std::max<int64_t>(0, counts[c] - 1);
    int64_t pick = static_cast<int64_t>(rng.below(static_cast<uint64_t>(spare)));
    int64_t donor = 0;
    while (pick >= std::max<int64_t>(0, counts[donor] - 1)) {
      pick -= std::max<int64_t>(0, counts[donor] - 1);
      ++donor;
    }
    float* from = centroids.data() + donor * dim_;
    float* to = centroids.data() + empty * dim_;
    for (int64_t j = 0; j < dim_; ++j) {
      const float nudge = (j % 2 == 0 ? kSplitNudge : -kSplitNudge) * std::fabs(from[j]);
      to[j] = from[j] + nudge;
      from[j] -= nudge;
    }
    counts[empty] = counts[donor] / 2;
    counts[donor] -= counts[empty];
  }
  set_centroids(std::move(centroids));
}

void KMeans::set_centroids(std::vector<float> centroids) {
  centroids_ = std::move(centroids);
  k_padded_ = (k_ + kCentroidGroup - 1) / kCentroidGroup * kCentroidGroup;
  centroids_t_.assign(dim_ * k_padded_, 0.0f);
  half_norms_.assign(k_padded_, std::numeric_limits<float>::infinity());
  for (int64_t c = 0; c < k_; ++c) {
    const float* centroid = centroids_.data() + c * dim_;
    for (int64_t j = 0; j < dim_; ++j) centroids_t_[j * k_padded_ + c] = centroid[j];
    half_norms_[c] = 0.5f * dot(centroid, centroid, dim_);
  }
}

void KMeans::assign(const float* x, int64_t n, int32_t* labels, float* distances,
                    int threads) const {
  check(is_trained(), "k-means is not trained");
  parallel_for_blocks(n, kAssignBlock, resolve_threads(threads),
                      [&](int64_t first, int64_t last, int) {
                        assign_block(x + first * dim_, last - first, dim_, labels + first,
                                     distances == nullptr ? nullptr : distances + first);
                      });
}

void KMeans::distances(const float* x, int64_t n, float* out, int threads) const {
  check(is_trained(), "k-means is not trained");
  parallel_for_blocks(
      n, kAssignBlock, resolve_threads(threads), [&](int64_t first, int64_t last, int) {
        for (int64_t i = first; i < last; ++i) {
          for (int64_t c = 0; c < k_; ++c) {
            out[i * k_ + c] =
                std::sqrt(l2_squared(x + i * dim_, centroids_.data() + c * dim_, dim_));
          }
        }
      });
}

void KMeans::assign_block(const float* x, int64_t n, int64_t x_stride, int32_t* labels,
                          float* distances) const {
  if (n <= 0) return;
  nearest_centroids(x, n, x_stride, dim_, centroids_t_.data(), half_norms_.data(), k_padded_,
                    labels, distances);
}

void KMeans::write(BinaryWriter& out) const {
  check(is_trained(), "cannot save an untrained k-means");
  out.write<int64_t>(dim_);
  out.write<int64_t>(k_);
  write_kmeans_options(out, options_);
  out.write_vector(centroids_);
  out.write_vector(objective_);
}

KMeans KMeans::read(BinaryReader& in) {
  const int64_t dim = in.read<int64_t>();
  const int64_t k = in.read<int64_t>();
  const KMeansOptions options = read_kmeans_options(in);
  in.expect(dim >= 1 && dim <= kMaxDim, "k-means dimension out of range");
  in.expect(k >= 1 && k <= kMaxK, "k-means k out of range");
  KMeans kmeans(dim, k, options);
  std::vector<float> centroids = in.read_vector<float>();
  in.expect(static_cast<int64_t>(centroids.size()) ==
                checked_mul(k, dim, "corrupt mmfast model: k-means centroids"),
            "k-means centroids size mismatch");
  kmeans.objective_ = in.read_vector<double>();
  in.expect(static_cast<int64_t>(kmeans.objective_.size()) <= options.n_iter,
            "k-means objective longer than n_iter");
  kmeans.set_centroids(std::move(centroids));
  return kmeans;
}

}  // namespace mmfast
