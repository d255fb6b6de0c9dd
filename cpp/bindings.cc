// The native module mmfast._core: assembles the domains' bindings
// (bindings_*.cc, over the runtime in bindings.h) and translates C++ errors:
// std::invalid_argument -> ValueError, FileError -> OSError, Interrupted ->
// KeyboardInterrupt, TrainingDiverged -> TrainingDivergedError (a
// ValueError). Test-only hooks live in the private submodule
// mmfast._core._testing.
#include "bindings.h"

#include <exception>

#include "common.h"
#include "serialization.h"
#include "trainer.h"

namespace py = pybind11;
using namespace mmfast;
using namespace mmfast::bindings;

PYBIND11_MODULE(_core, m) {
  m.doc() = "mmfast native core";
  // A ValueError whose kind callers can catch without reading its message.
  static py::exception<TrainingDiverged> diverged(m, "TrainingDivergedError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const FileError& e) {
      // OSError(errno, message, path) is the errno's subclass (FileNotFoundError, ...).
      py::object os_error =
          py::reinterpret_borrow<py::object>(PyExc_OSError)(e.error(), e.what(), e.path());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(os_error.ptr())), os_error.ptr());
    } catch (const Interrupted&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const TrainingDiverged& e) {
      PyErr_SetString(diverged.ptr(), e.what());
    }
  });
  py::module_ testing = m.def_submodule("_testing", "Hooks for mmfast's own tests only.");
  m.def(
      "default_threads", [] { return resolve_threads(0); },
      "Number of threads used when threads=None.");
  bind_jobs(m);
  bind_fusion(m, testing);
  bind_quantizers(m);
  bind_text_files(m, testing);
  bind_classifier(m, testing);
  bind_datasets(m);
}
