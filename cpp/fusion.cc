#include "fusion.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common.h"
#include "simd.h"

namespace mmfast {

namespace {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// g[i] = sigmoid(x[i])
inline void sigmoids(const float* x, float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i) g[i] = sigmoid(x[i]);
}

}  // namespace

FusionKind parse_fusion(const std::string& name) {
  for (int32_t k = 0; k <= static_cast<int32_t>(FusionKind::kBilinearGated); ++k) {
    if (fusion_name(static_cast<FusionKind>(k)) == name) return static_cast<FusionKind>(k);
  }
  throw std::invalid_argument(
      "fusion must be one of 'text', 'features', 'add', 'max', "
      "'gated', 'bilinear_gated_paper', 'bilinear_gated', got '" +
      name + "'");
}

std::string fusion_name(FusionKind kind) {
  switch (kind) {
    case FusionKind::kText: return "text";
    case FusionKind::kFeatures: return "features";
    case FusionKind::kAdd: return "add";
    case FusionKind::kMax: return "max";
    case FusionKind::kGated: return "gated";
    case FusionKind::kBilinearGatedPaper: return "bilinear_gated_paper";
    case FusionKind::kBilinearGated: return "bilinear_gated";
  }
  throw std::invalid_argument("unknown fusion kind");
}

Gate parse_gate(const std::string& name) {
  if (name == "features") return Gate::kFeatures;
  if (name == "text") return Gate::kText;
  throw std::invalid_argument("gate must be 'features' or 'text', got '" + name + "'");
}

std::string gate_name(Gate gate) { return gate == Gate::kFeatures ? "features" : "text"; }

Fusion::Fusion(FusionKind kind, Gate gate, int32_t dim) : kind_(kind), gate_(gate), dim_(dim) {
  check(dim >= 1, "dim must be >= 1");
  check(kind >= FusionKind::kText && kind <= FusionKind::kBilinearGated, "unknown fusion kind");
  check(gate == Gate::kFeatures || gate == Gate::kText, "unknown gate");
}

int64_t Fusion::width() const {
  if (!bilinear()) return dim_;
  return int64_t{dim_} * dim_ + (kind_ == FusionKind::kBilinearGated ? dim_ : 0);
}

float Fusion::text_step() const {
  return kind_ == FusionKind::kGated && gate_ == Gate::kText ? kGateStep : 1.0f;
}

float Fusion::features_step() const {
  const bool features_gate =
      bilinear() || (kind_ == FusionKind::kGated && gate_ == Gate::kFeatures);
  return features_gate ? kGateStep : 1.0f;
}

float Fusion::max_lr() const {
  return bilinear() ? kMaxBilinearLr : std::numeric_limits<float>::infinity();
}

FusionScratch Fusion::make_scratch() const {
  FusionScratch s;
  s.t.resize(dim_);
  s.u.resize(dim_);
  s.z.resize(width());
  s.dz.resize(width());
  s.dt.resize(dim_);
  s.du.resize(dim_);
  s.gate.resize(dim_);
  return s;
}

MMFAST_CLONES void Fusion::forward(FusionScratch& s) const {
  const int64_t h = dim_;
  const float* t = s.t.data();
  const float* u = s.u.data();
  float* z = s.z.data();
  float* g = s.gate.data();
  switch (kind_) {
    case FusionKind::kText: std::copy(t, t + h, z); break;
    case FusionKind::kFeatures: std::copy(u, u + h, z); break;
    case FusionKind::kAdd:
      for (int64_t i = 0; i < h; ++i) z[i] = t[i] + u[i];
      break;
    case FusionKind::kMax:
      for (int64_t i = 0; i < h; ++i) z[i] = std::max(t[i], u[i]);
      break;
    case FusionKind::kGated: {
      const bool by_features = gate_ == Gate::kFeatures;
      sigmoids(by_features ? u : t, g, h);
      const float* gated = by_features ? t : u;
      for (int64_t i = 0; i < h; ++i) z[i] = 2.0f * gated[i] * g[i];
      break;
    }
    case FusionKind::kBilinearGatedPaper:
    case FusionKind::kBilinearGated:
      sigmoids(u, g, h);
      for (int64_t i = 0; i < h; ++i) {
        float* row = z + i * h;
        const float ti = t[i];
        for (int64_t j = 0; j < h; ++j) row[j] = ti * g[j];
      }
      if (kind_ == FusionKind::kBilinearGated) {
        float* additive = z + h * h;
        for (int64_t i = 0; i < h; ++i) additive[i] = t[i] + u[i] / kAdditiveShrink;
      }
      break;
  }
}

MMFAST_CLONES void Fusion::backward(FusionScratch& s) const {
  const int64_t h = dim_;
  const float* t = s.t.data();
  const float* u = s.u.data();
  const float* g = s.gate.data();
  const float* dz = s.dz.data();
  float* dt = s.dt.data();
  float* du = s.du.data();
  switch (kind_) {
    case FusionKind::kText: std::copy(dz, dz + h, dt); break;
    case FusionKind::kFeatures: std::copy(dz, dz + h, du); break;
    case FusionKind::kAdd:
      std::copy(dz, dz + h, dt);
      std::copy(dz, dz + h, du);
      break;
    case FusionKind::kMax:
      // The winner of each coordinate takes its gradient (ties go to the text).
      for (int64_t i = 0; i < h; ++i) {
        const bool text_wins = t[i] >= u[i];
        dt[i] = text_wins ? dz[i] : 0.0f;
        du[i] = text_wins ? 0.0f : dz[i];
      }
      break;
    case FusionKind::kGated: {
      // z = 2 x * sigmoid(y): dx = 2 dz * g, dy = 2 dz * x * g * (1 - g).
      const bool by_features = gate_ == Gate::kFeatures;
      const float* x = by_features ? t : u;
      float* dx = by_features ? dt : du;
      float* dy = by_features ? du : dt;
      for (int64_t i = 0; i < h; ++i) {
        dx[i] = 2.0f * dz[i] * g[i];
        dy[i] = 2.0f * dz[i] * x[i] * g[i] * (1.0f - g[i]);
      }
      break;
    }
    case FusionKind::kBilinearGatedPaper:
    case FusionKind::kBilinearGated:
      // z[i, j] = t[i] * g[j]: dt[i] = sum_j dz[i, j] g[j],
      // du[j] = g[j] (1 - g[j]) sum_i dz[i, j] t[i].
      std::fill(du, du + h, 0.0f);
      for (int64_t i = 0; i < h; ++i) {
        const float* row = dz + i * h;
        dt[i] = dot(row, g, h);
        axpy(t[i], row, du, h);
      }
      for (int64_t j = 0; j < h; ++j) du[j] *= g[j] * (1.0f - g[j]);
      if (kind_ == FusionKind::kBilinearGated) {
        // z[h * h + i] = t[i] + u[i] / kAdditiveShrink.
        const float* additive = dz + h * h;
        for (int64_t i = 0; i < h; ++i) {
          dt[i] += additive[i];
          du[i] += additive[i] / kAdditiveShrink;
        }
      }
      break;
  }
}

}  // namespace mmfast
