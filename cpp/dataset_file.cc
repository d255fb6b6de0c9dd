#include "dataset_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "common.h"
#include "serialization.h"
#include "text_file.h"

namespace mmfast {

namespace {

// The file: a header page (magic, version, section table, checksum), then
// the sections, each at a page-aligned offset.
constexpr char kFileMagic[8] = {'M', 'M', 'F', 'D', 'A', 'T', 'A', '\n'};
constexpr uint32_t kFileVersion = 1;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kSeed = 0xCBF29CE484222325ULL;
constexpr uint64_t kChecksumBlock = uint64_t{1} << 20;  // checksummed independently, in parallel
constexpr size_t kTextChunk = size_t{16} << 20;         // bytes of text tokenized together
constexpr int64_t kRowChunk = 65536;                    // feature rows encoded together

enum SectionKind : uint32_t {
  kMeta = 1,
  kTokenOffsets,  // int64, n + 1
  kLabelOffsets,  // int64, n + 1
  kLabelIds,      // int32
  kCodes,         // uint8 or uint16, n x n_codes
  kFeatures,      // float32, n x n_features
  kTokenIds,      // int32; last, so that it can grow while written
  kSectionKinds
};
const char* const kSectionNames[] = {"",          "meta",  "token offsets", "label offsets",
                                     "label ids", "codes", "features",      "token ids"};

struct Entry {
  uint32_t kind;
  uint32_t reserved;
  uint64_t offset;
  uint64_t size;
  uint64_t checksum;
};
constexpr size_t kHeaderFixed = sizeof(kFileMagic) + 4 + 4 + 8;  // magic, version, count, n

uint64_t round_up(uint64_t x) { return (x + kPage - 1) / kPage * kPage; }

// A section's checksum: 1 MiB blocks hashed independently (in parallel),
// their hashes folded in order.
uint64_t section_checksum(const uint8_t* data, uint64_t size, int threads) {
  const int64_t blocks = static_cast<int64_t>((size + kChecksumBlock - 1) / kChecksumBlock);
  uint64_t h = checksum_update(kSeed, &size, sizeof size);
  constexpr int64_t kGroup = 256;
  std::vector<uint64_t> hashes(kGroup);
  for (int64_t first = 0; first < blocks; first += kGroup) {
    const int64_t group = std::min(kGroup, blocks - first);
    parallel_for(group, threads, [&](int64_t begin, int64_t end, int) {
      for (int64_t g = begin; g < end; ++g) {
        const uint64_t start = static_cast<uint64_t>(first + g) * kChecksumBlock;
        hashes[g] = checksum_update(kSeed, data + start, std::min(kChecksumBlock, size - start));
      }
    });
    h = checksum_update(h, hashes.data(), group * sizeof(uint64_t));
  }
  return h;
}

[[noreturn]] void fail_write(const std::string& path) {
  throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

// Writes a dataset file under a temporary name: sections at page-aligned
// offsets in the order given, each appended to in order. Every section's
// size is known up front except the last one's, which grows. finish()
// checksums the sections, writes the header and renames the file into place;
// a writer destroyed before that removes it.
class DatasetFileWriter {
 public:
  DatasetFileWriter(const std::string& path,
                    const std::vector<std::pair<uint32_t, uint64_t>>& sizes)
      : path_(path), tmp_(path + ".tmp" + std::to_string(::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_write(tmp_);
    uint64_t offset = kPage;
    for (const auto& [kind, size] : sizes) {
      sections_.push_back(Cursor{kind, offset, size, 0});
      offset = round_up(offset + size);
    }
  }
  ~DatasetFileWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!finished_) ::unlink(tmp_.c_str());
  }
  DatasetFileWriter(const DatasetFileWriter&) = delete;
  DatasetFileWriter& operator=(const DatasetFileWriter&) = delete;

  void append(uint32_t kind, const void* data, uint64_t bytes) {
    Cursor& c = cursor(kind);
    const bool last = &c == &sections_.back();
    check(last || c.written + bytes <= c.size, "internal error: section overflow");
    write_at(c.offset + c.written, data, bytes);
    c.written += bytes;
  }

  void finish(int64_t n_examples, int threads) {
    for (Cursor& c : sections_) {
      if (&c == &sections_.back()) c.size = c.written;
      check(c.written == c.size, "internal error: section not filled");
    }
    // The file ends where the last section does, even an empty one.
    const Cursor& last = sections_.back();
    if (::ftruncate(fd_, static_cast<off_t>(last.offset + last.size)) != 0) {
      fail_write(tmp_);
    }
    std::vector<uint8_t> header(kPage, 0);
    {
      const MappedFile written(tmp_);
      uint8_t* p = header.data();
      std::memcpy(p, kFileMagic, sizeof kFileMagic);
      const uint32_t count = static_cast<uint32_t>(sections_.size());
      std::memcpy(p + 8, &kFileVersion, 4);
      std::memcpy(p + 12, &count, 4);
      std::memcpy(p + 16, &n_examples, 8);
      for (size_t k = 0; k < sections_.size(); ++k) {
        const Cursor& c = sections_[k];
        const Entry entry{c.kind, 0, c.offset, c.size,
                          section_checksum(written.data() + c.offset, c.size, threads)};
        std::memcpy(p + kHeaderFixed + k * sizeof(Entry), &entry, sizeof entry);
      }
      const size_t used = kHeaderFixed + sections_.size() * sizeof(Entry);
      const uint64_t sum = checksum_update(kSeed, p, used);
      std::memcpy(p + used, &sum, sizeof sum);
    }
    write_at(0, header.data(), header.size());
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail_write(tmp_);
    }
    fd_ = -1;
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail_write(path_);
    finished_ = true;
  }

 private:
  struct Cursor {
    uint32_t kind;
    uint64_t offset;
    uint64_t size;
    uint64_t written;
  };
  Cursor& cursor(uint32_t kind) {
    for (Cursor& c : sections_) {
      if (c.kind == kind) return c;
    }
    throw std::logic_error("no such section");
  }
  void write_at(uint64_t offset, const void* data, uint64_t bytes) {
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

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  bool finished_ = false;
  std::vector<Cursor> sections_;
};

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
  out.write_string(meta.quantizer);
  out.finish();
  return std::move(stream).str();
}

DatasetMeta read_meta(const uint8_t* data, uint64_t size) {
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
  meta.quantizer = in.read_string();
  in.finish();
  in.expect(
      meta.n_codes >= 0 && meta.n_features >= 0 && (meta.n_codes == 0 || meta.n_features == 0),
      "bad feature shape");
  in.expect(meta.n_codes == 0 || meta.code_bytes == 1 || meta.code_bytes == 2, "bad code width");
  return meta;
}

// The labelled lines of one chunk of a fastText file.
struct ChunkExamples {
  std::vector<std::string_view> texts;
  std::vector<std::string_view> labels;  // label names, example after example
  std::vector<int64_t> label_offsets{0};
  std::deque<std::string> rewritten;  // texts whose labels were not all in front

  void clear() {
    texts.clear();
    labels.clear();
    label_offsets.assign(1, 0);
    rewritten.clear();
  }
};

// Splits `lines` (the first is line number `first_line`) into examples.
// Unlabelled and blank lines are dropped, or refused when every line must be
// an example (the features are matched to the lines).
void parse_lines(const std::vector<std::string_view>& lines, int64_t first_line, bool every_line,
                 const std::string& path, ChunkExamples& out) {
  std::string scratch;
  for (size_t k = 0; k < lines.size(); ++k) {
    const size_t before = out.labels.size();
    const FastTextLine line = split_fasttext_line(lines[k], out.labels, scratch);
    if (out.labels.size() == before) {
      check(!every_line, "texts: file '" + path + "', line " +
                             std::to_string(first_line + static_cast<int64_t>(k)) +
                             " has no label; with features, every line must be a labelled "
                             "example (feature rows are matched to lines)");
      continue;
    }
    keep_text(line, scratch, out.rewritten, out.texts);
    out.label_offsets.push_back(static_cast<int64_t>(out.labels.size()));
  }
}

size_t item_size(const std::string& dtype) {
  if (dtype == "f4" || dtype == "i4") return 4;
  if (dtype == "u1") return 1;
  if (dtype == "u2") return 2;
  if (dtype == "i8") return 8;
  throw std::invalid_argument("features: unsupported dtype '" + dtype +
                              "' (floats must be float32; codes uint8, uint16, int32 or int64)");
}

// Rows of a feature file, read in order, a chunk at a time.
class FeatureReader {
 public:
  explicit FeatureReader(const FeatureSource& source)
      : source_(source), row_bytes_(item_size(source.dtype) * source.cols) {
    in_.open(source.path, std::ios::binary | std::ios::ate);
    check(static_cast<bool>(in_), "features: cannot open file '" + source.path + "'");
    const auto size = static_cast<uint64_t>(in_.tellg());
    check(source.cols >= 1 && source.rows >= 0 &&
              size >= source.offset + row_bytes_ * static_cast<uint64_t>(source.rows),
          "features: file '" + source.path + "' is shorter than " + std::to_string(source.rows) +
              " rows of " + std::to_string(source.cols) + " values");
    in_.seekg(static_cast<std::streamoff>(source.offset));
  }
  // The next `rows` rows, as raw bytes.
  const std::vector<char>& next(int64_t rows) {
    buffer_.resize(rows * row_bytes_);
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    check(static_cast<bool>(in_), "features: cannot read file '" + source_.path + "'");
    return buffer_;
  }
  uint64_t row_bytes() const { return row_bytes_; }

 private:
  const FeatureSource& source_;
  uint64_t row_bytes_;
  std::ifstream in_;
  std::vector<char> buffer_;
};

template <typename T>
void code_range(const char* data, size_t count, int64_t& low, int64_t& high) {
  for (size_t k = 0; k < count; ++k) {
    T value;
    std::memcpy(&value, data + k * sizeof(T), sizeof(T));
    low = std::min<int64_t>(low, static_cast<int64_t>(value));
    high = std::max<int64_t>(high, static_cast<int64_t>(value));
  }
}

// The smallest and largest code of the source.
void scan_codes(const FeatureSource& source, int64_t& low, int64_t& high) {
  FeatureReader reader(source);
  low = INT64_MAX;
  high = INT64_MIN;
  for (int64_t row = 0; row < source.rows; row += kRowChunk) {
    const int64_t rows = std::min(kRowChunk, source.rows - row);
    const std::vector<char>& raw = reader.next(rows);
    const size_t count = static_cast<size_t>(rows * source.cols);
    if (source.dtype == "u1") code_range<uint8_t>(raw.data(), count, low, high);
    if (source.dtype == "u2") code_range<uint16_t>(raw.data(), count, low, high);
    if (source.dtype == "i4") code_range<int32_t>(raw.data(), count, low, high);
    if (source.dtype == "i8") code_range<int64_t>(raw.data(), count, low, high);
  }
}

// Converts `count` codes from the source's dtype to Code (range checked before).
template <typename Code>
void convert_codes(const std::vector<char>& raw, const std::string& dtype, size_t count,
                   std::vector<Code>& out) {
  out.resize(count);
  auto convert = [&](auto zero) {
    using T = decltype(zero);
    for (size_t k = 0; k < count; ++k) {
      T value;
      std::memcpy(&value, raw.data() + k * sizeof(T), sizeof(T));
      out[k] = static_cast<Code>(value);
    }
  };
  if (dtype == "u1") convert(uint8_t{});
  if (dtype == "u2") convert(uint16_t{});
  if (dtype == "i4") convert(int32_t{});
  if (dtype == "i8") convert(int64_t{});
}

// Label names in class order: by bytes (like numpy.unique on str), or as
// integers.
std::vector<std::string> sorted_labels(std::vector<std::string> names, bool numeric,
                                       const std::string& path) {
  if (!numeric) {
    std::sort(names.begin(), names.end());
    return names;
  }
  std::vector<std::pair<int64_t, std::string>> keyed;
  for (auto& name : names) {
    int64_t value = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), value);
    check(error == std::errc() && end == name.data() + name.size(),
          "texts: file '" + path + "': label '" + name + "' is not an integer");
    keyed.emplace_back(value, std::move(name));
  }
  std::sort(keyed.begin(), keyed.end());
  names.clear();
  for (auto& [value, name] : keyed) names.push_back(std::move(name));
  return names;
}

void check_not_stopped(const CompileProgress& progress) {
  if (progress.stop.load(std::memory_order_relaxed)) throw std::runtime_error("interrupted");
}

}  // namespace

void compile_dataset(const std::string& text_path, const FeatureSource& features,
                     const DatasetSettings& settings, int threads, const std::string& out_path,
                     CompileProgress& progress) {
  check(settings.min_count >= 1, "min_count must be >= 1");
  const bool has_features = !features.path.empty();
  const bool has_codes = has_features && features.dtype != "f4";
  if (has_features) item_size(features.dtype);  // refuses other dtypes
  check(!features.by_reference || !has_codes, "features: only floats are read by reference");
  progress.bytes_total = 0;
  {
    std::ifstream in(text_path, std::ios::binary | std::ios::ate);
    check(static_cast<bool>(in), "texts: cannot open file '" + text_path + "'");
    progress.bytes_total = static_cast<uint64_t>(in.tellg());
  }

  DatasetMeta meta;
  meta.settings = settings;
  meta.dictionary = Dictionary(settings.word_ngrams, settings.buckets);
  if (has_codes) {
    int64_t low = 0, high = -1;
    scan_codes(features, low, high);
    check(features.rows == 0 || (low >= 0 && high <= 65535),
          "features: codes in '" + features.path + "' must be in [0, 65535], got values in [" +
              std::to_string(low) + ", " + std::to_string(high) + "]");
    meta.n_codes = static_cast<int32_t>(features.cols);
    meta.max_code = static_cast<int32_t>(high);
    meta.code_bytes = high < 256 ? 1 : 2;
  } else if (has_features) {
    meta.n_features = static_cast<int32_t>(features.cols);
  }

  // Pass 1: the vocabulary and the labels.
  progress.pass = 1;
  std::unordered_map<std::string, int32_t> label_index;
  std::vector<std::string> first_seen;
  int64_t n_examples = 0, n_label_ids = 0, n_lines = 0;
  ChunkExamples chunk;
  for_each_line_chunk(
      text_path, kTextChunk, [&](const std::vector<std::string_view>& lines, uint64_t bytes_read) {
        check_not_stopped(progress);
        chunk.clear();
        parse_lines(lines, n_lines + 1, has_features, text_path, chunk);
        for (std::string_view name : chunk.labels) {
          auto [it, inserted] =
              label_index.emplace(std::string(name), static_cast<int32_t>(first_seen.size()));
          if (inserted) first_seen.push_back(it->first);
        }
        for (size_t i = 0; i < chunk.texts.size(); ++i) {
          meta.multilabel |= chunk.label_offsets[i + 1] - chunk.label_offsets[i] != 1;
        }
        meta.dictionary.count(chunk.texts, threads);
        n_examples += static_cast<int64_t>(chunk.texts.size());
        n_label_ids += static_cast<int64_t>(chunk.labels.size());
        n_lines += static_cast<int64_t>(lines.size());
        progress.bytes_read = bytes_read;
        progress.lines = n_lines;
      });
  meta.dictionary.keep_frequent(settings.min_count);
  check(n_examples > 0, "texts: file '" + text_path +
                            "' has no labelled lines (labels are tokens that start with "
                            "__label__)");
  check(!has_features || features.rows == n_lines,
        "features: file '" + features.path + "' has " + std::to_string(features.rows) +
            " rows but '" + text_path + "' has " + std::to_string(n_lines) + " lines");
  meta.label_names = sorted_labels(first_seen, settings.numeric_labels, text_path);
  std::unordered_map<std::string_view, int32_t> class_of;  // keys point into meta.label_names
  for (size_t c = 0; c < meta.label_names.size(); ++c) {
    class_of.emplace(meta.label_names[c], static_cast<int32_t>(c));
  }
  if (features.by_reference) {
    meta.feature_reference = features.reference;
    meta.feature_offset = features.offset;
    const MappedFile file(features.path);
    check(file.size() >= features.offset +
                             static_cast<uint64_t>(features.rows * features.cols) * sizeof(float),
          "features: file '" + features.path + "' is shorter than " +
              std::to_string(features.rows) + " rows of " + std::to_string(features.cols) +
              " floats");
    meta.feature_file_bytes = file.size();
    meta.feature_header_checksum = checksum_update(kSeed, file.data(), features.offset);
  }

  // Pass 2: token ids, labels and features, written as they are made.
  const std::string meta_bytes = write_meta(meta);
  const uint64_t n = static_cast<uint64_t>(n_examples);
  std::vector<std::pair<uint32_t, uint64_t>> sizes = {
      {kMeta, meta_bytes.size()},
      {kTokenOffsets, (n + 1) * sizeof(int64_t)},
      {kLabelOffsets, (n + 1) * sizeof(int64_t)},
      {kLabelIds, static_cast<uint64_t>(n_label_ids) * sizeof(int32_t)}};
  if (has_codes) sizes.emplace_back(kCodes, n * meta.n_codes * meta.code_bytes);
  if (has_features && !has_codes && !features.by_reference) {
    sizes.emplace_back(kFeatures, n * meta.n_features * sizeof(float));
  }
  sizes.emplace_back(kTokenIds, 0);
  DatasetFileWriter out(out_path, sizes);
  out.append(kMeta, meta_bytes.data(), meta_bytes.size());
  const int64_t zero = 0;
  out.append(kTokenOffsets, &zero, sizeof zero);
  out.append(kLabelOffsets, &zero, sizeof zero);

  progress.pass = 2;
  progress.bytes_read = 0;
  progress.lines = 0;
  std::optional<FeatureReader> rows;
  if (has_features && !features.by_reference) rows.emplace(features);
  int64_t token_base = 0, label_base = 0;
  n_lines = 0;
  std::vector<int64_t> offsets;
  std::vector<int32_t> label_ids;
  std::vector<uint8_t> codes8;
  std::vector<uint16_t> codes16;
  for_each_line_chunk(
      text_path, kTextChunk, [&](const std::vector<std::string_view>& lines, uint64_t bytes_read) {
        check_not_stopped(progress);
        chunk.clear();
        parse_lines(lines, n_lines + 1, has_features, text_path, chunk);
        const RaggedArray tokens = encode_texts(meta.dictionary, chunk.texts, threads);
        offsets.resize(tokens.rows());
        for (int64_t i = 0; i < tokens.rows(); ++i) offsets[i] = token_base + tokens.offsets[i + 1];
        token_base += static_cast<int64_t>(tokens.values.size());
        out.append(kTokenIds, tokens.values.data(), tokens.values.size() * sizeof(int32_t));
        out.append(kTokenOffsets, offsets.data(), offsets.size() * sizeof(int64_t));
        for (size_t i = 0; i + 1 < chunk.label_offsets.size(); ++i) {
          offsets[i] = label_base + chunk.label_offsets[i + 1];
        }
        label_base += static_cast<int64_t>(chunk.labels.size());
        out.append(kLabelOffsets, offsets.data(), offsets.size() * sizeof(int64_t));
        label_ids.clear();
        for (std::string_view name : chunk.labels) label_ids.push_back(class_of.at(name));
        out.append(kLabelIds, label_ids.data(), label_ids.size() * sizeof(int32_t));
        if (rows) {
          const int64_t count = static_cast<int64_t>(chunk.texts.size());
          const std::vector<char>& raw = rows->next(count);
          if (!has_codes) {
            out.append(kFeatures, raw.data(), raw.size());
          } else if (meta.code_bytes == 1) {
            convert_codes(raw, features.dtype, static_cast<size_t>(count * meta.n_codes), codes8);
            out.append(kCodes, codes8.data(), codes8.size());
          } else {
            convert_codes(raw, features.dtype, static_cast<size_t>(count * meta.n_codes), codes16);
            out.append(kCodes, codes16.data(), codes16.size() * sizeof(uint16_t));
          }
        }
        n_lines += static_cast<int64_t>(lines.size());
        progress.bytes_read = bytes_read;
        progress.lines = n_lines;
      });
  out.finish(n_examples, threads);
}

std::shared_ptr<const CompiledDataset> CompiledDataset::open(const std::string& path, int threads) {
  auto dataset = std::make_shared<CompiledDataset>(Key{});
  CompiledDataset& d = *dataset;
  d.path_ = path;
  d.file_ = MappedFile(path);
  const uint8_t* p = d.file_.data();
  const uint64_t size = d.file_.size();
  auto corrupt = [&](const std::string& what) {
    return std::invalid_argument("corrupt mmfast dataset '" + path + "': " + what);
  };
  check(size >= sizeof kFileMagic && std::memcmp(p, kFileMagic, sizeof kFileMagic) == 0,
        "'" + path + "' is not an mmfast dataset (it does not start with the MMFDATA magic)");
  if (size < kPage) throw corrupt("file is truncated (" + std::to_string(size) + " bytes)");
  uint32_t version = 0, count = 0;
  std::memcpy(&version, p + 8, 4);
  std::memcpy(&count, p + 12, 4);
  std::memcpy(&d.n_examples_, p + 16, 8);
  check(version == kFileVersion, "'" + path + "' is an mmfast dataset of format version " +
                                     std::to_string(version) + "; this build reads version " +
                                     std::to_string(kFileVersion));
  if (count > kSectionKinds || kHeaderFixed + count * sizeof(Entry) + 8 > kPage) {
    throw corrupt("bad section count");
  }
  const size_t used = kHeaderFixed + count * sizeof(Entry);
  uint64_t stored = 0;
  std::memcpy(&stored, p + used, sizeof stored);
  if (stored != checksum_update(kSeed, p, used)) throw corrupt("header checksum mismatch");
  if (d.n_examples_ < 0) throw corrupt("bad number of examples");
  d.sections_.assign(kSectionKinds, Section{});
  uint64_t end_of_data = kPage;
  std::vector<Entry> entries(count);
  for (uint32_t k = 0; k < count; ++k) {
    Entry& e = entries[k];
    std::memcpy(&e, p + kHeaderFixed + k * sizeof(Entry), sizeof e);
    if (e.kind == 0 || e.kind >= kSectionKinds || d.sections_[e.kind].data != nullptr ||
        e.offset % kPage != 0 || e.offset < end_of_data || e.size > UINT64_MAX - e.offset) {
      throw corrupt("bad section table");
    }
    end_of_data = e.offset + e.size;
    if (end_of_data > size) {
      throw corrupt("file is truncated: its " + std::string(kSectionNames[e.kind]) +
                    " end at byte " + std::to_string(end_of_data) + " but the file has " +
                    std::to_string(size) + " bytes");
    }
    d.sections_[e.kind] = Section{p + e.offset, e.size};
  }
  if (end_of_data != size) {
    throw corrupt("the file has " + std::to_string(size - end_of_data) +
                  " bytes after its last section");
  }
  for (const Entry& e : entries) {
    if (section_checksum(p + e.offset, e.size, threads) != e.checksum) {
      throw corrupt("checksum mismatch in its " + std::string(kSectionNames[e.kind]));
    }
  }
  const Section meta = d.sections_[kMeta];
  if (meta.data == nullptr) throw corrupt("no meta section");
  try {
    d.meta_ = read_meta(meta.data, meta.size);
  } catch (const std::invalid_argument& e) {
    throw corrupt(e.what());
  }
  try {
    d.validate(threads);
  } catch (const std::invalid_argument& e) {
    throw corrupt(e.what());
  }
  return dataset;
}

void CompiledDataset::validate(int threads) {
  const uint64_t n = static_cast<uint64_t>(n_examples_);
  auto expect_size = [&](uint32_t kind, uint64_t bytes) {
    check(sections_[kind].size == bytes && (bytes == 0 || sections_[kind].data != nullptr),
          std::string(kSectionNames[kind]) + ": expected " + std::to_string(bytes) +
              " bytes, found " + std::to_string(sections_[kind].size));
  };
  // Offsets start at 0, never decrease, and end at the number of ids.
  auto check_offsets = [&](uint32_t offsets_kind, uint32_t ids_kind) {
    expect_size(offsets_kind, (n + 1) * sizeof(int64_t));
    const int64_t* offsets = array<int64_t>(offsets_kind);
    check(offsets[0] == 0 && offsets[n] >= 0,
          std::string(kSectionNames[offsets_kind]) + ": bad range");
    expect_size(ids_kind, static_cast<uint64_t>(offsets[n]) * sizeof(int32_t));
    parallel_for(n_examples_, threads, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) {
        check(offsets[i] <= offsets[i + 1], std::string(kSectionNames[offsets_kind]) +
                                                " decrease at example " + std::to_string(i));
      }
    });
  };
  // Every id below `bound`.
  auto check_ids = [&](uint32_t kind, int64_t bound) {
    const int32_t* ids = array<int32_t>(kind);
    const int64_t count = static_cast<int64_t>(sections_[kind].size / sizeof(int32_t));
    parallel_for(count, threads, [&](int64_t begin, int64_t end, int) {
      bool ok = true;
      for (int64_t k = begin; k < end; ++k) ok &= ids[k] >= 0 && ids[k] < bound;
      check(ok, std::string(kSectionNames[kind]) + ": an id is out of range");
    });
  };
  check_offsets(kTokenOffsets, kTokenIds);
  check_offsets(kLabelOffsets, kLabelIds);
  check_ids(kTokenIds, meta_.dictionary.n_rows());
  check_ids(kLabelIds, static_cast<int64_t>(meta_.label_names.size()));
  expect_size(kCodes, n * meta_.n_codes * meta_.code_bytes);
  check(
      meta_.n_codes == 0 || (meta_.max_code >= 0 && meta_.max_code < (1 << (8 * meta_.code_bytes))),
      "bad largest code");
  // Every code at most max_code, which the model's codebook covers.
  auto check_codes = [&](auto code) {
    using Code = decltype(code);
    const Code* codes = array<Code>(kCodes);
    const auto count = static_cast<int64_t>(n * meta_.n_codes);
    parallel_for(count, threads, [&](int64_t begin, int64_t end, int) {
      bool ok = true;
      for (int64_t k = begin; k < end; ++k) ok &= codes[k] <= meta_.max_code;
      check(ok, "codes: a code is above the largest code recorded");
    });
  };
  if (meta_.n_codes > 0 && meta_.code_bytes == 1) check_codes(uint8_t{});
  if (meta_.n_codes > 0 && meta_.code_bytes == 2) check_codes(uint16_t{});
  if (meta_.n_features == 0 || !meta_.feature_reference.empty()) {
    expect_size(kFeatures, 0);
  } else {
    expect_size(kFeatures, n * meta_.n_features * sizeof(float));
    features_ = array<float>(kFeatures);
  }
  if (!meta_.feature_reference.empty()) {
    // A relative reference is relative to the dataset's folder.
    std::string where = meta_.feature_reference;
    const size_t slash = path_.rfind('/');
    if (where.front() != '/' && slash != std::string::npos) {
      where = path_.substr(0, slash + 1) + where;
    }
    feature_file_ = MappedFile(where);
    const uint64_t expected = meta_.feature_offset + n * meta_.n_features * sizeof(float);
    const bool same = feature_file_.size() == meta_.feature_file_bytes &&
                      feature_file_.size() >= expected &&
                      meta_.feature_offset % sizeof(float) == 0 &&
                      checksum_update(kSeed, feature_file_.data(), meta_.feature_offset) ==
                          meta_.feature_header_checksum;
    if (!same) {
      // Not the dataset's fault: say which file changed.
      throw std::invalid_argument(
          "features: file '" + where + "' does not match dataset '" + path_ +
          "' (compiled against " + std::to_string(meta_.feature_file_bytes) + " bytes holding " +
          std::to_string(n) + " rows of " + std::to_string(meta_.n_features) + " floats; found " +
          std::to_string(feature_file_.size()) + " bytes)");
    }
    features_ = reinterpret_cast<const float*>(feature_file_.data() + meta_.feature_offset);
  }
}

uint64_t CompiledDataset::token_id_bytes() const { return sections_[kTokenIds].size; }

std::shared_ptr<const Dataset> CompiledDataset::examples() const {
  auto data = std::make_shared<Dataset>();
  data->tokens = RaggedView(array<int64_t>(kTokenOffsets), array<int32_t>(kTokenIds), n_examples_);
  data->labels = RaggedView(array<int64_t>(kLabelOffsets), array<int32_t>(kLabelIds), n_examples_);
  data->n_classes = static_cast<int32_t>(meta_.label_names.size());
  data->n_codes = meta_.n_codes;
  if (meta_.n_codes > 0 && meta_.code_bytes == 1) data->codes8 = array<uint8_t>(kCodes);
  if (meta_.n_codes > 0 && meta_.code_bytes == 2) data->codes16 = array<uint16_t>(kCodes);
  data->features = features_;
  data->n_features = meta_.n_features;
  data->owner = shared_from_this();
  return data;
}

void CompiledDataset::encode_features(const Quantizer& quantizer,
                                      const std::string& quantizer_bytes,
                                      const std::string& out_path, int threads) const {
  check(meta_.n_features > 0, "dataset '" + path_ + "' has no float features to encode");
  check(quantizer.is_trained(), "quantizer: not trained");
  check(quantizer.dim() == meta_.n_features,
        "quantizer: fitted on " + std::to_string(quantizer.dim()) + " features, the dataset has " +
            std::to_string(meta_.n_features));
  DatasetMeta meta = meta_;
  meta.n_codes = quantizer.n_codes();
  meta.code_bytes = quantizer.n_bits() <= 8 ? 1 : 2;
  meta.max_code = static_cast<int32_t>(quantizer.n_centroids() - 1);
  meta.n_features = 0;
  meta.feature_reference.clear();
  meta.feature_offset = meta.feature_file_bytes = meta.feature_header_checksum = 0;
  meta.quantizer = quantizer_bytes;
  const std::string meta_bytes = write_meta(meta);
  const uint64_t n = static_cast<uint64_t>(n_examples_);
  DatasetFileWriter out(out_path, {{kMeta, meta_bytes.size()},
                                   {kTokenOffsets, sections_[kTokenOffsets].size},
                                   {kLabelOffsets, sections_[kLabelOffsets].size},
                                   {kLabelIds, sections_[kLabelIds].size},
                                   {kCodes, n * meta.n_codes * meta.code_bytes},
                                   {kTokenIds, 0}});
  out.append(kMeta, meta_bytes.data(), meta_bytes.size());
  for (uint32_t kind : {kTokenOffsets, kLabelOffsets, kLabelIds, kTokenIds}) {
    out.append(kind, sections_[kind].data, sections_[kind].size);
  }
  std::vector<uint8_t> codes8;
  std::vector<uint16_t> codes16;
  const int64_t d = meta_.n_features;
  for (int64_t row = 0; row < n_examples_; row += kRowChunk) {
    const int64_t rows = std::min(kRowChunk, n_examples_ - row);
    const float* x = features_ + row * d;
    if (meta.code_bytes == 1) {
      codes8.resize(rows * meta.n_codes);
      quantizer.encode(x, rows, codes8.data(), threads);
      out.append(kCodes, codes8.data(), codes8.size());
    } else {
      codes16.resize(rows * meta.n_codes);
      quantizer.encode(x, rows, codes16.data(), threads);
      out.append(kCodes, codes16.data(), codes16.size() * sizeof(uint16_t));
    }
  }
  out.finish(n_examples_, threads);
}

}  // namespace mmfast
