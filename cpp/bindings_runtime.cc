#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "bindings.h"
#include "common.h"

namespace mmfast::bindings {

namespace {

constexpr auto kSignalPoll = std::chrono::milliseconds(50);

unsigned long main_thread_id = 0;  // Python's main thread, set at import

}  // namespace

void init_runtime() {
  main_thread_id =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
}

void run_interruptibly(bool long_call, const std::function<void()>& work) {
  if (!long_call || PyThread_get_thread_ident() != main_thread_id) {
    py::gil_scoped_release release;
    work();
    return;
  }
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::exception_ptr error;
  std::thread helper;
  try {
    helper = std::thread([&] {
      StopScope scope(&stop);
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
      finished.notify_all();
    });
  } catch (const std::system_error&) {
    py::gil_scoped_release release;  // no thread to spare: run here, uninterruptible
    work();
    return;
  }
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished.wait_for(lock, kSignalPoll, [&] { return done; })) {
      if (interrupted) continue;
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        interrupted = PyErr_CheckSignals() != 0;  // the handler's exception stays set
      }
      if (interrupted) stop = true;
      lock.lock();
    }
    lock.unlock();
    helper.join();
  }
  if (interrupted) throw py::error_already_set();
  if (error) std::rethrow_exception(error);
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
