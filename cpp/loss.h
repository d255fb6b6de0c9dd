// Output layers: given the hidden vector, score the classes, take one SGD
// step on the output matrix, and return the gradient for the hidden vector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "matrix.h"

namespace mmfast {

enum class LossKind : int32_t {
  kSoftmax = 0,
  kHierarchicalSoftmax = 1,
  kNegativeSampling = 2,
  kOneVsAll = 3
};

// "softmax", "hs", "ns", "ova"
LossKind parse_loss(const std::string& name);
std::string loss_name(LossKind kind);

// Whether each output row also has a bias, added to its logit (the `bias`
// of Loss::train and predict: output_rows() floats, nullptr for a loss
// without). ova's rows do: its classes are independent yes/no decisions,
// each of which needs its prior (a rare label's logit must stay well below
// 0), and no linear function of standardized, zero-mean features can give
// one. Without it a features-only ova model put 36 of 99 labels at p >= 0.5
// on debtags (true: 3.1 per example), micro-F1 .10 against one-vs-rest
// logistic regression's .58. softmax is invariant to a bias shared by all
// classes, and fastText has none.
bool has_output_bias(LossKind kind);

// Per-thread working memory of a loss, so the hot path never allocates.
struct LossScratch {
  LossScratch(uint64_t seed, uint64_t stream) : rng(seed, stream) {}
  std::vector<float> scores;   // per class (and per tree node for hs)
  std::vector<int32_t> stack;  // hs tree walk
  // One example's logistic steps for ns: output rows and their targets.
  std::vector<int32_t> step_rows;
  std::vector<uint8_t> step_positive;
  Rng rng;  // picks one label of a multi-label example, draws negatives
};

class Loss {
 public:
  virtual ~Loss() = default;

  // Rows of the output matrix (one per class, or per tree node for hs).
  virtual int64_t output_rows() const = 0;

  LossScratch make_scratch(uint64_t seed, uint64_t stream) const;

  // One SGD step for an example of classes `labels`: adds the lr-scaled
  // negative gradient w.r.t. `hidden` to `grad`, updates `output` (and
  // `bias`) in place, and returns the example's loss. Single-label losses
  // train on one of the labels, drawn at random, when an example has several.
  virtual float train(const float* hidden, const int32_t* labels, int32_t n_labels, float lr,
                      Matrix& output, float* bias, float* grad, LossScratch& scratch) const = 0;

  // probs[c] for every class c: a distribution for softmax and hs,
  // independent per-class sigmoids for ns and ova.
  virtual void predict(const float* hidden, const Matrix& output, const float* bias, float* probs,
                       LossScratch& scratch) const = 0;

  // Class c's score as a signed sum of output-row logits, sum_k signs[k] *
  // (output row rows[k] . hidden): linear in the hidden vector, so it splits
  // over whatever the hidden vector is a sum of. Softmax, ns and ova: the
  // class's own logit. hs: the decisions on the class's tree path, +1 where
  // it turns right (probability sigmoid(logit)) and -1 where it turns left;
  // the class's probability is the product of the sigmoids of those terms.
  virtual void score_terms(int32_t c, std::vector<int32_t>& rows, std::vector<float>& signs) const;
};

// class_counts: examples per class (hs builds its Huffman tree from them,
// ns draws negatives from their square roots). neg: negatives per positive.
std::unique_ptr<Loss> make_loss(LossKind kind, const std::vector<int64_t>& class_counts, int neg);

}  // namespace mmfast
