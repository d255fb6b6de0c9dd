// A whole file mapped read-only into memory: the owner of a compiled
// dataset's arrays. Its pages belong to the page cache, not to the process's
// anonymous memory, and are read from disk only when touched.
//
// The rule for a file changed while mapped: mmfast's own writers never
// change a file in place (they write a new file and rename it over the old
// one, whose mapping stays whole), so only another program that truncates
// or rewrites the file in place can take pages from under a mapping.
// Readers call check_intact() at each block boundary (a fstat, as the
// mapping keeps its file open); between two checks, a page the file lost
// reads as zeros instead of raising SIGBUS (a handler maps zero pages over
// the lost range), and the next check throws FileError (an OSError in
// Python) naming the file.
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
  // Throws FileError when the file is now shorter than its mapping, or a
  // page of the mapping was lost (SIGBUS), since it was mapped.
  void check_intact() const;

 private:
  void release();

  std::string path_;
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  int guard_ = -1;  // its slot in the SIGBUS handler's table
};

}  // namespace mmfast
