#include "serialization.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common.h"

namespace mmfast {

namespace {

constexpr uint64_t kPrime = 0x100000001B3ULL;
constexpr uint64_t kChecksumSeed = 0xCBF29CE484222325ULL;
// The checksum folds the stream in blocks of this size (the last one
// shorter), so it depends on the bytes only, and the reader can verify it
// before parsing.
constexpr size_t kChecksumBlock = size_t{1} << 16;
constexpr uint64_t kHeaderBytes = 8;    // magic number and version
constexpr uint64_t kChecksumBytes = 8;  // trailing checksum

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

}  // namespace

// Folds `size` bytes into `h`: four independent 64-bit lanes keep the CPU
// busy (several GB/s), the tail goes byte by byte.
uint64_t checksum_update(uint64_t h, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t lane[4] = {h, h ^ 0x9E3779B97F4A7C15ULL, h + kPrime, rotl(h, 17)};
  size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * k, 8);
      lane[k] = rotl((lane[k] ^ w) * kPrime, 29);
    }
  }
  h = lane[0] ^ rotl(lane[1], 7) ^ rotl(lane[2], 13) ^ rotl(lane[3], 23);
  for (; i < size; ++i) h = (h ^ p[i]) * kPrime;
  return (h ^ size) * kPrime;
}

BinaryWriter::BinaryWriter(std::ostream& out) : out_(out), checksum_(kChecksumSeed) {
  block_.reserve(kChecksumBlock);
  write<uint32_t>(kMagic);
  write<uint32_t>(kFormatVersion);
}

void BinaryWriter::write_string(const std::string& s) {
  write<uint64_t>(s.size());
  write_bytes(s.data(), s.size());
}

void BinaryWriter::write_bytes(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const size_t take = std::min(size, kChecksumBlock - block_.size());
    block_.insert(block_.end(), p, p + take);
    p += take;
    size -= take;
    if (block_.size() == kChecksumBlock) flush_block();
  }
}

void BinaryWriter::flush_block() {
  checksum_ = checksum_update(checksum_, block_.data(), block_.size());
  out_.write(block_.data(), static_cast<std::streamsize>(block_.size()));
  if (!out_) throw std::runtime_error("model save failed: could not write");
  block_.clear();
}

void BinaryWriter::finish() {
  if (!block_.empty()) flush_block();
  const uint64_t sum = checksum_;
  out_.write(reinterpret_cast<const char*>(&sum), sizeof(sum));
  out_.flush();
  if (!out_) throw std::runtime_error("model save failed: could not write");
}

BinaryReader::BinaryReader(std::istream& in, uint64_t size) : in_(in), remaining_(size) {
  if (size < kHeaderBytes) throw std::invalid_argument("not an mmfast model: file is too short");
  if (read<uint32_t>() != kMagic)
    throw std::invalid_argument("not an mmfast model: bad magic number");
  version_ = read<uint32_t>();
  if (version_ < kOldestFormatVersion || version_ > kFormatVersion) {
    throw std::invalid_argument("unsupported mmfast model format version " +
                                std::to_string(version_) + " (this build reads versions " +
                                std::to_string(kOldestFormatVersion) + " to " +
                                std::to_string(kFormatVersion) +
                                "; retrain the model, or load "
                                "it with the mmfast release that wrote it)");
  }
  expect(size >= kHeaderBytes + kChecksumBytes, "file is truncated");
  const uint64_t checked = size - kChecksumBytes;
  in_.seekg(0);
  std::vector<char> block(std::min<uint64_t>(kChecksumBlock, checked));
  uint64_t sum = kChecksumSeed;
  for (uint64_t done = 0; done < checked; done += block.size()) {
    check_stop();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), checked - done));
    in_.read(block.data(), static_cast<std::streamsize>(n));
    expect(static_cast<bool>(in_), "read failed");
    sum = checksum_update(sum, block.data(), n);
  }
  uint64_t stored = 0;
  in_.read(reinterpret_cast<char*>(&stored), sizeof(stored));
  expect(static_cast<bool>(in_), "read failed");
  expect(stored == sum, "checksum mismatch (the file is truncated or damaged)");
  in_.seekg(static_cast<std::streamoff>(kHeaderBytes));
  expect(static_cast<bool>(in_), "read failed");
  remaining_ = checked - kHeaderBytes;
}

std::string BinaryReader::read_string() {
  const uint64_t n = read<uint64_t>();
  expect_available(n);
  std::string s(n, '\0');
  read_bytes(&s[0], n);
  return s;
}

void BinaryReader::read_bytes(void* data, size_t size) {
  expect_available(size);
  in_.read(static_cast<char*>(data), static_cast<std::streamsize>(size));
  expect(static_cast<bool>(in_), "read failed");
  remaining_ -= size;
}

void BinaryReader::expect_available(uint64_t bytes) const {
  expect(bytes <= remaining_, "file is truncated");
}

void BinaryReader::expect(bool ok, const std::string& what) const {
  if (!ok) throw std::invalid_argument("corrupt mmfast model: " + what);
}

void BinaryReader::finish() { expect(remaining_ == 0, "unexpected bytes after the end"); }

namespace {

FileError file_error(const std::string& path, int error) {
  if (error == 0) error = EIO;
  return FileError(error, path, "cannot write '" + path + "': " + std::strerror(error));
}

}  // namespace

std::string temporary_sibling(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp" + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  // Refused up front what would otherwise fail only at the rename, after
  // the whole file was written.
  check_path(path);
  if (path.empty()) throw file_error(path, ENOENT);
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) throw file_error(path, EISDIR);
  const std::string tmp = temporary_sibling(path);
  try {
    {
      errno = 0;
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw file_error(path, errno);
      try {
        write(out);
        out.close();
      } catch (...) {
        if (!out.good()) throw file_error(path, errno);
        throw;
      }
      if (!out) throw file_error(path, errno);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw file_error(path, errno);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace mmfast
