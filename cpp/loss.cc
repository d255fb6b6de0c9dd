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

namespace {

constexpr float kLogEpsilon = 1e-5f;  // keeps log() finite for p == 0

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

int32_t pick_one(const int32_t* labels, int32_t n_labels, Rng& rng) {
  return n_labels == 1 ? labels[0] : labels[rng.below(n_labels)];
}

// Logistic regression step on one output row: is `hidden` in this row's
// positive class or not.
float binary_logistic(const float* hidden, float* row, bool positive, float lr, float* grad,
                      int64_t dim) {
  const float p = sigmoid(dot(row, hidden, dim));
  const float alpha = lr * ((positive ? 1.0f : 0.0f) - p);
  axpy(alpha, row, grad, dim);
  axpy(alpha, hidden, row, dim);
  return -std::log((positive ? p : 1.0f - p) + kLogEpsilon);
}

void sigmoid_scores(const float* hidden, const Matrix& output, float* probs) {
  for (int64_t c = 0; c < output.rows(); ++c) {
    probs[c] = sigmoid(dot(output.row(c), hidden, output.cols()));
  }
}

class SoftmaxLoss : public Loss {
 public:
  explicit SoftmaxLoss(int64_t n_classes) : n_classes_(n_classes) {}
  int64_t output_rows() const override { return n_classes_; }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float* grad, Scratch& scratch) const override {
    const int32_t target = pick_one(labels, n_labels, scratch.rng);
    float* probs = scratch.scores.data();
    predict(hidden, output, probs, scratch);
    const int64_t dim = output.cols();
    for (int64_t c = 0; c < n_classes_; ++c) {
      const float alpha = lr * ((c == target ? 1.0f : 0.0f) - probs[c]);
      axpy(alpha, output.row(c), grad, dim);
      axpy(alpha, hidden, output.row(c), dim);
    }
    return -std::log(probs[target] + kLogEpsilon);
  }

  void predict(const float* hidden, const Matrix& output, float* probs,
               Scratch&) const override {
    float max_score = -INFINITY;
    for (int64_t c = 0; c < n_classes_; ++c) {
      probs[c] = dot(output.row(c), hidden, output.cols());
      max_score = std::max(max_score, probs[c]);
    }
    float sum = 0.0f;
    for (int64_t c = 0; c < n_classes_; ++c) {
      probs[c] = std::exp(probs[c] - max_score);
      sum += probs[c];
    }
    scale(1.0f / sum, probs, n_classes_);
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
              Matrix& output, float* grad, Scratch& scratch) const override {
    const int32_t target = pick_one(labels, n_labels, scratch.rng);
    const int64_t dim = output.cols();
    float loss = binary_logistic(hidden, output.row(target), true, lr, grad, dim);
    if (populated_classes_ < 2) return loss;  // no other class to draw
    for (int i = 0; i < neg_; ++i) {
      int32_t negative;
      do {
        negative = draw(scratch.rng);
      } while (negative == target);
      loss += binary_logistic(hidden, output.row(negative), false, lr, grad, dim);
    }
    return loss;
  }

  void predict(const float* hidden, const Matrix& output, float* probs,
               Scratch&) const override {
    sigmoid_scores(hidden, output, probs);
  }

 private:
  int32_t draw(Rng& rng) const {
    const double u = rng.uniform() * cumulative_.back();
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    return static_cast<int32_t>(std::min<int64_t>(it - cumulative_.begin(), output_rows() - 1));
  }

  int neg_;
  int64_t populated_classes_ = 0;
  std::vector<double> cumulative_;  // running sums of sqrt(count)
};

class OneVsAllLoss : public Loss {
 public:
  explicit OneVsAllLoss(int64_t n_classes) : n_classes_(n_classes) {}
  int64_t output_rows() const override { return n_classes_; }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float* grad, Scratch&) const override {
    float loss = 0.0f;
    for (int64_t c = 0; c < n_classes_; ++c) {
      const bool positive = std::find(labels, labels + n_labels, c) != labels + n_labels;
      loss += binary_logistic(hidden, output.row(c), positive, lr, grad, output.cols());
    }
    return loss;
  }

  void predict(const float* hidden, const Matrix& output, float* probs,
               Scratch&) const override {
    sigmoid_scores(hidden, output, probs);
  }

 private:
  int64_t n_classes_;
};

// Hierarchical softmax over a Huffman tree of the class counts: frequent
// classes get short paths, so training costs O(log classes) per example.
// Nodes 0..n-1 are the classes, n..2n-2 the inner nodes; inner node k owns
// output row k - n.
class HierarchicalSoftmaxLoss : public Loss {
 public:
  explicit HierarchicalSoftmaxLoss(const std::vector<int64_t>& class_counts)
      : n_classes_(static_cast<int64_t>(class_counts.size())) {
    const int64_t n = n_classes_;
    const int64_t nodes = 2 * n - 1;
    parent_.assign(nodes, -1);
    is_right_.assign(nodes, 0);
    children_.assign(nodes, {-1, -1});
    // Min-heap of (count, node); ties broken by node id for determinism.
    using Item = std::pair<int64_t, int64_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
    for (int64_t c = 0; c < n; ++c) heap.emplace(class_counts[c], c);
    for (int64_t node = n; node < nodes; ++node) {
      const Item left = heap.top();
      heap.pop();
      const Item right = heap.top();
      heap.pop();
      parent_[left.second] = node;
      parent_[right.second] = node;
      is_right_[right.second] = 1;
      children_[node] = {left.second, right.second};
      heap.emplace(left.first + right.first, node);
    }
    paths_.resize(n);
    for (int64_t c = 0; c < n; ++c) {
      for (int64_t node = c; parent_[node] >= 0; node = parent_[node]) {
        paths_[c].push_back({parent_[node] - n, is_right_[node] != 0});
      }
    }
  }
  int64_t output_rows() const override { return std::max<int64_t>(n_classes_ - 1, 0); }

  float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
              Matrix& output, float* grad, Scratch& scratch) const override {
    const int32_t target = pick_one(labels, n_labels, scratch.rng);
    float loss = 0.0f;
    for (const Step& step : paths_[target]) {
      loss += binary_logistic(hidden, output.row(step.row), step.right, lr, grad, output.cols());
    }
    return loss;
  }

  // Walks the tree from the root, multiplying branch probabilities.
  void predict(const float* hidden, const Matrix& output, float* probs,
               Scratch& scratch) const override {
    if (n_classes_ == 1) {
      probs[0] = 1.0f;
      return;
    }
    std::vector<float>& node_prob = scratch.scores;  // sized >= 2n - 1 by the model
    std::vector<int32_t>& stack = scratch.stack;
    const int64_t root = 2 * n_classes_ - 2;
    node_prob[root] = 1.0f;
    stack.assign(1, static_cast<int32_t>(root));
    while (!stack.empty()) {
      const int64_t node = stack.back();
      stack.pop_back();
      if (node < n_classes_) {
        probs[node] = node_prob[node];
        continue;
      }
      const float p_right = sigmoid(dot(output.row(node - n_classes_), hidden, output.cols()));
      const auto [left, right] = children_[node];
      node_prob[left] = node_prob[node] * (1.0f - p_right);
      node_prob[right] = node_prob[node] * p_right;
      stack.push_back(static_cast<int32_t>(left));
      stack.push_back(static_cast<int32_t>(right));
    }
  }

 private:
  struct Step {
    int64_t row;  // output row of the inner node
    bool right;   // whether the path turns right there
  };
  int64_t n_classes_;
  std::vector<int64_t> parent_;
  std::vector<char> is_right_;
  std::vector<std::pair<int64_t, int64_t>> children_;
  std::vector<std::vector<Step>> paths_;
};

}  // namespace

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
