// Compiled datasets: examples tokenized once into one versioned, checksummed
// file of page-aligned sections (token ids, offsets, labels, feature codes or
// dense features, and the dictionary and settings that made the token ids;
// cpp/dataset_format.h), made by cpp/dataset_compiler.h, then trained on in
// place through a memory mapping. Memory other than the model does not grow
// with the number of examples, neither while compiling nor while training.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataset.h"
#include "dataset_format.h"
#include "mapped_file.h"
#include "quantizer.h"

namespace mmfast {

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
  // Checks sizes, offsets and ids, and maps a referenced feature file.
  void validate(int threads);
  template <typename T>
  const T* array(uint32_t kind) const {
    return reinterpret_cast<const T*>(sections_[kind].data);
  }

  std::string path_;
  uint32_t version_ = kDatasetVersion;  // of the file format
  MappedFile file_;
  MappedFile feature_file_;  // a referenced feature file
  int64_t n_examples_ = 0;
  std::vector<Section> sections_;  // indexed by section kind
  DatasetMeta meta_;
  const float* features_ = nullptr;
};

}  // namespace mmfast
