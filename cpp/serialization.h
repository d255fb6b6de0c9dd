// The versioned binary model format: a magic number and version up front,
// length-checked sections, and a checksum at the end that is verified
// before anything is parsed, so a truncated, corrupt or foreign file is
// refused before anything is used.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace mmfast {

constexpr uint32_t kMagic = 0x54464D4D;  // "MMFT" on disk
// Version 2: the checksum folds fixed-size blocks (so it is verified before
// anything is parsed), and the model section holds continuous fusion.
// Version 3: a matrix may store only the rows that left their seeded
// initialization (see Matrix::write). Version 4: a table may be compressed
// (pruned, product-quantized rows: QuantizedMatrix), and a classifier's
// vocabulary is followed by its rule for unknown words (UnknownWords). Version 5: a model's
// shape says whether it has an intercept (ModelShape::intercept). Files of versions 2 to 5
// are read; version 5 is written.
constexpr uint32_t kFormatVersion = 5;
constexpr uint32_t kOldestFormatVersion = 2;

// A file the system refused to open, write or rename: `error` is the errno
// value (the Python layer raises the matching OSError), `path` the file the
// caller named.
class FileError : public std::runtime_error {
 public:
  FileError(int error, const std::string& path, const std::string& what)
      : std::runtime_error(what), error_(error), path_(path) {}
  int error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  int error_;
  std::string path_;
};

// The checksum BinaryWriter keeps: `h` updated with `size` bytes.
uint64_t checksum_update(uint64_t h, const void* data, size_t size);

// Writes values and keeps a running checksum of everything written.
class BinaryWriter {
 public:
  explicit BinaryWriter(std::ostream& out);

  template <typename T>
  void write(const T& value) {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    write_bytes(&value, sizeof(T));
  }
  template <typename T>
  void write_vector(const std::vector<T>& values) {
    write<uint64_t>(values.size());
    write_bytes(values.data(), values.size() * sizeof(T));
  }
  void write_string(const std::string& s);
  void write_bytes(const void* data, size_t size);
  // Appends the checksum; call once, last.
  void finish();

 private:
  // Checksums and writes the buffered block.
  void flush_block();

  std::ostream& out_;
  uint64_t checksum_;
  std::vector<char> block_;  // bytes not yet checksummed, less than one block
};

// Reads what BinaryWriter wrote. The constructor checks the magic number
// and version, then reads the whole (seekable) stream once to verify the
// checksum (calling check_stop() between blocks); every read after that is
// bounds-checked against the stream's size.
class BinaryReader {
 public:
  BinaryReader(std::istream& in, uint64_t size);

  template <typename T>
  T read() {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    T value;
    read_bytes(&value, sizeof(T));
    return value;
  }
  template <typename T>
  std::vector<T> read_vector() {
    const uint64_t n = read<uint64_t>();
    expect(n <= remaining_ / sizeof(T), "section larger than the file");
    std::vector<T> values(n);
    read_bytes(values.data(), n * sizeof(T));
    return values;
  }
  std::string read_string();
  void read_bytes(void* data, size_t size);
  // Throws unless `bytes` more bytes are left in the stream.
  void expect_available(uint64_t bytes) const;
  // Throws the standard "corrupt model" error when `ok` is false.
  void expect(bool ok, const std::string& what) const;
  // Verifies that the parse ended where the checksum begins.
  void finish();
  // The format version of the stream, in [kOldestFormatVersion, kFormatVersion].
  uint32_t version() const { return version_; }

 private:
  std::istream& in_;
  uint64_t remaining_;  // bytes before the checksum
  uint32_t version_ = 0;
};

// A name next to `path` for a file that will be renamed to `path`, unique to
// this call (process id and a counter): two writers of one path, in one
// process or not, never write into each other's temporary file.
std::string temporary_sibling(const std::string& path);

// Writes a file through `write` into a temporary sibling and renames it into
// place, so a failed save never leaves a half-written file at `path`, and
// writers racing for one path leave one whole file. The system's refusals
// throw FileError naming `path`.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace mmfast
