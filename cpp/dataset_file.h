// Compiled datasets: examples tokenized once into one versioned, checksummed
// file of page-aligned sections (token ids, offsets, labels, feature codes or
// dense features, and the dictionary and settings that made the token ids),
// then trained on in place through a memory mapping. Memory other than the
// model does not grow with the number of examples, neither while compiling
// nor while training.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataset.h"
#include "dictionary.h"
#include "mapped_file.h"
#include "quantizer.h"

namespace mmfast {

// Per-example features stored next to the text: rows of a raw row-major
// array file (the data of a .npy), one row per line of the text.
struct FeatureSource {
  std::string path;         // empty: no features
  uint64_t offset = 0;      // where the rows begin in `path`
  std::string dtype;        // "f4" (floats), or codes: "u1", "u2", "i4", "i8" (little-endian)
  int64_t rows = 0;
  int64_t cols = 0;
  // Floats only: read in place from `path` at training time instead of being
  // copied into the dataset; `reference` is the path the dataset stores
  // (relative to the dataset's folder, or absolute).
  bool by_reference = false;
  std::string reference;
};

// What shaped the token ids, and how label names are ordered.
struct DatasetSettings {
  int32_t word_ngrams = 2;
  int64_t buckets = kAutoBuckets;  // decided in the first pass (see Dictionary)
  int64_t min_count = 1;
  bool numeric_labels = false;  // order classes as integers, not as strings
};

// Counters the compiler publishes; `stop` asks it to give up.
struct CompileProgress {
  std::atomic<int> pass{0};  // 1: counting words, 2: writing
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<int64_t> lines{0};
  std::atomic<bool> stop{false};
};

// Compiles the fastText-format file `text_path` into `out_path`, reading it
// in chunks twice: a first pass counts words and labels (the vocabulary and
// its size must be known before the first n-gram id is written), a second
// tokenizes and writes. The file appears at `out_path` only when complete.
// Throws std::invalid_argument naming the file for unreadable or mismatched
// inputs, and std::runtime_error("interrupted") when progress.stop is set.
void compile_dataset(const std::string& text_path, const FeatureSource& features,
                     const DatasetSettings& settings, int threads, const std::string& out_path,
                     CompileProgress& progress);

// Everything a compiled dataset says about its examples besides the arrays.
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
  // the path as given to compile_dataset, where its rows begin, its size and
  // the checksum of what precedes the rows (the .npy header).
  std::string feature_reference;
  uint64_t feature_offset = 0;
  uint64_t feature_file_bytes = 0;
  uint64_t feature_header_checksum = 0;
  std::string quantizer;  // Quantizer::write bytes of the codes' quantizer ("": unknown)
};

class CompiledDataset : public std::enable_shared_from_this<CompiledDataset> {
  struct Key {};  // only open() constructs one

 public:
  explicit CompiledDataset(Key) {}
  // Maps the dataset at `path` (and its referenced feature file), verifies
  // every section's checksum and that offsets and ids are in range: a
  // truncated, corrupt or foreign file, or a feature file that changed, is
  // refused with std::invalid_argument naming the file.
  static std::shared_ptr<const CompiledDataset> open(const std::string& path, int threads);

  const std::string& path() const { return path_; }
  int64_t size() const { return n_examples_; }
  uint64_t file_bytes() const { return file_.size(); }
  uint64_t token_id_bytes() const;
  const DatasetMeta& meta() const { return meta_; }
  // The examples, as views that keep this dataset alive.
  std::shared_ptr<const Dataset> examples() const;

  // Writes this dataset to `out_path` with `quantizer`'s codes of its dense
  // features in place of them (uint8 when it has <= 256 centroids), and the
  // quantizer itself (`quantizer_bytes`, from Quantizer::write).
  void encode_features(const Quantizer& quantizer, const std::string& quantizer_bytes,
                       const std::string& out_path, int threads) const;

 private:
  struct Section {
    const uint8_t* data = nullptr;
    uint64_t size = 0;
  };
  // Checks sizes, offsets and ids, and maps a referenced feature file.
  void validate(int threads);
  template <typename T>
  const T* array(uint32_t kind) const {
    return reinterpret_cast<const T*>(sections_[kind].data);
  }

  std::string path_;
  MappedFile file_;
  MappedFile feature_file_;  // a referenced feature file
  int64_t n_examples_ = 0;
  std::vector<Section> sections_;  // indexed by section kind
  DatasetMeta meta_;
  const float* features_ = nullptr;
};

}  // namespace mmfast
