#include <exception>

#include "bindings.h"
#include "common.h"

namespace mmfast::bindings {

PyJob::~PyJob() {
  if (job_ == nullptr) return;
  py::gil_scoped_release release;
  job_.reset();  // asks a job still running to stop, and waits for it
}

void PyJob::start(double amount, Job::Work work, Job::Report report) {
  py::gil_scoped_release release;
  job_ = std::make_unique<Job>(std::move(work), std::move(report), amount >= kLongCallWork);
}

bool PyJob::wait(double seconds) {
  if (job_->ran_inline()) return true;  // a short call: done, no need to let go of the GIL
  py::gil_scoped_release release;
  return job_->wait(seconds);
}

py::dict PyJob::progress() const {
  py::dict out;
  for (const auto& [name, value] : job_->progress()) out[py::str(name)] = value;
  return out;
}

py::object PyJob::result() {
  if (job_->ran_inline()) {
    job_->join();  // nothing to wait for: re-throws what the work threw
  } else {
    py::gil_scoped_release release;
    job_->join();
  }
  return result_ ? result_() : py::none();
}

void PyJob::cancel() {
  py::gil_scoped_release release;
  job_->request_stop();
  try {
    job_->join();
  } catch (...) {
    // The caller raises what made it cancel (e.g. KeyboardInterrupt).
  }
}

py::object start_job(double amount, Job::Work work, py::object keep_alive,
                     std::function<py::object()> result, Job::Report report) {
  auto job = std::make_unique<PyJob>(std::move(keep_alive), std::move(result));
  job->start(amount, std::move(work), std::move(report));
  return py::cast(std::move(job));
}

Job::Report items_total(double total) {
  return [total] { return ProgressReport{{"items_total", total}}; };
}

void bind_jobs(py::module_& m) {
  py::class_<PyJob>(m, "Job", "A long call running in C++; mmfast._jobs.run polls it.")
      .def("wait", &PyJob::wait, py::arg("seconds"),
           "Blocks up to `seconds`; True once the work is done.")
      .def("request_stop", &PyJob::request_stop)
      .def("progress", &PyJob::progress, "The work's counters, by name.")
      .def("result", &PyJob::result, "Waits for the work; raises its error or returns its result.")
      .def("cancel", &PyJob::cancel, "Asks the work to stop and waits for it.");
}

MemoryBuffer::MemoryBuffer(const char* data, size_t size) {
  char* p = const_cast<char*>(data);
  setg(p, p, p + size);
}

MemoryBuffer::pos_type MemoryBuffer::seekoff(off_type offset, std::ios_base::seekdir from,
                                             std::ios_base::openmode) {
  char* base = from == std::ios_base::beg ? eback() : from == std::ios_base::cur ? gptr() : egptr();
  if (offset < eback() - base || offset > egptr() - base) return pos_type(off_type(-1));
  setg(eback(), base + offset, egptr());
  return pos_type(gptr() - eback());
}

MemoryBuffer::pos_type MemoryBuffer::seekpos(pos_type position, std::ios_base::openmode which) {
  return seekoff(off_type(position), std::ios_base::beg, which);
}

void make_readonly(py::array& view) {
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
}

}  // namespace mmfast::bindings
