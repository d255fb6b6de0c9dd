// A whole file mapped read-only into memory: the owner of a compiled
// dataset's arrays. Its pages belong to the page cache, not to the process's
// anonymous memory, and are read from disk only when touched.
#pragma once

#include <cstdint>
#include <string>

namespace mmfast {

class MappedFile {
 public:
  MappedFile() = default;
  // Throws std::invalid_argument naming `path` when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace mmfast
