// The Python module's runtime, shared by the binding files (bindings_*.cc,
// one per domain; bindings.cc assembles the module): how a C++ call runs
// under the GIL and Ctrl-C, and how C++ memory becomes numpy arrays.
// Only the bindings include pybind11; every one of them includes it, and its
// STL casters, through this header (the casters must agree across files).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <functional>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serialization.h"

namespace mmfast::bindings {

namespace py = pybind11;

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Work (in multiply-adds or bytes) above which a call is worth a helper
// thread so that Ctrl-C can stop it: about a millisecond, against the tens
// of microseconds a thread costs.
constexpr double kLongCallWork = 1e7;

// Remembers Python's main thread, the one that sees signals; called at import.
void init_runtime();

// Runs `work` without the GIL. A long call from Python's main thread runs on
// a helper thread while this one checks for signals: when a handler raises
// (Ctrl-C: KeyboardInterrupt), the stop flag the C++ loops check
// (check_stop) is set, the call unwinds and the Python error is raised.
// `work` must leave its objects as they were when it throws Interrupted.
// Short calls, and calls from other threads (which never see signals), run
// here directly.
void run_interruptibly(bool long_call, const std::function<void()>& work);

// Read-only, seekable std::streambuf over bytes owned by Python.
class MemoryBuffer : public std::streambuf {
 public:
  MemoryBuffer(const char* data, size_t size);

 protected:
  pos_type seekoff(off_type offset, std::ios_base::seekdir from, std::ios_base::openmode) override;
  pos_type seekpos(pos_type position, std::ios_base::openmode which) override;
};

// The bytes `object.write` writes (a quantizer, k-means): the format its
// `read` and from_bytes take back.
template <typename Object>
std::string serialized(const Object& object) {
  std::ostringstream stream;
  BinaryWriter out(stream);
  object.write(out);
  out.finish();
  return std::move(stream).str();
}

// Makes `view` read-only (its memory belongs to a C++ object).
void make_readonly(py::array& view);

// A new array holding a copy of `values`.
template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& values) {
  return py::array_t<T>(static_cast<py::ssize_t>(values.size()), values.data());
}

// A read-only array of `shape` over `data`, which `owner` keeps alive.
template <typename T>
py::array_t<T> readonly_view(const std::vector<int64_t>& shape, const T* data, py::handle owner) {
  py::array_t<T> view(shape, data, owner);
  make_readonly(view);
  return view;
}

// Texts as UTF-8 views. For Python strings the views point into the str
// objects, and for LabeledTexts (a file read by read_fasttext_file) into it;
// `owner` keeps them alive while C++ reads them.
struct TextViews {
  std::vector<std::string_view> views;
  py::object owner;
};
// Throws TypeError or ValueError naming texts[i] for an item that is not a
// str, not encodable as UTF-8 (a lone surrogate), or, unless allow_empty,
// without a word.
TextViews text_views(py::handle texts, bool allow_empty);

// The domains, each in its own bindings_<domain>.cc; `testing` is the
// private _testing submodule, for hooks only the tests call.
void bind_quantizers(py::module_& m);
void bind_classifier(py::module_& m, py::module_& testing);
void bind_datasets(py::module_& m);
void bind_text_files(py::module_& m, py::module_& testing);
void bind_fusion(py::module_& m, py::module_& testing);

}  // namespace mmfast::bindings
