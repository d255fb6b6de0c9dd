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
#include <memory>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "job.h"
#include "serialization.h"

namespace mmfast::bindings {

namespace py = pybind11;

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Work (in multiply-adds or bytes) above which a call runs on a thread of
// its own, so that Ctrl-C can stop it: about a millisecond, against the tens
// of microseconds a thread costs.
constexpr double kLongCallWork = 1e7;

// A Job (cpp/job.h) as Python sees it, mmfast._core.Job: Python's one poll
// loop (mmfast/_jobs.py) waits on it, shows its progress, asks it to stop on
// Ctrl-C, and takes its result. It keeps alive the Python objects the work
// reads, and makes the result, with the GIL, once the work has succeeded.
class PyJob {
 public:
  PyJob(py::object keep_alive, std::function<py::object()> result)
      : keep_alive_(std::move(keep_alive)), result_(std::move(result)) {}
  ~PyJob();
  void start(double amount, Job::Work work, Job::Report report);

  bool wait(double seconds);
  void request_stop() { job_->request_stop(); }
  py::dict progress() const;
  // Waits for the work; re-raises its error, else returns its result.
  py::object result();
  // Asks the work to stop and waits for it, whatever it then throws.
  void cancel();

 private:
  py::object keep_alive_;
  std::function<py::object()> result_;
  std::unique_ptr<Job> job_;  // last: destroyed (joined) before what it reads
};

// Starts `work`: on a thread of its own when `amount` (of multiply-adds or
// bytes) is at least kLongCallWork, else at once on this thread, without the
// GIL either way. `keep_alive` holds what the work reads; `result` makes what
// the job returns (None when it returns nothing).
py::object start_job(double amount, Job::Work work, py::object keep_alive = py::none(),
                     std::function<py::object()> result = {}, Job::Report report = {});
// The report of a job whose loops count `total` items (count_done): its
// progress is items_done of items_total.
Job::Report items_total(double total);

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
void bind_jobs(py::module_& m);
void bind_quantizers(py::module_& m);
void bind_classifier(py::module_& m, py::module_& testing);
void bind_datasets(py::module_& m);
void bind_text_files(py::module_& m, py::module_& testing);
void bind_fusion(py::module_& m, py::module_& testing);

}  // namespace mmfast::bindings
