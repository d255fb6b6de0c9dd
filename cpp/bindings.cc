// The only file that includes pybind11: array conversion, GIL release and
// error translation around the C++ core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "mmfast native core";
  m.def("default_threads", [] { return mmfast::resolve_threads(0); },
        "Number of threads used when threads=None.");
}
