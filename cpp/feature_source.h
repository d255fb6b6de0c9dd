// Per-example features stored next to a fastText-format file: the rows of a
// raw row-major array file (the data of a .npy), one row per line of the
// text, read in order a chunk at a time while a dataset is compiled.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace mmfast {

// The element type of a feature file (little-endian): floats, or the
// integer codes of a quantizer.
enum class FeatureDtype { kFloat32, kUint8, kUint16, kInt32, kInt64 };

// The dtype of numpy's code ("f4", "u1", "u2", "i4", "i8"); throws
// std::invalid_argument naming the features for any other.
FeatureDtype parse_feature_dtype(const std::string& code);
size_t item_size(FeatureDtype dtype);

struct FeatureSource {
  std::string path;  // empty: no features
  uint64_t offset = 0;  // where the rows begin in `path`
  FeatureDtype dtype = FeatureDtype::kFloat32;
  int64_t rows = 0;
  int64_t cols = 0;
  // Floats only: read in place from `path` at training time instead of being
  // copied into the dataset; `reference` is the path the dataset stores
  // (relative to the dataset's folder, or absolute).
  bool by_reference = false;
  std::string reference;

  bool empty() const { return path.empty(); }
  bool codes() const { return !empty() && dtype != FeatureDtype::kFloat32; }
};

// Rows of a feature file, read in order, a chunk at a time.
class FeatureReader {
 public:
  // Throws std::invalid_argument when the file cannot be opened or is
  // shorter than the source's rows.
  explicit FeatureReader(const FeatureSource& source);
  // The next `rows` rows, as raw bytes.
  const std::vector<char>& next(int64_t rows);

 private:
  const FeatureSource& source_;
  uint64_t row_bytes_;
  std::ifstream in_;
  std::vector<char> buffer_;
};

// The smallest and largest code of a source of codes.
void scan_codes(const FeatureSource& source, int64_t& low, int64_t& high);

// Converts `count` codes of `dtype` in `raw` to Code (range checked before).
template <typename Code>
void convert_codes(const std::vector<char>& raw, FeatureDtype dtype, size_t count,
                   std::vector<Code>& out);

}  // namespace mmfast
