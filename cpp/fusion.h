// Fusion: how the text vector t and the feature vector u (both dim floats)
// combine into the hidden vector z that the output layer scores, and how a
// gradient on z flows back to t and u. The model calls forward and backward
// once per example; where t and u come from (text rows, a projection of
// dense features, feature-token rows) is the model's business.
//
// Discretized fusion (pq, rspq) is the kAdd kind over feature tokens:
// u = alpha * mean of the tokens' rows.
//
// The gate of kGated is 2 sigmoid, not the paper's sigmoid: the output
// matrix absorbs the factor, so the models are the same, but a fresh gated
// model (u ~ 0, gate ~ 1) starts as the gated modality alone instead of half
// of it, which learned as fast as that modality alone where the plain
// sigmoid lost to it (README, "Choosing the fusion's settings").
//
// kBilinearGated is the paper's bilinear gated model plus add's hidden
// vector beside it. In the paper's model (kBilinearGatedPaper) the features
// reach the scores only through gates on the text, and a gate's gradient is
// the product of the output weights and t, both about zero at the start:
// by the time it grows the text has fit the training set, and on a real set
// (icons) the model scored the same with the test features shuffled. The
// additive part gives the features a first-order path of their own. It
// reads u / kAdditiveShrink: C steps kGateStep times as far for the gates,
// and u / sqrt(kGateStep) then learns at add's own pace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mmfast {

enum class FusionKind : int32_t {
  kText = 0,           // z = t
  kFeatures = 1,       // z = u
  kAdd = 2,            // z = t + u
  kMax = 3,            // z = max(t, u), elementwise
  kGated = 4,          // z = 2 t * sigmoid(u) (gate on the features), or 2 u * sigmoid(t)
  kBilinearGatedPaper = 5,  // z = vec(t (x) sigmoid(u)): dim * dim units (the paper's model)
  kBilinearGated = 6,       // z = [vec(t (x) sigmoid(u)), t + u / 8]: dim * dim + dim units
};

// Whether z holds t (x) sigmoid(u): either bilinear kind.
inline bool is_bilinear(FusionKind kind) {
  return kind == FusionKind::kBilinearGatedPaper || kind == FusionKind::kBilinearGated;
}

// Which modality's sigmoid gates the other in kGated.
enum class Gate : int32_t { kFeatures = 0, kText = 1 };

// "text", "features", "add", "max", "gated", "bilinear_gated_paper", "bilinear_gated"
FusionKind parse_fusion(const std::string& name);
std::string fusion_name(FusionKind kind);
// "features", "text"
Gate parse_gate(const std::string& name);
std::string gate_name(Gate gate);

// Per-thread working memory of one example's forward and backward pass.
struct FusionScratch {
  std::vector<float> t, u;    // inputs, dim
  std::vector<float> z, dz;   // hidden vector and its gradient, width
  std::vector<float> dt, du;  // gradients of the inputs, dim
  std::vector<float> gate;    // sigmoid of the gating input, dim
};

class Fusion {
 public:
  Fusion(FusionKind kind, Gate gate, int32_t dim);

  FusionKind kind() const { return kind_; }
  Gate gate() const { return gate_; }
  bool uses_text() const { return kind_ != FusionKind::kFeatures; }
  bool uses_features() const { return kind_ != FusionKind::kText; }
  // Step-size factor for the gradient reaching t and u. An input that only
  // gates the other (through a sigmoid) gets its gradient damped by
  // sigmoid' <= 1/4 and by the other input's small values, and learned
  // far too slowly at the common step size: it takes kGateStep times it.
  float text_step() const;
  float features_step() const;
  static constexpr float kGateStep = 64.0f;
  // kBilinearGated's additive part is t + u / kAdditiveShrink (sqrt(kGateStep)).
  static constexpr float kAdditiveShrink = 8.0f;
  // The largest learning rate the fusion trains at (larger ones are capped):
  // bilinear_gated's dim * dim hidden values make one step move the scores
  // about dim / 4 times as far as add's, and at lr 0.5 it diverged on a
  // real set (1.2k examples, 14 epochs; 0.2 was its best). Others: no cap.
  float max_lr() const;
  static constexpr float kMaxBilinearLr = 0.2f;
  // Size of z: dim, dim * dim for kBilinearGatedPaper, dim * dim + dim for
  // kBilinearGated.
  int64_t width() const;
  bool bilinear() const { return is_bilinear(kind_); }

  FusionScratch make_scratch() const;

  // s.z = f(s.t, s.u). Inputs a kind does not use are ignored.
  void forward(FusionScratch& s) const;
  // From s.dz (and what forward left in s), s.dt and s.du: the gradient
  // reaching each input. Call after forward on the same scratch.
  void backward(FusionScratch& s) const;

 private:
  FusionKind kind_;
  Gate gate_;
  int32_t dim_;
};

}  // namespace mmfast
