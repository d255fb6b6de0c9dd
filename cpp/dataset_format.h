// The compiled dataset's file format: a header page (FileHeader, then the
// section table, then the header's checksum), then the sections, each at a
// page-aligned offset and checksummed on its own. DatasetFileWriter writes
// one; read_section_table checks one's header and finds its sections.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dictionary.h"

namespace mmfast {

constexpr char kDatasetMagic[8] = {'M', 'M', 'F', 'D', 'A', 'T', 'A', '\n'};
// Version 2: the meta section holds the checksum of a referenced .npy's rows
// (version 1 files still open, with that file's size and header checked).
constexpr uint32_t kDatasetVersion = 2;
constexpr uint64_t kDatasetPage = 4096;  // sections start at multiples of it
constexpr uint64_t kDatasetSeed = 0xCBF29CE484222325ULL;  // of every checksum in the file

// The kinds of section, as stored in SectionEntry::kind.
enum SectionKind : uint32_t {
  kMeta = 1,      // DatasetMeta (write_meta)
  kTokenOffsets,  // int64, n_examples + 1
  kLabelOffsets,  // int64, n_examples + 1
  kLabelIds,      // int32
  kCodes,         // uint8 or uint16, n_examples x n_codes
  kFeatures,      // float32, n_examples x n_features
  kTokenIds,      // int32; last, so that it can grow while written
  kSectionKinds
};
// For messages: "token offsets", ...
const char* section_name(uint32_t kind);

// Byte 0 of the file (little-endian, no padding).
struct FileHeader {
  char magic[8];        ///< kDatasetMagic
  uint32_t version;     ///< kDatasetVersion
  uint32_t n_sections;  ///< entries in the section table that follows
  int64_t n_examples;   ///< rows of every per-example section
};
// Follows FileHeader, n_sections times; then a uint64 checksum of the
// header and table.
struct SectionEntry {
  uint32_t kind;      ///< a SectionKind
  uint32_t reserved;  ///< 0
  uint64_t offset;    ///< a multiple of kDatasetPage, after the previous section's end
  uint64_t size;      ///< bytes
  uint64_t checksum;  ///< section_checksum of its bytes
};
static_assert(sizeof(FileHeader) == 24 && sizeof(SectionEntry) == 32, "the on-disk layout");

// What shaped the token ids, and how label names are ordered.
struct DatasetSettings {
  int32_t word_ngrams = 2;
  int64_t buckets = kAutoBuckets;  // decided in the first pass (see Dictionary)
  int64_t min_count = 1;
  bool numeric_labels = false;  // order classes as integers, not as strings
};

// Everything a compiled dataset says about its examples besides the arrays:
// the kMeta section.
struct DatasetMeta {
  DatasetSettings settings;
  Dictionary dictionary;                 // word_ngrams and buckets are the settings'
  std::vector<std::string> label_names;  // what class ids index, ordered
  bool multilabel = false;               // some example has != 1 label
  int32_t n_codes = 0;                   // feature codes per example (0: none)
  int32_t code_bytes = 0;                // 1 (uint8) or 2 (uint16)
  int32_t max_code = -1;                 // the largest code (-1: none)
  int32_t n_features = 0;                // dense features per example (0: none)
  // Dense features read in place from this file ("": none, or copied in):
  // the path as given to compile_dataset, where its rows begin, its size,
  // the checksum of what precedes the rows (the .npy header) and of the rows
  // (section_checksum; 0 in version 1 files, which did not record it).
  std::string feature_reference;
  uint64_t feature_offset = 0;
  uint64_t feature_file_bytes = 0;
  uint64_t feature_header_checksum = 0;
  uint64_t feature_data_checksum = 0;
  std::string quantizer;  // Quantizer::write bytes of the codes' quantizer ("": unknown)
};

std::string write_meta(const DatasetMeta& meta);
// Throws std::invalid_argument when the bytes are not a DatasetMeta of the
// file format `version`.
DatasetMeta read_meta(const uint8_t* data, uint64_t size, uint32_t version);

// A section's checksum: 1 MiB blocks hashed independently (in parallel),
// their hashes folded in order.
uint64_t section_checksum(const uint8_t* data, uint64_t size, int threads);

// Where each kind of section lies in a mapped file (size 0, data nullptr:
// absent).
struct Section {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};
struct SectionTable {
  uint32_t version = kDatasetVersion;
  int64_t n_examples = 0;
  std::vector<Section> sections;  // indexed by SectionKind
};

// Checks the header of the file mapped at `data` (magic, version, header
// checksum, the table's offsets and sizes against `size`) and every
// section's checksum. Throws std::invalid_argument naming `path`.
SectionTable read_section_table(const uint8_t* data, uint64_t size, const std::string& path,
                                int threads);

// Writes a dataset file under a temporary name: sections at page-aligned
// offsets in the order given, each appended to in order. Every section's
// size is known up front except the last one's, which grows. finish()
// checksums the sections, writes the header and renames the file into place;
// a writer destroyed before that removes it.
class DatasetFileWriter {
 public:
  DatasetFileWriter(const std::string& path,
                    const std::vector<std::pair<uint32_t, uint64_t>>& sizes);
  ~DatasetFileWriter();
  DatasetFileWriter(const DatasetFileWriter&) = delete;
  DatasetFileWriter& operator=(const DatasetFileWriter&) = delete;

  void append(uint32_t kind, const void* data, uint64_t bytes);
  void finish(int64_t n_examples, int threads);

 private:
  struct Cursor {
    uint32_t kind;
    uint64_t offset;
    uint64_t size;
    uint64_t written;
  };
  Cursor& cursor(uint32_t kind);
  void write_at(uint64_t offset, const void* data, uint64_t bytes);

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  bool finished_ = false;
  std::vector<Cursor> sections_;
};

}  // namespace mmfast
