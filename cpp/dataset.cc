#include "dataset.h"

#include <string>

#include "common.h"

namespace mmfast {

RaggedArray encode_texts(const Dictionary& dict, const std::vector<std::string_view>& texts,
                         int threads) {
  const int64_t n = static_cast<int64_t>(texts.size());
  // Each worker encodes a contiguous chunk into its own buffer; the chunks
  // are then stitched together in order, so the result is thread-independent.
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  std::vector<RaggedArray> parts(threads);
  parallel_for(n, threads, [&](int64_t begin, int64_t end, int worker) {
    RaggedArray& part = parts[worker];
    std::vector<int32_t> ids;
    std::vector<uint64_t> hashes;
    StopCheck stop_check(kStopCheckBytes);
    for (int64_t i = begin; i < end; ++i) {
      stop_check.done(static_cast<int64_t>(texts[i].size()) + 1);
      dict.encode(texts[i], ids, hashes);
      part.values.insert(part.values.end(), ids.begin(), ids.end());
      part.offsets.push_back(static_cast<int64_t>(part.values.size()));
    }
  });
  RaggedArray out;
  int64_t total = 0;
  for (const auto& part : parts) total += static_cast<int64_t>(part.values.size());
  out.values.reserve(total);
  out.offsets.reserve(n + 1);
  for (const auto& part : parts) {
    const int64_t base = static_cast<int64_t>(out.values.size());
    for (size_t i = 1; i < part.offsets.size(); ++i) out.offsets.push_back(base + part.offsets[i]);
    out.values.insert(out.values.end(), part.values.begin(), part.values.end());
  }
  return out;
}

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> counts(n_classes, 0);
  const int32_t* ids = labels.row(0);
  for (int64_t k = 0, n = labels.n_values(); k < n; ++k) ++counts[ids[k]];
  return counts;
}

void check_labels(const RaggedView& labels, int64_t n_examples, int32_t n_classes) {
  check(n_classes >= 1, "n_classes must be >= 1");
  check(labels.rows() == n_examples, "labels: expected " + std::to_string(n_examples) +
                                         " rows, got " + std::to_string(labels.rows()));
  check(labels.offsets[0] == 0, "labels: offsets must start at 0");
  for (int64_t i = 0; i < labels.rows(); ++i) {
    check(labels.offsets[i] <= labels.offsets[i + 1], "labels: offsets must be non-decreasing");
  }
  for (int64_t k = 0, n = labels.n_values(); k < n; ++k) {
    const int32_t c = labels.values[k];
    check(c >= 0 && c < n_classes, "labels: class id " + std::to_string(c) + " outside [0, " +
                                       std::to_string(n_classes) + ")");
  }
}

}  // namespace mmfast
