#include "serialization.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

namespace mmfast {

namespace {

constexpr uint64_t kPrime = 0x100000001B3ULL;

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

BinaryWriter::BinaryWriter(std::ostream& out) : out_(out), checksum_(0xCBF29CE484222325ULL) {
  write<uint32_t>(kMagic);
  write<uint32_t>(kFormatVersion);
}

void BinaryWriter::write_string(const std::string& s) {
  write<uint64_t>(s.size());
  write_bytes(s.data(), s.size());
}

void BinaryWriter::write_bytes(const void* data, size_t size) {
  checksum_ = checksum_update(checksum_, data, size);
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out_) throw std::runtime_error("model save failed: could not write");
}

void BinaryWriter::finish() {
  const uint64_t sum = checksum_;
  out_.write(reinterpret_cast<const char*>(&sum), sizeof(sum));
  out_.flush();
  if (!out_) throw std::runtime_error("model save failed: could not write");
}

BinaryReader::BinaryReader(std::istream& in, uint64_t size)
    : in_(in), remaining_(size), checksum_(0xCBF29CE484222325ULL) {
  if (size < 8) throw std::invalid_argument("not an mmfast model: file is too short");
  if (read<uint32_t>() != kMagic) throw std::invalid_argument("not an mmfast model: bad magic number");
  version_ = read<uint32_t>();
  if (version_ < kOldestReadableVersion || version_ > kFormatVersion) {
    throw std::invalid_argument("unsupported mmfast model format version " +
                                std::to_string(version_) + " (this build reads versions " +
                                std::to_string(kOldestReadableVersion) + " to " +
                                std::to_string(kFormatVersion) + ")");
  }
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
  checksum_ = checksum_update(checksum_, data, size);
}

void BinaryReader::expect_available(uint64_t bytes) const {
  expect(bytes <= remaining_, "file is truncated");
}

void BinaryReader::expect(bool ok, const std::string& what) const {
  if (!ok) throw std::invalid_argument("corrupt mmfast model: " + what);
}

void BinaryReader::finish() {
  const uint64_t expected = checksum_;
  uint64_t stored;
  expect(remaining_ >= sizeof(stored), "file is truncated");
  in_.read(reinterpret_cast<char*>(&stored), sizeof(stored));
  expect(static_cast<bool>(in_), "read failed");
  remaining_ -= sizeof(stored);
  expect(stored == expected, "checksum mismatch");
  expect(remaining_ == 0, "unexpected bytes after the end");
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw std::runtime_error("cannot open '" + tmp + "' for writing");
      write(out);
      out.close();
      if (!out) throw std::runtime_error("could not finish writing '" + tmp + "'");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "'");
    }
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace mmfast
