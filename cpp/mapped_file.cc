#include "mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "common.h"
#include "serialization.h"

namespace mmfast {

namespace {

// The mappings the SIGBUS handler may repair: a fixed table the handler
// reads without locks (it may run on any thread, at any point). A slot is
// free when its size is 0.
struct GuardedRange {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uint64_t> size{0};
  std::atomic<bool> lost{false};  // a page was replaced by zeros
};
constexpr int kGuardSlots = 256;
GuardedRange guarded[kGuardSlots];
std::mutex guard_mutex;  // serializes taking and freeing slots
struct sigaction previous_action;
bool handler_installed = false;
uintptr_t page_size = 4096;  // set before the handler is installed (sysconf is not signal-safe)

void on_sigbus(int signal, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardedRange& range : guarded) {
    const uint64_t size = range.size.load(std::memory_order_acquire);
    const uintptr_t begin = range.begin.load(std::memory_order_acquire);
    if (size == 0 || address < begin || address >= begin + size) continue;
    // The file lost this page: read zeros there from now on.
    const uintptr_t page = address & ~(page_size - 1);
    void* mapped = mmap(reinterpret_cast<void*>(page), page_size, PROT_READ,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (mapped == MAP_FAILED) break;
    range.lost.store(true, std::memory_order_release);
    return;
  }
  // Not one of ours: the previous handler's (or the default, a crash), when
  // the access is retried.
  (void)context;
  sigaction(signal, &previous_action, nullptr);
}

int guard(const uint8_t* data, uint64_t size) {
  std::lock_guard<std::mutex> lock(guard_mutex);
  if (!handler_installed) {
    page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    struct sigaction action{};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    handler_installed = sigaction(SIGBUS, &action, &previous_action) == 0;
  }
  for (int slot = 0; slot < kGuardSlots; ++slot) {
    if (guarded[slot].size.load() != 0) continue;
    guarded[slot].lost = false;
    guarded[slot].begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
    guarded[slot].size.store(size, std::memory_order_release);
    return slot;
  }
  return -1;  // more mappings than slots: this one is checked by size only
}

void unguard(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(guard_mutex);
  guarded[slot].size.store(0, std::memory_order_release);
}

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
  check_path(path);
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  check(fd_ >= 0, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat info{};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    release();
    check(false, "'" + path + "' is not a regular file");
  }
  size_ = static_cast<uint64_t>(info.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    const int error = errno;
    if (p == MAP_FAILED) {
      release();
      check(false, "cannot map '" + path + "' into memory: " + std::strerror(error));
    }
    data_ = static_cast<const uint8_t*>(p);
    guard_ = guard(data_, size_);
  }
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release() {
  unguard(guard_);
  guard_ = -1;
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void MappedFile::check_intact() const {
  if (fd_ < 0) return;
  struct stat info{};
  const bool lost = guard_ >= 0 && guarded[guard_].lost.load(std::memory_order_acquire);
  if (::fstat(fd_, &info) == 0 && static_cast<uint64_t>(info.st_size) >= size_ && !lost) return;
  throw FileError(EIO, path_,
                  "file '" + path_ + "' was truncated or rewritten in place while in use (it had " +
                      std::to_string(size_) + " bytes, now " + std::to_string(info.st_size) +
                      "): write a new file and rename it over the old one instead");
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      guard_(std::exchange(other.guard_, -1)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(fd_, other.fd_);
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  std::swap(guard_, other.guard_);
  return *this;
}

}  // namespace mmfast
