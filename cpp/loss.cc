#include "loss.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "simd.h"

namespace mmfast {

LossKind parse_loss(const std::string& name) {
  if (name == "softmax") return LossKind::kSoftmax;
  if (name == "hs") return LossKind::kHierarchicalSoftmax;
  if (name == "ns") return LossKind::kNegativeSampling;
  if (name == "ova") return LossKind::kOneVsAll;
  throw std::invalid_argument("loss must be one of 'softmax', 'hs', 'ns', 'ova', got '" + name +
                              "'");
}

std::string loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::kSoftmax: return "softmax";
    case LossKind::kHierarchicalSoftmax: return "hs";
    case LossKind::kNegativeSampling: return "ns";
    case LossKind::kOneVsAll: return "ova";
  }
  throw std::invalid_argument("unknown loss kind");
}

bool has_output_bias(LossKind kind) { return kind == LossKind::kOneVsAll; }

namespace {

constexpr float kLogEpsilon = 1e-5f;  // keeps log() finite for p == 0

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

int32_t pick_one(const int32_t* labels, int32_t n_labels, Rng& rng) {
  return n_labels == 1 ? labels[0] : labels[rng.below(n_labels)];
}

// The per-example kernels below are the hot path: each is cloned per ISA
// (see simd.h) and called once per example.

// Logistic regression steps on output rows rows[i] (with their biases,
// unless `bias` is nullptr): is `hidden` in that row's positive class
// (positive[i]) or not. Serves ns, hs and ova.
MMFAST_CLONES float logistic_steps(const float* hidden, Matrix& output, float* bias,
                                   const int32_t* rows, const uint8_t* positive, int64_t n,
                                   float lr, float* grad) {
  const int64_t dim = output.cols();
  float loss = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    float* row = output.row(rows[i]);
    const float p = sigmoid(dot(row, hidden, dim) + (bias ? bias[rows[i]] : 0.0f));
    const float alpha = lr * (static_cast<float>(positive[i]) - p);
    axpy(alpha, row, grad, dim);
    axpy(alpha, hidden, row, dim);
    if (bias) bias[rows[i]] += alpha;
    loss -= std::log((positive[i] ? p : 1.0f - p) + kLogEpsilon);
  }
  return loss;
}

MMFAST_CLONES void sigmoid_scores(const float* hidden, const Matrix& output, const float* bias,
                                  float* probs) {
  for (int64_t c = 0; c < output.rows(); ++c) {
    probs[c] = sigmoid(dot(output.row(c), hidden, output.cols()) + (bias ? bias[c] : 0.0f));
  }
}

MMFAST_CLONES void softmax_scores(const float* hidden, const Matrix& output, float* probs) {
  const int64_t n = output.rows();
  float max_score = -INFINITY;
  for (int64_t c = 0; c < n; ++c) {
    probs[c] = dot(output.row(c), hidden, output.cols());
    max_score = std::max(max_score, probs[c]);
  }
  float sum = 0.0f;
  for (int64_t c = 0; c < n; ++c) {
    probs[c] = std::exp(probs[c] - max_score);
    sum += probs[c];
  }
  scale(1.0f / sum, probs, n);
}

MMFAST_CLONES void softmax_update(const float* hidden, Matrix& output, const float* probs,
                                  int32_t target, float lr, float* grad) {
  const int64_t dim = output.cols();
  for (int64_t c = 0; c < output.rows(); ++c) {
    const float alpha = lr * ((c == target ? 1.0f : 0.0f) - probs[c]);
    axpy(alpha, output.row(c), grad, dim);
    axpy(alpha, hidden, output.row(c), dim);
  }
}

class SoftmaxLoss : public Loss {
 public:
  explicit SoftmaxLoss(int64_t n_classes) : n_classes_(n_classes) {}
  int64_t output_rows() const override { return n_classes_; }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float*, float* grad, LossScratch& scratch) const override {
    const int32_t target = pick_one(labels, n_labels, scratch.rng);
    float* probs = scratch.scores.data();
    softmax_scores(hidden, output, probs);
    softmax_update(hidden, output, probs, target, lr, grad);
    return -std::log(probs[target] + kLogEpsilon);
  }

  void predict(const float* hidden, const Matrix& output, const float*, float* probs,
               LossScratch&) const override {
    softmax_scores(hidden, output, probs);
  }

 private:
  int64_t n_classes_;
};

class NegativeSamplingLoss : public Loss {
 public:
  NegativeSamplingLoss(const std::vector<int64_t>& class_counts, int neg) : neg_(neg) {
    // Negatives are drawn with probability proportional to sqrt(count).
    double total = 0.0;
    for (int64_t count : class_counts) {
      total += std::sqrt(static_cast<double>(count));
      cumulative_.push_back(total);
      populated_classes_ += count > 0 ? 1 : 0;
    }
  }
  int64_t output_rows() const override { return static_cast<int64_t>(cumulative_.size()); }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float*, float* grad, LossScratch& scratch) const override {
    const int32_t target = pick_one(labels, n_labels, scratch.rng);
    std::vector<int32_t>& rows = scratch.step_rows;
    std::vector<uint8_t>& positive = scratch.step_positive;
    rows.assign(1, target);
    positive.assign(1, 1);
    for (int i = 0; i < neg_ && populated_classes_ >= 2; ++i) {
      int32_t negative;
      do {
        negative = draw(scratch.rng);
      } while (negative == target);
      rows.push_back(negative);
      positive.push_back(0);
    }
    return logistic_steps(hidden, output, nullptr, rows.data(), positive.data(),
                          static_cast<int64_t>(rows.size()), lr, grad);
  }

  void predict(const float* hidden, const Matrix& output, const float*, float* probs,
               LossScratch&) const override {
    sigmoid_scores(hidden, output, nullptr, probs);
  }

 private:
  int32_t draw(Rng& rng) const {
    const double u = rng.uniform() * cumulative_.back();
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    return static_cast<int32_t>(std::min<int64_t>(it - cumulative_.begin(), output_rows() - 1));
  }

  int neg_;
  int64_t populated_classes_ = 0;   // a negative needs a second class to draw
  std::vector<double> cumulative_;  // running sums of sqrt(count)
};

class OneVsAllLoss : public Loss {
 public:
  explicit OneVsAllLoss(int64_t n_classes) : all_rows_(n_classes) {
    for (int64_t c = 0; c < n_classes; ++c) all_rows_[c] = static_cast<int32_t>(c);
  }
  int64_t output_rows() const override { return static_cast<int64_t>(all_rows_.size()); }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float* bias, float* grad, LossScratch& scratch) const override {
    std::vector<uint8_t>& positive = scratch.step_positive;
    positive.assign(all_rows_.size(), 0);
    for (int32_t i = 0; i < n_labels; ++i) positive[labels[i]] = 1;
    return logistic_steps(hidden, output, bias, all_rows_.data(), positive.data(), output_rows(),
                          lr, grad);
  }

  void predict(const float* hidden, const Matrix& output, const float* bias, float* probs,
               LossScratch&) const override {
    sigmoid_scores(hidden, output, bias, probs);
  }

 private:
  std::vector<int32_t> all_rows_;  // 0 .. n_classes - 1
};

// Class probabilities by walking the tree from the root and multiplying
// branch probabilities. Inner node k (k >= n_classes) owns output row
// k - n_classes; its children are children[k].
MMFAST_CLONES void tree_probabilities(const float* hidden, const Matrix& output,
                                      const std::pair<int32_t, int32_t>* children,
                                      int64_t n_classes, float* node_prob,
                                      std::vector<int32_t>& stack, float* probs) {
  const int32_t root = static_cast<int32_t>(2 * n_classes - 2);
  node_prob[root] = 1.0f;
  stack.assign(1, root);
  while (!stack.empty()) {
    const int32_t node = stack.back();
    stack.pop_back();
    if (node < n_classes) {
      probs[node] = node_prob[node];
      continue;
    }
    const float p_right = sigmoid(dot(output.row(node - n_classes), hidden, output.cols()));
    const auto [left, right] = children[node];
    node_prob[left] = node_prob[node] * (1.0f - p_right);
    node_prob[right] = node_prob[node] * p_right;
    stack.push_back(left);
    stack.push_back(right);
  }
}

// Hierarchical softmax over a Huffman tree of the class counts: frequent
// classes get short paths, so training costs O(log classes) per example.
// Nodes 0..n-1 are the classes, n..2n-2 the inner nodes.
class HierarchicalSoftmaxLoss : public Loss {
 public:
  explicit HierarchicalSoftmaxLoss(const std::vector<int64_t>& class_counts)
      : n_classes_(static_cast<int64_t>(class_counts.size())) {
    const int64_t n = n_classes_;
    const int64_t nodes = 2 * n - 1;
    std::vector<int32_t> parent(nodes, -1);
    std::vector<uint8_t> is_right(nodes, 0);
    children_.assign(nodes, {-1, -1});
    // Min-heap of (count, node); ties broken by node id for determinism.
    using Item = std::pair<int64_t, int32_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
    for (int64_t c = 0; c < n; ++c) heap.emplace(class_counts[c], static_cast<int32_t>(c));
    for (int32_t node = static_cast<int32_t>(n); node < nodes; ++node) {
      const Item left = heap.top();
      heap.pop();
      const Item right = heap.top();
      heap.pop();
      parent[left.second] = node;
      parent[right.second] = node;
      is_right[right.second] = 1;
      children_[node] = {left.second, right.second};
      heap.emplace(left.first + right.first, node);
    }
    path_rows_.resize(n);
    path_right_.resize(n);
    for (int64_t c = 0; c < n; ++c) {
      for (int64_t node = c; parent[node] >= 0; node = parent[node]) {
        path_rows_[c].push_back(static_cast<int32_t>(parent[node] - n));
        path_right_[c].push_back(is_right[node]);
      }
    }
  }
  int64_t output_rows() const override { return std::max<int64_t>(n_classes_ - 1, 0); }

  void score_terms(int32_t c, std::vector<int32_t>& rows,
                   std::vector<float>& signs) const override {
    rows = path_rows_[c];
    signs.clear();
    for (uint8_t right : path_right_[c]) signs.push_back(right ? 1.0f : -1.0f);
  }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float*, float* grad, LossScratch& scratch) const override {
    const int32_t target = pick_one(labels, n_labels, scratch.rng);
    return logistic_steps(hidden, output, nullptr, path_rows_[target].data(),
                          path_right_[target].data(),
                          static_cast<int64_t>(path_rows_[target].size()), lr, grad);
  }

  void predict(const float* hidden, const Matrix& output, const float*, float* probs,
               LossScratch& scratch) const override {
    if (n_classes_ == 1) {
      probs[0] = 1.0f;
      return;
    }
    // scratch.scores holds 2n values (see make_scratch).
    tree_probabilities(hidden, output, children_.data(), n_classes_, scratch.scores.data(),
                       scratch.stack, probs);
  }

 private:
  int64_t n_classes_;
  std::vector<std::pair<int32_t, int32_t>> children_;
  std::vector<std::vector<int32_t>> path_rows_;   // per class: output rows root-ward
  std::vector<std::vector<uint8_t>> path_right_;  // per class: turns right there?
};

}  // namespace

LossScratch Loss::make_scratch(uint64_t seed, uint64_t stream) const {
  LossScratch s(seed, stream);
  // hs keeps a probability per tree node (2n - 1) here, the others one per class.
  s.scores.resize(2 * (output_rows() + 1));
  return s;
}

void Loss::score_terms(int32_t c, std::vector<int32_t>& rows, std::vector<float>& signs) const {
  rows.assign(1, c);
  signs.assign(1, 1.0f);
}

std::unique_ptr<Loss> make_loss(LossKind kind, const std::vector<int64_t>& class_counts, int neg) {
  check(!class_counts.empty(), "a loss needs at least one class");
  const int64_t n = static_cast<int64_t>(class_counts.size());
  switch (kind) {
    case LossKind::kSoftmax: return std::make_unique<SoftmaxLoss>(n);
    case LossKind::kHierarchicalSoftmax:
      return std::make_unique<HierarchicalSoftmaxLoss>(class_counts);
    case LossKind::kNegativeSampling:
      check(neg >= 1, "neg must be >= 1");
      return std::make_unique<NegativeSamplingLoss>(class_counts, neg);
    case LossKind::kOneVsAll: return std::make_unique<OneVsAllLoss>(n);
  }
  throw std::invalid_argument("unknown loss kind");
}

}  // namespace mmfast
