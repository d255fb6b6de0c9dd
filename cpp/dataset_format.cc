#include "dataset_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "common.h"
#include "mapped_file.h"
#include "serialization.h"

namespace mmfast {

namespace {

constexpr uint64_t kChecksumBlock = uint64_t{1} << 20;  // checksummed independently, in parallel

uint64_t round_up(uint64_t x) { return (x + kDatasetPage - 1) / kDatasetPage * kDatasetPage; }

[[noreturn]] void fail_write(const std::string& path) {
  throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

}  // namespace

const char* section_name(uint32_t kind) {
  static const char* const kNames[] = {"",          "meta",  "token offsets", "label offsets",
                                       "label ids", "codes", "features",      "token ids"};
  return kind < kSectionKinds ? kNames[kind] : "unknown section";
}

uint64_t section_checksum(const uint8_t* data, uint64_t size, int threads) {
  const int64_t blocks = static_cast<int64_t>((size + kChecksumBlock - 1) / kChecksumBlock);
  uint64_t h = checksum_update(kDatasetSeed, &size, sizeof size);
  constexpr int64_t kGroup = 256;
  std::vector<uint64_t> hashes(kGroup);
  for (int64_t first = 0; first < blocks; first += kGroup) {
    const int64_t group = std::min(kGroup, blocks - first);
    parallel_for(group, threads, [&](int64_t begin, int64_t end, int) {
      for (int64_t g = begin; g < end; ++g) {
        const uint64_t start = static_cast<uint64_t>(first + g) * kChecksumBlock;
        hashes[g] =
            checksum_update(kDatasetSeed, data + start, std::min(kChecksumBlock, size - start));
      }
    });
    h = checksum_update(h, hashes.data(), group * sizeof(uint64_t));
  }
  return h;
}

std::string write_meta(const DatasetMeta& meta) {
  std::ostringstream stream;
  BinaryWriter out(stream);
  out.write<int64_t>(meta.settings.min_count);
  out.write<uint8_t>(meta.settings.numeric_labels);
  meta.dictionary.write(out);
  out.write<uint64_t>(meta.label_names.size());
  for (const auto& name : meta.label_names) out.write_string(name);
  out.write<uint8_t>(meta.multilabel);
  out.write<int32_t>(meta.n_codes);
  out.write<int32_t>(meta.code_bytes);
  out.write<int32_t>(meta.max_code);
  out.write<int32_t>(meta.n_features);
  out.write_string(meta.feature_reference);
  out.write<uint64_t>(meta.feature_offset);
  out.write<uint64_t>(meta.feature_file_bytes);
  out.write<uint64_t>(meta.feature_header_checksum);
  out.write<uint64_t>(meta.feature_data_checksum);
  out.write_string(meta.quantizer);
  out.finish();
  return std::move(stream).str();
}

DatasetMeta read_meta(const uint8_t* data, uint64_t size, uint32_t version) {
  std::istringstream stream(std::string(reinterpret_cast<const char*>(data), size));
  BinaryReader in(stream, size);
  DatasetMeta meta;
  meta.settings.min_count = in.read<int64_t>();
  meta.settings.numeric_labels = in.read<uint8_t>() != 0;
  meta.dictionary = Dictionary::read(in);
  meta.settings.word_ngrams = meta.dictionary.word_ngrams();
  meta.settings.buckets = meta.dictionary.buckets();
  const uint64_t n_labels = in.read<uint64_t>();
  in.expect(n_labels < INT32_MAX, "bad number of labels");
  for (uint64_t k = 0; k < n_labels; ++k) meta.label_names.push_back(in.read_string());
  meta.multilabel = in.read<uint8_t>() != 0;
  meta.n_codes = in.read<int32_t>();
  meta.code_bytes = in.read<int32_t>();
  meta.max_code = in.read<int32_t>();
  meta.n_features = in.read<int32_t>();
  meta.feature_reference = in.read_string();
  meta.feature_offset = in.read<uint64_t>();
  meta.feature_file_bytes = in.read<uint64_t>();
  meta.feature_header_checksum = in.read<uint64_t>();
  if (version >= 2) meta.feature_data_checksum = in.read<uint64_t>();
  meta.quantizer = in.read_string();
  in.finish();
  in.expect(
      meta.n_codes >= 0 && meta.n_features >= 0 && (meta.n_codes == 0 || meta.n_features == 0),
      "bad feature shape");
  in.expect(meta.n_codes == 0 || meta.code_bytes == 1 || meta.code_bytes == 2, "bad code width");
  return meta;
}

SectionTable read_section_table(const uint8_t* p, uint64_t size, const std::string& path,
                                int threads) {
  auto corrupt = [&](const std::string& what) {
    return std::invalid_argument("corrupt mmfast dataset '" + path + "': " + what);
  };
  check(size >= sizeof kDatasetMagic && std::memcmp(p, kDatasetMagic, sizeof kDatasetMagic) == 0,
        "'" + path + "' is not an mmfast dataset (it does not start with the MMFDATA magic)");
  if (size < kDatasetPage) throw corrupt("file is truncated (" + std::to_string(size) + " bytes)");
  FileHeader header;
  std::memcpy(&header, p, sizeof header);
  check(header.version >= 1 && header.version <= kDatasetVersion,
        "'" + path + "' is an mmfast dataset of format version " + std::to_string(header.version) +
            "; this build reads versions 1 to " + std::to_string(kDatasetVersion));
  const uint32_t count = header.n_sections;
  if (count > kSectionKinds ||
      sizeof(FileHeader) + count * sizeof(SectionEntry) + sizeof(uint64_t) > kDatasetPage) {
    throw corrupt("bad section count");
  }
  const size_t used = sizeof(FileHeader) + count * sizeof(SectionEntry);
  uint64_t stored = 0;
  std::memcpy(&stored, p + used, sizeof stored);
  if (stored != checksum_update(kDatasetSeed, p, used)) throw corrupt("header checksum mismatch");
  // Each example has two offsets (16 bytes): a larger count is forged.
  if (header.n_examples < 0 || static_cast<uint64_t>(header.n_examples) > size / 16) {
    throw corrupt("bad number of examples");
  }
  SectionTable table;
  table.version = header.version;
  table.n_examples = header.n_examples;
  table.sections.assign(kSectionKinds, Section{});
  uint64_t end_of_data = kDatasetPage;
  std::vector<SectionEntry> entries(count);
  for (uint32_t k = 0; k < count; ++k) {
    SectionEntry& e = entries[k];
    std::memcpy(&e, p + sizeof(FileHeader) + k * sizeof(SectionEntry), sizeof e);
    if (e.kind == 0 || e.kind >= kSectionKinds || table.sections[e.kind].data != nullptr ||
        e.offset % kDatasetPage != 0 || e.offset < end_of_data || e.size > UINT64_MAX - e.offset) {
      throw corrupt("bad section table");
    }
    end_of_data = e.offset + e.size;
    if (end_of_data > size) {
      throw corrupt("file is truncated: its " + std::string(section_name(e.kind)) +
                    " end at byte " + std::to_string(end_of_data) + " but the file has " +
                    std::to_string(size) + " bytes");
    }
    table.sections[e.kind] = Section{p + e.offset, e.size};
  }
  if (end_of_data != size) {
    throw corrupt("the file has " + std::to_string(size - end_of_data) +
                  " bytes after its last section");
  }
  for (const SectionEntry& e : entries) {
    if (section_checksum(p + e.offset, e.size, threads) != e.checksum) {
      throw corrupt("checksum mismatch in its " + std::string(section_name(e.kind)));
    }
  }
  return table;
}

DatasetFileWriter::DatasetFileWriter(const std::string& path,
                                     const std::vector<std::pair<uint32_t, uint64_t>>& sizes)
    : path_(path), tmp_(temporary_sibling(path)) {
  check_path(path);
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_write(tmp_);
  uint64_t offset = kDatasetPage;
  for (const auto& [kind, size] : sizes) {
    sections_.push_back(Cursor{kind, offset, size, 0});
    offset = round_up(offset + size);
  }
}

DatasetFileWriter::~DatasetFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(tmp_.c_str());
}

void DatasetFileWriter::append(uint32_t kind, const void* data, uint64_t bytes) {
  Cursor& c = cursor(kind);
  const bool last = &c == &sections_.back();
  check(last || c.written + bytes <= c.size, "internal error: section overflow");
  write_at(c.offset + c.written, data, bytes);
  c.written += bytes;
}

void DatasetFileWriter::finish(int64_t n_examples, int threads) {
  for (Cursor& c : sections_) {
    if (&c == &sections_.back()) c.size = c.written;
    check(c.written == c.size, "internal error: section not filled");
  }
  // The file ends where the last section does, even an empty one.
  const Cursor& last = sections_.back();
  if (::ftruncate(fd_, static_cast<off_t>(last.offset + last.size)) != 0) {
    fail_write(tmp_);
  }
  std::vector<uint8_t> page(kDatasetPage, 0);
  {
    const MappedFile written(tmp_);
    FileHeader header{};
    std::memcpy(header.magic, kDatasetMagic, sizeof kDatasetMagic);
    header.version = kDatasetVersion;
    header.n_sections = static_cast<uint32_t>(sections_.size());
    header.n_examples = n_examples;
    std::memcpy(page.data(), &header, sizeof header);
    for (size_t k = 0; k < sections_.size(); ++k) {
      const Cursor& c = sections_[k];
      const SectionEntry entry{c.kind, 0, c.offset, c.size,
                               section_checksum(written.data() + c.offset, c.size, threads)};
      std::memcpy(page.data() + sizeof header + k * sizeof(SectionEntry), &entry, sizeof entry);
    }
    const size_t used = sizeof header + sections_.size() * sizeof(SectionEntry);
    const uint64_t sum = checksum_update(kDatasetSeed, page.data(), used);
    std::memcpy(page.data() + used, &sum, sizeof sum);
  }
  write_at(0, page.data(), page.size());
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail_write(tmp_);
  }
  fd_ = -1;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail_write(path_);
  finished_ = true;
}

DatasetFileWriter::Cursor& DatasetFileWriter::cursor(uint32_t kind) {
  for (Cursor& c : sections_) {
    if (c.kind == kind) return c;
  }
  throw std::logic_error("no such section");
}

void DatasetFileWriter::write_at(uint64_t offset, const void* data, uint64_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n =
        ::pwrite(fd_, p, std::min<uint64_t>(bytes, 1 << 30), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_write(tmp_);
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
}

}  // namespace mmfast
