// Bindings of one fusion's forward pass (explanations use it) and, for the
// tests' gradient checks, its backward pass.
#include <algorithm>
#include <string>

#include "bindings.h"
#include "common.h"
#include "fusion.h"

namespace mmfast::bindings {

namespace {

// One fusion's forward and backward on single vectors, for gradient checks.
py::array_t<float> fusion_forward(const std::string& kind, const std::string& gate,
                                  const CArray<float>& t, const CArray<float>& u) {
  check(t.ndim() == 1 && u.ndim() == 1 && t.size() == u.size() && t.size() >= 1,
        "t and u must be 1-D arrays of the same size");
  const Fusion fusion(parse_fusion(kind), parse_gate(gate), static_cast<int32_t>(t.size()));
  FusionScratch s = fusion.make_scratch();
  std::copy(t.data(), t.data() + t.size(), s.t.begin());
  std::copy(u.data(), u.data() + u.size(), s.u.begin());
  fusion.forward(s);
  return to_numpy(s.z);
}

py::tuple fusion_backward(const std::string& kind, const std::string& gate, const CArray<float>& t,
                          const CArray<float>& u, const CArray<float>& dz) {
  check(t.ndim() == 1 && u.ndim() == 1 && t.size() == u.size() && t.size() >= 1,
        "t and u must be 1-D arrays of the same size");
  const Fusion fusion(parse_fusion(kind), parse_gate(gate), static_cast<int32_t>(t.size()));
  check(dz.ndim() == 1 && dz.size() == fusion.width(), "dz must have the fusion's width");
  FusionScratch s = fusion.make_scratch();
  std::copy(t.data(), t.data() + t.size(), s.t.begin());
  std::copy(u.data(), u.data() + u.size(), s.u.begin());
  fusion.forward(s);
  std::copy(dz.data(), dz.data() + dz.size(), s.dz.begin());
  fusion.backward(s);
  return py::make_tuple(to_numpy(s.dt), to_numpy(s.du));
}

}  // namespace

void bind_fusion(py::module_& m, py::module_& testing) {
  m.def("fusion_forward", &fusion_forward, py::arg("fusion"), py::arg("gate"), py::arg("t"),
        py::arg("u"), "z = fusion(t, u), as the model computes it.");
  testing.def("fusion_backward", &fusion_backward, py::arg("fusion"), py::arg("gate"), py::arg("t"),
              py::arg("u"), py::arg("dz"),
              "(dt, du): the gradient dz of z carried back to t and u.");
}

}  // namespace mmfast::bindings
